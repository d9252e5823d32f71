"""Format-independent table logic: header rows, and stitching page parts.

Readers hand over each table as one or more *parts* (a PDF table that runs over
three pages is three parts; a text dump's table is cut by repeated header
lines). `stitch` turns consecutive parts into one logical table:

* header rows repeated at the top of each part are dropped;
* a row broken by a page break (the second piece at the top of the next part,
  its key cells empty) is joined back into one row;
* a vertically merged cell that runs on (empty at the top of the next part) is
  continued, so it appears once with its full span.

Each logical row keeps which physical rows made it (RowSource).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import regex

from extractors import vocab
from extractors.readers.layout import join_wrapped
from extractors.script import to_simplified
from schemas.document import Block, Cell, Grid, RowSource, Table
from schemas.errors import TooLarge
from schemas.settings import setting


# Limits that keep absurd tables harmless (README: Limits); every reader uses them.
MAX_TABLE_CELLS = setting("NOTICES_MAX_TABLE_CELLS")
MAX_CELL_CHARS = setting("NOTICES_MAX_CELL_CHARS")


@dataclass
class TablePart:
    """One physical piece of a table: a grid of cells on one page."""

    grid: Grid
    page: int | None = None
    header_rows: int | None = None  # known from the source (DOCX tblHeader); None: detect
    col_edges: list[float] | None = None  # x positions of the column borders (PDF)
    row_offset: int = 0  # index of grid[0] among the physical rows of its page part


def header_words() -> tuple[str, ...]:
    """Words that make a row look like a header row (columns.toml)."""
    return vocab.words("columns.toml", "rows.header_words")


_DATA_LIKE = regex.compile(r"^\s*(?:\d+(?:[.、]\d+)*|\d{1,4}\s*年.*|\d{1,2}\s*月.*|[一二三四五六七八九十]+)\s*$")


def texts(row: list[Cell | None]) -> list[str | None]:
    return [c.text if c is not None else None for c in row]


def is_header_like(row: list[Cell | None]) -> bool:
    """A header row: most non-empty cells are short labels holding a header word,
    and none looks like data (a number or a date)."""
    cells = [to_simplified(c.text.replace(" ", "")) for c in row if c is not None and c.text.strip()]
    if not cells:
        return False
    if any(_DATA_LIKE.match(t) for t in cells):
        return False
    words = header_words()
    labelled = sum(1 for t in cells if len(t) <= 10 and any(w in t for w in words))
    return labelled >= math.ceil(0.6 * len(cells))


def detect_header_rows(grid: Grid, limit: int = 2) -> int:
    n = 0
    while n < min(limit, len(grid) - 1) and is_header_like(grid[n]):
        n += 1
    return n


def anchor_of(grid: Grid, r: int, c: int) -> tuple[int, int, Cell] | None:
    """The cell that covers grid position (r, c) (itself or a merge from above
    or the left), with its position; None if nothing does."""
    for ar in range(r, -1, -1):
        for ac in range(c, -1, -1):
            cell = grid[ar][ac] if ac < len(grid[ar]) else None
            if cell is not None and ar + cell.row_span > r and ac + cell.col_span > c:
                return ar, ac, cell
    return None


def _same_header(row: list[Cell | None], header_row: list[Cell | None]) -> bool:
    a = [t.replace(" ", "") if t else "" for t in texts(row)]
    b = [t.replace(" ", "") if t else "" for t in texts(header_row)]
    return len(a) == len(b) and a == b and any(a)


_TERMINAL_PUNCT = tuple("。；;！？!?")
_INTEGER = regex.compile(r"^\d{1,4}$")


def _is_fragment(rows: Grid, cand: list[Cell | None], following: Grid) -> bool:
    """Is `cand` (first row of a new part) the rest of the last row of `rows`,
    broken by a page break?

    Necessary: every non-empty cell of `cand` continues a non-empty text of that
    row, and no sequence number goes up by one. Then any of:
    * one of the row's own key cells (unit, date...) is empty in `cand`;
    * a column whose texts normally end a sentence (。；) is cut mid-sentence;
    * `cand` holds a one- or two-character tail ("前", "日前") of a longer text.
    """
    if not rows:
        return False
    last = len(rows) - 1
    table_rows = rows + following
    any_text = key_empty = cut = False
    for c, cell in enumerate(cand):
        if cell is None:
            continue
        a = anchor_of(rows, last, c)
        prev_text = a[2].text.strip() if a else ""
        own = bool(a and a[0] == last and a[2].row_span == 1)
        text = cell.text.strip()
        if not text:
            if cell.row_span == 1 and own and prev_text:
                key_empty = True
            continue
        any_text = True
        if not prev_text:
            return False
        if _INTEGER.match(text) and _INTEGER.match(prev_text) and int(text) == int(prev_text) + 1:
            return False
        if len(prev_text) >= 6 and not prev_text.endswith(_TERMINAL_PUNCT) and _ends_sentences(table_rows, c):
            cut = True
        if len(text) <= 2 and not _INTEGER.match(text) and len(prev_text) > len(text) and _median_len(table_rows, c) >= 4:
            cut = True
    return any_text and (key_empty or cut)


def _column_texts(grid: Grid, c: int) -> list[str]:
    return [row[c].text.strip() for row in grid if c < len(row) and row[c] is not None and row[c].text.strip()]


def _ends_sentences(grid: Grid, c: int) -> bool:
    texts_ = _column_texts(grid, c)
    return len(texts_) >= 3 and sum(t.endswith(_TERMINAL_PUNCT) for t in texts_) >= 0.6 * len(texts_)


def _median_len(grid: Grid, c: int) -> float:
    lens = sorted(len(t) for t in _column_texts(grid, c))
    return lens[len(lens) // 2] if lens else 0


class _Stitching:
    """The rows of a table being stitched. Its grid and lists are its own
    (copies): a cell it extends is replaced by a new cell, so the parts it was
    given are never changed."""

    def __init__(self, first: TablePart, h: int):
        self.header = [list(r) for r in first.grid[:h]]
        self.rows = [list(r) for r in first.grid[h:]]
        self.sources = [RowSource([(first.page, first.row_offset + h + i)]) for i in range(len(self.rows))]
        self.page_start = self.page_end = first.page

    def extend_anchor(self, a: tuple[int, int, Cell], text: str, more_rows: int) -> None:
        ar, ac, cell = a
        self.rows[ar][ac] = replace(cell, text=join_wrapped(cell.text, text), row_span=cell.row_span + more_rows)

    def append(self, part: TablePart) -> None:
        body = [list(r) for r in part.grid]
        k = 0
        while k < len(body) and k < len(self.header) and _same_header(body[k], self.header[k]):
            k += 1
        start = k
        body = body[k:]
        if not body:
            return
        sources = [RowSource([(part.page, part.row_offset + start + i)]) for i in range(len(body))]
        rows = self.rows
        last = len(rows) - 1
        if last >= 0 and _is_fragment(rows, body[0], body[1:]):
            frag = body.pop(0)
            self.sources[last] = RowSource(self.sources[last].parts + sources.pop(0).parts)
            for c, cell in enumerate(frag):
                if cell is None:
                    continue
                a = anchor_of(rows, last, c)
                if a is not None:
                    self.extend_anchor(a, cell.text, cell.row_span - 1)
        elif last >= 0:
            first = body[0]
            for c, cell in enumerate(first):
                if cell is None:
                    continue
                a = anchor_of(rows, last, c)
                if a is None or a[1] != c or a[2].col_span != cell.col_span:
                    continue
                ar, _, anchor = a
                reaches_bottom = ar + anchor.row_span - 1 == last
                runs_on = not cell.text.strip() and (cell.row_span > 1 or anchor.row_span > 1)
                text_below = not anchor.text.strip() and anchor.row_span > 1 and cell.row_span > 1
                if reaches_bottom and (runs_on or text_below):
                    self.extend_anchor(a, cell.text, cell.row_span)
                    first[c] = None
        rows.extend(body)
        self.sources.extend(sources)
        if part.page is not None:
            self.page_end = part.page

    def table(self, index: int) -> Table:
        return Table(header=self.header, rows=_clip_spans(self.rows), page_start=self.page_start,
                     page_end=self.page_end, index=index, row_sources=self.sources)


def stitch(parts: list[TablePart], index: int = 0) -> Table:
    """One logical table from its parts (see module docstring)."""
    first = parts[0]
    h = first.header_rows if first.header_rows is not None else detect_header_rows(first.grid)
    built = _Stitching(first, h)
    for part in parts[1:]:
        built.append(part)
    return built.table(index)


def _clip_spans(rows: Grid) -> Grid:
    """Keep every span inside the grid (a merge may claim rows a part lost)."""
    n = len(rows)
    return [[replace(cell, row_span=n - r) if cell is not None and r + cell.row_span > n else cell for cell in row]
            for r, row in enumerate(rows)]


def number_tables(blocks: list[Block]) -> list[Block]:
    """The blocks with the tables numbered 1, 2, ... in order (new Table objects)."""
    out: list[Block] = []
    n = 0
    for b in blocks:
        if isinstance(b, Table):
            n += 1
            b = replace(b, index=n) if b.index != n else b
        out.append(b)
    return out


def continues(prev: TablePart | Table, nxt: TablePart, prev_header: Grid, tol: float = 3.0) -> bool:
    """Does part `nxt`, which follows `prev` with nothing in between, continue it?
    Same grid width, and either its first row repeats the header or its column
    borders line up with the previous part's."""
    prev_width = prev.n_cols if isinstance(prev, Table) else (len(prev.grid[0]) if prev.grid else 0)
    if not nxt.grid or len(nxt.grid[0]) != prev_width:
        return False
    if prev_header and _same_header(nxt.grid[0], prev_header[0]):
        return True
    prev_edges = prev.col_edges if isinstance(prev, TablePart) else None
    if prev_edges and nxt.col_edges and len(prev_edges) == len(nxt.col_edges):
        return all(abs(a - b) <= tol for a, b in zip(prev_edges, nxt.col_edges))
    return False


def make_cell_grid(rows: list[list[str]], page: int | None = None) -> Grid:
    """A grid of plain one-by-one cells from rows of texts (padded to the widest;
    cells cut at MAX_CELL_CHARS)."""
    width = max((len(r) for r in rows), default=0)
    check_size(len(rows), width)
    return [[Cell(t[:MAX_CELL_CHARS], page=page) for t in r] + [Cell("", page=page) for _ in range(width - len(r))]
            for r in rows]


def fill_unclaimed(rows: Grid, covered: list[list[bool]], width: int) -> None:
    """Pad every row to `width`; a grid position no cell claims (a short row, Word's
    gridBefore/After) gets an empty cell, one a merge covers stays None. In place: the
    reader's grid is still being built."""
    check_size(len(rows), width)
    for row, cov in zip(rows, covered):
        while len(row) < width:
            row.append(None)
            cov.append(False)
        for c in range(width):
            if row[c] is None and not cov[c]:
                row[c] = Cell("")


def check_size(n_rows: int, n_cols: int) -> None:
    if n_rows * n_cols > MAX_TABLE_CELLS:
        raise TooLarge(f"a table of {n_rows} x {n_cols} cells is over the {MAX_TABLE_CELLS:,}-cell limit")
