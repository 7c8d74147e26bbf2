"""Helpers for the output tests: one real materialization of the summary, charts and report per session,
figure JSON read back out of the written HTML, and headless Chromium (Debian's package, never downloaded)."""

from __future__ import annotations

import base64
import json
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import numpy as np
import pytest

from analytics_assets.defs.marts.assets import league_risk_summary
from analytics_assets.defs.outputs.assets import risk_charts, risk_report
from analytics_tests.support.browser import connected_browser
from analytics_tests.support.runs import resources_for

OUTPUT_ASSETS = [league_risk_summary, risk_charts, risk_report]


@dataclass
class Outputs:
    db: Path
    out_dir: Path
    metadata: dict[str, dict]  # asset key -> materialization metadata values
    seconds: float


def materialize_outputs(
    db: Path,
    out_dir: Path,
    assets=OUTPUT_ASSETS,
    env: dict[str, str] | None = None,
    raise_on_error: bool = True,
    instance=None,
):
    """dg.materialize the all-season assets against `db`, writing files to `out_dir` (set for the run only),
    in `instance` when given (the report reads its run history) or an ephemeral one."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANALYTICS_OUTPUT_DIR", str(out_dir))
        for key, value in (env or {}).items():
            mp.setenv(key, value)
        return dg.materialize(assets, resources=resources_for(db), raise_on_error=raise_on_error, instance=instance)


def metadata_of(result) -> dict[str, dict]:
    return {
        ev.asset_key.to_user_string(): {k: v.value for k, v in ev.materialization.metadata.items()}
        for ev in result.get_asset_materialization_events()
    }


_BUILT: dict[Path, Outputs] = {}


def session_outputs(full_db: Path, tmp_path_factory) -> Outputs:
    """A copy of the full database with the summary, charts and report built once per session."""
    if full_db not in _BUILT:
        base = tmp_path_factory.mktemp("outputs")
        db = base / "analytics.duckdb"
        shutil.copy(full_db, db)
        started = time.perf_counter()
        result = materialize_outputs(db, base / "reports")
        seconds = time.perf_counter() - started
        assert result.success
        _BUILT[full_db] = Outputs(db, base / "reports", metadata_of(result), seconds)
    return _BUILT[full_db]


def _json_after(text: str, start: int) -> tuple[object, int]:
    """The JSON value beginning at the first '[' or '{' at or after `start`."""
    match = re.compile(r"[\[{]").search(text, start)
    value, end = json.JSONDecoder().raw_decode(text, match.start())
    return value, end


def plain(value):
    """Plotly's JSON with typed arrays ({"dtype", "bdata", "shape"}, base64) decoded to plain lists."""
    if isinstance(value, dict):
        if set(value) >= {"dtype", "bdata"}:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
            if "shape" in value:
                array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
            return array.tolist()
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def figure_from_html(text: str, div_id: str) -> dict:
    """data, layout and frames of the Plotly figure drawn into `div_id`, read back from the page."""
    call = re.search(r'Plotly\.newPlot\(\s*"' + re.escape(div_id) + '"', text)
    assert call, f"no Plotly.newPlot for {div_id}"
    data, end = _json_after(text, call.end())
    layout, end = _json_after(text, end)
    frames: list = []
    marker = f"Plotly.addFrames('{div_id}',"
    if marker in text:
        frames, _ = _json_after(text, text.index(marker))
    return plain({"data": data, "layout": layout, "frames": frames})


class BrowserPage:
    """A page in headless Chromium recording console errors, page errors, dialogs and every request."""

    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def remote_requests(self) -> list[str]:
        return [
            u for u in self.requests if not (u.startswith("file://") or u.startswith("data:") or u.startswith("blob:"))
        ]


CHARTS_DRAWN = (
    "() => document.querySelectorAll('.plotly-graph-div').length === 0 || "
    "Array.from(document.querySelectorAll('.plotly-graph-div')).every(d => d._fullLayout)"
)

# Every word of every table cell whose rendered boxes sit on more than one line: a word broken inside
# ("moder/ate"). A sha256, file name or URL (code.hash, code.ref) may break anywhere and is skipped.
MID_WORD_BREAKS = r"""() => {
  const broken = [];
  for (const cell of document.querySelectorAll('td, th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('code.hash, code.ref')) continue;
      for (const m of node.data.matchAll(/\S+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const boxes = [...range.getClientRects()].filter(r => r.width > 0);
        if (boxes.length < 2) continue;
        const tops = boxes.map(r => r.top), height = Math.min(...boxes.map(r => r.height));
        if (Math.max(...tops) - Math.min(...tops) > height / 2) {
          const table = cell.closest('table');
          broken.push(`${table ? table.id : '?'}: "${m[0]}" in "${cell.textContent.trim().slice(0, 60)}"`);
        }
      }
    }
  }
  return broken;
}"""

OVERFLOWING_TABLES = """() => [...document.querySelectorAll('table')]
    .filter(t => t.scrollWidth > t.parentElement.clientWidth + 1)
    .map(t => `${t.id}: ${t.scrollWidth} px in ${t.parentElement.clientWidth} px`)"""


class Chromium:
    """One tab in the session's Chromium for a test module, that each page checked is loaded into in
    turn (a new tab compiles plotly.js again: four times slower a page)."""

    def __init__(self, width: int = 1280, height: int = 900):
        self._connection = connected_browser()
        browser = self._connection.__enter__()
        self.tab = BrowserPage(browser.new_page(viewport={"width": width, "height": height}))

    def open(self, url: str) -> BrowserPage:
        """The tab with `url` loaded and every chart drawn; its errors and requests are this page's only."""
        self.tab.errors.clear()
        self.tab.requests.clear()
        self.tab.dialogs.clear()
        self.tab.page.goto(url, wait_until="load")
        self.tab.page.wait_for_function(CHARTS_DRAWN, timeout=60000)
        return self.tab

    def close(self) -> None:
        self.tab.page.close()
        self._connection.__exit__(None, None, None)


def open_pages(urls: list[str], action=None, width: int = 1280, height: int = 900) -> list[BrowserPage]:
    """Open each URL in headless Debian Chromium, wait for the charts, run `action(page)` and return what was seen."""
    seen = []
    with connected_browser() as browser:
        for url in urls:
            page = browser.new_page(viewport={"width": width, "height": height})
            try:
                watched = BrowserPage(page)
                page.goto(url, wait_until="load")
                page.wait_for_function(CHARTS_DRAWN, timeout=60000)
                if action:
                    action(page)
                seen.append(watched)
            finally:
                page.close()
    return seen
