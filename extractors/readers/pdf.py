"""PDF notices: pdfium for characters and ruling lines, pdfplumber's table finder.

Why this split: pdfplumber's `extract_text()` / `extract_tables()` first make
pdfminer parse every page (about 25-60 ms a page here). pdfium (pypdfium2, which
pdfplumber already depends on) gives the same characters with their boxes, and
the path objects that draw table borders, in about 2 ms. We hand those ruling
lines to pdfplumber's table finder (`explicit` strategies: edges -> intersections
-> cells -> tables), which then never touches pdfminer, and fill the cells with
pdfium's characters ourselves.

On top of that, the repairs real notices need:

* pdfium marks the spaces it *generated* between glyphs (a digit run in a
  Western font next to CJK text, a justified line stretched letter by letter);
  we keep generated spaces only between two Latin words, and every space that
  is really in the text;
* running page numbers ("— 3 —", "-3-", "第3页") and repeated running headers
  are moved to `Document.furniture`;
* paragraphs are rebuilt from printed lines by indentation and line ends, also
  across page breaks; lines are joined with nothing between CJK characters;
* tables that continue over pages are stitched (extractors.readers.tables.stitch);
  cells that wrap are joined without spaces; merged cells keep their spans.
"""
from __future__ import annotations

import bisect
import ctypes
import statistics
from collections import Counter
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfplumber.table import TableFinder

from extractors.readers import borderless
from extractors.readers.layout import clean_text, fix_radicals, is_cjk, is_latin_word_char, is_page_number, join_wrapped
from extractors.readers.registry import register
from extractors.readers.tables import TablePart, check_size, continues, detect_header_rows, number_tables, stitch
from schemas.document import Block, Cell, Document, PageInfo, Paragraph, Source
from schemas.errors import CorruptPdf, EncryptedPdf, NoTextLayer, Timeout, TooLarge
from schemas.settings import setting

MAX_PAGES = setting("NOTICES_MAX_PAGES")
MAX_PATHS_PER_PAGE = 20_000  # a drawing, not a table grid: skip table finding there
# a ruling with more cells than this on one page is a drawing (graph paper), not a
# table to read; pdfplumber's cell finding grows faster than the cell count
MAX_PAGE_RULING_CELLS = 10_000

# pdfplumber's finder with our edges; tolerances are pdfplumber's defaults, which
# join the double border lines Word and LibreOffice draw between cells.
TABLE_SETTINGS = {
    "vertical_strategy": "explicit",
    "horizontal_strategy": "explicit",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 3,
    "edge_min_length": 3,
}


def sniff_pdf(head: bytes, suffix: str) -> bool:
    return b"%PDF-" in head[:1024]


# ----------------------------------------------------------------------------- page content


@dataclass
class Char:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass
class Line:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    page: int
    size: float  # median glyph height: digits in a Western font have taller boxes


@dataclass
class PageTable:
    part: TablePart
    bbox: tuple[float, float, float, float]  # x0, top, x1, bottom


@dataclass
class PageContent:
    number: int
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)
    tables: list[PageTable] = field(default_factory=list)
    n_chars: int = 0
    warnings: list[str] = field(default_factory=list)


class _PageBox:
    """All that pdfplumber's TableFinder needs of a page when every edge is
    given explicitly: its bounding box."""

    def __init__(self, width: float, height: float):
        self.bbox = (0, 0, width, height)


_d = [ctypes.c_double() for _ in range(4)]
_f = [ctypes.c_float() for _ in range(4)]


def _chars(textpage, height: float) -> list[Char]:
    """The page's glyphs with their loose boxes (font ascent to descent, so all
    characters of a line share top and bottom, punctuation included). Spaces
    and line breaks pdfium generated are dropped: spacing is decided from the
    gaps (see _line_text)."""
    raw_tp = textpage.raw
    n = pdfium_c.FPDFText_CountChars(raw_tp)
    if n <= 0:
        return []
    text = textpage.get_text_range()
    if len(text) != n:  # characters outside the BMP: fall back to one call per char
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(raw_tp, i) or 0xFFFD) for i in range(n))
    rect = pdfium_c.FS_RECTF()
    out = []
    for i, ch in enumerate(text):
        if ch in "\r\n\x02\ufffe" or (ch == " " and pdfium_c.FPDFText_IsGenerated(raw_tp, i)):
            continue
        pdfium_c.FPDFText_GetLooseCharBox(raw_tp, i, rect)
        out.append(Char(ch, rect.left, height - rect.top, rect.right, height - rect.bottom))
    return out


def _edges(page, width: float, height: float) -> list[dict]:
    """Horizontal and vertical segments drawn by path objects (table borders)."""
    raw_page = page.raw
    n = pdfium_c.FPDFPage_CountObjects(raw_page)
    edges: list[dict] = []
    paths = 0
    l, b, r, t = _f
    for k in range(n):
        obj = pdfium_c.FPDFPage_GetObject(raw_page, k)
        if pdfium_c.FPDFPageObj_GetType(obj) != pdfium_c.FPDF_PAGEOBJ_PATH:
            continue
        paths += 1
        if paths > MAX_PATHS_PER_PAGE:
            return []
        pdfium_c.FPDFPageObj_GetBounds(obj, l, b, r, t)
        x0, x1, y0, y1 = l.value, r.value, height - t.value, height - b.value
        w, h = x1 - x0, y1 - y0
        if w < 3 and h >= 3:  # a thin vertical stroke or filled bar
            xm = (x0 + x1) / 2
            edges.append(_edge(xm, y0, xm, y1))
        elif h < 3 and w >= 3:
            ym = (y0 + y1) / 2
            edges.append(_edge(x0, ym, x1, ym))
        elif w >= 3 and h >= 3:
            edges.extend(_segment_edges(obj, height))
    return edges


def _segment_edges(obj, height: float) -> list[dict]:
    """Axis-parallel segments of a general path (a cell outline, a box)."""
    matrix = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, matrix):
        return []
    a, b_, c, d, e, f = matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f
    x, y = _f[0], _f[1]
    out = []
    start = prev = None
    for k in range(pdfium_c.FPDFPath_CountSegments(obj)):
        seg = pdfium_c.FPDFPath_GetPathSegment(obj, k)
        pdfium_c.FPDFPathSegment_GetPoint(seg, x, y)
        px, py = a * x.value + c * y.value + e, b_ * x.value + d * y.value + f
        pt = (px, height - py)
        kind = pdfium_c.FPDFPathSegment_GetType(seg)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
            start = prev = pt
            continue
        if prev is not None and kind == pdfium_c.FPDF_SEGMENT_LINETO:
            out.extend(_axis_edge(prev, pt))
        prev = pt
        if pdfium_c.FPDFPathSegment_GetClose(seg) and start is not None:
            out.extend(_axis_edge(pt, start))
            prev = start
    return out


def _axis_edge(p: tuple[float, float], q: tuple[float, float]) -> list[dict]:
    (x0, y0), (x1, y1) = p, q
    if abs(y0 - y1) < 0.5 and abs(x0 - x1) >= 3:
        return [_edge(min(x0, x1), y0, max(x0, x1), y0)]
    if abs(x0 - x1) < 0.5 and abs(y0 - y1) >= 3:
        return [_edge(x0, min(y0, y1), x0, max(y0, y1))]
    return []


def _edge(x0: float, top: float, x1: float, bottom: float) -> dict:
    return {
        "object_type": "line",
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "width": x1 - x0,
        "height": bottom - top,
    }


def _ruling_size(vertical: list[dict], horizontal: list[dict]) -> tuple[int, int]:
    """(rows, columns) of the densest grid the ruling lines could make: counted
    before any cell is built, so an absurd grid costs nothing."""
    tol = TABLE_SETTINGS["snap_tolerance"]
    xs = _dedupe(sorted(e["x0"] for e in vertical), tol)
    ys = _dedupe(sorted(e["top"] for e in horizontal), tol)
    return max(len(ys) - 1, 0), max(len(xs) - 1, 0)


def _find_tables(edges: list[dict], width: float, height: float, warnings: list[str], page_no: int):
    vertical = [e for e in edges if e["x0"] == e["x1"]]
    horizontal = [e for e in edges if e["top"] == e["bottom"]]
    if len(vertical) < 2 or len(horizontal) < 2:
        return []
    n_rows, n_cols = _ruling_size(vertical, horizontal)
    check_size(n_rows, n_cols)  # too_large: a table of more cells than the limit
    if n_rows * n_cols > MAX_PAGE_RULING_CELLS:
        warnings.append(f"page {page_no}: a ruling of {n_rows} x {n_cols} cells is a drawing, not a table: read as text")
        return []
    settings = dict(TABLE_SETTINGS, explicit_vertical_lines=vertical, explicit_horizontal_lines=horizontal)
    finder = TableFinder(_PageBox(width, height), settings)
    # a table has at least two rows or two columns; a lone box around text is not one
    return [t for t in finder.tables if len(t.cells) >= 2]


def _cluster_lines(chars: list[Char]) -> list[list[Char]]:
    """Group glyphs into printed lines by their vertical centre, each line sorted
    left to right; lines top to bottom. Content-stream order is not reading
    order (LibreOffice and Word emit punctuation and digits out of line)."""
    lines: list[list[Char]] = []
    centre = 0.0
    for ch in sorted(chars, key=lambda c: c.cy):
        height = max(ch.bottom - ch.top, 1.0)
        if lines and abs(ch.cy - centre) <= 0.3 * height:
            lines[-1].append(ch)
        else:
            lines.append([ch])
            centre = ch.cy
    for ln in lines:
        ln.sort(key=lambda c: c.x0)
    return [_dedupe_chars(ln) for ln in lines]


def _dedupe_chars(line: list[Char]) -> list[Char]:
    """Drop glyphs printed twice at almost the same place (fake bold)."""
    out: list[Char] = []
    for ch in line:
        if out and ch.text == out[-1].text and abs(ch.x0 - out[-1].x0) < 0.3 * max(ch.x1 - ch.x0, 1.0):
            continue
        out.append(ch)
    return out


def _line_text(chars: list[Char]) -> str:
    """One printed line to text. Spaces in the text are kept; a gap becomes a space:
    * between two Latin words when wider than 0.15 em;
    * between two CJK characters when wider than 0.15 em and wider than the line's
      usual gap (a justified line stretched letter by letter, "联 系 电 话", gets
      none), so a theme's "减灾 走进" keeps its space;
    * between a digit or Latin letter and CJK only when wider than 0.45 em, as the
      autospace Word and LibreOffice put around digits ("2022 年") is about 0.2 em.
    """
    if not chars:
        return ""
    size = statistics.median([c.bottom - c.top for c in chars if is_cjk(c.text)] or [c.bottom - c.top for c in chars])
    gaps = [max(0.0, b.x0 - a.x1) for a, b in zip(chars, chars[1:]) if a.text != " " and b.text != " "]
    usual = statistics.median(gaps) if gaps else 0.0
    out = [chars[0].text]
    for a, b in zip(chars, chars[1:]):
        if a.text != " " and b.text != " ":
            gap = b.x0 - a.x1
            if is_latin_word_char(a.text) and is_latin_word_char(b.text):
                space = gap > 0.15 * size
            elif is_cjk(a.text) and is_cjk(b.text):
                space = gap > 0.15 * size and gap >= 2.5 * usual + 0.1 * size
            else:
                space = gap > 0.45 * size and gap >= 2.5 * usual + 0.1 * size
            if space:
                out.append(" ")
        out.append(b.text)
    return fix_radicals("".join(out))


def _cell_text(chars: list[Char]) -> str:
    """Text of one cell: its lines in order, joined without spaces between CJK."""
    text = ""
    for ln in _cluster_lines(chars):
        text = join_wrapped(text, clean_text(_line_text(ln)))
    return text


def _grid(table, chars: list[Char], page_no: int) -> tuple[list[list[Cell | None]], list[float]]:
    """pdfplumber Table -> grid of Cells with spans, and the column borders."""
    cells = table.cells
    xs = _dedupe(sorted({c[0] for c in cells} | {c[2] for c in cells}))
    ys = _dedupe(sorted({c[1] for c in cells} | {c[3] for c in cells}))
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    check_size(n_rows, n_cols)
    grid: list[list[Cell | None]] = [[None] * n_cols for _ in range(n_rows)]
    owner: list[list[int | None]] = [[None] * n_cols for _ in range(n_rows)]
    spans: list[tuple[int, int, int, int]] = []
    for c in cells:
        r0, r1, c0, c1 = _index(ys, c[1]), _index(ys, c[3]), _index(xs, c[0]), _index(xs, c[2])
        if None in (r0, r1, c0, c1) or r1 <= r0 or c1 <= c0 or owner[r0][c0] is not None:
            continue
        for r in range(r0, r1):
            for k in range(c0, c1):
                owner[r][k] = len(spans)
        spans.append((r0, r1, c0, c1))
    buckets: list[list[Char]] = [[] for _ in spans]
    for ch in chars:
        r, k = bisect.bisect_right(ys, ch.cy) - 1, bisect.bisect_right(xs, ch.cx) - 1
        if 0 <= r < n_rows and 0 <= k < n_cols and owner[r][k] is not None:
            buckets[owner[r][k]].append(ch)
    for i, (r0, r1, c0, c1) in enumerate(spans):
        grid[r0][c0] = Cell(_cell_text(buckets[i]), r1 - r0, c1 - c0, page_no)
    for r in range(n_rows):
        for k in range(n_cols):
            if owner[r][k] is None:
                grid[r][k] = Cell("", page=page_no)  # a hole in the ruling: an empty cell
    return grid, xs


def _dedupe(vals: list[float], tol: float = 2.0) -> list[float]:
    out: list[float] = []
    for v in vals:
        if not out or v - out[-1] > tol:
            out.append(v)
    return out


def _index(vals: list[float], v: float, tol: float = 2.0) -> int | None:
    for i, x in enumerate(vals):
        if abs(x - v) <= tol:
            return i
    return None


def _inside(c: Char, boxes: list[tuple[float, float, float, float]]) -> bool:
    return any(b[0] <= c.cx <= b[2] and b[1] <= c.cy <= b[3] for b in boxes)


def _lines(clusters: list[list[Char]], page_no: int) -> list[Line]:
    """Printed lines (glyph clusters outside the tables), top to bottom."""
    lines = []
    for ln in clusters:
        text = clean_text(_line_text(ln))
        if text:
            glyphs = [c for c in ln if c.text != " "] or ln
            size = borderless.glyph_size(glyphs)  # of the CJK glyphs: digits' boxes are taller
            lines.append(Line(text, glyphs[0].x0, min(c.top for c in glyphs), glyphs[-1].x1,
                              max(c.bottom for c in glyphs), page_no, size))
    return lines


def read_page(page, number: int) -> PageContent:
    width, height = page.get_width(), page.get_height()
    textpage = page.get_textpage()
    try:
        chars = _chars(textpage, height)
    finally:
        textpage.close()
    return build_page(number, width, height, chars, _edges(page, width, height))


def edge(x0: float, top: float, x1: float, bottom: float) -> dict:
    """A ruling line (top-left origin, points) as build_page takes it."""
    return _edge(x0, top, x1, bottom)


def build_page(number: int, width: float, height: float, chars: list[Char], edges: list[dict]) -> PageContent:
    """Glyphs with boxes and ruling lines (top-left origin) -> a page's lines and
    tables. Every fixed-layout source goes through this: PDF text layers, OFD
    text objects, OCR'd text lines."""
    content = PageContent(number, width, height)
    content.n_chars = sum(1 for c in chars if not c.text.isspace())
    tables = _find_tables(edges, width, height, content.warnings, number) if edges else []
    exclude = []
    for t in sorted(tables, key=lambda t: t.bbox[1]):
        grid, xs = _grid(t, chars, number)
        content.tables.append(PageTable(TablePart(grid, number, None, xs), t.bbox))
        exclude.append(t.bbox)
    # tables without ruling lines, from word positions, outside the ruled ones
    outside = [c for c in chars if not _inside(c, exclude)] if exclude else chars
    clusters = _cluster_lines(outside)
    found = borderless.find_tables(clusters, number)
    if found:
        for f in found:
            content.tables.append(PageTable(f.part, f.bbox))
            exclude.append(f.bbox)
        content.tables.sort(key=lambda t: t.bbox[1])
        content.warnings.append(f"page {number}: {len(found)} table(s) found without ruling lines (from word positions)")
        clusters = _cluster_lines([c for c in outside if not _inside(c, exclude)])  # only then cluster again
    content.lines = _lines(clusters, number)
    return content


# ----------------------------------------------------------------------------- document assembly


def _furniture(pages: list[PageContent]) -> set[int]:
    """ids of lines that are running page numbers or running headers/footers."""
    out: set[int] = set()
    texts_at: Counter = Counter()
    for pg in pages:
        band = pg.height * 0.12
        for ln in pg.lines:
            outer = ln.top < band or ln.bottom > pg.height - band
            if outer and is_page_number(ln.text):
                out.add(id(ln))
            elif outer:
                texts_at[(ln.text, round(ln.top / 4))] += 1
    if len(pages) >= 3:
        repeated = {k for k, n in texts_at.items() if n >= max(3, len(pages) // 2)}
        for pg in pages:
            for ln in pg.lines:
                if (ln.text, round(ln.top / 4)) in repeated:
                    out.add(id(ln))
    # the last line of a page that is only a page number, wherever it sits
    for pg in pages:
        body = [ln for ln in pg.lines if id(ln) not in out]
        if body and is_page_number(body[-1].text) and len(body[-1].text) <= 12:
            out.add(id(body[-1]))
    return out


@dataclass
class _Margins:
    left: float
    right: float
    size: float


def _margins(lines: list[Line]) -> _Margins:
    if not lines:
        return _Margins(0, 0, 12)
    sizes = [ln.size for ln in lines if ln.size > 0]
    size = statistics.median(sizes) if sizes else 12.0
    x0s = Counter(round(ln.x0) for ln in lines)
    x1s = Counter(round(ln.x1) for ln in lines)
    # the body's left edge: the leftmost x0 shared by several lines
    common_left = [x for x, n in x0s.items() if n >= 2] or list(x0s)
    common_right = [x for x, n in x1s.items() if n >= 2] or list(x1s)
    return _Margins(min(common_left), max(common_right), size)


def _starts_paragraph(prev: Line, ln: Line, m: _Margins) -> bool:
    cw = max(m.size * 0.9, 4.0)
    if abs(ln.size - prev.size) > max(1.5, 0.15 * m.size):
        return True  # a title and the body, or body and a table note
    if ln.x0 > m.left + 0.8 * cw:
        return True  # first-line indent, centred or right-aligned
    if prev.x0 > m.left + 3 * cw:
        return True  # the previous line was centred or right-aligned (a title, a signature): it stood alone
    if prev.x1 < m.right - 1.2 * cw:
        return True  # the previous line stopped short: its paragraph ended
    if prev.page == ln.page and ln.top - prev.bottom > 2.0 * max(ln.size, prev.size):
        return True  # a blank line between them
    return False


def assemble(pages: list[PageContent]) -> tuple[list[Block], list[Paragraph]]:
    """Pages -> body blocks (paragraphs and stitched tables) and furniture."""
    furniture_ids = _furniture(pages)
    furniture = [Paragraph(ln.text, ln.page, kind="furniture") for pg in pages for ln in pg.lines if id(ln) in furniture_ids]
    body_lines = [ln for pg in pages for ln in pg.lines if id(ln) not in furniture_ids]
    margins = _margins(body_lines)

    # one stream of lines and table parts, in reading order
    stream: list[tuple[str, object]] = []
    for pg in pages:
        items: list[tuple[float, int, str, object]] = []
        for i, ln in enumerate(pg.lines):
            if id(ln) not in furniture_ids:
                items.append((ln.top, i, "line", ln))
        for j, t in enumerate(pg.tables):
            # a table sits before the first line below its top edge
            items.append((t.bbox[1], -1 + j * 1e-3, "table", t.part))
        items.sort(key=lambda it: (it[0], it[1]))
        stream.extend((kind, obj) for _, _, kind, obj in items)

    blocks: list[Block] = []
    para: list[Line] = []
    groups: list[TablePart] = []

    def flush_para() -> None:
        if para:
            text = ""
            for ln in para:
                text = join_wrapped(text, ln.text)
            blocks.append(Paragraph(text, para[0].page))
            para.clear()

    def flush_table() -> None:
        if groups:
            blocks.append(stitch(list(groups)))
            groups.clear()

    prev_line: Line | None = None
    for kind, obj in stream:
        if kind == "table":
            part = obj  # type: TablePart
            if groups and not para and _continues(groups, part):
                groups.append(part)
                continue
            flush_para()
            flush_table()
            groups.append(part)
            prev_line = None
        else:
            ln = obj  # type: Line
            if groups:
                flush_table()
            if para and prev_line is not None and _starts_paragraph(prev_line, ln, margins):
                flush_para()
            para.append(ln)
            prev_line = ln
    flush_para()
    flush_table()
    return number_tables(blocks), furniture


def _continues(groups: list[TablePart], part: TablePart) -> bool:
    first, last = groups[0], groups[-1]
    if part.page == last.page:
        return False  # two tables on one page are two tables
    h = detect_header_rows(first.grid)
    return continues(last, part, first.grid[:h] if h else [])


# ----------------------------------------------------------------------------- reader


def open_pdf(data: bytes, path: str) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        msg = str(e)
        if "password" in msg.lower():
            raise EncryptedPdf("the PDF is encrypted and needs a user password", path) from None
        raise CorruptPdf(f"pdfium cannot open it: {msg}", path) from None


def _ocr_off_reason() -> str | None:
    """Why pages without text will not be OCR'd, or None when they will be."""
    if not setting("NOTICES_OCR"):
        return "OCR is off (--no-ocr, NOTICES_OCR=0)"
    from extractors.readers import ocr

    try:
        ocr.engine()
    except ocr.OcrUnavailable as e:
        return f"OCR is unavailable ({e})"
    return None


def _ocr(page, number: int, n_pages: int, path: str):
    """OCR one page without text, under the per-page time limit. The limit is
    checked when the page is done: onnxruntime cannot be interrupted mid-run,
    and the worker pool's per-file limit is the hard stop for a page that hangs."""
    from extractors.readers import ocr

    limit = setting("NOTICES_OCR_PAGE_TIMEOUT_S")
    done = ocr.ocr_page(page, number)
    if done.seconds > limit:
        raise Timeout(f"OCR of page {number} of {n_pages} took {done.seconds:.1f} s, over the {limit:g} s "
                      f"per-page limit (NOTICES_OCR_PAGE_TIMEOUT_S)", path)
    return done


@register("pdf", (".pdf",), sniff_pdf, priority=0)
def read_pdf(data: bytes, source: Source) -> Document:
    path = source.path
    pdf = open_pdf(data, path)
    ocr_off: str | None = None  # decided at the first page without text
    ocred: dict[int, float | None] = {}  # page number -> OCR confidence
    try:
        n_pages = len(pdf)
        if n_pages == 0:
            raise CorruptPdf("the PDF has no pages", path)
        if n_pages > MAX_PAGES:
            raise TooLarge(f"{n_pages} pages is over the {MAX_PAGES:,}-page limit", path)
        pages = []
        for i in range(n_pages):
            try:
                page = pdf[i]
            except pdfium.PdfiumError as e:
                raise CorruptPdf(f"page {i + 1} cannot be loaded: {e}", path) from None
            try:
                content = read_page(page, i + 1)
                if content.n_chars == 0:
                    if ocr_off is None and not ocred:
                        ocr_off = _ocr_off_reason() or ""
                    if not ocr_off:
                        done = _ocr(page, i + 1, n_pages, path)
                        content = done.content
                        ocred[i + 1] = done.confidence
                pages.append(content)
            finally:
                page.close()
    finally:
        pdf.close()
    if sum(p.n_chars for p in pages) == 0:
        if ocred:
            raise NoTextLayer(f"no text layer on any of its {n_pages} pages and OCR found no text (blank pages?)", path)
        raise NoTextLayer(f"no text layer on any of its {n_pages} pages (scanned images?); {ocr_off}", path)
    blocks, furniture = assemble(pages)
    warnings = [w for p in pages for w in p.warnings]
    if ocred:
        scores = [c for c in ocred.values() if c is not None]
        mean = f"mean confidence {sum(scores) / len(scores):.2f}" if scores else "no text found"
        warnings.append(f"pages read by OCR: {_page_list(list(ocred))} ({mean})")
    empty = [p.number for p in pages if p.n_chars == 0 and p.number not in ocred]
    if empty:
        warnings.append(f"pages without a text layer: {empty[:20]}" + (f"; {ocr_off}" if ocr_off else ""))
    info = [PageInfo(p.number, "ocr", None if ocred[p.number] is None else round(ocred[p.number], 4))
            if p.number in ocred else PageInfo(p.number, "text_layer" if p.n_chars else "none") for p in pages]
    return Document.of(source, n_pages, blocks, furniture, warnings, pages=info)


def _page_list(numbers: list[int]) -> str:
    """[1, 2, 3, 5] -> "1-3, 5": a 300-page scan's warning stays one short line."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
