"""Our own reader of the Word 97-2003 binary format (MS-DOC).

legacy.py uses it where LibreOffice is absent or fails. It reads the streams
olefile hands over:

* the FIB at the start of the WordDocument stream: flags (encrypted, which
  table stream), the main text's length (ccpText), where the piece table
  (CLX) and the paragraph properties (PlcBtePapx) are;
* the piece table: the text in CP order, each piece 8-bit (cp1252) or UTF-16LE;
* the character properties (CHPX in FKP pages) for hidden text and deleted
  revisions, which are dropped;
* the paragraph properties (PAPX in FKP pages) of each paragraph mark: in a
  table (sprmPFInTable / sprmPItap), a row end (sprmPFTtp), and on a row end
  the row's cell borders and merges (sprmTDefTable, sprmTVertMerge) and
  whether it repeats as a header (sprmTTableHeader);
* special characters: \\r paragraph end, \\x07 cell or row end, \\x0b line break,
  \\x0c page or section break, fields \\x13 code \\x14 result \\x15 (the result
  is kept), \\x01 / \\x08 objects dropped.

Styles (a style that hides text, say), headers and footers, footnotes and
text boxes are not read. Every count read from the file is checked against
the bytes that are there, so a hostile file costs at most a pass over itself.
"""
from __future__ import annotations

import bisect
import re
import struct
from dataclasses import dataclass, field

from extractors.readers.layout import clean_text, is_noise_line, join_wrapped
from extractors.readers.tables import MAX_CELL_CHARS, MAX_TABLE_CELLS, TablePart, check_size, stitch
from schemas.document import Block, Cell, Grid, Paragraph
from schemas.errors import TooLarge

MAX_COLUMNS = 64  # Word allows 63 cells in a row


class MsDocError(ValueError):
    """The streams are not a readable Word 97-2003 document (the message says why)."""


# ----------------------------------------------------------------------------- FIB


@dataclass(frozen=True)
class Fib:
    n_fib: int
    encrypted: bool
    table_stream: str
    ccp_text: int
    fc_clx: int
    lcb_clx: int
    fc_papx: int
    lcb_papx: int
    fc_chpx: int = 0
    lcb_chpx: int = 0


WORD97_NFIB = 0xC0  # Word 6.0 and 95 files have nFib 101-105: another layout
_FIB_LW = 64  # FibRgLw97 starts after FibBase (32), csw, FibRgW97 (28) and cslw
_FIB_FCLCB = 154  # FibRgFcLcb97 starts after FibRgLw97 (88 bytes) and cbRgFcLcb


def _u16(b: bytes, i: int) -> int:
    return struct.unpack_from("<H", b, i)[0]


def _u32(b: bytes, i: int) -> int:
    return struct.unpack_from("<I", b, i)[0]


def parse_fib(wd: bytes) -> Fib:
    if len(wd) < _FIB_FCLCB + 34 * 8:
        raise MsDocError(f"the WordDocument stream is {len(wd)} bytes, too short for a Word 97 header (truncated)")
    if _u16(wd, 0) != 0xA5EC:
        raise MsDocError("the WordDocument stream has no Word header (wIdent is not 0xA5EC)")
    flags = _u16(wd, 0x0A)

    def pair(index: int) -> tuple[int, int]:
        return _u32(wd, _FIB_FCLCB + 8 * index), _u32(wd, _FIB_FCLCB + 8 * index + 4)

    fc_clx, lcb_clx = pair(33)
    fc_papx, lcb_papx = pair(13)
    fc_chpx, lcb_chpx = pair(12)
    return Fib(
        n_fib=_u16(wd, 2),
        encrypted=bool(flags & 0x0100),
        table_stream="1Table" if flags & 0x0200 else "0Table",
        ccp_text=struct.unpack_from("<i", wd, _FIB_LW + 12)[0],
        fc_clx=fc_clx, lcb_clx=lcb_clx, fc_papx=fc_papx, lcb_papx=lcb_papx, fc_chpx=fc_chpx, lcb_chpx=lcb_chpx,
    )


# ----------------------------------------------------------------------------- text


@dataclass(frozen=True)
class Piece:
    cp_start: int
    cp_end: int
    fc: int  # byte offset of the piece's first character in the WordDocument stream
    compressed: bool  # 8-bit characters, else UTF-16LE


def parse_clx(clx: bytes) -> list[Piece]:
    """The piece table of a CLX: skip the Prc blocks (property changes), then the Pcdt."""
    i = 0
    while i < len(clx) and clx[i] == 0x01:
        if i + 3 > len(clx):
            break
        i += 3 + _u16(clx, i + 1)
    if i + 5 > len(clx) or clx[i] != 0x02:
        raise MsDocError("the piece table (CLX) is missing or damaged")
    lcb = _u32(clx, i + 1)
    body = clx[i + 5:i + 5 + lcb]
    if len(body) < lcb:
        raise MsDocError(f"the piece table claims {lcb:,} bytes but only {len(body):,} are left in the table stream "
                         "(truncated or damaged)")
    n = (lcb - 4) // 12
    if n < 1 or 4 * (n + 1) + 8 * n != lcb:
        raise MsDocError("the piece table's size fits no whole number of pieces")
    cps = struct.unpack_from(f"<{n + 1}i", body, 0)
    pieces: list[Piece] = []
    for k in range(n):
        if not 0 <= cps[k] < cps[k + 1]:
            raise MsDocError("the piece table's character positions are out of order")
        raw = _u32(body, 4 * (n + 1) + 8 * k + 2)
        compressed = bool(raw & 0x40000000)
        fc = (raw & 0x3FFFFFFF) // 2 if compressed else raw & 0x3FFFFFFF
        pieces.append(Piece(cps[k], cps[k + 1], fc, compressed))
    return pieces


@dataclass
class MainText:
    text: str
    starts: list[int]  # text index where each piece starts
    pieces: list[Piece]

    def fc_at(self, k: int) -> int:
        """The stream offset of text character k (to find its paragraph's properties)."""
        p = bisect.bisect_right(self.starts, k) - 1
        piece = self.pieces[p]
        return piece.fc + (k - self.starts[p]) * (1 if piece.compressed else 2)


def main_text(wd: bytes, pieces: list[Piece], ccp_text: int) -> MainText:
    """The main story's text (CPs 0 to ccpText), piece by piece. Pieces pointing
    outside the stream are cut there; the text is never longer than the stream,
    so overlapping pieces cannot blow it up."""
    limit = min(max(ccp_text, 0), len(wd))
    out: list[str] = []
    starts: list[int] = []
    kept: list[Piece] = []
    length = 0
    for piece in pieces:
        if piece.cp_start >= limit or length >= limit:
            break
        n = min(piece.cp_end, limit) - piece.cp_start
        width = 1 if piece.compressed else 2
        raw = wd[piece.fc:piece.fc + n * width]
        if piece.compressed:
            text = raw.decode("cp1252", "replace")
        else:
            text = raw[: len(raw) // 2 * 2].decode("utf-16-le", "replace")
        if not text:
            continue
        starts.append(length)
        kept.append(piece)
        out.append(text)
        length += len(text)
    if not out:
        raise MsDocError("the document's main text is empty or outside the WordDocument stream")
    return MainText("".join(out), starts, kept)


# ----------------------------------------------------------------------------- paragraph properties


@dataclass(frozen=True)
class RowDef:
    edges: tuple[int, ...]  # cell borders, twips from the row's left (n cells: n + 1 edges)
    vmerge: tuple[int, ...]  # per cell: 0 none, 1 continues the cell above, 3 starts a merge
    hmerged: tuple[bool, ...]  # per cell: merged into the cell on its left
    header: bool


@dataclass(frozen=True)
class ParaProps:
    in_table: bool = False
    row_end: bool = False
    row: RowDef | None = None


_SPRM_SIZE = {0: 1, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2, 7: 3}
SPRM_IN_TABLE, SPRM_TTP, SPRM_ITAP = 0x2416, 0x2417, 0x6649
SPRM_DEF_TABLE, SPRM_VERT_MERGE, SPRM_TABLE_HEADER = 0xD608, 0xD62B, 0x3404


def iter_sprms(grpprl: bytes):
    """(sprm, operand) pairs of a property list; stops at a malformed one."""
    i = 0
    while i + 2 <= len(grpprl):
        sprm = _u16(grpprl, i)
        i += 2
        spra = sprm >> 13
        if spra != 6:
            size = _SPRM_SIZE[spra]
        elif sprm == SPRM_DEF_TABLE:  # a 2-byte size, counting one byte too many
            if i + 2 > len(grpprl):
                return
            size = 2 + _u16(grpprl, i) - 1
        elif i < len(grpprl):
            size = 1 + grpprl[i]
        else:
            return
        if i + size > len(grpprl):
            return
        yield sprm, grpprl[i:i + size]
        i += size


def parse_def_table(op: bytes) -> tuple[list[int], list[int], list[bool]]:
    """sprmTDefTable: cell borders (rgdxaCenter) and each cell's merge flags (TC80)."""
    if len(op) < 3:
        return [], [], []
    n = min(op[2], MAX_COLUMNS)
    if 3 + 2 * (n + 1) > len(op):
        return [], [], []
    edges = list(struct.unpack_from(f"<{n + 1}h", op, 3))
    vmerge, hmerged = [0] * n, [False] * n
    tc = 3 + 2 * (n + 1)
    for k in range(n):  # rgTc80 may hold fewer cells than the row
        if tc + 20 * (k + 1) > len(op):
            break
        grf = _u16(op, tc + 20 * k)
        hmerged[k] = (grf & 0x3) in (2, 3)
        vmerge[k] = (grf >> 5) & 0x3
    return edges, vmerge, hmerged


def parse_papx(grpprl: bytes) -> ParaProps:
    in_table = row_end = header = False
    edges: list[int] = []
    vmerge: list[int] = []
    hmerged: list[bool] = []
    for sprm, op in iter_sprms(grpprl):
        if sprm == SPRM_IN_TABLE:
            in_table = op[0] != 0
        elif sprm == SPRM_ITAP:
            in_table = in_table or _u32(op, 0) > 0
        elif sprm == SPRM_TTP:
            row_end = op[0] != 0
        elif sprm == SPRM_DEF_TABLE:
            edges, vmerge, hmerged = parse_def_table(op)
        elif sprm == SPRM_VERT_MERGE and len(op) >= 3 and op[1] < len(vmerge):
            vmerge[op[1]] = op[2]
        elif sprm == SPRM_TABLE_HEADER:
            header = op[0] != 0
    row = RowDef(tuple(edges), tuple(vmerge), tuple(hmerged), header) if row_end and len(edges) >= 2 else None
    return ParaProps(in_table or row_end, row_end, row)


def _fkp_runs(page: bytes) -> list[tuple[int, int, ParaProps]]:
    """(first fc, end fc, properties) of the paragraph runs of one 512-byte PapxFkp."""
    crun = page[511]
    if 4 * (crun + 1) + 13 * crun > 511:
        return []
    fcs = struct.unpack_from(f"<{crun + 1}I", page, 0)
    runs = []
    for i in range(crun):
        off = 2 * page[4 * (crun + 1) + 13 * i]
        props = ParaProps()
        if off and off < 511:
            cb = page[off]
            start, size = (off + 1, 2 * cb - 1) if cb else (off + 2, 2 * page[off + 1])
            grp = page[start:min(start + size, 511)]
            props = parse_papx(grp[2:])  # after the style index
        runs.append((fcs[i], fcs[i + 1], props))
    return runs


@dataclass
class PapxIndex:
    starts: list[int] = field(default_factory=list)
    runs: list[tuple[int, int, ParaProps]] = field(default_factory=list)

    def at(self, fc: int) -> ParaProps | None:
        i = bisect.bisect_right(self.starts, fc) - 1
        if i >= 0 and self.runs[i][0] <= fc < self.runs[i][1]:
            return self.runs[i][2]
        return None


def papx_index(wd: bytes, table: bytes, fib: Fib) -> PapxIndex:
    """Every paragraph run's properties, from the PlcBtePapx's FKP pages (each
    page read once, however often the PLC names it)."""
    plc = table[fib.fc_papx:fib.fc_papx + fib.lcb_papx]
    n = (len(plc) - 4) // 8
    if n < 1:
        return PapxIndex()
    pns = struct.unpack_from(f"<{n}I", plc, 4 * (n + 1))
    runs: list[tuple[int, int, ParaProps]] = []
    for pn in sorted({p & 0x3FFFFF for p in pns}):
        page = wd[pn * 512:(pn + 1) * 512]
        if len(page) == 512:
            runs.extend(_fkp_runs(page))
    runs.sort(key=lambda r: r[0])
    return PapxIndex([r[0] for r in runs], runs)


# ----------------------------------------------------------------------------- hidden text

SPRM_VANISH, SPRM_RMARK_DEL = 0x083C, 0x0800


def _chpx_hides(grpprl: bytes) -> bool:
    """Is a run hidden (sprmCFVanish) or a deleted revision (sprmCFRMarkDel)?
    0x81 is "the opposite of the style", which for body styles means on."""
    return any(sprm in (SPRM_VANISH, SPRM_RMARK_DEL) and op[0] in (0x01, 0x81) for sprm, op in iter_sprms(grpprl))


def _chpx_fkp_hidden(page: bytes) -> list[tuple[int, int]]:
    """(first fc, end fc) of the hidden runs of one 512-byte ChpxFkp."""
    crun = page[511]
    if 4 * (crun + 1) + crun > 511:
        return []
    fcs = struct.unpack_from(f"<{crun + 1}I", page, 0)
    out = []
    for i in range(crun):
        off = 2 * page[4 * (crun + 1) + i]
        if off and off < 511 and _chpx_hides(page[off + 1:min(off + 1 + page[off], 511)]):
            out.append((fcs[i], fcs[i + 1]))
    return out


def hidden_ranges(wd: bytes, table: bytes, fib: Fib) -> list[tuple[int, int]]:
    """The stream ranges of hidden and deleted text (PlcBteChpx), as a sorted
    union of disjoint ranges, so marking them costs one pass over the text."""
    plc = table[fib.fc_chpx:fib.fc_chpx + fib.lcb_chpx]
    n = (len(plc) - 4) // 8
    if n < 1:
        return []
    pns = struct.unpack_from(f"<{n}I", plc, 4 * (n + 1))
    runs: list[tuple[int, int]] = []
    for pn in sorted({p & 0x3FFFFF for p in pns}):
        page = wd[pn * 512:(pn + 1) * 512]
        if len(page) == 512:
            runs.extend(r for r in _chpx_fkp_hidden(page) if r[0] < r[1])
    merged: list[tuple[int, int]] = []
    for a, b in sorted(runs):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def hide(main: MainText, ranges: list[tuple[int, int]]) -> MainText:
    """The text with hidden characters turned into NULs (dropped later), so
    text positions still map to stream offsets. Paragraph and cell marks stay:
    the table structure hangs on them."""
    if not ranges:
        return main
    chars = list(main.text)
    starts = [a for a, _ in ranges]
    ends = main.starts[1:] + [len(chars)]
    for s, e, piece in zip(main.starts, ends, main.pieces):
        w = 1 if piece.compressed else 2
        lo, hi = piece.fc, piece.fc + (e - s) * w
        i = max(bisect.bisect_right(starts, lo) - 1, 0)
        while i < len(ranges) and ranges[i][0] < hi:
            a, b = ranges[i]
            for k in range(s + max(0, -(-(a - lo) // w)), s + min(e - s, -(-(b - lo) // w))):
                if chars[k] not in "\r\x07":
                    chars[k] = "\x00"
            i += 1
    return MainText("".join(chars), main.starts, main.pieces)


# ----------------------------------------------------------------------------- characters


_MARKS = re.compile("[\r\x07]")  # paragraph and cell marks: where paragraphs end
_DROP = {"\x00", "\x01", "\x02", "\x03", "\x04", "\x05", "\x08", "\x1f"}


def visible_text(text: str) -> str:
    """Fields keep their result (\\x13 code \\x14 result \\x15), objects and
    footnote marks go, a non-breaking hyphen is a hyphen. Marks (\\r \\x07 \\x0b
    \\x0c) stay, so the result lines up with the paragraph structure."""
    out: list[str] = []
    fields: list[bool] = []  # per open field: still in its code part?
    in_code = 0  # open fields in their code part: text inside any of them is code
    for ch in text:
        if ch == "\x13":
            fields.append(True)
            in_code += 1
        elif ch == "\x14":
            if fields and fields[-1]:
                fields[-1] = False
                in_code -= 1
        elif ch == "\x15":
            if fields:
                in_code -= fields.pop()
        elif ch in "\r\x07":
            out.append(ch)  # a paragraph mark ends the paragraph even inside a broken field
        elif in_code or ch in _DROP:
            continue
        else:
            out.append("-" if ch == "\x1e" else ch)
    return "".join(out)


def clean_paragraph(text: str) -> str:
    """A paragraph's text: line breaks wrap text (they do not separate words)."""
    joined = ""
    for part in text.replace("\x0c", "\x0b").split("\x0b"):
        joined = join_wrapped(joined, clean_text(part))
    return joined


# ----------------------------------------------------------------------------- blocks


@dataclass
class _Row:
    cells: list[str]
    row: RowDef | None


def _grid(rows: list[_Row]) -> tuple[Grid, int]:
    """The table's grid: columns from every row's cell borders, spans from the
    borders each cell covers, vertical merges from the TC80 flags; header rows
    from sprmTTableHeader. A row without borders gets one column per cell."""
    borders = sorted({e for r in rows if r.row for e in r.row.edges})
    cols: list[int] = []  # merged within 20 twips (a border drawn a little off)
    for b in borders:
        if not cols or b - cols[-1] > 20:
            cols.append(b)
    width = max([len(cols) - 1] + [len(r.cells) for r in rows if r.row is None or len(r.row.edges) != len(r.cells) + 1])
    width = min(max(width, 1), MAX_COLUMNS)
    check_size(len(rows), width)

    def col_of(x: int) -> int:  # the nearest column border
        i = bisect.bisect_left(cols, x)
        return i if i == 0 or (i < len(cols) and cols[i] - x < x - cols[i - 1]) else i - 1

    grid: Grid = []
    for r, row in enumerate(rows):
        line: list[Cell | None] = [None] * width
        claimed = [False] * width
        exact = row.row is not None and len(row.row.edges) == len(row.cells) + 1
        for k, text in enumerate(row.cells[:width]):
            c0, c1 = (col_of(row.row.edges[k]), col_of(row.row.edges[k + 1])) if exact else (k, k + 1)
            c0, c1 = min(c0, width - 1), min(max(c1, c0 + 1), width)
            vm = row.row.vmerge[k] if exact else 0
            if vm == 1 and r > 0 and _extend_above(grid, r, c0, text):
                claimed[c0:c1] = [True] * (c1 - c0)
                continue
            if exact and row.row.hmerged[k]:
                left = next((j for j in range(c0 - 1, -1, -1) if line[j] is not None), None)
                if left is not None:
                    line[left] = Cell(join_wrapped(line[left].text, text), 1, c1 - left)
                    claimed[c0:c1] = [True] * (c1 - c0)
                    continue
            line[c0] = Cell(text[:MAX_CELL_CHARS], 1, c1 - c0)
            claimed[c0:c1] = [True] * (c1 - c0)
        grid.append([Cell("") if cell is None and not claimed[c] else cell for c, cell in enumerate(line)])
    header = 0
    while header < len(rows) - 1 and rows[header].row is not None and rows[header].row.header:
        header += 1
    return grid, header


def _extend_above(grid: Grid, r: int, c: int, text: str) -> bool:
    """Continue the vertical merge of the cell above row r in column c."""
    for ar in range(r - 1, -1, -1):
        cell = grid[ar][c]
        if cell is not None:
            if ar + cell.row_span != r:
                return False
            grid[ar][c] = Cell(join_wrapped(cell.text, text) if text else cell.text, cell.row_span + 1, cell.col_span)
            return True
    return False


def build_blocks(main: MainText, papx: PapxIndex) -> tuple[list[Block], list[str]]:
    """Paragraphs and tables in text order. A paragraph is in a table when its
    mark's properties say so; without properties, a \\x07 mark still ends a cell
    and two marks in a row end the row (the commonest layout)."""
    text = main.text
    blocks: list[Block] = []
    warnings: list[str] = []
    rows: list[_Row] = []
    cell_parts: list[str] = []
    cells: list[str] = []
    guessed = False

    def end_table() -> None:
        nonlocal rows, cells, cell_parts
        if cells or cell_parts:
            rows.append(_Row(cells + ([_join(cell_parts)] if cell_parts else []), None))
        if rows:
            grid, header = _grid(rows)
            blocks.append(stitch([TablePart(grid, header_rows=header or None)]))
        rows, cells, cell_parts = [], [], []

    start = 0
    for mark in _MARKS.finditer(text):
        k, ch = mark.start(), mark.group()
        raw = visible_text(text[start:k])
        start = k + 1
        props = papx.at(main.fc_at(k))
        if props is None:
            guessed = guessed or ch == "\x07"
            props = _guess_props(ch, raw, cells, cell_parts, rows)
        para = clean_paragraph(raw)
        if not props.in_table:
            end_table()
            if para and not is_noise_line(para):
                blocks.append(Paragraph(para))
            continue
        if props.row_end:
            if cell_parts or para:
                cells.append(_join(cell_parts + [para]))
            rows.append(_Row(cells, props.row))
            cells, cell_parts = [], []
            if len(rows) > MAX_TABLE_CELLS:  # before building a grid of them
                raise TooLarge(f"a table of more than {MAX_TABLE_CELLS:,} rows is over the cell limit")
        elif ch == "\x07":
            cells.append(_join(cell_parts + [para]))
            cell_parts = []
        elif para and not is_noise_line(para):
            cell_parts.append(para)
    end_table()
    if guessed:
        warnings.append("some paragraph properties are missing: table rows were guessed from the cell marks")
    return blocks, warnings


def _guess_props(ch: str, raw: str, cells: list[str], cell_parts: list[str], rows: list[_Row]) -> ParaProps:
    """A mark without properties: \\x07 ends a cell; an empty \\x07 right after a
    cell ends the row, once the row has as many cells as the table's first."""
    if ch != "\x07":
        return ParaProps()
    width = len(rows[0].cells) if rows else 0
    return ParaProps(in_table=True, row_end=not raw and not cell_parts and len(cells) >= max(width, 1))


def _join(parts: list[str]) -> str:
    text = ""
    for part in parts:
        if part:
            text = join_wrapped(text, part)
    return text[:MAX_CELL_CHARS]


def read_streams(wd: bytes, table: bytes, fib: Fib) -> tuple[list[Block], list[str]]:
    """Blocks of a Word 97-2003 document from its WordDocument and table streams."""
    clx = table[fib.fc_clx:fib.fc_clx + fib.lcb_clx]
    if fib.lcb_clx == 0 or len(clx) < fib.lcb_clx:
        raise MsDocError(f"the piece table lies outside the {fib.table_stream} stream (truncated or damaged)")
    main = hide(main_text(wd, parse_clx(clx), fib.ccp_text), hidden_ranges(wd, table, fib))
    return build_blocks(main, papx_index(wd, table, fib))
