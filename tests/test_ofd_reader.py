"""OFD reader: the fixtures rendered from the sample PDFs (samples/build_ofd.py)
read as their PDFs do, score on the gold, ignore seals, and bad packages fail
with corrupt_ofd."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from extractors.readers import ofd
from extractors.readers.registry import detect_format, read_bytes
from pipeline.evaluate import evaluate
from schemas.errors import NoticeError

ROOT = Path(__file__).resolve().parent.parent
FORMATS_DIR = ROOT / "samples" / "formats"
STEMS = sorted(p.stem for p in (ROOT / "samples" / "notices").glob("*.pdf"))
NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'


def fixture(stem: str) -> bytes:
    return (FORMATS_DIR / f"{stem}.ofd").read_bytes()


def parts_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i.filename) for i in zf.infolist()}


def package(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in parts.items():
            zf.writestr(name, body)
    return buf.getvalue()


def read(data: bytes, name: str = "notice.ofd"):
    return read_bytes(data, name)


def error_of(data: bytes, name: str = "notice.ofd") -> NoticeError:
    with pytest.raises(NoticeError) as e:
        read(data, name)
    return e.value


def shapes(doc) -> list[tuple[int, int, int]]:
    return [(len(t.header), len(t.rows), t.n_cols) for t in doc.tables()]


# ----------------------------------------------------------------------------- the fixtures


@pytest.fixture(scope="module")
def pdf_docs():
    return {s: read_bytes((ROOT / "samples" / "notices" / f"{s}.pdf").read_bytes(), f"{s}.pdf") for s in STEMS}


@pytest.mark.parametrize("stem", STEMS)
def test_fixture_reads_as_its_pdf(stem, pdf_docs):
    pdf_doc, doc = pdf_docs[stem], read(fixture(stem), f"{stem}.ofd")
    assert doc.format == "ofd"
    assert doc.page_count == pdf_doc.page_count
    assert [p.text_from for p in doc.pages] == ["text_layer"] * pdf_doc.page_count
    assert [b.text for b in doc.paragraphs()] == [b.text for b in pdf_doc.paragraphs()]
    assert shapes(doc) == shapes(pdf_doc)
    assert [t.filled_rows() for t in doc.tables()] == [t.filled_rows() for t in pdf_doc.tables()]
    assert [p.text for p in doc.furniture] == [p.text for p in pdf_doc.furniture]


def test_every_sample_pdf_has_an_ofd_fixture():
    assert STEMS and all((FORMATS_DIR / f"{s}.ofd").exists() for s in STEMS)


def test_fixture_tables_are_found():
    # the samples with schedules: 001's 39 rows, 002's 71; the reader must find them from PathObjects
    rows = {s: [len(t.rows) for t in read(fixture(s)).tables()] for s in STEMS}
    assert rows[next(s for s in STEMS if s.startswith("001"))] == [39]
    assert rows[next(s for s in STEMS if s.startswith("002"))] == [71]


def test_eval_rows_f1_on_the_ofd_fixtures():
    report = evaluate(ROOT / "samples" / "gold", FORMATS_DIR, formats=("ofd",))
    assert len(report.files) == len(STEMS)
    assert [f.error for f in report.files] == [None] * len(STEMS)
    for f in report.files:
        assert f.scores["rows"].f1 >= 0.95, f.source
    assert report.failures(0.95) == []


def test_seal_is_ignored_with_a_warning():
    stem = STEMS[0]
    parts = parts_of(fixture(stem))
    assert any(b"<ofd:ImageObject" in body for name, body in parts.items() if name.endswith("Content.xml"))
    doc = read(fixture(stem))
    assert "1 image ignored (seals, signatures and pictures are not text)" in doc.warnings


def test_signatures_are_counted():
    parts = parts_of(fixture(STEMS[0]))
    parts["Doc_0/Signs/Sign_0/Signature.xml"] = f"<ofd:Signature {NS}/>".encode()
    assert "1 image and 1 signature ignored (seals, signatures and pictures are not text)" in read(package(parts)).warnings


# ----------------------------------------------------------------------------- bad packages


def _without(name):
    return lambda parts: parts.pop(name)


def _cut(name, n):
    return lambda parts: parts.__setitem__(name, parts[name][:n])


BROKEN_PACKAGES = [
    # (what is wrong, how to break the fixture, the message (its start, for a parser's words after it))
    ("no OFD.xml", _without("OFD.xml"), "the package has no OFD.xml$"),
    ("broken Content.xml", _cut("Doc_0/Pages/Page_1/Content.xml", 500),
     "page 2's content Doc_0/Pages/Page_1/Content.xml is not well-formed XML"),
    ("dangling page", _without("Doc_0/Pages/Page_2/Content.xml"),
     "page 3's content Doc_0/Pages/Page_2/Content.xml is not in the package$"),
]


@pytest.mark.parametrize("what,breakage,message", BROKEN_PACKAGES, ids=[c[0] for c in BROKEN_PACKAGES])
def test_a_broken_package_is_corrupt_ofd_in_one_line(what, breakage, message):
    parts = parts_of(fixture(STEMS[0]))
    breakage(parts)
    e = error_of(package(parts))
    exact = message.endswith("$")
    assert e.code == "corrupt_ofd" and "\n" not in e.message
    assert e.message == message[:-1] if exact else e.message.startswith(message)


def test_doc_root_missing_or_unnamed():
    parts = parts_of(fixture(STEMS[0]))
    del parts["Doc_0/Document.xml"]
    assert error_of(package(parts)).message == "the document Doc_0/Document.xml is not in the package"
    parts = parts_of(fixture(STEMS[0]))
    parts["OFD.xml"] = f"<ofd:OFD {NS}><ofd:DocBody/></ofd:OFD>".encode()
    assert error_of(package(parts)).message == "OFD.xml names no DocRoot (Document.xml)"


def test_truncated_package():
    e = error_of(fixture(STEMS[0])[:3000])
    assert e.code == "corrupt_ofd" and e.message.startswith("not a valid OFD (zip) package")


def test_zip_bomb(monkeypatch):
    monkeypatch.setattr("extractors.readers.package.MAX_UNZIPPED_BYTES", 10_000)  # the fixture inflates to more than this
    e = error_of(fixture(STEMS[0]))
    assert e.code == "zip_bomb" and "limit 10,000" in e.message


def content_with_dtd(dtd: str, ref: str) -> str:
    return (f'<?xml version="1.0"?><!DOCTYPE p [{dtd}]><ofd:Page {NS}><ofd:Content><ofd:Layer>'
            f'<ofd:TextObject Boundary="0 0 100 10" Size="4"><ofd:TextCode X="0" Y="4">{ref}正文</ofd:TextCode>'
            '</ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>')


def test_entities_are_refused():
    laughs = '<!ENTITY a "aaaaaaaaaa">' + "".join(f'<!ENTITY {c} "{("&" + p + ";") * 10}">' for p, c in zip("abcdefg", "bcdefgh"))
    e = error_of(minimal([content_with_dtd(laughs, "&h;")]))
    assert e.code == "corrupt_ofd" and "\n" not in e.message
    e = error_of(minimal([content_with_dtd('<!ENTITY x SYSTEM "file:///etc/hostname">', "&x;")]))
    assert (e.code, e.message) == ("corrupt_ofd", "page 1's content Doc_0/Pages/Page_0/Content.xml declares a DTD, which OFD does not use")


def test_absurd_numbers_are_skipped():
    # 1e308 mm overflowed to inf in points and broke rounding in the layout
    assert ofd.numbers("1e308 inf nan 2 x -3") == [2.0, -3.0]
    huge = page(text(20, 30, "正文内容。", size=4).replace('Boundary="20 30', 'Boundary="1e308 1e308'),
                text(20, 60, "第二段。", size=4, ctm="1e300 0 0 1e300 0 0"))
    doc = read(minimal([huge]))
    assert "第二段。" in doc.text()


# ----------------------------------------------------------------------------- format detection


def test_an_ofd_named_zip_or_docx_is_read_as_ofd():
    data = fixture(STEMS[0])
    for name in ("notice.zip", "notice.docx", "notice"):
        assert detect_format(data, name).format == "ofd"
    doc = read(data, "notice.zip")
    assert doc.format == "ofd" and "content is ofd although the name ends in .zip" in doc.warnings


def test_a_docx_named_ofd_is_read_as_docx():
    data = (ROOT / "samples" / "notices" / f"{STEMS[0]}.docx").read_bytes()
    assert detect_format(data, "notice.ofd").format == "docx"


def test_a_zip_named_ofd_without_ofd_xml_is_a_corrupt_ofd():
    data = package({"readme.txt": b"hello"})
    assert detect_format(data, "notice.ofd").format == "ofd"
    assert error_of(data).code == "corrupt_ofd"


# ----------------------------------------------------------------------------- geometry on hand-made pages


def minimal(pages: list[str], templates: dict[str, str] | None = None) -> bytes:
    """An OFD of the given page Content.xml bodies (A4, one document)."""
    tpl = "".join(f'<ofd:TemplatePage ID="{k}" BaseLoc="Tpl_{k}.xml"/>' for k in (templates or {}))
    document = (f'<ofd:Document {NS}><ofd:CommonData><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox>'
                f'</ofd:PageArea>{tpl}</ofd:CommonData><ofd:Pages>'
                + "".join(f'<ofd:Page ID="{i + 10}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(pages)))
                + "</ofd:Pages></ofd:Document>")
    parts = {"OFD.xml": f"<ofd:OFD {NS}><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
             "Doc_0/Document.xml": document}
    for i, body in enumerate(pages):
        parts[f"Doc_0/Pages/Page_{i}/Content.xml"] = body
    for k, body in (templates or {}).items():
        parts[f"Doc_0/Tpl_{k}.xml"] = body
    return package({k: v.encode("utf-8") for k, v in parts.items()})


def page(*objects: str, extra: str = "") -> str:
    return f'<ofd:Page {NS}>{extra}<ofd:Content><ofd:Layer>{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>'


def text(x: float, y: float, s: str, size: float = 5.0, delta: str | None = None, ctm: str | None = None) -> str:
    d = f' DeltaX="{delta}"' if delta else ""
    c = f' CTM="{ctm}"' if ctm else ""
    return (f'<ofd:TextObject Boundary="{x} {y} 150 {size * 1.5}" Size="{size}"{c}>'
            f'<ofd:TextCode X="0" Y="{size}"{d}>{s}</ofd:TextCode></ofd:TextObject>')


def rect(x: float, y: float, w: float, h: float) -> str:
    return (f'<ofd:PathObject Boundary="{x} {y} {w + 1} {h + 1}" LineWidth="0.3">'
            f'<ofd:AbbreviatedData>M 0 0 L {w} 0 L {w} {h} L 0 {h} C</ofd:AbbreviatedData></ofd:PathObject>')


def chars_of(obj: str):
    """pdf.Chars of one TextObject on a page of its own."""
    (el,) = ofd.etree.fromstring(page(obj)).iter(f"{{{ofd.NS}}}TextObject")
    return ofd.to_chars(ofd.text_glyphs(el))


def test_deltax_shorthand_places_glyphs():
    chars = chars_of(text(10, 20, "一二三四", delta="g 2 6 7"))
    mm = 72 / 25.4
    assert [round(c.x0 / mm, 3) for c in chars] == [10, 16, 22, 29]
    assert all(round(c.bottom - c.top, 3) == round(5 * mm, 3) for c in chars)


def test_deltas_expand_only_what_is_needed():
    assert ofd.deltas("g 1000000000 1", 3) == [1.0, 1.0, 1.0]
    assert ofd.deltas("2 g 2 3", 5) == [2.0, 3.0, 3.0, None, None]
    assert ofd.deltas(None, 2) == [None, None]


def test_ctm_scales_the_text():
    chars = chars_of(text(0, 0, "字字", size=5, delta="5", ctm="2 0 0 2 0 0"))
    mm = 72 / 25.4
    assert round(chars[1].x0 / mm, 3) == 10  # the step is scaled too
    assert round((chars[0].bottom - chars[0].top) / mm, 3) == 10


def test_word_gaps_survive_between_latin_words():
    # no space glyph: the word gap is in DeltaX only (b's one step, 1.5 em, is no glyph's width)
    doc = read(minimal([page(text(20, 30, "abab", size=4, delta="2 6 2"), text(20, 60, "正文", size=4))]))
    assert next(doc.paragraphs()).text == "ab ab"


def test_glyph_width_is_the_smallest_step():
    glyphs = ofd.text_glyphs(ofd.etree.fromstring(page(text(0, 0, "aaaw", size=4, delta="2.5 2 6"))).find(
        f".//{{{ofd.NS}}}TextObject"))
    assert ofd.advance_widths(glyphs) == {("", "a"): 0.5}  # w's only step (1.5 em) is a gap, not a width


def test_ruled_table_from_closed_paths():
    cells = [rect(20 + 40 * c, 40 + 10 * r, 40, 10) for r in range(3) for c in range(2)]
    labels = [text(22 + 40 * c, 42 + 10 * r, f"格{r}{c}", size=4) for r in range(3) for c in range(2)]
    doc = read(minimal([page(text(20, 20, "表格如下：", size=4), *cells, *labels)]))
    (table,) = doc.tables()
    assert len(table.header) + len(table.rows) == 3 and table.n_cols == 2
    assert table.filled_rows()[-1] == ["格20", "格21"]


def test_template_text_is_read():
    tpl = page(text(20, 280, "模板页脚说明文字", size=4))
    body = page(text(20, 30, "正文内容。", size=4), extra='<ofd:Template TemplateID="1"/>')
    doc = read(minimal([body], {"1": tpl}))
    assert "模板页脚说明文字" in doc.text()


def test_image_only_pages_have_no_text():
    seal = '<ofd:ImageObject Boundary="10 10 40 40" ResourceID="1" CTM="40 0 0 40 0 0"/>'
    e = error_of(minimal([page(seal)]))
    assert e.code == "no_text_layer"


def test_curves_make_no_edges():
    assert ofd.path_points("M 0 0 B 1 1 2 2 3 3 L 10 3") == [[(3.0, 3.0), (10.0, 3.0)]]
    assert ofd.path_points("M 0 0 L 10 0 L 10 10 C") == [[(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 0.0)]]
