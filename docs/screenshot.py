"""Regenerate the README's screenshot, docs/img/app.png: the lab at 1400x900 after pressing Run on the
default comparison. Run it deliberately (``make screenshot``); no test writes the file.

It starts ``streamlit run app.py`` on a free local port and drives Debian's Chromium (/usr/bin/chromium)
with Playwright; it never runs ``playwright install``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, streamlit_server, wait_for_results  # noqa: E402

OUT = ROOT / "docs" / "img" / "app.png"


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, streamlit_server(Path(tmp) / "server.log") as url, \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=VIEWPORT).new_page()
        page.set_default_timeout(120_000)
        page.goto(url)
        page.get_by_role("button", name="Run", exact=True).click()
        wait_for_results(page, "0-2")
        page.mouse.move(VIEWPORT["width"] - 300, 30)  # no tooltip in the picture
        page.wait_for_timeout(1500)  # let the charts finish drawing
        OUT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUT))
        browser.close()
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
