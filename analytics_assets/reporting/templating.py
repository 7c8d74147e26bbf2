"""The Jinja2 environment every HTML page is rendered with (templates in `reporting/templates/`).

Autoescaping is on for every template. `finalize` runs on each `{{ value }}` before it is written:
a missing value (None, NaN, NA, NaT) becomes an en dash, markup already marked safe (Plotly's chart
divs) passes through, and everything else is escaped with `html.escape` (so quotes become `&#x27;`
and `&quot;` exactly as the pages always wrote them; byte-identical pages across versions).
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from functools import lru_cache

import jinja2
import pandas as pd
from markupsafe import Markup

MISSING = "–"


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT


def _finalize(value):
    if missing(value):
        return MISSING
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value)))


# A word with a hyphen inside ("z-score", "Pro-Football-Reference", "2026-12-07"), or a word and the
# percent sign after it ("Win %", which a narrow column would otherwise split over two lines).
_HYPHENATED = re.compile(r"\S*\w-(?=\w)\S*|\S+ %(?=[\s)]|$)")


def unbroken(value):
    """Cell text, escaped as `_finalize` does, with each hyphenated word (and "word %") in a <span
    class="nb">: a browser may end a line after a hyphen ("z-/score"), which reads as two words."""
    if missing(value) or isinstance(value, Markup):
        return _finalize(value)
    text, out, last = str(value), [], 0
    for match in _HYPHENATED.finditer(text):
        out += [html.escape(text[last : match.start()]), '<span class="nb">', html.escape(match.group()), "</span>"]
        last = match.end()
    return Markup("".join(out) + html.escape(text[last:]))


def num(value, fmt: str) -> str:
    """`format(value, fmt)`, an en dash when missing."""
    return MISSING if missing(value) else format(value, fmt)


def when(value) -> str:
    """A timestamp as "YYYY-MM-DD HH:MM:SS UTC" (naive ones are taken as UTC); an en dash when missing."""
    if missing(value):
        return MISSING
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True)
class Cell:
    """One table cell as data: the template writes the markup and escapes every string."""

    text: object
    sort: object = None  # data-sort key; None leaves the attribute out, a missing value writes ""
    numeric: bool = False
    cls: str = ""
    tag: str = ""  # wrap the text in <b>, <code>, ...
    tag_class: str = ""
    title: str | None = None
    href: str = ""

    @property
    def classes(self) -> str:
        return " ".join(c for c in ("n" if self.numeric else "", self.cls) if c)


@dataclass(frozen=True)
class Note:
    """A row of one cell across the whole table, kept after the row before it when the table is sorted."""

    text: str
    cls: str = ""


def cell(text, sort=None, numeric: bool = False, cls: str = "", **kw) -> Cell:
    if sort is not None and missing(sort):
        sort = ""
    return Cell(text, sort, numeric, cls, **kw)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("analytics_assets.reporting", "templates"),
        autoescape=True,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,  # a misspelt variable fails the render instead of vanishing
    )
    env.filters["num"] = num
    env.filters["unbroken"] = unbroken
    env.tests["note"] = lambda row: isinstance(row, Note)
    return env


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)
