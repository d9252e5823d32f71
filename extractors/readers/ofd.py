"""OFD notices (GB/T 33190): text objects and ruling lines through the PDF geometry.

An OFD file is a zip of XML: OFD.xml names each document's Document.xml, which
lists the pages (Content.xml) and the templates they draw on. A page's
TextObjects place each glyph exactly (TextCode X/Y plus DeltaX/DeltaY, in mm
inside the object's Boundary, through its CTM) and its PathObjects draw the
table borders. We turn glyphs into `pdf.Char`s and straight path segments into
ruling edges, so line grouping, ruled tables and paragraph rebuilding are the
PDF reader's own (pdf.build_page, pdf.assemble).

Why not a package: the PyPI OFD readers (easyofd/ofdparser, ofdreader, ofdkit)
give text or render to PDF/images, not glyph boxes and rulings in the shape the
table finder needs, and easyofd pulls in a PDF/image stack; lxml reads the XML.

ImageObjects (seals, signatures, scanned stamps) and signature parts are not
text: they are counted and reported in one warning.
"""
from __future__ import annotations

import math
import posixpath
import re
import zipfile
from dataclasses import dataclass

from lxml import etree

from extractors.readers import pdf
from extractors.readers.layout import is_cjk
from extractors.readers.package import open_zip
from extractors.readers.registry import register
from schemas.document import Document, PageInfo, Source
from schemas.errors import CorruptOfd, NoTextLayer, TooLarge
from schemas.settings import setting

MAX_PAGES = setting("NOTICES_MAX_PAGES")
NS = "http://www.ofdspec.org/2016"
PT_PER_MM = 72 / 25.4
# glyph box around the baseline, as a fraction of the font size: the ascent and
# descent pdfium reports for the CJK fonts of the samples (0.88 / 0.12)
ASCENT, DESCENT = 0.88, 0.12

# no DTDs, no entities, no network: the XML comes from an untrusted file
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_LOCAL_HEADER = b"PK\x03\x04"


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


# ----------------------------------------------------------------------------- recognising the bytes


def zip_head_names(head: bytes) -> list[str]:
    """File names of the zip entries whose local headers lie in `head` (the
    central directory is at the end of the file, out of the sniffer's reach)."""
    names = []
    for m in re.finditer(re.escape(_LOCAL_HEADER), head):
        at = m.start()
        if at + 30 > len(head):
            break
        n = int.from_bytes(head[at + 26:at + 28], "little")
        names.append(head[at + 30:at + 30 + n].decode("cp437", "replace"))
    return names


def has_ofd_root(head: bytes) -> bool:
    """A zip whose first entries include OFD.xml (producers write it first)."""
    return head.startswith(_LOCAL_HEADER) and any(n.lower() == "ofd.xml" for n in zip_head_names(head))


def _office_part(name: str) -> bool:
    return name == "[Content_Types].xml" or name.startswith(("word/", "xl/", "ppt/", "_rels/"))


def sniff_ofd(head: bytes, suffix: str) -> bool:
    # an .ofd zip is ours even when OFD.xml is missing (a corrupt OFD), unless
    # it shows Office parts: then it is a DOCX (or XLSX) given the wrong name
    if has_ofd_root(head):
        return True
    return suffix == ".ofd" and head.startswith(_LOCAL_HEADER) and not any(map(_office_part, zip_head_names(head)))


# ----------------------------------------------------------------------------- the package


class _Package:
    """The zip's parts by name (case-insensitively: producers disagree on case)."""

    def __init__(self, data: bytes, path: str):
        self.path = path
        self.zf = open_zip(data, path, CorruptOfd, "OFD")
        self.names = {i.filename.lstrip("/").lower(): i.filename for i in self.zf.infolist()}

    def has(self, name: str) -> bool:
        return name.lower() in self.names

    def xml(self, name: str, what: str):
        real = self.names.get(name.lower())
        if real is None:
            raise CorruptOfd(f"{what} {name} is not in the package", self.path)
        try:
            root = etree.fromstring(self.zf.read(real), _PARSER)
        except etree.XMLSyntaxError as e:
            raise CorruptOfd(f"{what} {name} is not well-formed XML: {e}", self.path) from None
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:  # bad CRC, truncated data
            raise CorruptOfd(f"{what} {name} cannot be inflated: {e}", self.path) from None
        if root.getroottree().docinfo.doctype:
            # OFD never declares a DTD; one is there for entity tricks (XXE, billion laughs)
            raise CorruptOfd(f"{what} {name} declares a DTD, which OFD does not use", self.path)
        return root


def resolve(base_dir: str, loc: str) -> str:
    """A location inside the package: absolute from the root if it starts with
    '/', else relative to the directory of the file that names it."""
    loc = (loc or "").strip().replace("\\", "/")
    joined = loc.lstrip("/") if loc.startswith("/") else posixpath.join(base_dir, loc)
    return posixpath.normpath(joined).lstrip("/")


def _text(el, tag: str) -> str | None:
    found = el.find(f".//{_q(tag)}")
    return found.text.strip() if found is not None and found.text else None


# ----------------------------------------------------------------------------- numbers


# no page measures a kilometre: larger numbers (1e308) are skipped, so sums and
# products of coordinates stay finite
MAX_COORD = 1e6


def numbers(s: str | None) -> list[float]:
    """A space-separated list of numbers; what is not a sane number is skipped."""
    out = []
    for tok in (s or "").split():
        try:
            v = float(tok)
        except ValueError:
            continue
        if math.isfinite(v) and abs(v) <= MAX_COORD:
            out.append(v)
    return out


def box(s: str | None) -> tuple[float, float, float, float] | None:
    """An OFD box "x y w h" (mm)."""
    v = numbers(s)
    return (v[0], v[1], v[2], v[3]) if len(v) >= 4 else None


def deltas(s: str | None, n: int) -> list[float | None]:
    """The first n offsets of a DeltaX/DeltaY list; "g N v" stands for N times v.
    Only n values are expanded, so "g 1000000000 1" costs nothing. A missing
    offset is None (the glyph's own advance, unknown here)."""
    toks = (s or "").split()
    out: list[float | None] = []
    i = 0
    while i < len(toks) and len(out) < n:
        if toks[i] == "g" and i + 2 < len(toks):
            count, value = _count(toks[i + 1]), numbers(toks[i + 2])
            if value:
                out.extend([value[0]] * min(count, n - len(out)))
            i += 3
            continue
        v = numbers(toks[i])
        if v:
            out.append(v[0])
        i += 1
    return out + [None] * (n - len(out))


def _count(tok: str) -> int:
    """The N of "g N v": a whole number of glyphs, 0 when it is none."""
    try:
        v = float(tok)
    except ValueError:
        return 0
    return int(v) if math.isfinite(v) and v > 0 else 0


Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def ctm(s: str | None) -> Matrix:
    v = numbers(s)
    return (v[0], v[1], v[2], v[3], v[4], v[5]) if len(v) >= 6 else IDENTITY


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def scale(m: Matrix) -> float:
    a, b, c, d, _, _ = m
    return math.sqrt(abs(a * d - b * c)) or 1.0


# ----------------------------------------------------------------------------- text objects


@dataclass
class Glyph:
    text: str
    x: float  # origin on the baseline, page mm
    y: float
    size: float  # mm
    advance: float | None  # mm to the next glyph's origin in the same run, if given
    font: str


def text_glyphs(obj) -> list[Glyph]:
    """The glyphs a TextObject places, in page millimetres."""
    bnd = box(obj.get("Boundary")) or (0.0, 0.0, 0.0, 0.0)
    m = ctm(obj.get("CTM"))
    sizes = numbers(obj.get("Size"))
    raw_size = sizes[0] if sizes else 3.5
    size = raw_size * scale(m)
    stretch = math.hypot(m[0], m[1]) or 1.0  # how the CTM scales a step along the baseline
    font = obj.get("Font") or ""
    out: list[Glyph] = []
    x = y = 0.0
    for code in obj.iter(_q("TextCode")):
        text = code.text or ""
        if not text:
            continue
        xs, ys = numbers(code.get("X")), numbers(code.get("Y"))
        x = xs[0] if xs else x  # a code without X/Y goes on where the last one ended
        y = ys[0] if ys else y
        dx, dy = deltas(code.get("DeltaX"), len(text) - 1), deltas(code.get("DeltaY"), len(text) - 1)
        for i, ch in enumerate(text):
            px, py = apply(m, x, y)
            step = dx[i] if i < len(dx) else None
            advance = None if step is None else step * stretch
            out.append(Glyph(ch, bnd[0] + px, bnd[1] + py, size, advance, font))
            x += step if step is not None else _nominal(ch) * raw_size
            y += (dy[i] if i < len(dy) and dy[i] is not None else 0.0)
    return out


def _nominal(ch: str) -> float:
    """A glyph's advance in em when the file does not say: CJK and full-width
    forms are square, the rest about half as wide."""
    return 1.0 if is_cjk(ch) or 0xFF00 <= ord(ch) <= 0xFFEF or 0x3000 <= ord(ch) <= 0x303F else 0.5


def advance_widths(glyphs: list[Glyph]) -> dict[tuple[str, str], float]:
    """Each (font, character)'s advance in em: the smallest step seen after it.
    Steps only add letter-spacing and word gaps to the advance, never take from
    it, so the smallest is the glyph's own width (OFD keeps widths in the font
    file, which we do not read). A smallest step wider than any glyph of its
    kind (1 em for Latin, 1.1 em for CJK) only ever saw gaps: not kept."""
    best: dict[tuple[str, str], float] = {}
    for g in glyphs:
        if g.advance is not None and g.advance > 0 and g.size > 0:
            em = g.advance / g.size
            key = (g.font, g.text)
            if em < best.get(key, math.inf):
                best[key] = em
    return {k: em for k, em in best.items() if em <= (1.1 if _nominal(k[1]) == 1.0 else 1.0)}


def to_chars(glyphs: list[Glyph]) -> list[pdf.Char]:
    """Glyphs -> pdf.Chars in points with a top-left origin: the box spans ascent
    to descent and the glyph's advance (never past the next glyph's origin)."""
    widths = advance_widths(glyphs)
    out = []
    for g in glyphs:
        if g.text in "\r\n":
            continue
        em = widths.get((g.font, g.text), _nominal(g.text))
        w = em * g.size
        if g.advance is not None and g.advance > 0:
            w = min(w, g.advance)
        out.append(pdf.Char(g.text, g.x * PT_PER_MM, (g.y - ASCENT * g.size) * PT_PER_MM,
                            (g.x + w) * PT_PER_MM, (g.y + DESCENT * g.size) * PT_PER_MM))
    return out


# ----------------------------------------------------------------------------- path objects


_PATH_ARGS = {"S": 2, "M": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0}


def path_points(data: str | None) -> list[list[tuple[float, float]]]:
    """AbbreviatedData -> polylines of its straight segments (object mm).
    Curves (Q, B, A) end a polyline: they are never table borders. C closes."""
    toks = (data or "").split()
    lines: list[list[tuple[float, float]]] = []
    cur: list[tuple[float, float]] = []
    i = 0
    while i < len(toks):
        op = toks[i]
        n = _PATH_ARGS.get(op)
        if n is None:
            i += 1  # a stray token: skip it
            continue
        args = numbers(" ".join(toks[i + 1:i + 1 + n]))
        i += 1 + n
        if len(args) < n:
            break
        if op in ("S", "M"):
            if len(cur) > 1:
                lines.append(cur)
            cur = [(args[0], args[1])]
        elif op == "L":
            cur.append((args[0], args[1]))
        elif op == "C":
            if cur:
                cur.append(cur[0])
                lines.append(cur)
                cur = [cur[0]]
        else:
            if len(cur) > 1:
                lines.append(cur)
            cur = [(args[-2], args[-1])]
    if len(cur) > 1:
        lines.append(cur)
    return lines


def path_edges(obj) -> list[dict]:
    """A PathObject's horizontal and vertical segments as ruling edges (points).
    A path whose whole extent is thin (a stroked line, a filled bar) is one edge
    along its middle, as the PDF reader takes it."""
    bnd = box(obj.get("Boundary")) or (0.0, 0.0, 0.0, 0.0)
    m = ctm(obj.get("CTM"))
    polylines = [[_to_page(bnd, m, p) for p in line] for line in path_points(_text_of(obj, "AbbreviatedData"))]
    pts = [p for line in polylines for p in line]
    if not pts:
        return []
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    top, bottom = min(p[1] for p in pts), max(p[1] for p in pts)
    w, h = x1 - x0, bottom - top
    if w < 3 and h >= 3:
        return [pdf.edge((x0 + x1) / 2, top, (x0 + x1) / 2, bottom)]
    if h < 3 and w >= 3:
        return [pdf.edge(x0, (top + bottom) / 2, x1, (top + bottom) / 2)]
    out = []
    for line in polylines:
        for p, q in zip(line, line[1:]):
            out.extend(axis_edge(p, q))
    return out


def _text_of(obj, tag: str) -> str | None:
    el = obj.find(_q(tag))
    return el.text if el is not None else None


def _to_page(bnd, m: Matrix, p: tuple[float, float]) -> tuple[float, float]:
    x, y = apply(m, p[0], p[1])
    return (bnd[0] + x) * PT_PER_MM, (bnd[1] + y) * PT_PER_MM


def axis_edge(p: tuple[float, float], q: tuple[float, float]) -> list[dict]:
    (x0, y0), (x1, y1) = p, q
    if abs(y0 - y1) < 0.5 and abs(x0 - x1) >= 3:
        return [pdf.edge(min(x0, x1), y0, max(x0, x1), y0)]
    if abs(x0 - x1) < 0.5 and abs(y0 - y1) >= 3:
        return [pdf.edge(x0, min(y0, y1), x0, max(y0, y1))]
    return []


# ----------------------------------------------------------------------------- pages


@dataclass
class PageParts:
    glyphs: list[Glyph]
    edges: list[dict]
    images: int


def page_parts(roots: list) -> PageParts:
    """Glyphs, ruling edges and the number of images of a page's content
    (the page itself and its templates)."""
    glyphs: list[Glyph] = []
    edges: list[dict] = []
    images = paths = 0
    for root in roots:
        for el in root.iter(_q("TextObject"), _q("PathObject"), _q("ImageObject")):
            tag = etree.QName(el).localname
            if tag == "TextObject":
                glyphs.extend(text_glyphs(el))
            elif tag == "PathObject":
                paths += 1
                edges.extend(path_edges(el))
            else:
                images += 1
    if paths > pdf.MAX_PATHS_PER_PAGE:
        edges = []  # a drawing, not a table grid (as in the PDF reader)
    return PageParts(glyphs, edges, images)


def page_size(page_root, default: tuple[float, float, float, float] | None) -> tuple[float, float]:
    """The page's PhysicalBox (its own, else the document's), in points."""
    area = page_root.find(_q("Area"))
    own = box(_text(area, "PhysicalBox")) if area is not None else None
    b = own or default or (0.0, 0.0, 210.0, 297.0)  # A4, the size notices are printed at
    return b[2] * PT_PER_MM, b[3] * PT_PER_MM


@dataclass
class PageRef:
    number: int
    loc: str  # package path of Content.xml


def page_refs(doc_root, doc_dir: str) -> list[PageRef]:
    pages = doc_root.find(_q("Pages"))
    found = pages.iter(_q("Page")) if pages is not None else []
    return [PageRef(i + 1, resolve(doc_dir, p.get("BaseLoc") or "")) for i, p in enumerate(found)]


def template_locs(doc_root, doc_dir: str) -> dict[str, str]:
    """TemplatePage ID -> its package path."""
    return {t.get("ID"): resolve(doc_dir, t.get("BaseLoc") or "") for t in doc_root.iter(_q("TemplatePage"))}


def _templates(pkg: _Package, page_root, number: int, locs: dict[str, str], cache: dict) -> list:
    """The parsed templates a page draws on (each parsed once per file)."""
    out = []
    for t in page_root.iter(_q("Template")):
        loc = locs.get(t.get("TemplateID"))
        if not loc or not pkg.has(loc):
            continue  # a missing template loses decoration, not the page's text
        if loc not in cache:
            cache[loc] = pkg.xml(loc, f"page {number}'s template")
        out.append(cache[loc])
    return out


def _default_box(doc_root) -> tuple[float, float, float, float] | None:
    common = doc_root.find(_q("CommonData"))
    return box(_text(common, "PhysicalBox")) if common is not None else None


def doc_root_loc(pkg: _Package) -> str:
    if not pkg.has("OFD.xml"):
        raise CorruptOfd("the package has no OFD.xml", pkg.path)
    ofd = pkg.xml("OFD.xml", "the entry file")
    loc = _text(ofd, "DocRoot")
    if not loc:
        raise CorruptOfd("OFD.xml names no DocRoot (Document.xml)", pkg.path)
    return resolve("", loc)


def ignored_note(images: int, signatures: int) -> str | None:
    """The warning that seals, signatures and other images were not read."""
    parts = [f"{n} {what}{'s' if n != 1 else ''}" for n, what in ((images, "image"), (signatures, "signature")) if n]
    return f"{' and '.join(parts)} ignored (seals, signatures and pictures are not text)" if parts else None


def _signatures(pkg: _Package) -> int:
    return sum(1 for n in pkg.names if n.endswith("signature.xml"))


@register("ofd", (".ofd",), sniff_ofd, priority=8)
def read_ofd(data: bytes, source: Source) -> Document:
    path = source.path
    pkg = _Package(data, path)
    doc_loc = doc_root_loc(pkg)
    doc_dir = posixpath.dirname(doc_loc)
    doc_root = pkg.xml(doc_loc, "the document")
    default_box, locs, cache = _default_box(doc_root), template_locs(doc_root, doc_dir), {}
    refs = page_refs(doc_root, doc_dir)
    if not refs:
        raise CorruptOfd(f"{doc_loc} lists no pages", path)
    if len(refs) > MAX_PAGES:
        raise TooLarge(f"{len(refs)} pages is over the {MAX_PAGES:,}-page limit", path)
    pages, images = [], 0
    for ref in refs:
        root = pkg.xml(ref.loc, f"page {ref.number}'s content")
        parts = page_parts([root, *_templates(pkg, root, ref.number, locs, cache)])
        images += parts.images
        width, height = page_size(root, default_box)
        pages.append(pdf.build_page(ref.number, width, height, to_chars(parts.glyphs), parts.edges))
    if sum(p.n_chars for p in pages) == 0:
        raise NoTextLayer(f"no text on any of its {len(pages)} pages (scanned images? OFD pages are not OCR'd)", path)
    blocks, furniture = pdf.assemble(pages)
    warnings = [w for p in pages for w in p.warnings]
    note = ignored_note(images, _signatures(pkg))
    if note:
        warnings.append(note)
    empty = [p.number for p in pages if p.n_chars == 0]
    if empty:
        warnings.append(f"pages without text: {empty[:20]}")
    info = [PageInfo(p.number, "text_layer" if p.n_chars else "none") for p in pages]
    return Document.of(source, len(pages), blocks, furniture, warnings, pages=info)
