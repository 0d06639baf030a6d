"""The social network: the seeded small-world graph, the Mesa ``Network`` space the borrowers sit on, and
the neighbour effects computed from it with sparse matrices."""

from __future__ import annotations

import numpy as np
import pytest
from mesa.discrete_space import Network

import sim
from sim.borrowers import Borrower
from sim.network import row_normalised, small_world


def test_small_world_is_symmetric_seeded_and_has_the_degree_asked():
    a = small_world(2000, 8, 0.1, np.random.default_rng(7))
    b = small_world(2000, 8, 0.1, np.random.default_rng(7))
    assert (a != b).nnz == 0  # same seed, same graph
    assert (a != a.T).nnz == 0  # ties are mutual
    assert a.diagonal().sum() == 0  # nobody is their own neighbour
    degree = np.asarray(a.sum(axis=1)).ravel()
    assert degree.mean() == pytest.approx(8.0, abs=0.1)  # a pair linked twice by rewiring counts once
    ring = small_world(50, 4, 0.0, np.random.default_rng(0))
    assert set(np.asarray(ring.sum(axis=1)).ravel()) == {4.0}
    assert ring[0, 1] == ring[0, 2] == ring[0, 49] == ring[0, 48] == 1 and ring[0, 3] == 0


def test_row_normalised_averages_over_neighbours():
    a = small_world(300, 6, 0.2, np.random.default_rng(1))
    peers = row_normalised(a)
    assert np.allclose(np.asarray(peers.sum(axis=1)).ravel(), 1.0)
    x = np.random.default_rng(2).random(300).astype(np.float32)
    row = a[5].indices
    assert (peers @ x)[5] == pytest.approx(x[row].mean(), rel=1e-5)
    assert row_normalised(small_world(2, 8, 0.1, np.random.default_rng(0))).nnz == 0  # too small for ties


def test_borrowers_sit_on_a_mesa_network_that_matches_the_matrix():
    model = sim.CollectionModel("baseline", n_borrowers=400, horizon=2, burn_in_months=0, seed=3)
    assert model._network is None  # the step needs only the matrices: the space is built on first use
    agents = list(model.agents_by_type[Borrower])
    first = agents[17]
    assert first.cell is not None and model._network is not None  # a borrower's cell builds it
    assert isinstance(model.network, Network)
    cells = model.network._cells
    assert len(cells) == 400
    for agent in agents[:50]:
        assert agent.cell is cells[agent.row]
        assert agent in agent.cell.agents
        neighbours = sorted(c.coordinate for c in agent.cell.neighborhood)
        assert neighbours == sorted(model.adjacency[agent.row].indices.tolist())
    with pytest.raises(ValueError):
        first.cell = cells[0]  # borrowers do not move
    model.step()  # stepping with the space built changes nothing in how the model runs
    assert model.running


def test_the_space_does_not_change_results():
    lazy = sim.simulate("baseline", seed=4, **{"population.n_borrowers": 500, "horizon_months": 6,
                                               "burn_in_months": 0})
    eager = sim.simulate("baseline", seed=4, **{"population.n_borrowers": 500, "horizon_months": 6,
                                                "burn_in_months": 0, "network.mesa_limit": 10_000})
    a, b = lazy.to_dict(), eager.to_dict()
    assert a.keys() == b.keys()
    for key in a:
        assert np.array_equal(a[key], b[key]), key


def _neighbour_means(model, values: np.ndarray) -> np.ndarray:
    return np.array([values[model.adjacency[i].indices].mean() for i in range(model.borrowers.n)])


def test_peer_state_is_the_mean_over_neighbours():
    model = sim.CollectionModel("baseline", n_borrowers=300, horizon=3, burn_in_months=0, seed=5)
    model.step()
    any_30 = np.random.default_rng(0).random(300) < 0.2
    legal = np.random.default_rng(1).random(300) < 0.1
    model._update_peers(any_30, legal)
    assert np.allclose(model._peer_state["delinquent"], _neighbour_means(model, any_30.astype(float)), atol=1e-6)
    assert np.allclose(model._peer_state["legal"], _neighbour_means(model, legal.astype(float)), atol=1e-6)


def _stress_of_the_uncontacted(visit_stress: float, seed: int) -> float:
    """Mean stress, over 12 months, of households with no loan in collection (no collector contacts them)."""
    model = sim.CollectionModel("baseline", n_borrowers=3000, horizon=12, burn_in_months=6, seed=seed,
                                strategy="aggressive", **{"network.visit_exposure_stress": visit_stress})
    means = []
    while model.running:
        model.step()
        book = model.book
        worked = np.bincount(book.view("borrower")[book.view("cycles") > 0], minlength=model.borrowers.n) > 0
        means.append(float(model.borrowers.stress[~worked].mean()))
    return float(np.mean(means))


def test_neighbours_bear_the_stress_of_home_visits():
    # same seeds: only the spill-over of visits to neighbours differs; households nobody contacts are
    # stressed only through their neighbours (and their own budgets, which the seeds hold fixed)
    quiet = np.mean([_stress_of_the_uncontacted(0.0, s) for s in range(2)])
    seen = np.mean([_stress_of_the_uncontacted(0.3, s) for s in range(2)])
    assert seen > quiet * 1.05, (quiet, seen)
