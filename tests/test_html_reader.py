"""The web-page reader (extractors/readers/html.py) and broken-DOCX repair, on
pages in the shapes portals write and on the fixtures in samples/formats/."""
from __future__ import annotations

import io
import zipfile
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import pytest

from extractors.readers import read_bytes, read_document
from extractors.readers.html import sniff_html
from schemas.document import Paragraph, Table
from schemas.errors import CorruptDocx, NoContent, TooLarge

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ROOT / "samples" / "formats"
STEMS = sorted(p.stem for p in (ROOT / "samples" / "gold").glob("*.json"))

NOTICE = "<p>各县（市、区）人民政府：</p><p>为深入推进政务公开，现将有关事项通知如下。</p>"


def page(body: str, head: str = '<meta charset="utf-8">') -> str:
    return f"<!DOCTYPE html><html><head>{head}<title>关于开展政府开放日活动的通知_某市人民政府</title></head><body>{body}</body></html>"


def texts(doc) -> list[str]:
    return [b.text for b in doc.blocks if isinstance(b, Paragraph)]


def read_html(markup: str | bytes, name: str = "notice.html"):
    return read_bytes(markup.encode("utf-8") if isinstance(markup, str) else markup, name)


# ----------------------------------------------------------------------------- encodings

ENCODINGS = [
    # (how the page is written, its head, the warning it gets)
    ("utf-8", '<meta charset="utf-8">', None),
    ("utf-8", "", None),
    ("gbk", '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">', "decoded as gb18030"),
    ("gbk", "", "decoded as gb18030"),
    ("gb18030", '<meta charset="GB18030">', "decoded as gb18030"),
    ("utf-8", '<meta charset="gb2312">', None),  # declared GB2312, written in UTF-8: the bytes win
    ("utf-16", '<meta charset="utf-16">', "decoded as utf-16"),
]


@pytest.mark.parametrize("encoding,head,warning", ENCODINGS)
def test_a_page_is_decoded_from_its_bytes(encoding, head, warning):
    doc = read_html(page(NOTICE, head).encode(encoding), "notice.htm")
    assert doc.format == "html"
    assert "为深入推进政务公开，现将有关事项通知如下。" in texts(doc)
    assert (warning in doc.warnings) if warning else not any(w.startswith("decoded as") for w in doc.warnings)


def test_a_big5_page_is_decoded_by_its_declared_charset():
    markup = "<html><head><meta charset='big5'></head><body><div><p>為深入推進政務公開，現將有關事項通知如下。</p></div></body></html>"
    doc = read_html(markup.encode("big5"))
    assert texts(doc) == ["為深入推進政務公開，現將有關事項通知如下。"] and "decoded as big5" in doc.warnings


# ----------------------------------------------------------------------------- what is content

SHAPES = [
    # (page body, paragraphs that must be there, texts that must not be anywhere)
    ('<div class="nav"><a href="/">首页</a><a href="/a">政务公开</a></div><div class="TRS_Editor">' + NOTICE + "</div>"
     '<div class="footer">主办：某市人民政府办公室</div>',
     ["各县（市、区）人民政府："], ["首页", "主办"]),
    ("<nav><a href='/'>首页</a></nav><article>" + NOTICE + "</article><aside>热点新闻</aside><footer>版权所有</footer>",
     ["为深入推进政务公开，现将有关事项通知如下。"], ["首页", "热点新闻", "版权所有"]),
    ('<div id="zoom">' + NOTICE + '<div class="share">分享到：微信 微博</div></div>'
     '<div class="xgwz"><ul><li><a href="/1.html">关于做好政务公开工作的通知</a></li></ul></div>',
     ["各县（市、区）人民政府："], ["分享到", "关于做好政务公开工作的通知"]),
    ("<div>" + NOTICE + '<p style="display:none">窗体顶端隐藏文字</p><script>var x="脚本文字";</script>'
     "<style>.a{}</style><p hidden>隐藏段落</p></div>",
     ["各县（市、区）人民政府："], ["隐藏文字", "脚本文字", "隐藏段落"]),
    ("<div class='content'>第一行<br>第二行<br/>第三行</div>",
     ["第一行", "第二行", "第三行"], []),
    ("<div class='content'><p>为深入推进\n政务公开，<span>现将</span><b>有关</b>事项通知如下。</p></div>",
     ["为深入推进政务公开，现将有关事项通知如下。"], []),
    ("<div class='content'><p>&nbsp;&nbsp;&nbsp;&nbsp;为深入推进政务公开。</p><!-- 注释文字 --></div>",
     ["为深入推进政务公开。"], ["注释文字"]),
]


@pytest.mark.parametrize("body,present,absent", SHAPES)
def test_the_main_content_is_kept_and_the_portal_around_it_is_not(body, present, absent):
    doc = read_html(page(body))
    paras = texts(doc)
    for p in present:
        assert p in paras
    everything = doc.text()
    for a in absent:
        assert a not in everything


INFO_BLOCKS = [
    # a table of label and value cells, with colons
    '<table class="xxgk"><tr><td>索引号：</td><td>115-2022-01</td><td>发布机构：</td><td>某市人民政府办公室</td></tr>'
    "<tr><td>发文字号：</td><td>某府办发〔2022〕3号</td><td>成文日期：</td><td>2022-03-14</td></tr></table>",
    # label cells without colons
    "<table><tr><th>索引号</th><td>115-2022-01</td></tr><tr><th>发布机构</th><td>某市人民政府办公室</td></tr>"
    "<tr><th>发文字号</th><td>某府办发〔2022〕3号</td></tr><tr><th>成文日期</th><td>2022-03-14</td></tr></table>",
    # a list of strong labels and values
    "<div class='info'><ul><li><strong>索引号：</strong><span>115-2022-01</span></li>"
    "<li><strong>发布机构：</strong><span>某市人民政府办公室</span></li>"
    "<li><strong>发文字号：</strong>某府办发〔2022〕3号</li><li><b>成文日期：</b>2022-03-14</li></ul></div>",
    # two labels to a line
    "<div class='meta'><p>索引号：115-2022-01 发布机构：某市人民政府办公室</p>"
    "<p>发文字号：某府办发〔2022〕3号 成文日期：2022-03-14</p></div>",
]


@pytest.mark.parametrize("block", INFO_BLOCKS)
def test_the_information_block_comes_first_as_label_value_lines(block):
    doc = read_html(page(block + "<div class='TRS_Editor'>" + NOTICE + "</div>"))
    front = " ".join(texts(doc)[:4])
    for want in ("索引号：115-2022-01", "发布机构：某市人民政府办公室", "发文字号：某府办发〔2022〕3号", "成文日期：2022-03-14"):
        assert want in front
    assert not any(isinstance(b, Table) for b in doc.blocks)  # the block is not a table of the notice


def test_labels_scattered_over_an_article_are_not_cut_out_as_a_block():
    body = ("<div class='content'><p>来源：某市人民政府办公室</p>" + NOTICE * 8
            + "<p>发布日期：2022-03-14</p><p>索引号：115</p></div>")
    doc = read_html(page(body))
    assert texts(doc).count("为深入推进政务公开，现将有关事项通知如下。") == 8


def test_the_title_outside_the_article_box_is_kept():
    body = '<div class="title"><h1>关于开展政府开放日活动的通知</h1></div><div class="TRS_Editor">' + NOTICE * 5 + "</div>"
    assert "关于开展政府开放日活动的通知" in texts(read_html(page(body)))[:2]


def test_the_head_title_is_used_when_the_page_shows_none():
    doc = read_html(page("<div class='content'>" + NOTICE + "</div>", '<meta charset="utf-8">'))
    assert texts(doc)[0] == "关于开展政府开放日活动的通知"


# ----------------------------------------------------------------------------- tables


def test_rowspan_and_colspan_are_merged_cells():
    table = ("<table border=1><tr><th rowspan=2>序号</th><th colspan=2>工作任务</th><th rowspan=2>责任单位</th></tr>"
             "<tr><th>类别</th><th>内容</th></tr>"
             "<tr><td>1</td><td rowspan=2>信息公开</td><td>公开预算</td><td>市财政局</td></tr>"
             "<tr><td>2</td><td>公开决算</td><td>市财政局</td></tr></table>")
    doc = read_html(page("<div class='content'>" + NOTICE + table + "</div>"))
    (t,) = doc.tables()
    assert len(t.header) == 2 and t.header_texts() == ["序号", "工作任务类别", "内容", "责任单位"]
    assert (t.header[0][0].row_span, t.header[0][1].col_span) == (2, 2)
    assert t.row_texts(0) == ["1", "信息公开", "公开预算", "市财政局"]
    assert t.row_texts(1) == ["2", None, "公开决算", "市财政局"]
    assert (0, 1, 2, 1) in t.merged()
    assert t.filled_rows()[1][1] == "信息公开"


def test_paragraphs_inside_cells_are_one_cell_text():
    table = ("<table><tr><td>序号</td><td>单位名称</td><td>开展时间</td></tr>"
             "<tr><td><p>1</p></td><td><p>市发展</p><p>改革委</p></td><td><p><span>9月</span>中旬</p></td></tr></table>")
    (t,) = read_html(page("<div>" + NOTICE + table + "</div>")).tables()
    assert t.row_texts(0) == ["1", "市发展改革委", "9月中旬"]


def test_a_page_laid_out_in_one_big_table_is_read_as_its_text():
    inner = ("<table border=1><tr><td>序号</td><td>单位</td><td>时间</td></tr>"
             "<tr><td>1</td><td>市教育局</td><td>4月14日</td></tr></table>")
    body = ("<table width=980><tr><td colspan=2><a href='/'>首页</a> | <a href='/b'>政务公开</a></td></tr>"
            "<tr><td width=200><a href='/c'>通知公告</a></td><td><table width='100%'><tr><td align=center>"
            "<b>关于开展政府开放日活动的通知</b></td></tr><tr><td>" + NOTICE + inner + "</td></tr></table></td></tr>"
            "<tr><td colspan=2>版权所有：某市人民政府</td></tr></table>")
    doc = read_html(page(body))
    assert "为深入推进政务公开，现将有关事项通知如下。" in texts(doc)
    (t,) = doc.tables()
    assert t.row_texts(0) == ["1", "市教育局", "4月14日"]


LAYOUTS = [
    # a menu column beside a short notice
    "<table><tr><td><a href='/a'>通知公告</a><br><a href='/b'>政策文件</a><br><a href='/c'>规划计划</a></td>"
    "<td>" + NOTICE + "</td></tr></table>",
    # a heading and the notice in one cell, a date in the other
    "<table><tr><td><h2>关于开展政府开放日活动的通知</h2>" + NOTICE + "</td><td>2022-03-14</td></tr></table>",
]


@pytest.mark.parametrize("markup", LAYOUTS)
def test_a_two_column_layout_table_is_text_not_a_table(markup):
    doc = read_html(page("<div>" + markup + "</div>"))
    assert "为深入推进政务公开，现将有关事项通知如下。" in texts(doc)
    assert not list(doc.tables())


@pytest.mark.parametrize("span", ["999999999", "1e9", "-3", "two", ""])
def test_absurd_spans_are_clamped_not_obeyed(span):
    table = f"<table><tr><td>序号</td><td colspan='{span}'>单位</td></tr><tr><td>1</td><td rowspan='{span}'>市教育局</td></tr></table>"
    (t,) = read_html(page("<div>" + NOTICE + table + "</div>")).tables()
    assert t.n_cols <= 1001 and len(t.rows) == 1


def test_a_table_over_the_cell_limit_is_too_large(monkeypatch):
    monkeypatch.setattr("extractors.readers.html.MAX_TABLE_CELLS", 100)
    rows = "".join(f"<tr><td>{i}</td><td colspan=200>x</td></tr>" for i in range(3))
    with pytest.raises(TooLarge):
        read_html(page("<div>" + NOTICE + f"<table>{rows}</table></div>"))


# ----------------------------------------------------------------------------- links, formats, errors


def test_attachment_links_are_listed():
    body = ("<div class='content'>" + NOTICE + "<p>附件：<a href='/att/P020220314.docx'>1.活动安排表</a></p>"
            "<p><a href='/att/2.pdf?id=3'>2.报名表.pdf</a> <a href='/news/4.html'>新闻</a></p></div>")
    doc = read_html(page(body))
    assert doc.links == [("1.活动安排表", "/att/P020220314.docx"), ("2.报名表.pdf", "/att/2.pdf?id=3")]
    assert "附件：1.活动安排表" in texts(doc)


SNIFF = [
    (b"<!DOCTYPE html><html><body>x</body></html>", True),
    (b"\xef\xbb\xbf\n\n<html><head></head></html>", True),
    (b"<!-- saved from url=(0042)http://www.gov.cn/ -->\r\n<html>", True),
    (b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"b\"\r\n", True),
    ("关于开展<html>活动的通知".encode(), False),
    (b"%PDF-1.7", False),
    ("各县（市、区）人民政府：\n为深入推进".encode("gbk"), False),
]


@pytest.mark.parametrize("head,is_html", SNIFF)
def test_a_page_is_known_by_its_bytes(head, is_html):
    assert sniff_html(head, "") is is_html


def test_a_page_saved_as_txt_is_still_read_as_a_page():
    doc = read_html(page("<div>" + NOTICE + "</div>"), "notice.txt")
    assert doc.format == "html"
    assert "content is html although the name ends in .txt" in doc.warnings


def mhtml(html_part: str | None, charset: str = "utf-8") -> bytes:
    msg = MIMEMultipart("related")
    if html_part is not None:
        msg.attach(MIMEText(html_part, "html", charset))
    msg.attach(MIMEText("body{}", "css"))
    return msg.as_bytes()


@pytest.mark.parametrize("charset", ["utf-8", "gb18030"])
def test_an_mhtml_archive_is_read_through_its_page(charset):
    doc = read_bytes(mhtml(page("<div>" + NOTICE + "</div>", ""), charset), "notice.mhtml")
    assert doc.format == "html"
    assert "为深入推进政务公开，现将有关事项通知如下。" in texts(doc)


BAD_PAGES = [
    (page(""), NoContent),
    (page("<div><a href='/'>首页</a></div><script>x()</script>"), NoContent),
    ("<html><head><title>空</title></head></html>", NoContent),
]


@pytest.mark.parametrize("markup,error", BAD_PAGES)
def test_a_page_without_a_notice_is_a_typed_error(markup, error):
    with pytest.raises(error) as e:
        read_html(markup)
    assert e.value.path == "notice.html"


def test_an_mhtml_without_a_page_is_no_content():
    with pytest.raises(NoContent):
        read_bytes(mhtml(None), "notice.mhtml")


def test_markup_nested_too_deep_is_a_clear_error_or_a_warning():
    with pytest.raises(NoContent, match="nested too deep"):
        read_html(page("<div>" * 20000 + NOTICE + "</div>" * 20000))
    doc = read_html(page("<div>" + NOTICE + "</div>" + "<div>" * 20000 + "x" + "</div>" * 20000))
    assert "为深入推进政务公开，现将有关事项通知如下。" in texts(doc)
    assert any("deeper than 256 levels" in w for w in doc.warnings)


# ----------------------------------------------------------------------------- the fixtures


@pytest.mark.parametrize("stem", STEMS)
def test_each_html_fixture_holds_the_samples_tables(stem):
    page_doc = read_document(FORMATS / f"{stem}.html")
    docx_doc = read_document(ROOT / "samples" / "notices" / f"{stem}.docx")
    assert [len(t.rows) for t in page_doc.tables()] == [len(t.rows) for t in docx_doc.tables()]
    assert [t.row_texts(0) for t in page_doc.tables()] == [t.row_texts(0) for t in docx_doc.tables()]


@pytest.fixture(scope="module")
def fixture_report():
    from pipeline.evaluate import evaluate

    return evaluate(ROOT / "samples" / "gold", FORMATS, ("html", "docx"))


@pytest.mark.parametrize("fmt", ["html", "docx"])
def test_the_fixtures_extract_as_the_gold_says(fixture_report, fmt):
    files = [f for f in fixture_report.files if f.format == fmt]
    assert len(files) == len(STEMS) and not any(f.error for f in files)
    for f in files:
        assert f.scores["rows"].f1 >= 0.95, (f.source, f.scores["rows"])
        for name in ("issuer", "title", "doc_number", "issue_date", "units", "date_end"):
            if f.scores[name].counted:
                assert f.scores[name].f1 >= 0.95, (f.source, name, f.scores[name])


# ----------------------------------------------------------------------------- broken DOCX


def _mutated(fn) -> bytes:
    src = zipfile.ZipFile(ROOT / "samples" / "notices" / "001_cbaf9ffe1ea5b1b9.docx")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = fn(info.filename, src.read(info.filename))
            if body is not None:
                dst.writestr(info.filename, body)
    return out.getvalue()


BROKEN_DOCX = [
    # (what is wrong, how to break it, the warning's words)
    ("an image linked to ../NULL",
     lambda n, d: d.replace(b"</Relationships>", b'<Relationship Id="rX" Type="http://schemas.openxmlformats.org/'
                            b'officeDocument/2006/relationships/image" Target="../NULL"/></Relationships>')
     if n == "word/_rels/document.xml.rels" else d, "to parts that are not in the package"),
    ("no styles part", lambda n, d: None if n == "word/styles.xml" else d, "to parts that are not in the package"),
    ("no content types", lambda n, d: None if n == "[Content_Types].xml" else d, "[Content_Types].xml is missing"),
    ("content types cut short", lambda n, d: d[:50] if n == "[Content_Types].xml" else d, "does not parse: rebuilt"),
    ("relationships cut short", lambda n, d: d[:60] if n == "word/_rels/document.xml.rels" else d,
     "relationships dropped"),
    ("a footer cut short", lambda n, d: d[:100] if n.startswith("word/footer") else d, "read word/document.xml alone"),
]


@pytest.mark.parametrize("what,breakage,warning", BROKEN_DOCX, ids=[c[0] for c in BROKEN_DOCX])
def test_a_docx_word_opens_is_read_with_a_warning(what, breakage, warning):
    good = read_document(ROOT / "samples" / "notices" / "001_cbaf9ffe1ea5b1b9.docx")
    doc = read_bytes(_mutated(breakage), "broken.docx")
    assert any(warning in w for w in doc.warnings), doc.warnings
    assert [len(t.rows) for t in doc.tables()] == [len(t.rows) for t in good.tables()]
    assert texts(doc) == texts(good)


def test_a_docx_whose_document_part_is_broken_is_corrupt():
    with pytest.raises(CorruptDocx, match="word/document.xml cannot be parsed"):
        read_bytes(_mutated(lambda n, d: d[:500] if n == "word/document.xml" else d), "broken.docx")
