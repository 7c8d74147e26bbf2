"""A written page's tables, read back the way a person reads them."""

from __future__ import annotations

from html.parser import HTMLParser


class Tables(HTMLParser):
    """Every <table id=...>: header texts and rows of (text, data-sort) cells; plus every <script> tag's attributes."""

    def __init__(self, text: str):
        super().__init__()
        self.tables: dict[str, dict] = {}
        self.scripts: list[dict] = []
        self.findings: list[str] = []
        self._table = self._cell = None
        self._in_finding = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts.append(attrs)
        elif tag == "table":
            self._table = self.tables.setdefault(attrs.get("id", ""), {"headers": [], "rows": []})
        elif tag == "tr" and self._table is not None:
            self._table["rows"].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = {"text": "", "sort": attrs.get("data-sort"), "th": tag == "th", "title": attrs.get("title")}
        elif tag == "li" and "data-key" in attrs:
            self._in_finding = True
            self.findings.append("")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            row = self._table["rows"][-1]
            row.append(self._cell)
            self._cell = None
        elif tag == "table":
            t = self._table
            t["headers"] = [c["text"] for c in t["rows"][0]] if t["rows"] else []
            t["rows"] = [r for r in t["rows"][1:]]
            self._table = None
        elif tag == "li":
            self._in_finding = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data
        if self._in_finding:
            self.findings[-1] += data
