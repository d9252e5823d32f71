"""Tables without ruling lines, found from word positions.

Many notices print a schedule with its columns aligned by whitespace only (or the
borders are lost: a scan, an OFD without PathObjects). From the glyphs alone:

1. glyphs -> printed lines (pdf._cluster_lines) -> *segments*: runs of glyphs
   split at gaps wider than GAP_GLYPHS glyph widths (and than the line's
   usual gap: a letter-spaced line is one segment);
2. a *run*: consecutive lines, at least two of them with several segments, close
   together vertically;
3. *columns*: x ranges that the segments of at least two lines cover (left-,
   centre- and right-aligned cells all work, as no shared start is needed); a
   segment that reaches into several columns is a spanning cell (a header
   over two columns);
4. *rows* from a key column: when some column has blank gaps between its cells
   (cells padded, text centred), the column with the most such blocks gives one
   row per block; but when the first column has more lines than that (a
   one-line-a-row schedule, some rows taller), each of its lines (序号) starts a row;
5. the other columns' lines go to rows by their vertical centre: a cell's lines
   are centred on its row (a 序号 on the middle line of a 3-line row, units
   wrapped over 7 lines next to a 3-line task), found by a small dynamic program
   over contiguous groups of lines;
6. a run is a table only with a header-like first row (tables.is_header_like),
   or with at least MIN_PLAIN_COLS columns and MIN_PLAIN_ROWS rows: body text,
   signature blocks and centred titles stay text.

A column with no text in a row gets an empty cell (where a merged cell ran on).
Everything is linear in the glyphs except the row grouping, which is linear in
a column's lines times MAX_CELL_LINES.
"""
from __future__ import annotations

import bisect
import statistics
from dataclasses import dataclass

from extractors.readers.layout import clean_text, is_cjk, join_wrapped
from extractors.readers.tables import TablePart, check_size, is_header_like
from schemas.document import Cell

# a gap wider than this many glyph widths separates two cells on a line: cells
# padded 5 pt a side leave about one glyph of 10.5 pt between their texts
GAP_GLYPHS = 0.9
USUAL_GAPS = 3.0  # ... and wider than this many times the line's usual gap between glyphs
RUN_GAP = 2.0  # lines further apart than this many glyph heights are not one table
MIN_COVER = 2  # a column is x covered by the text of at least this many lines
MIN_PLAIN_COLS = 3  # without a header row, a table needs this many columns ...
MIN_PLAIN_ROWS = 3  # ... and this many rows
MAX_CELL_LINES = 24  # lines one cell may wrap over (bounds the row grouping's cost)


@dataclass
class Segment:
    chars: list  # list[pdf.Char], left to right
    x0: float
    x1: float
    top: float
    bottom: float


@dataclass
class Found:
    """A borderless table on a page: its part (grid with col_edges) and bbox."""

    part: TablePart
    bbox: tuple[float, float, float, float]


def glyph_size(chars: list) -> float:
    """A line's glyph size: the median height of its CJK glyphs (digits' boxes are taller)."""
    sized = [c for c in chars if is_cjk(c.text)] or chars
    return statistics.median(c.bottom - c.top for c in sized) if sized else 1.0


def glyph_width(chars: list) -> float:
    """A line's glyph width: the median width of its CJK glyphs."""
    sized = [c for c in chars if is_cjk(c.text)] or chars
    return statistics.median(c.x1 - c.x0 for c in sized) if sized else 1.0


def segments(line: list) -> list[Segment]:
    """A printed line cut at gaps wider than GAP_GLYPHS glyph widths and wider
    than USUAL_GAPS times the line's usual gap (a letter-spaced line, "联 系 人",
    is one segment); spaces are gaps."""
    glyphs = [c for c in line if not c.text.isspace()]
    if not glyphs:
        return []
    gaps = [b.x0 - a.x1 for a, b in zip(glyphs, glyphs[1:])]
    usual = max(statistics.median(gaps), 0.0) if gaps else 0.0
    limit = max(GAP_GLYPHS * glyph_width(glyphs), USUAL_GAPS * usual)
    runs = [[glyphs[0]]]
    for a, b in zip(glyphs, glyphs[1:]):
        if b.x0 - a.x1 > limit:
            runs.append([b])
        else:
            runs[-1].append(b)
    return [_segment(r) for r in runs]


def _segment(chars: list) -> Segment:
    return Segment(chars, chars[0].x0, max(c.x1 for c in chars), min(c.top for c in chars), max(c.bottom for c in chars))


def _top(segs: list[Segment]) -> float:
    return min(s.top for s in segs)


def _bottom(segs: list[Segment]) -> float:
    return max(s.bottom for s in segs)


def runs(lines: list[list[Segment]], size: float) -> list[list[list[Segment]]]:
    """Candidate table regions: from a line of several segments to the last such
    line, lines at most RUN_GAP glyphs apart; single-segment lines at the top are
    kept only when they overlap the first line (a header cell on two lines, 序/号)."""
    out: list[list[list[Segment]]] = []
    cur: list[list[Segment]] = []
    for ln in lines:
        if cur and _top(ln) - _bottom(cur[-1]) > RUN_GAP * size:
            out.append(cur)
            cur = []
        cur.append(ln)
    out.append(cur)
    found = []
    for run in out:
        multi = [i for i, ln in enumerate(run) if len(ln) >= 2]
        if len(multi) < 2:
            continue
        first = multi[0]
        start = first
        while start > 0 and _bottom(run[start - 1]) > _top(run[first]):
            start -= 1
        found.append(run[start:])
    return found


def columns(lines: list[list[Segment]]) -> list[tuple[float, float]]:
    """x ranges covered by the segments of at least MIN_COVER lines, left to right."""
    events = []
    for ln in lines:
        for s in ln:
            events.append((s.x0, 1))
            events.append((s.x1, -1))
    events.sort()
    cols: list[tuple[float, float]] = []
    depth = 0
    start = None
    for x, d in events:
        depth += d
        if depth >= MIN_COVER and start is None:
            start = x
        elif depth < MIN_COVER and start is not None:
            if x - start > 0.5:
                cols.append((start, x))
            start = None
    return _merge_close(cols)


def _merge_close(cols: list[tuple[float, float]], tol: float = 1.0) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for c in cols:
        if out and c[0] - out[-1][1] <= tol:
            out[-1] = (out[-1][0], c[1])
        else:
            out.append(c)
    return out


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def columns_of(seg: Segment, cols: list[tuple[float, float]]) -> tuple[int, int]:
    """The columns a segment covers (first, last): every column it overlaps by half
    of the narrower of the two; else the column nearest its centre."""
    hit = [k for k, (c0, c1) in enumerate(cols)
           if _overlap(seg.x0, seg.x1, c0, c1) >= 0.5 * min(c1 - c0, seg.x1 - seg.x0)]
    if not hit:
        cx = (seg.x0 + seg.x1) / 2
        k = min(range(len(cols)), key=lambda k: abs((cols[k][0] + cols[k][1]) / 2 - cx))
        return k, k
    return hit[0], hit[-1]


def trim(run: list[list[Segment]], cols: list[tuple[float, float]]) -> list[list[list[Segment]]]:
    """Cut the run at single-segment lines that cross a gutter (a paragraph, a title)
    and drop such lines at its ends: a table's lines keep to its columns."""
    pieces: list[list[list[Segment]]] = [[]]
    for ln in run:
        if len(ln) == 1 and len(cols) >= 2:
            a, b = columns_of(ln[0], cols)
            if b > a:
                pieces.append([])
                continue
        pieces[-1].append(ln)
    return [p for p in pieces if sum(len(ln) >= 2 for ln in p) >= 2]


# ----------------------------------------------------------------------------- rows


@dataclass
class ColLine:
    """The glyphs of one printed line that fall in one column (or span several)."""

    chars: list
    top: float
    bottom: float
    col: int
    span: int = 1

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2


def column_lines(lines: list[list[Segment]], cols: list[tuple[float, float]]) -> list[list[ColLine]]:
    """Per column, its lines top to bottom (segments of one line in one column joined)."""
    per: list[list[ColLine]] = [[] for _ in cols]
    for ln in lines:
        by_col: dict[int, ColLine] = {}
        for s in ln:
            a, b = columns_of(s, cols)
            cl = by_col.get(a)
            if cl is None:
                by_col[a] = ColLine(list(s.chars), s.top, s.bottom, a, b - a + 1)
            else:
                cl.chars.extend(s.chars)
                cl.top, cl.bottom = min(cl.top, s.top), max(cl.bottom, s.bottom)
                cl.span = max(cl.span, b - a + 1)
        for k, cl in by_col.items():
            per[k].append(cl)
    return per


def _blocks(col: list[ColLine], gap: float) -> list[list[ColLine]]:
    """A column's lines in blocks split at blank gaps wider than `gap`."""
    out: list[list[ColLine]] = []
    for cl in col:
        if out and cl.top - out[-1][-1].bottom > gap:
            out.append([cl])
        elif out:
            out[-1].append(cl)
        else:
            out.append([cl])
    return out


def blank_gap(per: list[list[ColLine]], size: float) -> float:
    """A vertical gap wider than this between two lines of a column is a blank
    between cells, not the leading between wrapped lines."""
    # the leading is the usual gap among those under a glyph's height (wider ones
    # are blanks already, and sparse columns have more of them than lines)
    gaps = [g for col in per for a, b in zip(col, col[1:]) if (g := b.top - a.bottom) < size]
    usual = statistics.median(gaps) if gaps else 0.0
    return max(1.5 * max(usual, 0.0) + 0.3 * size, 0.6 * size)


def key_rows(per: list[list[ColLine]], size: float) -> tuple[int, list[list[ColLine]]]:
    """The key column and its cells, one per row (see the module docstring, 4)."""
    gap = blank_gap(per, size)
    blocks = [_blocks(col, gap) for col in per]
    best = max(range(len(per)), key=lambda k: (len(blocks[k]), -k))
    first = next(k for k, col in enumerate(per) if col)
    if len(per[first]) > len(blocks[best]):
        # the first column has more lines than any column has blocks: one a row (序号)
        return first, [[cl] for cl in per[first]]
    return best, blocks[best]


def _centre(group: list[ColLine]) -> float:
    return (group[0].top + max(cl.bottom for cl in group)) / 2


def assign(col: list[ColLine], centres: list[float], tops: list[float], gap: float) -> list[tuple[int, list[ColLine]]]:
    """A column's lines as contiguous groups, each given to a row in increasing
    order, so that each group is centred on its row or starts at its top (cells
    are centred or top-aligned): min sum of min(|centre - row centre|, |top - row top|).
    Lines across a blank gap are never one cell, and a cell holds no other row's
    centre (a row's cells are centred on it and lie within it). Returns (row, lines) pairs."""
    n = len(col)
    if n == 0:
        return []
    inf = float("inf")
    # best[i]: {row: (cost, prev_i, prev_row)} for lines[:i] with the last group at row
    best: list[dict[int, tuple[float, int, int]]] = [dict() for _ in range(n + 1)]
    best[0][-1] = (0.0, -1, -1)
    for i in range(n):
        if not best[i]:
            continue
        prior = sorted(best[i].items())
        for j in range(i + 1, min(n, i + MAX_CELL_LINES) + 1):
            if j - 1 > i and col[j - 1].top - col[j - 2].bottom > gap:
                break
            top, bottom = col[i].top, max(cl.bottom for cl in col[i:j])
            lo, hi = bisect.bisect_right(centres, top), bisect.bisect_left(centres, bottom)
            if hi - lo >= 2:
                break  # a cell never reaches over another row's centre: its lines are in two rows
            gc = _centre(col[i:j])
            for r in _nearest(centres, gc):
                if hi - lo == 1 and r != lo:
                    continue
                cands = [(c, pr) for pr, (c, _, _) in prior if pr < r]
                if not cands:
                    continue
                c0, pr = min(cands)
                cost = c0 + min(abs(gc - centres[r]), abs(top - tops[r]))
                if cost < best[j].get(r, (inf,))[0]:
                    best[j][r] = (cost, i, pr)
    if not best[n]:  # cannot happen with two candidate rows; keep every line anyway
        return [(len(centres) - 1, col)]
    r = min(best[n], key=lambda k: best[n][k][0])
    out = []
    j = n
    while j > 0:
        _, i, pr = best[j][r]
        out.append((r, col[i:j]))
        j, r = i, pr
    return out[::-1]


def _nearest(centres: list[float], y: float) -> list[int]:
    """The two rows whose centres are nearest y (the centres increase)."""
    k = bisect.bisect_left(centres, y)
    return [r for r in (k - 1, k) if 0 <= r < len(centres)]


def _text(group: list[ColLine]) -> str:
    from extractors.readers.pdf import _line_text  # pdf imports this module: import late

    text = ""
    for cl in group:
        text = join_wrapped(text, clean_text(_line_text(sorted(cl.chars, key=lambda c: c.x0))))
    return text


def grid_of(lines: list[list[Segment]], cols: list[tuple[float, float]], size: float, page: int):
    """The run's rows and cells: (grid, bbox)."""
    per = column_lines(lines, cols)
    key, cells = key_rows(per, size)
    centres = [_centre(g) for g in cells]
    tops = [g[0].top for g in cells]
    check_size(len(centres), len(cols))
    texts: list[list[list[ColLine]]] = [[[] for _ in cols] for _ in centres]
    for r, g in enumerate(cells):
        texts[r][key] = g
    gap = blank_gap(per, size)
    for k, col in enumerate(per):
        if k == key:
            continue
        for r, group in assign(col, centres, tops, gap):
            texts[r][k].extend(group)
    grid = [_row(row, page) for row in texts]
    glyphs = [s for ln in lines for s in ln]
    bbox = (min(s.x0 for s in glyphs), min(s.top for s in glyphs), max(s.x1 for s in glyphs),
            max(s.bottom for s in glyphs))
    return grid, bbox


def _row(row: list[list[ColLine]], page: int) -> list[Cell | None]:
    """One row's cells; a text that reaches over empty columns to its right spans them."""
    out: list[Cell | None] = []
    k = 0
    while k < len(row):
        group = row[k]
        span = min(max((cl.span for cl in group), default=1), len(row) - k)
        if any(row[k + 1:k + span]):
            span = 1  # the next column has its own text: no span
        out.append(Cell(_text(group), 1, span, page))
        out.extend([None] * (span - 1))
        k += span
    return out


def is_table(grid) -> bool:
    """A header-like first row and a row below it, or a plain grid big enough that
    aligned whitespace is no accident (module docstring, 6)."""
    n_rows, n_cols = len(grid), len(grid[0]) if grid else 0
    if n_cols < 2 or n_rows < 2:
        return False
    filled = [sum(1 for c in row if c is not None and c.text) for row in grid]
    if sum(f >= 2 for f in filled) < 2:
        return False
    if is_header_like(grid[0]) and filled[0] >= 2:
        return True
    return n_cols >= MIN_PLAIN_COLS and n_rows >= MIN_PLAIN_ROWS


def col_edges(cols: list[tuple[float, float]], bbox: tuple[float, float, float, float]) -> list[float]:
    """Column borders: the table's left and right, and the middle of each gutter."""
    inner = [(a[1] + b[0]) / 2 for a, b in zip(cols, cols[1:])]
    return [min(bbox[0], cols[0][0])] + inner + [max(bbox[2], cols[-1][1])]


def find_tables(char_lines: list[list], page: int) -> list[Found]:
    """Borderless tables among a page's printed lines (glyph lists, top to bottom)."""
    lines = [segs for segs in (segments(ln) for ln in char_lines) if segs]
    if not lines:
        return []
    size = statistics.median(glyph_size([c for s in ln for c in s.chars]) for ln in lines)
    found = []
    for run in runs(lines, size):
        for piece in trim(run, columns(run)):
            cols = columns(piece)
            if len(cols) < 2:
                continue
            grid, bbox = grid_of(piece, cols, size, page)
            if is_table(grid):
                found.append(Found(TablePart(grid, page, None, col_edges(cols, bbox)), bbox))
    return found
