"""Web pages saved from government portals (.html, .htm, .mhtml) -> Document.

A notice's page on a portal holds far more than the notice: navigation, the
portal's labelled information block (索引号, 发布机构, 发文字号, 成文日期...),
share widgets, related links, footers. We parse with lxml's HTML parser (libxml2:
fast, tolerant of the broken markup CMS templates write) and then:

* decode from the bytes: UTF-8 if the page is valid UTF-8 (some pages declare
  gb2312 and are not), else the declared charset, else GB18030 (a superset of
  GB2312/GBK), else the text reader's detection;
* drop scripts, styles, hidden elements and boilerplate (ids/classes in
  data/html.toml, and <nav>/<aside>/<footer>);
* take the information block out as "label：value" paragraphs at the front,
  where the metadata extractor looks for it;
* choose the main content as the element with the most text that is not link
  text (link text counts against it: a menu is all links), so the article's
  wrapper with its title wins over both the whole page and a single paragraph;
* keep real <table>s as tables, rowspan/colspan as merged cells; a table used
  for page layout (one column, or cells that hold other tables or whole
  articles) is read as the flow of text it lays out;
* list the attachment links (text, href).

We do not use a general main-content extractor (trafilatura, readability): on
portal pages they drop the information block and flatten tables to text, the two
things a notice needs most.
"""
from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree
from lxml import html as lxml_html

from extractors import vocab
from extractors.info_block import labelled_fields
from extractors.readers.layout import clean_text, is_noise_line, join_wrapped
from extractors.readers.registry import register
from extractors.readers.tables import MAX_CELL_CHARS, MAX_TABLE_CELLS, TablePart, fill_unclaimed, number_tables, stitch
from extractors.readers.text import decode_text
from schemas.document import Block, Cell, Document, Paragraph, Source
from schemas.errors import NoContent, TooLarge

MAX_SPAN = 1000  # a colspan/rowspan beyond this is a typo or an attack; browsers clamp too (HTML: 1000/65534)
_HTML_TAGS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta ", b"<title", b"<div", b"<table")
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_DROP_TAGS = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas", "select",
              "option", "button", "input", "textarea", "map", "audio", "video", "head", "nav", "aside", "footer"}
_BLOCK_TAGS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "blockquote", "pre", "center",
               "section", "article", "header", "main", "ul", "ol", "dl", "address", "figure", "figcaption", "hr",
               "form", "tr", "td", "th", "caption", "table", "tbody", "thead", "tfoot", "body", "fieldset", "legend"}
_BLANKS = re.compile(r"[ \t\r\f\v]+")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_TITLE_WORDS = ("通知", "方案", "安排", "要点", "意见", "办法", "决定", "公告", "通告", "通报", "函", "规划", "计划", "细则")
_TITLE_SEPARATORS = re.compile(r"\s*(?:[_|｜]|--|——|-\s)\s*")


@lru_cache(maxsize=1)
def _vocab() -> dict:
    return vocab.table("html.toml")


# ----------------------------------------------------------------------------- bytes -> text


def sniff_html(head: bytes, suffix: str) -> bool:
    """Markup near the start (after a BOM, blanks and comments), or an MHTML archive."""
    probe = head[:4096]
    if probe.startswith((b"\xff\xfe", b"\xfe\xff")):
        probe = probe.decode("utf-16", "ignore").encode("utf-8")
    probe = probe.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if _is_mhtml(probe):
        return True
    return probe.startswith(b"<") and any(tag in probe[:2048] for tag in _HTML_TAGS)


def _is_mhtml(probe: bytes) -> bool:
    start = probe[:2048].lower()
    return b"mime-version:" in start and b"multipart/related" in start


def _html_of_mhtml(data: bytes, path: str) -> tuple[bytes, str | None]:
    """The first text/html part of an MHTML archive (what the browser saved), and its charset."""
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in msg.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            if payload:
                return payload, part.get_content_charset()
    raise NoContent("an MHTML archive without a text/html part", path)


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = name.lower().strip()
    if name in ("gb2312", "gbk", "gb_2312-80", "x-gbk", "cp936", "euc-cn", "hz-gb-2312"):
        return "gb18030"  # GB18030 decodes every GB2312/GBK page, and the characters those lack
    try:
        import codecs

        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_html(data: bytes, path: str, declared: str | None = None) -> tuple[str, str]:
    """(text, encoding) of a page: valid UTF-8 first, then the declared charset,
    then GB18030, then the text reader's detection."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace"), "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace"), "utf-16"
    if declared is None:
        m = _META_CHARSET.search(data[:16384])
        declared = m.group(1).decode("ascii", "ignore") if m else None
    tried = []
    for enc in ("utf-8", _codec(declared), "gb18030"):
        if enc and enc not in tried:
            tried.append(enc)
            try:
                return data.decode(enc), enc
            except (UnicodeDecodeError, LookupError):
                continue
    return decode_text(data, path)


# ----------------------------------------------------------------------------- the tree


def _classes(el) -> str:
    return f"{el.get('id') or ''} {el.get('class') or ''}".lower()


def _is_boilerplate(el) -> bool:
    names = _classes(el)
    if not names.strip():
        return False
    v = _vocab()["boilerplate"]
    return any(w in names for w in v["words"]) and not any(w in names for w in v["keep"])


def _hidden(el) -> bool:
    return el.get("hidden") is not None or bool(_HIDDEN_STYLE.search(el.get("style") or ""))


@dataclass
class _Size:
    chars: int = 0  # visible characters, blanks excluded
    link: int = 0  # of which inside <a>


def _sizes(root) -> dict:
    """Characters and link characters of every element, in one pass from the leaves up."""
    sizes: dict = {}
    for el in reversed(list(root.iter(etree.Element))):
        s = _Size(_count(el.text))
        for child in el:
            if not isinstance(child.tag, str):
                s.chars += _count(child.tail)
                continue
            cs = sizes[child]
            s.chars += cs.chars + _count(child.tail)
            s.link += cs.link
        if el.tag == "a" and not _is_attachment(el):
            s.link = s.chars  # a link to an attached file is part of the notice, not navigation
        sizes[el] = s
    return sizes


def _count(text: str | None) -> int:
    return len("".join(text.split())) if text else 0


def _clean_tree(root) -> None:
    """Remove what is never the notice: scripts, hidden text, navigation, boilerplate.
    An element that holds a lot of text that is not links is kept whatever its name
    (a wrapper called "main-nav-content" may hold the article)."""
    for el in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        _remove(el)
    sizes = _sizes(root)
    doomed = []
    for el in root.iter(etree.Element):
        tag = el.tag
        if tag in ("html", "body"):
            continue
        if tag in _DROP_TAGS or _hidden(el):
            doomed.append(el)
        elif tag == "header" or _is_boilerplate(el):
            s = sizes[el]
            if s.chars - s.link < 300 or s.link > 0.3 * s.chars:
                doomed.append(el)
    for el in doomed:
        if el.getparent() is not None:
            _remove(el)


def _remove(el) -> None:
    """Drop an element but keep the text that follows it (its tail)."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


# ----------------------------------------------------------------------------- the information block


def _as_label_line(text: str) -> str:
    """A bare label (发布机构) gets the colon the matcher wants."""
    t = text.strip()
    return t if re.search(r"[：:]", t) else t + "："


def _label_of(text: str) -> bool:
    """Is the text a bare label (发布机构, 发布机构：) or "label：value"?"""
    t = text.strip()
    return bool(t) and len(t) <= 200 and bool(labelled_fields(_as_label_line(t)))


def _pieces(el) -> list[str]:
    """The element's text nodes, each cleaned, in document order."""
    return [clean_text(t) for t in el.itertext() if t.strip()]


def _info_pairs(pieces: list[str]) -> list[str]:
    """Label and value pieces -> "label：value" lines (a label alone takes the next piece)."""
    lines: list[str] = []
    i = 0
    while i < len(pieces):
        p = pieces[i]
        fields = labelled_fields(_as_label_line(p))
        if fields and len(fields) == 1 and not fields[0][2] and i + 1 < len(pieces) and not _label_of(pieces[i + 1]):
            lines.append(f"{fields[0][1]}：{pieces[i + 1]}")
            i += 2
            continue
        if fields and any(v for _, _, v in fields):
            lines.append(p)
        i += 1
    return lines


def _take_info_block(root) -> list[str]:
    """Find the information block (the smallest element around three or more
    labels, made mostly of labels and values), remove it from the tree and
    return its "label：value" lines."""
    labelled = [el for el in root.iter(etree.Element)
                if el.tag not in ("html", "body") and len(el) <= 3 and el.text and _label_of(el.text)]
    if len(labelled) < 2:
        return []
    need = min(3, len(labelled))
    inside: dict = {}  # element -> labels below it, counted once per label (linear, not quadratic)
    for el in labelled:
        for node in el.iterancestors():
            inside[node] = inside.get(node, 0) + 1
    candidates = []
    for el in labelled:
        for node in el.iterancestors():
            if node.tag in ("html", "body"):
                break
            if inside[node] >= need:
                candidates.append((inside[node], node))
                break
    for _, block in sorted(candidates, key=lambda c: -c[0]):
        lines = _info_pairs(_pieces(block))
        # an article with a few labels in it is not the block: the block is its labels and values
        if len(lines) >= 2 and sum(_count(x) for x in lines) >= 0.6 * _count(block.text_content()):
            _remove(block)
            return lines
    return []


def _is_ancestor(node, el) -> bool:
    p = el.getparent()
    while p is not None:
        if p is node:
            return True
        p = p.getparent()
    return False


# ----------------------------------------------------------------------------- main content


def _main_content(root) -> tuple:
    """The element with the most text that is not link text (link text counts
    against it three times over: a menu is all links); among equals the deepest.
    Returns it with its size."""
    body = root.find("body")
    if body is None:
        body = root
    hints = _vocab()["content"]["words"]
    sizes = _sizes(body)
    scored = []
    for el, s in sizes.items():
        score = s.chars - 3 * s.link
        if any(w in _classes(el) for w in hints):
            score *= 1.05  # a CMS's own name for its article box breaks near-ties
        scored.append((score, el))
    top = max(score for score, _ in scored)
    if top <= 0:
        return body, sizes[body]
    near = [el for score, el in scored if score >= top * 0.995]
    best = max(near, key=lambda el: sum(1 for _ in el.iterancestors()))
    return best, sizes[best]


def _head_titles(root) -> list[str]:
    """Title candidates of the page's <head>, read before it is dropped: the CMS's
    ArticleTitle, then <title> without the portal's name."""
    out = [clean_text(t) for t in root.xpath("//meta[@name='ArticleTitle' or @name='articletitle']/@content")]
    for t in root.xpath("//title/text()"):
        first = _TITLE_SEPARATORS.split(clean_text(t))[0]
        if any(w in first for w in _TITLE_WORDS):
            out.append(first)
    return [t for t in out if t]


def _page_title(root, content, head_titles: list[str]) -> str | None:
    """The notice's title when the chosen content lacks it: a heading outside the
    content, else the head's title."""
    for el in content.iter("h1", "h2", "h3"):
        if _count(el.text_content()) >= 6:
            return None
    for el in root.iter("h1", "h2"):
        text = clean_text(el.text_content())
        if any(w in text for w in _TITLE_WORDS) and len(text) >= 6 and not _is_ancestor(content, el):
            return text
    return head_titles[0] if head_titles else None


# ----------------------------------------------------------------------------- content -> blocks


class _Flow:
    """Walks the content in document order, collecting paragraphs and tables."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.line = ""
        self.cells = 0

    def add(self, text: str | None) -> None:
        """Inline text: blanks collapse as a browser collapses them, and a source
        line break between two CJK characters is no space at all."""
        if not text:
            return
        for k, piece in enumerate(text.split("\n")):
            piece = _BLANKS.sub(" ", piece)
            self.line = self.line + piece if k == 0 else join_wrapped(self.line.rstrip(" "), piece.lstrip(" "))

    def flush(self) -> None:
        text = clean_text(self.line)
        self.line = ""
        if text and not is_noise_line(text):
            self.blocks.append(Paragraph(text))

    def walk(self, el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "table":
            self.flush()
            if _is_layout_table(el):
                for cell in _layout_cells(el):
                    self.walk(cell)
                    self.flush()
            else:
                self.table(el)
            return
        if tag == "br":
            self.flush()
            return
        block = tag in _BLOCK_TAGS
        if block:
            self.flush()
        self.add(el.text)
        for child in el:
            if isinstance(child.tag, str):
                self.walk(child)
            self.add(child.tail)
        if block:
            self.flush()

    def table(self, tbl) -> None:
        nested: list = []
        grid, header_rows = _table_grid(tbl, nested, self)
        if grid:
            self.blocks.append(stitch([TablePart(grid, header_rows=header_rows or None)]))
        for inner in nested:
            self.walk(inner)


def _rows(tbl) -> list:
    """The table's own rows (<tr> directly or in thead/tbody/tfoot), not a nested table's."""
    out = []
    for child in tbl:
        if child.tag == "tr":
            out.append(child)
        elif child.tag in ("thead", "tbody", "tfoot"):
            out.extend(tr for tr in child if tr.tag == "tr")
    return out


def _cells(tr) -> list:
    return [c for c in tr if c.tag in ("td", "th")]


def _is_layout_table(tbl) -> bool:
    """A table that lays out a page, not one of data: one column, or a cell that
    holds another table, a whole article, headings or a menu."""
    rows = _rows(tbl)
    if not rows:
        return True
    widths = [sum(_span(c, "colspan") for c in _cells(tr)) for tr in rows]
    if max(widths, default=0) <= 1:
        return True
    for tr in rows:
        for c in _cells(tr):
            if c.find(".//table") is not None or _count(c.text_content()) > 800:
                return True
            if any(c.iter("h1", "h2", "h3", "ul", "ol")) or sum(1 for _ in c.iter("p")) >= 4:
                return True  # a cell that holds a page's parts: headings, menus, an article
            links = [_count(a.text_content()) for a in c.iter("a")]
            if len(links) >= 3 and sum(links) > 0.5 * _count(c.text_content()):
                return True  # a menu column beside the content
    return False


def _layout_cells(tbl) -> list:
    return [c for tr in _rows(tbl) for c in _cells(tr)]


def _span(cell, attr: str) -> int:
    raw = (cell.get(attr) or "1").strip()
    digits = re.match(r"\d+", raw)
    n = int(digits.group()) if digits else 1
    return max(1, min(n, MAX_SPAN))


def _cell_text(cell, nested: list) -> str:
    """A cell's paragraphs (<p>, <div>, <br>) joined as wrapped lines are; nested tables apart."""
    inner = _Flow()
    for t in list(cell.iter("table")):  # read after this table, as the DOCX reader does
        nested.append(t)
        _remove(t)
    inner.add(cell.text)
    for child in cell:
        if isinstance(child.tag, str):
            inner.walk(child)
        inner.add(child.tail)
    inner.flush()
    text = ""
    for b in inner.blocks:
        if isinstance(b, Paragraph):
            text = join_wrapped(text, b.text)
    return text[:MAX_CELL_CHARS]


def _table_grid(tbl, nested: list, flow: _Flow) -> tuple[list[list[Cell | None]], int]:
    """HTML's table model: each cell takes the first free grid position of its row;
    rowspan reserves positions below."""
    rows = _rows(tbl)
    grid: list[list[Cell | None]] = []
    taken: list[list[bool]] = []
    header_rows = 0
    in_header = True
    for r, tr in enumerate(rows):
        while len(grid) <= r:
            grid.append([])
            taken.append([])
        cells = _cells(tr)
        is_header = tr.getparent().tag == "thead" or (cells and all(c.tag == "th" for c in cells))
        if in_header and is_header:
            header_rows += 1
        else:
            in_header = False
        col = 0
        for c in cells:
            while col < len(taken[r]) and taken[r][col]:
                col += 1
            cs = _span(c, "colspan")
            rs = min(_span(c, "rowspan"), len(rows) - r)
            flow.cells += cs * rs
            if flow.cells > MAX_TABLE_CELLS:
                raise TooLarge(f"more than {MAX_TABLE_CELLS:,} table cells")
            for dr in range(rs):
                rr = r + dr
                while len(grid) <= rr:
                    grid.append([])
                    taken.append([])
                for dc in range(cs):
                    cc = col + dc
                    while len(taken[rr]) <= cc:
                        taken[rr].append(False)
                        grid[rr].append(None)
                    taken[rr][cc] = True
            grid[r][col] = Cell(_cell_text(c, nested), rs, cs)
            col += cs
    grid = grid[: len(rows)]
    taken = taken[: len(rows)]
    width = max((len(row) for row in grid), default=0)
    if width == 0:
        return [], 0
    fill_unclaimed(grid, taken, width)  # a row shorter than the table: browsers leave the place empty
    if not any(cell is not None and cell.text for row in grid for cell in row):
        return [], 0
    return grid, header_rows


# ----------------------------------------------------------------------------- links


def _is_attachment(a) -> bool:
    href = (a.get("href") or "").strip()
    path = href.split("?", 1)[0].split("#", 1)[0].lower()
    return bool(href) and (path.endswith(tuple(_vocab()["attachment"]["suffixes"]))
                           or (a.text or "").lstrip().startswith("附件"))


def _attachment_links(root) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for a in root.iter("a"):
        if _is_attachment(a):
            link = (clean_text(a.text_content()), a.get("href").strip())
            if link not in out:
                out.append(link)
    return out


# ----------------------------------------------------------------------------- reader


def parse_html(text: str, path: str = "") -> tuple[list[Block], list[tuple[str, str]], list[str]]:
    """Page text -> (blocks, attachment links, warnings)."""
    text = _XML_DECL.sub("", text, count=1).replace("\x00", "")
    if not text.strip():
        raise NoContent("the web page is empty", path)
    # libxml2 stops at 256 levels of nesting (huge_tree lifts that, and our walk would then
    # recurse as deep): what lies deeper is lost, with a warning
    parser = lxml_html.HTMLParser(remove_comments=True, huge_tree=False)
    try:
        root = lxml_html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as e:
        raise NoContent(f"no HTML document in it: {e}", path) from None
    too_deep = any("depth" in str(err.message).lower() for err in parser.error_log)
    warnings = ["the page nests elements deeper than 256 levels: the text inside them is lost"] if too_deep else []
    head_titles = _head_titles(root)
    _clean_tree(root)
    links = _attachment_links(root)
    info = _take_info_block(root)
    content, size = _main_content(root)
    title = _page_title(root, content, head_titles)
    flow = _Flow()
    flow.walk(content)
    flow.flush()
    if not flow.blocks or (size.link and size.chars - size.link < 10):
        why = "nested too deep to read" if too_deep else ("only links (an index page?)" if flow.blocks else "no text in its body")
        raise NoContent(f"the web page has {why}", path)
    blocks: list[Block] = [Paragraph(line, kind="info") for line in info]
    if title and not any(isinstance(b, Paragraph) and b.text == title for b in flow.blocks[:10]):
        blocks.append(Paragraph(title))
    blocks.extend(flow.blocks)
    return number_tables(blocks), links, warnings


@register("html", (".html", ".htm", ".shtml", ".xhtml", ".mhtml", ".mht"), sniff_html, priority=50)
def read_html(data: bytes, source: Source) -> Document:
    path = source.path
    warnings: list[str] = []
    declared = None
    if _is_mhtml(data[:4096].lstrip().lower()):
        data, declared = _html_of_mhtml(data, path)
        warnings.append("the web page of an MHTML archive")
    text, encoding = decode_html(data, path, declared)
    if encoding not in ("utf-8", "utf_8"):
        warnings.append(f"decoded as {encoding}")
    blocks, links, more = parse_html(text, path)
    return Document.of(source, None, blocks, [], [*warnings, *more], links=links)
