"""collection-lab: an agent-based laboratory for debt-collection strategies, on Mesa."""

from sim.borrowers import Borrower
from sim.config import Scenario, ScenarioError, load_scenario
from sim.lenders import CollectionAgency, DebtBuyer, Lender
from sim.model import CollectionModel
from sim.portfolio import PortfolioError, load_portfolio
from sim.runner import compare, run_scenario, simulate
from sim.strategies import STRATEGIES, Strategy

__all__ = [
    "Borrower", "CollectionAgency", "CollectionModel", "DebtBuyer", "Lender", "PortfolioError", "STRATEGIES",
    "Scenario", "ScenarioError", "Strategy", "compare", "load_portfolio", "load_scenario", "run_scenario", "simulate",
]
__version__ = "0.1.0"
