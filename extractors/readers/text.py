"""Plain-text notices: encoding detection, noise, paragraphs and tables.

Text files are usually dumps of a PDF or DOCX made by some other tool, so they
carry that tool's quirks. This reader recovers:

* the encoding (UTF-8 with or without BOM, UTF-16, GB18030/GBK, others via
  charset-normalizer);
* paragraphs: hard-wrapped dumps (one printed line per line) are reflowed, and
  paragraphs cut in two by a page break are joined;
* tables, where the text clearly holds one: tab-separated rows (with the header
  repeated per page), one cell per line after a tab with rows separated by
  blank lines, and numbered rows such as "1 市发展改革委 4月 7日";
* noise lines (hyperlink URLs dumped after a page, page numbers, Word's
  窗体顶端 markers, "[bookmark: _GoBack]") are dropped.
"""
from __future__ import annotations

import codecs
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace

import regex

from extractors import vocab
from extractors.info_block import is_info_line
from extractors.readers.layout import (
    clean_text,
    compact_date_spaces,
    is_furniture_line,
    is_noise_line,
    is_page_number,
    join_wrapped,
    remove_artifact_spaces,
    strip_inline_noise,
)
from extractors.readers.registry import FALLBACK_PRIORITY, register
from extractors.vocab import alternation
from extractors.readers.tables import (
    TablePart,
    detect_header_rows,
    header_words,
    is_header_like,
    make_cell_grid,
    number_tables,
    stitch,
)
from extractors.script import to_simplified
from schemas.document import Block, Document, Paragraph, Source, Table
from schemas.errors import UndecodableText

# ----------------------------------------------------------------------------- encoding

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
_BAD_CATEGORIES = {"Cc", "Co", "Cn", "Cs"}
_OK_CONTROLS = set("\t\n\r\f\v")


def _bad_ratio(text: str) -> float:
    if not text:
        return 0.0
    sample = text[:200_000]
    bad = sum(1 for ch in sample if ch not in _OK_CONTROLS and unicodedata.category(ch) in _BAD_CATEGORIES)
    return bad / len(sample)


def _plausible(text: str) -> bool:
    return _bad_ratio(text) < 0.02


def decode_text(data: bytes, path: str = "", partial: bool = False) -> tuple[str, str]:
    """Decode a text file's bytes; returns (text, encoding name). With `partial`,
    `data` is only the head of a file and may end inside a character."""

    def dec(enc: str, errors: str = "strict") -> str:
        return codecs.getincrementaldecoder(enc)(errors).decode(data, final=not partial)

    for bom, enc in _BOMS:
        if data.startswith(bom):
            data = data[len(bom):]
            return dec(enc, "replace"), enc + "-bom"
    head = data[:4000]
    # UTF-16 without a BOM: ASCII and CJK alike leave NULs in every other byte position
    if len(head) >= 4 and head.count(0) > len(head) // 4:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        enc = "utf-16-be" if even > odd else "utf-16-le"
        try:
            text = dec(enc)
            if _plausible(text):
                return text, enc
        except UnicodeDecodeError:
            pass
    # a few stray NULs (from a broken export) do not make a file binary
    if data.count(0) <= max(1, len(data) // 200):
        data = data.replace(b"\x00", b"")
    for enc in ("utf-8", "gb18030"):
        try:
            text = dec(enc)
        except UnicodeDecodeError:
            continue
        if _plausible(text):
            return text, enc
    from charset_normalizer import from_bytes  # only for the rare odd encoding (Big5, ...)

    best = from_bytes(data[:1_000_000]).best()
    if best is not None and best.encoding:
        text = dec(best.encoding, "replace")
        if _plausible(text):
            return text, best.encoding
    raise UndecodableText("binary content or an unknown encoding (not UTF-8/16, GB18030, Big5)", path)


def sniff_text(head: bytes, suffix: str) -> bool:
    """Text is the fallback format: anything that decodes to plausible text."""
    if not head:
        return False
    try:
        decode_text(head, partial=True)
        return True
    except UndecodableText:
        return False


# ----------------------------------------------------------------------------- lines


@dataclass
class Line:
    no: int  # 1-based line number in the file
    raw: str  # with its leading tab(s), for table detection
    text: str  # cleaned
    page: int | None


def display_width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


_HEADING = regex.compile(
    r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[.．、](?!\d)|第[一二三四五六七八九十\d]+[章条节]"
    "|" + alternation(vocab.words("layout.toml", "heading_starts")) + ")"
)
_TERMINAL = regex.compile(r"[。！？；：.!?;:…](?:[”’）)」』]*)$")
_ENDS_TITLE = regex.compile(alternation(vocab.words("notice.toml", "title_endings")) + r"[”’」』》）)]*$")
_STARTS_NUMBER = regex.compile(r"^[\p{Han}]{1,15}?[〔\[［(（【](?:19|20)\d{2}[〕\]］)）】]\s*\d{1,5}\s*[号號]")
# saved web pages often collapse a paragraph break into a space after a sentence's end
_COLLAPSED_BREAK = regex.compile(r"(?<=[。！？；!?])[ \u3000\u00a0]+(?=[\p{Han}《“（(])")


def _lines(text: str, furniture: list[Paragraph] | None = None) -> list[Line]:
    """The text's lines, cleaned; noise dropped; page furniture of saved web pages
    (字号 大 中 小, 打印, 上一篇…) moved to `furniture`."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    page = 1 if "\f" in text else None
    text = _COLLAPSED_BREAK.sub("\n", text)
    for no, raw in enumerate(text.split("\n"), 1):
        if "\f" in raw and page is not None:
            page += raw.count("\f")
            raw = raw.replace("\f", "")
        raw = strip_inline_noise(raw).rstrip()
        # a leading space marks a page start in some dumps; tabs are table structure
        raw = raw.lstrip(" \u3000\u00a0")
        text_ = clean_text(raw)
        # page numbers that look like page numbers ("— 3 —", "第3页"); a bare "3" may be data
        page_number = is_page_number(text_) and not text_.isdigit() and not raw.startswith("\t")
        if text_ and (is_noise_line(text_) or page_number):
            continue
        if text_ and "\t" not in raw and is_furniture_line(text_):
            if furniture is not None:
                furniture.append(Paragraph(text_, page, kind="furniture"))
            continue
        out.append(Line(no, raw, text_, page))
    return out



# ----------------------------------------------------------------------------- tables

_ONE_CELL = regex.compile(r"^\t[^\t]+$")
_NUMBERED = regex.compile(r"^(\d{1,3})\s+(\S.*)$")


def _cell(s: str) -> str:
    return clean_text(remove_artifact_spaces(s))


def _tab_table(lines: list[Line], i: int) -> tuple[int, list[TablePart]] | None:
    """Tab-separated rows from line i; blank lines may separate pages."""
    rows: list[tuple[Line, list[str]]] = []
    j = i
    while j < len(lines):
        ln = lines[j]
        if not ln.text:
            j += 1
            continue
        if "\t" in ln.raw and not _ONE_CELL.match(ln.raw):
            rows.append((ln, [_cell(f) for f in ln.raw.split("\t")]))
            j += 1
            continue
        break
    if len(rows) < 2:
        return None
    while j > i and not lines[j - 1].text:
        j -= 1
    parts = _split_parts([r for _, r in rows], [ln for ln, _ in rows])
    return j, parts


def infer_dense_merges(table: Table, min_filled: float = 0.9) -> Table:
    """Text dumps of PDFs show a vertically merged cell as empty cells below its
    text. In a column that is filled in nearly every row, an empty cell is such a
    merge: give it to the cell above (as a span), as DOCX and PDF show it.
    Returns a new table (the same one when nothing is merged)."""
    if len(table.rows) < 5:
        return table
    rows = [list(r) for r in table.rows]
    for c in range(table.n_cols):
        cells = [row[c] for row in rows]
        filled = sum(1 for cell in cells if cell is not None and cell.text)
        if filled == len(rows) or filled < min_filled * len(rows):
            continue
        anchor_row = None
        for r, cell in enumerate(cells):
            if cell is None:
                continue
            if cell.text:
                anchor_row = r
            elif anchor_row is not None and cell.row_span == 1 and cell.col_span == 1:
                rows[anchor_row][c] = replace(rows[anchor_row][c], row_span=rows[anchor_row][c].row_span + 1)
                rows[r][c] = None
    return replace(table, rows=rows)


def _split_parts(rows: list[list[str]], lines: list[Line]) -> list[TablePart]:
    """Cut rows into parts where the header row repeats (one part per page)."""
    grid = make_cell_grid(rows)
    h = detect_header_rows(grid)
    header = [c.text for c in grid[0]] if h else None
    parts: list[TablePart] = []
    start = 0
    for k in range(1, len(grid) + 1):
        if k == len(grid) or (header and [c.text for c in grid[k]] == header):
            parts.append(TablePart(grid[start:k], page=lines[start].page, header_rows=h if start == 0 else None))
            start = k
    return parts


def _one_cell_table(lines: list[Line], i: int) -> tuple[int, list[TablePart] | None] | None:
    """One cell per line after a tab, rows separated by blank lines (DOCX dumps).
    When the run of such lines from i is no table, returns (end of the run,
    None): no line inside it starts one either, so the caller skips them (else
    12,000 lines of "\tX" would be scanned 12,000 times)."""
    groups: list[list[str]] = []
    cur: list[str] = []
    j = i
    while j < len(lines):
        ln = lines[j]
        if _ONE_CELL.match(ln.raw):
            cur.append(_cell(ln.raw))
        elif not ln.text:
            if cur:
                groups.append(cur)
                cur = []
        else:
            break
        j += 1
    if cur:
        groups.append(cur)
    if not groups:
        return None
    if len(groups) < 2:
        return j, None
    width, count = Counter(len(g) for g in groups).most_common(1)[0]
    if width < 2 or count < 0.8 * len(groups):
        return j, None
    while j > i and not lines[j - 1].text:
        j -= 1
    return j, [TablePart(make_cell_grid(groups), page=lines[i].page)]


def _numbered_table(lines: list[Line], i: int) -> tuple[int, list[TablePart]] | None:
    """A header line of labels, then rows "1 市发展改革委 4月 7日"; or at least
    three such rows numbered 1, 2, 3... without a header."""
    header: list[str] | None = None
    j = i
    first = lines[i].text
    tokens = first.split(" ")
    if len(tokens) >= 2 and is_header_like(make_cell_grid([tokens])[0]):
        header = tokens
        j += 1
    rows: list[list[str]] = []
    expect = 1
    while j < len(lines):
        ln = lines[j]
        if not ln.text:
            j += 1
            continue
        m = _NUMBERED.match(ln.text)
        if not m or int(m.group(1)) != expect or _TERMINAL.search(ln.text):
            break
        rows.append([m.group(1), compact_date_spaces(m.group(2))])
        expect += 1
        j += 1
    if len(rows) < (1 if header else 3):
        return None
    width = len(header) if header else Counter(len(r[1].split(" ")) + 1 for r in rows).most_common(1)[0][0]
    if width < 2:
        return None
    grid_rows = [header] if header else []
    for seq, rest in rows:
        toks = rest.split(" ")
        fields = toks[: width - 2] + [" ".join(toks[width - 2 :])] if width > 2 else [rest]
        grid_rows.append([seq] + [_cell(f) for f in fields])
    while j > i and not lines[j - 1].text:
        j -= 1
    grid = make_cell_grid(grid_rows)
    return j, [TablePart(grid, page=lines[i].page, header_rows=1 if header else 0)]


_GROUP_CELL = regex.compile(r"^[一二三四五六七八九十]+、")  # a group heading row of a flattened table
FLAT_SCAN_LINES = 2000  # how far a flattened table is looked for (bounded: the finder runs at every line)
_FLAT_CELL_MAX = 300  # a longer line is running text: the flattened table has ended


def _header_cell(text: str) -> bool:
    t = to_simplified(text.replace(" ", ""))
    return 1 <= len(t) <= 14 and not t.isdigit() and any(w in t for w in header_words())


def _flat_cells(lines: list[Line], i: int) -> list[tuple[str, int]]:
    """(cell, line index) from line i on, for a table flattened one cell per line:
    cells split by lines of "|" or ending in "|" (an empty piece is an empty cell),
    else one cell per non-empty line. Stops at running text."""
    block: list[tuple[str, int]] = []
    j = i
    while j < len(lines) and j - i < FLAT_SCAN_LINES:
        ln = lines[j]
        if len(ln.text) > _FLAT_CELL_MAX or "\t" in ln.raw:
            break
        block.append((ln.text, j))
        j += 1
    if not any("|" in t for t, _ in block):
        return [(t, k) for t, k in block if t]
    cells: list[tuple[str, int]] = []
    cur: list[str] = []
    for t, k in block:
        pieces = t.split("|")
        for n, piece in enumerate(pieces):
            if piece.strip():
                cur.append(piece.strip())
            if n < len(pieces) - 1:  # a bar closes the cell
                cells.append((" ".join(cur), k))
                cur = []
    if cur:
        cells.append((" ".join(cur), block[-1][1]))
    return cells


def _flat_table(lines: list[Line], i: int) -> tuple[int, list[TablePart]] | None:
    """A table a web page flattened to one cell per line, its header cells first:
    序号 / 单位名称 / 活动主题 / 开展时间 / 1 / 市教育局 / … Rows are found by their
    sequence numbers (1, 2, 3 …, a column that may be unlabelled); a merged cell
    (a task group over several rows) appears on its first row only."""
    if not _header_cell(lines[i].text):
        return None
    cells = _flat_cells(lines, i)
    h = _header_count(cells)
    if h < 2 or h >= len(cells):
        return None
    header = [c for c, _ in cells[:h]]
    seq_labelled = any("序" in to_simplified(c) for c in header)
    data = cells[h:]
    first = next((k for k, (c, _) in enumerate(data[: h + 1]) if c == "1"), None)
    if first is None:
        return None
    # cells before a row's number are its task group's column, unless the header starts with
    # the number's column (序号 first): then they are a group heading over the rows (一、…)
    groups_as_rows = seq_labelled and "序" in to_simplified(header[0]) and first > 0
    leading = 0 if groups_as_rows else first
    after = h - leading - (1 if seq_labelled else 0)
    if after < 1:
        return None
    rows: list[list[str]] = []
    pos, k, lead_cells, last_line = first, 1, [c for c, _ in data[:first]], data[first][1]
    if groups_as_rows:
        rows.extend([c] + [""] * (h - 1) for c in lead_cells)
        lead_cells = []
    while pos < len(data) and data[pos][0] == str(k):
        tail_end = min(pos + 1 + after, len(data))
        # a row that starts with its number may run over more lines than it has columns (three units
        # of one cell, one per line): all up to the next number is the row's
        reach = len(data) if leading == 0 else tail_end + leading + 1
        nxt = next((q for q in range(pos + 1, min(reach, len(data), pos + 1 + 4 * after)) if data[q][0] == str(k + 1)),
                   None)
        stop = nxt if nxt is not None and (leading == 0 or nxt < tail_end) else tail_end
        tail = [c for c, _ in data[pos + 1:stop]]
        heading_rows = []
        while groups_as_rows and len(tail) > 1 and _GROUP_CELL.match(tail[-1]):  # 二、… before the next number
            heading_rows.insert(0, [tail.pop()] + [""] * (h - 1))
        if len(tail) > after:  # the surplus lines are one cell: the one before the last column (units before a date)
            keep = max(after - 2, 0) if after >= 3 else after - 1
            tail = tail[:keep] + ["、".join(tail[keep:len(tail) - (after - keep - 1)])] + tail[len(tail) - (after - keep - 1):]
        rows.append([""] * (leading - len(lead_cells)) + lead_cells + [str(k)] + tail + [""] * (after - len(tail)))
        rows.extend(heading_rows)
        last_line = data[stop - 1][1] if stop > pos + 1 else data[pos][1]
        if nxt is None:
            break
        lead_cells = [c for c, _ in data[stop:nxt]][-leading:] if leading else []
        pos, k = nxt, k + 1
    if len(rows) < 2:
        return None
    if not seq_labelled:
        header = header[:leading] + ["序号"] + header[leading:]
    grid = make_cell_grid([header] + [[_cell(c) for c in r] for r in rows])
    return last_line + 1, [TablePart(grid, page=lines[i].page, header_rows=1)]


def _header_count(cells: list[tuple[str, int]]) -> int:
    """How many of the first cells are header cells (at most 12)."""
    h = 0
    while h < len(cells) and h < 12 and _header_cell(cells[h][0]):
        h += 1
    return h


def _bar_table(lines: list[Line], i: int) -> tuple[int, list[TablePart]] | None:
    """A table a web page flattened to cells that each end in "|", without row
    numbers: 工作任务 | 牵头单位 | 责任单位 | then every row as many cells, a group row
    (一、…) followed by its empty cells ("| ||"). Empty cells right after the header are
    columns the header left blank. Rows end at the first that does not start with
    text (a row the flattening shifted, or the end of the table)."""
    closed = "|" in lines[i].text or (i + 1 < len(lines) and lines[i + 1].text.startswith("|"))
    if not closed or not _header_cell(lines[i].text.split("|")[0]):  # the first header cell is this line's
        return None
    cells = _flat_cells(lines, i)
    h = _header_count(cells)
    if h < 2:
        return None
    width = h
    while width < len(cells) and width < 2 * h and not cells[width][0]:
        width += 1
    rows: list[list[tuple[str, int]]] = []
    for k in range(width, len(cells) - width + 1, width):
        row = cells[k:k + width]
        if not row[0][0]:
            break
        rows.append(row)
    if not any(sum(1 for c, _ in r if c) >= 2 for r in rows):  # the header's words and bars make it a table
        return None
    header = [c for c, _ in cells[:h]] + [""] * (width - h)
    grid = make_cell_grid([header] + [[_cell(c) for c, _ in r] for r in rows])
    return rows[-1][-1][1] + 1, [TablePart(grid, page=lines[i].page, header_rows=1)]


def _pipe_cells(text: str) -> list[str]:
    cells = [c.strip() for c in text.split("|")]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _pipe_table(lines: list[Line], i: int) -> tuple[int, list[TablePart]] | None:
    """Whole rows on a line, cells split by |: "工作任务 | 具体要求 | 责任部门 |". A row
    with fewer cells lost its merged leading cells (a task group): it is aligned right."""
    header = _pipe_cells(lines[i].text)
    if len(header) < 2 or "|" not in lines[i].text or not is_header_like(make_cell_grid([header])[0]):
        return None
    rows = [header]
    j = i + 1
    while j < len(lines) and "|" in lines[j].text and len(lines[j].text) <= 2 * _FLAT_CELL_MAX:
        cells = _pipe_cells(lines[j].text)[: len(header)]
        if cells:
            rows.append([""] * (len(header) - len(cells)) + cells)
        j += 1
    if len(rows) < 3:
        return None
    return j, [TablePart(make_cell_grid([[_cell(c) for c in r] for r in rows]), page=lines[i].page, header_rows=1)]


_TABLE_FINDERS = (_one_cell_table, _tab_table, _pipe_table, _flat_table, _bar_table, _numbered_table)


# ----------------------------------------------------------------------------- paragraphs


def _full_width(lines: list[Line]) -> int | None:
    """The width of a full printed line, if the text is hard-wrapped (one printed
    line per line, as PDF dumps are); None for one paragraph per line."""
    widths = [display_width(ln.text) for ln in lines if ln.text and "\t" not in ln.raw]
    long = [w for w in widths if w >= 30]
    if len(long) < 5:
        return None
    buckets = Counter(w // 4 for w in long)
    b, _ = buckets.most_common(1)[0]
    near = sum(n for k, n in buckets.items() if abs(k - b) <= 1)
    mode = max(w for w in long if abs(w // 4 - b) <= 1)
    # hard-wrapped: many lines share one width, and few lines are much longer
    much_longer = sum(1 for w in long if w > mode * 1.3)
    if near >= 0.4 * len(long) and much_longer <= 0.1 * len(long) and mode <= 120:
        return mode
    return None


def _reflow(lines: list[Line], full: int | None) -> list[Paragraph]:
    paras: list[Paragraph] = []
    cur: Line | None = None
    cur_text = ""
    prev_width = 0
    prev_info = False
    for ln in lines:
        if not ln.text:
            continue
        # a portal's labelled line (发文字号：… 成文日期：…) is a paragraph of its own, spaces kept
        info = is_info_line(ln.text)
        text = ln.text if info else remove_artifact_spaces(ln.text)
        if cur is not None and not (info or prev_info) and _continues(cur_text, prev_width, text, full):
            cur_text = join_wrapped(cur_text, text)
        else:
            if cur is not None:
                paras.append(Paragraph(cur_text, cur.page))
            cur, cur_text = ln, text
        prev_width = display_width(ln.text)
        prev_info = info
    if cur is not None:
        paras.append(Paragraph(cur_text, cur.page))
    return paras


def _continues(prev_text: str, prev_width: int, text: str, full: int | None) -> bool:
    """Does `text` continue the paragraph whose last line was `prev_text`? Never
    after a line that ends a title (…的通知) and never into a document number."""
    if _HEADING.match(text) or _ENDS_TITLE.search(prev_text) or _STARTS_NUMBER.match(text):
        return False
    if full:  # hard-wrapped: a full printed line runs on into the next
        return prev_width >= full - 6
    # one paragraph per line: a long line cut without closing punctuation was cut by a page break
    return prev_width >= 80 and not _TERMINAL.search(prev_text)


# ----------------------------------------------------------------------------- reader


def parse_text(text: str) -> tuple[list[Block], list[Paragraph]]:
    """Text -> (body blocks, furniture)."""
    furniture: list[Paragraph] = []
    lines = _lines(text, furniture)
    full = _full_width(lines)
    blocks: list[Block] = []
    pending: list[Line] = []
    no_one_cell_table_before = 0  # lines of a run already found to be no one-cell table
    i = 0
    while i < len(lines):
        found = None
        if lines[i].text:
            for finder in _TABLE_FINDERS:
                if finder is _one_cell_table and i < no_one_cell_table_before:
                    continue
                found = finder(lines, i)
                if found and found[1] is None:  # scanned a run that holds no table
                    no_one_cell_table_before, found = found[0], None
                if found:
                    break
        if found:
            blocks.extend(_reflow(pending, full))
            pending = []
            end, parts = found
            table = stitch(parts)
            if finder is _tab_table:
                table = infer_dense_merges(table)
            blocks.append(table)
            i = end
        else:
            pending.append(lines[i])
            i += 1
    blocks.extend(_reflow(pending, full))
    return number_tables(blocks), furniture


@register("txt", (".txt", ".text"), sniff_text, priority=FALLBACK_PRIORITY)
def read_text(data: bytes, source: Source) -> Document:
    text, encoding = decode_text(data, source.path)
    blocks, furniture = parse_text(text)
    pages = text.count("\f") + 1 if "\f" in text else None  # form feeds are the only page marks
    warnings = [f"decoded as {encoding}"] if encoding not in ("utf-8", "utf-8-bom") else []
    return Document.of(source, pages, blocks, furniture, warnings)
