"""Tests that the HTML report reads well in a real browser: headless Chromium at 1280 px."""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from _report_page import WIDTH, chromium, page, run_chromium

# Run in the page after layout; writes what a reader would see into the DOM for --dump-dom.
_MEASURE = """<script>
const out = {view: document.documentElement.clientWidth,
  page: document.documentElement.scrollWidth, tables: [], columns: [], cards: []};
for (const w of document.querySelectorAll(".scroll"))
  out.tables.push({scroll: w.scrollWidth, client: w.clientWidth});
for (const th of document.querySelectorAll("th")) {
  const r = th.getBoundingClientRect();
  const box = th.closest(".scroll").getBoundingClientRect();
  out.columns.push({name: th.textContent, left: r.left, right: r.right,
    boxLeft: box.left, boxRight: box.right});
}
for (const c of document.querySelectorAll(".card")) out.cards.push(c.getBoundingClientRect().top);
const pre = document.createElement("pre");
pre.id = "measure";
pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"""


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Render the report page in headless Chromium and return the page's own measurements."""
    if chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing in CI: .ci/run installs Debian's chromium package")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    folder = tmp_path_factory.mktemp("browser")
    file = folder / "report.html"
    file.write_text(page(folder).replace("</body>", _MEASURE + "</body>"), encoding="utf-8")
    dom = run_chromium(file, "--dump-dom")
    found = re.search(r'<pre id="measure">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    result: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return result


class TestReportInBrowser:
    def test_viewport_is_1280(self, measured: dict[str, Any]) -> None:
        """The page is laid out 1280 px wide (less a scrollbar, if any)."""
        assert WIDTH - 20 <= measured["view"] <= WIDTH

    def test_no_table_scrolls_sideways(self, measured: dict[str, Any]) -> None:
        """No table is wider than its box, and the page does not scroll sideways."""
        assert measured["tables"]
        assert [t for t in measured["tables"] if t["scroll"] > t["client"]] == []
        assert measured["page"] <= measured["view"]

    def test_every_column_visible(self, measured: dict[str, Any]) -> None:
        """Every column heading lies inside its table's box and the window, cost and tok/s too."""
        names = [c["name"] for c in measured["columns"]]
        assert {"provider", "model", "cost", "p99", "tok/s p50"} <= set(names)
        hidden = [
            c["name"]
            for c in measured["columns"]
            if c["left"] < c["boxLeft"] - 0.5
            or c["right"] > c["boxRight"] + 0.5
            or c["right"] > measured["view"]
        ]
        assert hidden == []

    def test_cards_in_one_row(self, measured: dict[str, Any]) -> None:
        """The seven summary cards share one row."""
        assert len(measured["cards"]) == 7
        assert len(set(measured["cards"])) == 1


def test_page_helper_writes_files(tmp_path: Path) -> None:
    """The helper behind `make report-screenshot` writes the page (and, with Chromium, a PNG)."""
    from _report_page import main

    png = tmp_path / "r.png"
    args = [str(tmp_path / "r.html"), *([str(png)] if chromium() else [])]
    assert main(args) == 0
    assert "<table>" in (tmp_path / "r.html").read_text(encoding="utf-8")
    if chromium():
        assert png.read_bytes().startswith(b"\x89PNG")
