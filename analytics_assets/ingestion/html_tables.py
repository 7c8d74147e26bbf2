"""Every <table> of an HTML page as rows of cells, including tables hidden inside HTML comments.

Standard library only (html.parser). Sports-Reference sites ship most tables inside <!-- -->
comments and reveal them with JavaScript, so a commented table is parsed like a live one and
marked `commented=True`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


def clean_text(text: str) -> str:
    return " ".join(text.split())


@dataclass
class Cell:
    tag: str  # th | td
    attrs: dict[str, str]
    parts: list[str] = field(default_factory=list, repr=False)

    @property
    def text(self) -> str:
        return clean_text("".join(self.parts))

    @property
    def stat(self) -> str | None:
        return self.attrs.get("data-stat")


@dataclass
class Row:
    section: str | None  # thead | tbody | tfoot | None
    attrs: dict[str, str]
    cells: list[Cell] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def texts(self) -> list[str]:
        return [c.text for c in self.cells]


@dataclass
class Table:
    attrs: dict[str, str]
    commented: bool
    rows: list[Row] = field(default_factory=list)

    @property
    def id(self) -> str | None:
        return self.attrs.get("id")

    def header_rows(self) -> list[Row]:
        return [r for r in self.rows if r.section == "thead"]

    def data_rows(self) -> list[Row]:
        """Rows outside <thead> holding at least one <td>."""
        return [r for r in self.rows if r.section != "thead" and any(c.tag == "td" for c in r.cells)]


@dataclass
class _Open:
    table: Table
    section: str | None = None
    row: Row | None = None
    cell: Cell | None = None


class _Collector(HTMLParser):
    def __init__(self, commented: bool, capture_ids: frozenset[str]):
        super().__init__(convert_charrefs=True)
        self.commented = commented
        self.capture_ids = capture_ids
        self.tables: list[Table] = []
        self.captured: dict[str, str] = {}
        self._open: list[_Open] = []
        self._capturing: list[list] = []  # [id, tag, depth, parts]

    def handle_starttag(self, tag: str, attrs_list) -> None:
        attrs = {k: (v or "") for k, v in attrs_list}
        for cap in self._capturing:
            if cap[1] == tag:
                cap[2] += 1
        if attrs.get("id") in self.capture_ids and attrs["id"] not in self.captured:
            self._capturing.append([attrs["id"], tag, 1, []])
        if tag == "table":
            table = Table(attrs, self.commented)
            self.tables.append(table)
            self._open.append(_Open(table))
            return
        if not self._open:
            return
        top = self._open[-1]
        if tag in ("thead", "tbody", "tfoot"):
            top.section, top.row, top.cell = tag, None, None
        elif tag == "tr":
            top.row, top.cell = Row(top.section, attrs), None
            top.table.rows.append(top.row)
        elif tag in ("td", "th"):
            if top.row is None:
                top.row = Row(top.section, {})
                top.table.rows.append(top.row)
            top.cell = Cell(tag, attrs)
            top.row.cells.append(top.cell)
        elif tag == "br" and top.cell is not None:
            top.cell.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        for cap in list(self._capturing):
            if cap[1] == tag:
                cap[2] -= 1
                if cap[2] == 0:
                    self.captured[cap[0]] = clean_text("".join(cap[3]))
                    self._capturing.remove(cap)
        if not self._open:
            return
        top = self._open[-1]
        if tag == "table":
            self._open.pop()
        elif tag in ("thead", "tbody", "tfoot"):
            top.section, top.row, top.cell = None, None, None
        elif tag == "tr":
            top.row, top.cell = None, None
        elif tag in ("td", "th"):
            top.cell = None

    def handle_data(self, data: str) -> None:
        for cap in self._capturing:
            cap[3].append(data)
        if self._open and self._open[-1].cell is not None:
            self._open[-1].cell.parts.append(data)

    def handle_comment(self, data: str) -> None:
        if "<table" not in data:
            return
        inner = _Collector(commented=True, capture_ids=self.capture_ids)
        inner.feed(data)
        inner.close()
        self.tables.extend(inner.tables)
        for key, value in inner.captured.items():
            self.captured.setdefault(key, value)


@dataclass
class Page:
    tables: list[Table]
    captured: dict[str, str]  # text of the elements whose id was asked for

    def tables_with_id(self, table_id: str) -> list[Table]:
        """Tables with that id, live copies first (a page may hold a live and a commented copy)."""
        return sorted((t for t in self.tables if t.id == table_id), key=lambda t: t.commented)


def parse_page(html: str, capture_ids: tuple[str, ...] = ()) -> Page:
    collector = _Collector(commented=False, capture_ids=frozenset(capture_ids))
    collector.feed(html)
    collector.close()
    return Page(collector.tables, collector.captured)
