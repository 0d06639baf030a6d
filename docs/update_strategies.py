"""Regenerate the generated tables in docs/strategies.md from the code:
``python docs/update_strategies.py``."""

from pathlib import Path

from sim.docs import regime_table, replace_block, strategy_table

PATH = Path(__file__).resolve().parent / "strategies.md"


def main() -> None:
    text = PATH.read_text()
    text = replace_block(text, "strategies", strategy_table())
    text = replace_block(text, "regimes", regime_table())
    PATH.write_text(text)


if __name__ == "__main__":
    main()
