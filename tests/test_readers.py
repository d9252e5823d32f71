"""The readers on the real samples: every seed in TXT, DOCX and PDF."""
from __future__ import annotations

import regex
import pytest

from extractors.readers.layout import CJK_CLASS, is_page_number
from schemas.document import Paragraph

from helpers import FORMATS, SEEDS, read_sample, sample

ALL = [(s[:3], f) for s in SEEDS for f in FORMATS]


def first_table(prefix: str, fmt: str):
    doc = read_sample(prefix, fmt)
    tables = [t for t in doc.tables() if len(t.rows) > 5]
    assert len(tables) == 1, f"{prefix}.{fmt}: {[(t.index, len(t.rows)) for t in doc.tables()]}"
    return tables[0]


@pytest.mark.parametrize("prefix,fmt", ALL)
def test_reads_every_sample(prefix, fmt):
    doc = read_sample(prefix, fmt)
    assert doc.format == fmt
    assert len(doc.sha256) == 64
    paras = [b for b in doc.blocks if isinstance(b, Paragraph)]
    assert len(paras) >= 10
    # body text is clean: no page numbers, no Word noise, no URLs dumped after a page
    for p in paras:
        assert not is_page_number(p.text), p.text
        assert not regex.search(r"[-—–]\s*\d{1,3}\s*[-—–]\s*$", p.text), p.text
        assert "窗体顶端" not in p.text and "bookmark" not in p.text and "http://" not in p.text


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_page_counts(fmt):
    # the PDFs have 5, 6, 22, 6, 5 pages; DOCX records the same in docProps/app.xml
    assert [read_sample(s[:3], fmt).page_count for s in SEEDS] == [5, 6, 22, 6, 5]


def test_pdf_page_numbers_are_furniture():
    doc = read_sample("002", "pdf")
    assert [p.text for p in doc.furniture] == [f"— {n} —" for n in range(1, 23)]


def test_001_schedule_is_the_same_table_in_every_format():
    grids = {}
    for fmt in FORMATS:
        t = first_table("001", fmt)
        assert t.header_texts() == ["序号", "单位名称", "活动主题", "开展时间"]
        assert (len(t.rows), t.n_cols) == (39, 4)
        grids[fmt] = [t.row_texts(r) for r in range(len(t.rows))]
    assert grids["txt"] == grids["docx"] == grids["pdf"]
    assert grids["pdf"][0] == ["1", "区应急局", "科学防汛减灾 走进应急管理", "9月中旬"]
    assert grids["pdf"][31] == ["32", "老君镇", "政务开放 你我同行", "8月19日"]
    assert grids["pdf"][29][2] == "“政务公开您监督 ‘满意小院’您来评”"


def test_001_pdf_table_spans_two_pages_with_provenance():
    t = first_table("001", "pdf")
    assert (t.page_start, t.page_end) == (5, 6)
    pages = [src.page for src in t.row_sources]
    assert pages[0] == 5 and pages[-1] == 6 and pages == sorted(pages)


@pytest.mark.parametrize("fmt", FORMATS)
def test_000_schedule_is_one_table_of_35_rows(fmt):
    t = first_table("000", fmt)
    assert t.header_texts() == ["序号", "市级部门", "时间安排"]
    assert (len(t.rows), t.n_cols) == (35, 3)
    assert t.row_texts(0) == ["1", "市发展改革委", "4月7日"]
    assert t.row_texts(18) == ["19", "市退役军人事务局", "6月7日"]
    assert t.row_texts(34) == ["35", "市中医药局", "7月22日"]
    assert [t.row_texts(r)[0] for r in range(35)] == [str(i) for i in range(1, 36)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_002_responsibility_table_is_stitched(fmt):
    t = first_table("002", fmt)
    assert len(t.rows) == 71
    header = [h for h in t.header_texts() if h]
    assert header == ["序号", "工作任务", "重点工作任务", "责任单位", "完成时限"]
    # the header repeated on every page is not a data row
    assert not any(t.row_texts(r)[0] == "序号" for r in range(len(t.rows)))
    filled = t.filled_rows()
    tasks = [row[-3] for row in filled]
    assert tasks[0].startswith("围绕优化投资环境") and tasks[-1].startswith("大力推行政务公开社会监督评议员制度")
    assert len(set(tasks)) == 71
    # every row has units and a deadline once merges are filled in
    assert all(row[-2] for row in filled)


@pytest.mark.parametrize("fmt", FORMATS)
def test_002_merged_units_and_deadline_are_merged_not_empty(fmt):
    t = first_table("002", fmt)
    r = next(i for i in range(len(t.rows)) if (t.row_texts(i)[-3] or "").startswith("完善市政府公报数据库"))
    units_col, deadline_col = t.n_cols - 2, t.n_cols - 1
    # the row's own positions are covered (None) by the cell of the row above, which spans both rows
    assert t.rows[r][units_col] is None and t.rows[r][deadline_col] is None
    above = t.rows[r - 1]
    assert above[units_col].row_span == 2 and above[deadline_col].row_span == 2
    assert above[units_col].text.startswith("市政府信息公开管理中心，市政府工作部门")
    assert above[deadline_col].text == "11月30日前"
    assert (r - 1, units_col, 2, 1) in t.merged()


def test_002_pdf_rows_broken_by_page_breaks_are_joined():
    t = first_table("002", "pdf")
    broken = [i for i, src in enumerate(t.row_sources) if len(src.parts) == 2]
    assert len(broken) >= 8  # LibreOffice split that many rows over a page break
    for i in broken:
        (p1, _), (p2, _) = t.row_sources[i].parts
        assert p2 == p1 + 1
    filled = t.filled_rows()
    # a deadline whose last character fell on the next page is whole again
    assert {row[-1] for row in filled} <= {
        "10月30日前", "及时公开", "8月30日前", "11月30日前", "7月30日前", "每月坚持", "6月30日前",
        "12月10日前", "5月30日前", "12月20日前", "12月31日前", "9月30日前",
    }


def test_002_pdf_category_merges_span_pages():
    t = first_table("002", "pdf")
    # category 1 covers 26 rows on pages 12-15; in the PDF it is one cell with its span
    cell = t.rows[0][1]
    assert cell.text == "加强重点领域信息公开，增强政策公开透明度" and cell.row_span == 26
    assert t.rows[0][0].text == "1" and t.rows[0][0].row_span == 26
    assert [t.rows[r][0].text for r in (0, 26, 40, 51, 63)] == ["1", "2", "3", "4", "5"]


def test_docx_table_keeps_body_order():
    doc = read_sample("001", "docx")
    kinds = [b.kind for b in doc.blocks]
    assert kinds[-1] == "table"  # the schedule comes after the attachment title, not first
    assert doc.blocks[-2].text == "雁江区“政府开放月”活动安排一览表"


# --------------------------------------------------------------------------- spacing

_CJK_SPACE_CJK = regex.compile(rf"[{CJK_CLASS}] [{CJK_CLASS}]")
_DIGIT_SPACE_CJK = regex.compile(rf"\d [{CJK_CLASS}]|[{CJK_CLASS}] \d")


def _normalised_source(prefix: str) -> str:
    raw = sample(prefix, "txt").read_text(encoding="utf-8")
    return regex.sub(r"[\s\u3000\u00a0\u2002]+", " ", raw)


@pytest.mark.parametrize("prefix,fmt", ALL)
def test_no_space_between_cjk_that_the_source_did_not_have(prefix, fmt):
    doc = read_sample(prefix, fmt)
    source = _normalised_source(prefix)
    text = doc.text()
    for m in _CJK_SPACE_CJK.finditer(text):
        assert m.group(0) in source, f"{fmt}: spurious space in {text[max(0, m.start() - 10):m.end() + 10]!r}"
    for m in _DIGIT_SPACE_CJK.finditer(text):
        context = text[max(0, m.start() - 10):m.end() + 10]
        assert "5·15" in context or "1. " in context, f"{fmt}: digit-CJK space in {context!r}"


@pytest.mark.parametrize("fmt", FORMATS)
def test_dates_come_out_without_extraction_spaces(fmt):
    text = read_sample("000", fmt).text()
    assert "2022年3月14日" in text and "2022年 3月" not in text
    assert "4月7日" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_theme_spaces_survive(fmt):
    t = first_table("001", fmt)
    themes = [t.row_texts(r)[2] for r in range(len(t.rows))]
    assert "走进校园 共话教育" in themes and "畅通信访渠道 维护信访秩序" in themes
