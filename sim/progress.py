"""A progress bar that is quiet when output is not a terminal."""

from __future__ import annotations

import sys
from contextlib import contextmanager

from tqdm import tqdm


@contextmanager
def progress_bar(total: int, unit: str, enabled: bool = True):
    """A tqdm bar on stderr, shown only if enabled and stderr is a terminal."""
    show = enabled and sys.stderr.isatty()
    bar = tqdm(total=total, unit=unit, disable=not show, file=sys.stderr, leave=False)
    try:
        yield bar
    finally:
        bar.close()
