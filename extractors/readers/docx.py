"""DOCX notices (python-docx): paragraphs and tables in body order.

We walk the body XML that python-docx parsed instead of `Document.paragraphs`
and `.tables` (two separate lists) and instead of `table.cell()` (which repeats
a merged cell's text in every grid position). So:

* blocks keep body order;
* a merged cell (gridSpan / vMerge) appears once with its spans;
* hidden runs (w:vanish, such as the 窗体顶端 form markers) and deleted
  revisions are skipped; bookmarks never become text;
* nested tables become tables of their own, right after their parent;
* header and footer text is kept apart from the body (Document.furniture).
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace

from docx import Document as open_docx
from docx.oxml.ns import qn

from extractors.readers.layout import clean_text, is_noise_line, join_wrapped
from extractors.readers.package import open_zip
from extractors.readers.registry import register
from extractors.readers.tables import MAX_CELL_CHARS, MAX_TABLE_CELLS, TablePart, fill_unclaimed, number_tables, stitch
from schemas.document import Block, Cell, Document, Paragraph, Source
from schemas.errors import CorruptDocx, TooLarge, UnsupportedFormat


W_P, W_TBL, W_R, W_T, W_TAB, W_BR, W_CR = (qn(t) for t in ("w:p", "w:tbl", "w:r", "w:t", "w:tab", "w:br", "w:cr"))
W_TR, W_TC, W_SDT, W_SDTCONTENT = (qn(t) for t in ("w:tr", "w:tc", "w:sdt", "w:sdtContent"))
W_RPR, W_VANISH, W_VAL = qn("w:rPr"), qn("w:vanish"), qn("w:val")
W_NBHYPHEN, W_TXBX = qn("w:noBreakHyphen"), qn("w:txbxContent")
MC_ALT = "{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# containers whose runs are part of the paragraph's text
_RUN_CONTAINERS = {qn(t) for t in ("w:hyperlink", "w:ins", "w:smartTag", "w:fldSimple", "w:customXml", "w:sdt", "w:sdtContent", "w:moveTo")}


def sniff_zip(head: bytes, suffix: str) -> bool:
    from extractors.readers.ofd import has_ofd_root

    # an OFD package is a zip too; leave it to the OFD reader whatever its name
    return head.startswith(b"PK\x03\x04") and not has_ofd_root(head)


def _is_hidden(run) -> bool:
    rpr = run.find(W_RPR)
    if rpr is None:
        return False
    v = rpr.find(W_VANISH)
    return v is not None and v.get(W_VAL, "true") not in ("0", "false", "off")


def _run_text(run) -> str:
    out = []
    for child in run:
        tag = child.tag
        if tag == W_T:
            out.append(child.text or "")
        elif tag == W_TAB:
            out.append("\t")
        elif tag in (W_BR, W_CR):
            out.append("\n")
        elif tag == W_NBHYPHEN:
            out.append("-")
    return "".join(out)


def _paragraph_text(p, textboxes: list | None = None) -> str:
    """Visible text of a w:p; text boxes found inside go to `textboxes`."""
    out: list[str] = []

    def walk(el) -> None:
        for child in el:
            tag = child.tag
            if tag == W_R:
                if not _is_hidden(child):
                    out.append(_run_text(child))
                if textboxes is not None:
                    for tb in child.iter(W_TXBX):
                        if not any(a.tag == MC_FALLBACK for a in tb.iterancestors()):
                            textboxes.extend(tb.iter(W_P))
            elif tag in _RUN_CONTAINERS:
                walk(child)
            elif tag == MC_ALT:
                choice = next(iter(child), None)  # mc:Choice; mc:Fallback repeats it
                if choice is not None:
                    walk(choice)
            # w:del, bookmarks, proofing marks, field codes: no visible text

    walk(p)
    return "".join(out)


def _clean_para(text: str) -> str:
    # a line break inside a paragraph wraps text, it does not separate words
    parts = [clean_text(t) for t in text.split("\n")]
    joined = ""
    for part in parts:
        joined = join_wrapped(joined, part)
    return joined


# Word itself allows 63 columns; a span or grid position past this is an attack or
# a broken file, and would make us build rows of millions of cells
MAX_COLUMNS = 256


def _int_attr(el, default: int, lo: int, hi: int, warnings: list[str], what: str) -> int:
    """An integer attribute (w:val), clipped to [lo, hi]; a malformed one is the default."""
    if el is None:
        return default
    raw = el.get(W_VAL)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        warnings.append(f"{what} {raw[:20]!r} is not a number: read as {default}")
        return default
    if not lo <= value <= hi:
        warnings.append(f"{what} {value} is out of range: read as {min(max(value, lo), hi)}")
    return min(max(value, lo), hi)


class _Walker:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.cells = 0
        self.warnings: list[str] = []

    def body(self, parent) -> None:
        for child in parent:
            tag = child.tag
            if tag == W_P:
                self.paragraph(child)
            elif tag == W_TBL:
                self.table(child)
            elif tag in (W_SDT, W_SDTCONTENT) or tag == qn("w:customXml"):
                self.body(child)

    def paragraph(self, p) -> None:
        boxes: list = []
        text = _clean_para(_paragraph_text(p, boxes))
        if text and not is_noise_line(text):
            self.blocks.append(Paragraph(text))
        for bp in boxes:
            t = _clean_para(_paragraph_text(bp))
            if t and not is_noise_line(t):
                self.blocks.append(Paragraph(t, kind="textbox"))

    def table(self, tbl) -> None:
        grid_cols = tbl.find(qn("w:tblGrid"))
        width = min(len(grid_cols.findall(qn("w:gridCol"))), MAX_COLUMNS) if grid_cols is not None else 0
        rows: list[list[Cell | None]] = []
        covered: list[list[bool]] = []
        header_rows = 0
        in_header = True
        nested: list = []
        for tr in tbl.iter(W_TR):
            if tr.getparent() is not tbl and tr.getparent().tag != W_SDTCONTENT:
                continue  # rows of nested tables
            trpr = tr.find(qn("w:trPr"))
            is_header = trpr is not None and trpr.find(qn("w:tblHeader")) is not None
            if in_header and is_header:
                header_rows += 1
            else:
                in_header = False
            row: list[Cell | None] = []
            cov: list[bool] = []
            col = _int_attr(trpr.find(qn("w:gridBefore")) if trpr is not None else None, 0, 0, MAX_COLUMNS,
                            self.warnings, "gridBefore")
            r = len(rows)
            for tc in tr.iter(W_TC):
                if tc.getparent() is not tr and tc.getparent().tag not in (W_SDTCONTENT, qn("w:customXml")):
                    continue
                tcpr = tc.find(qn("w:tcPr"))
                span = 1
                vmerge = None
                if tcpr is not None:
                    span = _int_attr(tcpr.find(qn("w:gridSpan")), 1, 1, max(1, MAX_COLUMNS - col), self.warnings,
                                     "gridSpan")
                    vm = tcpr.find(qn("w:vMerge"))
                    vmerge = (vm.get(W_VAL) or "continue") if vm is not None else None
                text = self.cell_text(tc, nested)
                while len(row) < col + span:
                    row.append(None)
                    cov.append(False)
                if vmerge == "continue" and r > 0:
                    above = _anchor_above(rows, r, col)
                    if above is not None:
                        ar, anchor = above
                        rows[ar][col] = replace(anchor, row_span=anchor.row_span + 1,
                                                text=join_wrapped(anchor.text, text) if text else anchor.text)
                        for k in range(col, col + span):
                            cov[k] = True
                        col += span
                        continue
                row[col] = Cell(text, 1, span)
                for k in range(col, col + span):
                    cov[k] = True
                col += span
            rows.append(row)
            covered.append(cov)
            self.cells += len(row)
            if self.cells > MAX_TABLE_CELLS:
                raise TooLarge(f"more than {MAX_TABLE_CELLS:,} table cells", None)
        fill_unclaimed(rows, covered, max([width] + [len(r) for r in rows]))
        if rows:
            self.blocks.append(stitch([TablePart(rows, header_rows=header_rows or None)]))
        for inner in nested:
            self.table(inner)

    def cell_text(self, tc, nested: list) -> str:
        parts: list[str] = []
        for child in tc:
            if child.tag == W_P:
                t = _clean_para(_paragraph_text(child))
                if t and not is_noise_line(t):
                    parts.append(t)
            elif child.tag == W_TBL:
                nested.append(child)
            elif child.tag in (W_SDT, W_SDTCONTENT):
                for p in child.iter(W_P):
                    parts.append(_clean_para(_paragraph_text(p)))
        text = ""
        for part in parts:
            text = join_wrapped(text, part)
        return text[:MAX_CELL_CHARS]


def _anchor_above(rows: list[list[Cell | None]], r: int, col: int) -> tuple[int, Cell] | None:
    """The cell above row r in column `col` whose vertical merge reaches row r, with its row."""
    for ar in range(r - 1, -1, -1):
        if col < len(rows[ar]) and rows[ar][col] is not None:
            cell = rows[ar][col]
            return (ar, cell) if ar + cell.row_span == r else None
    return None


def _check_zip(data: bytes, path: str) -> zipfile.ZipFile:
    zf = open_zip(data, path, CorruptDocx, "DOCX")
    names = {i.filename for i in zf.infolist()}
    if "word/document.xml" not in names:
        if any(n.startswith("xl/") for n in names):
            raise UnsupportedFormat("an Excel workbook (XLSX), not a Word document", path)
        if any(n.startswith("ppt/") for n in names):
            raise UnsupportedFormat("a PowerPoint deck (PPTX), not a Word document", path)
        if any(n.endswith("content.xml") for n in names) and "mimetype" in names:
            raise UnsupportedFormat("an OpenDocument file (ODT/ODS), not a Word document", path)
        raise CorruptDocx("the package has no word/document.xml", path)
    return zf


def _out_of_memory(zf: zipfile.ZipFile, e: Exception) -> bool:
    """Did an XML parse fail for want of memory? libxml2 reports an allocation
    refused under the memory cap as a syntax error ("unknown error"); a document
    that a streaming parse (little memory) finds well-formed was not broken."""
    from lxml import etree

    if not isinstance(e, etree.LxmlError):
        return False
    try:
        with zf.open("word/document.xml") as f:
            for _, el in etree.iterparse(f, events=("end",), huge_tree=True):
                el.clear()
                while el.getprevious() is not None:
                    del el.getparent()[0]
    except (etree.LxmlError, zipfile.BadZipFile, KeyError, EOFError, OSError):
        return False
    return True


def _page_count(zf: zipfile.ZipFile) -> int | None:
    try:
        xml = zf.read("docProps/app.xml").decode("utf-8", "replace")
    except KeyError:
        return None
    m = re.search(r"<Pages>(\d+)</Pages>", xml)
    return int(m.group(1)) if m else None


# ----------------------------------------------------------------------------- broken packages

_REL = re.compile(rb"<Relationship\b[^>]*?/>|<Relationship\b[^>]*?>.*?</Relationship>", re.S)
_ATTR = re.compile(rb"""\b(Target|TargetMode)\s*=\s*["']([^"']*)["']""")
_WML = "application/vnd.openxmlformats-officedocument.wordprocessingml."
# the content types Word writes, for rebuilding a [Content_Types].xml that is missing or broken
_PART_TYPES = {
    "word/document.xml": _WML + "document.main+xml", "word/styles.xml": _WML + "styles+xml",
    "word/settings.xml": _WML + "settings+xml", "word/fontTable.xml": _WML + "fontTable+xml",
    "word/numbering.xml": _WML + "numbering+xml", "word/footnotes.xml": _WML + "footnotes+xml",
    "word/endnotes.xml": _WML + "endnotes+xml", "word/webSettings.xml": _WML + "webSettings+xml",
    "word/comments.xml": _WML + "comments+xml", "word/theme/theme1.xml": "application/vnd.openxmlformats-officedocument.theme+xml",
    "docProps/core.xml": "application/vnd.openxmlformats-package.core-properties+xml",
    "docProps/app.xml": "application/vnd.openxmlformats-officedocument.extended-properties+xml",
}
_EXTENSION_TYPES = {
    "rels": "application/vnd.openxmlformats-package.relationships+xml", "xml": "application/xml",
    "png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg", "gif": "image/gif", "bmp": "image/bmp",
    "tif": "image/tiff", "tiff": "image/tiff", "emf": "image/x-emf", "wmf": "image/x-wmf", "bin": "application/octet-stream",
}


def _content_types(names: set[str]) -> bytes:
    """A [Content_Types].xml for the parts the package holds."""
    exts = sorted({n.rsplit(".", 1)[-1].lower() for n in names if "." in n.rsplit("/", 1)[-1]})
    rows = [f'<Default Extension="{e}" ContentType="{_EXTENSION_TYPES.get(e, "application/octet-stream")}"/>'
            for e in exts]
    for name in sorted(names):
        kind = _PART_TYPES.get(name)
        if kind is None and re.fullmatch(r"word/(header|footer)\d*\.xml", name):
            kind = _WML + ("header+xml" if "header" in name else "footer+xml")
        if kind:
            rows.append(f'<Override PartName="/{name}" ContentType="{kind}"/>')
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            + "".join(rows) + "</Types>").encode("utf-8")


_EMPTY_RELS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>')


def _parses(xml: bytes) -> bool:
    from lxml import etree

    try:
        etree.fromstring(xml)
        return True
    except etree.XMLSyntaxError:
        return False


def _rels_base(rels_name: str) -> str:
    """word/_rels/document.xml.rels -> word/ (targets are relative to the part's folder)."""
    return rels_name.rsplit("_rels/", 1)[0]


def _resolve(base: str, target: str) -> str:
    import posixpath

    target = target.split("#", 1)[0]
    joined = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
    return posixpath.normpath(joined)


def repair_package(zf: zipfile.ZipFile) -> tuple[bytes, list[str]]:
    """The package with what Word and WPS silently skip taken out: relationships to
    parts that are not there (an image linked to ../NULL) and a content-types part
    that does not parse. Returns the new package and what was changed."""
    names = {i.filename for i in zf.infolist()}
    changes: list[str] = []
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zout:
        for info in zf.infolist():
            body = zf.read(info.filename)
            if info.filename.endswith(".rels") and not _parses(body):
                body = _EMPTY_RELS
                changes.append(f"{info.filename} does not parse: its relationships dropped")
            elif info.filename.endswith(".rels"):
                base = _rels_base(info.filename)
                dropped = 0

                def keep(m: re.Match) -> bytes:
                    nonlocal dropped
                    attrs = dict((k.decode(), v.decode("utf-8", "replace")) for k, v in _ATTR.findall(m.group(0)))
                    if attrs.get("TargetMode", "").lower() == "external" or "Target" not in attrs:
                        return m.group(0)
                    if _resolve(base, attrs["Target"]) in names:
                        return m.group(0)
                    dropped += 1
                    return b""

                body = _REL.sub(keep, body)
                if dropped:
                    changes.append(f"{dropped} relationship(s) in {info.filename} to parts that are not in the package")
            elif info.filename == "[Content_Types].xml" and not _parses(body):
                body = _content_types(names)
                changes.append("[Content_Types].xml does not parse: rebuilt")
            zout.writestr(zipfile.ZipInfo(info.filename, info.date_time), body)  # never zf's own info: writestr changes it
        if "[Content_Types].xml" not in names:
            zout.writestr("[Content_Types].xml", _content_types(names))
            changes.append("[Content_Types].xml is missing: rebuilt")
    return out.getvalue(), changes


def _open_repaired(zf: zipfile.ZipFile, error: Exception, path: str):
    """Open a package python-docx refused, as Word and WPS do: repaired, else the
    body alone from word/document.xml. Only a document.xml that does not parse is corrupt."""
    from docx.oxml import parse_xml

    why = f"{type(error).__name__}: {error}"
    repaired, changes = repair_package(zf)
    if changes:
        try:
            return open_docx(io.BytesIO(repaired)), [f"repaired to read it ({'; '.join(changes)})"]
        except MemoryError:
            raise
        except Exception:
            pass
    try:
        element = parse_xml(zf.read("word/document.xml"))
    except MemoryError:
        raise
    except Exception as e:
        if _out_of_memory(zf, e):
            raise MemoryError("parsing word/document.xml needed more memory than the cap") from None
        raise CorruptDocx(f"word/document.xml cannot be parsed: {type(e).__name__}: {e}", path) from None
    if element.find(qn("w:body")) is None:
        raise CorruptDocx(f"python-docx cannot open it ({why}) and word/document.xml has no body", path)
    return _BodyOnly(element), [f"read word/document.xml alone: the package around it is broken ({why[:200]})"]


class _BodyOnly:
    """What read_docx needs of a python-docx Document, when only the body could be read."""

    class _Part:
        rels: dict = {}

    def __init__(self, element) -> None:
        self.element = element
        self.part = self._Part()


@register("docx", (".docx", ".docm", ".dotx"), sniff_zip, priority=10)
def read_docx(data: bytes, source: Source) -> Document:
    path = source.path
    zf = _check_zip(data, path)
    repairs: list[str] = []
    try:
        doc = open_docx(io.BytesIO(data))
    except MemoryError:
        raise
    except Exception as e:  # python-docx raises KeyError/ValueError/XMLSyntaxError on broken parts
        doc, repairs = _open_repaired(zf, e, path)
    walker = _Walker()
    walker.body(doc.element.body)
    furniture: list[Paragraph] = []
    for rel in doc.part.rels.values():
        kind = rel.reltype.rsplit("/", 1)[-1]
        if kind in ("header", "footer") and not rel.is_external:
            for p in rel.target_part.element.iter(W_P):
                t = _clean_para(_paragraph_text(p))
                if t:
                    furniture.append(Paragraph(t, kind=kind))
    return Document.of(source, _page_count(zf), number_tables(walker.blocks), furniture,
                       [*repairs, *walker.warnings[:20]])
