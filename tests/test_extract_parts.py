"""Metadata and rows on small documents: the variations real notices show."""
from __future__ import annotations

import datetime as dt

import pytest

from extractors.header import DOC_NUMBER, extract_meta
from extractors.notice import extract_notice
from extractors.rows import role_of
from extractors.readers.tables import TablePart, make_cell_grid, stitch
from schemas.document import Document, Paragraph, Table


def doc(*blocks) -> Document:
    out = []
    for b in blocks:
        if isinstance(b, str):
            out.append(Paragraph(b))
        elif isinstance(b, Table):
            out.append(b)
        else:  # rows of a table, the first being its header
            out.append(stitch([TablePart(make_cell_grid(b), header_rows=1)], index=sum(1 for x in out if x.kind == "table") + 1))
    return Document("t.txt", "0" * 64, "txt", None, out)


@pytest.mark.parametrize(
    "text,prefix,year,seq",
    [
        ("资雁府办发〔2022〕58号", "资雁府办发", 2022, 58),
        ("〔2022〕19号", None, 2022, 19),
        ("丹政办明电〔2021〕7号", "丹政办明电", 2021, 7),
        ("川办发[2022]38号", "川办发", 2022, 38),
        ("国办发(2020)3号", "国办发", 2020, 3),
        ("国办发（2020）3号", "国办发", 2020, 3),
        ("宁政办发［2023］101号", "宁政办发", 2023, 101),
        ("达市府办函 〔2021〕 80 号", "达市府办函", 2021, 80),
    ],
)
def test_doc_numbers(text, prefix, year, seq):
    m = DOC_NUMBER.search(text)
    assert (m.group("prefix") or None, int(m.group("year")), int(m.group("seq"))) == (prefix, year, seq)


def test_metadata_of_a_plain_notice():
    d = doc(
        "某市人民政府办公室", "关于做好2023年政务公开", "工作的通知", "某府办发〔2023〕5号",
        "各区县人民政府，市级各部门：", "现将有关事项通知如下。", "一、工作要求", "联系人：张三，联系电话：010-12345678。",
        "附件：1．任务分工表", "2．联系人名单", "某市人民政府办公室", "二〇二三年三月五日",
    )
    meta, _ = extract_meta(d)
    assert meta.title == "某市人民政府办公室关于做好2023年政务公开工作的通知"
    assert meta.doc_number.text == "某府办发〔2023〕5号" and meta.doc_number.seq == 5
    assert meta.recipients == ["各区县人民政府", "市级各部门"]
    assert meta.issuer == "某市人民政府办公室"
    assert meta.issue_date == dt.date(2023, 3, 5)  # Chinese numerals in the signature
    assert meta.attachments == ["任务分工表", "联系人名单"]
    assert meta.contact_names == ["张三"] and meta.contact_phones == ["010-12345678"]
    assert (meta.year, meta.year_source) == (2023, "issue_date") and not meta.warnings


def test_reference_year_falls_back_with_a_warning():
    meta, _ = extract_meta(doc("关于开展2024年政府开放日活动的通知", "各部门：", "请于9月5日前报送。"))
    assert (meta.year, meta.year_source) == (2024, "title")
    assert any("title" in w for w in meta.warnings)


def test_a_number_cited_in_the_body_is_not_the_documents_number():
    meta, _ = extract_meta(doc("关于印发方案的通知", "各部门：", "根据《省政府办公厅关于印发要点的通知》（川办发〔2022〕38号）精神，现印发。"))
    assert meta.doc_number is None


@pytest.mark.parametrize(
    "header,role",
    [("序号", "seq"), ("责任单位", "unit"), ("牵头单位", "unit"), ("活动主题", "theme"), ("重点工作任务", "task"),
     ("完成时限", "date"), ("开展时间（暂定）", "date"), ("时 间 安 排", "date"), ("备注", "note"), ("联系电话", None)],
)
def test_column_roles(header, role):
    assert role_of(header) == role


def test_table_rows_by_header_not_position():
    d = doc(
        "关于开展2022年开放日活动的通知",
        [["开展时间", "活动主题", "责任单位", "序号"],
         ["9月中旬", "走进应急管理", "区应急局", "1"],
         ["10月30日前", "公开发布", "区教育局、区民政局", "2"],
         ["", "无日期的一行", "区财政局", "3"]],
    )
    r = extract_notice(d)
    assert [(it.units, it.theme, it.date_text) for it in r.items] == [
        (["区应急局"], "走进应急管理", "9月中旬"),
        (["区教育局", "区民政局"], "公开发布", "10月30日前"),
        (["区财政局"], "无日期的一行", None),
    ]
    first = r.items[0]
    assert (first.item_type, first.date.kind, first.date.start) == ("schedule", "period", dt.date(2022, 9, 11))
    assert (first.source_table, first.source_row) == (1, 1)
    assert "row has no date" in r.items[2].warnings


def test_a_table_without_a_header_row_that_is_clearly_number_unit_date():
    table = stitch([TablePart(make_cell_grid([["1", "市教育局", "4月7日"], ["2", "市民政局", "4月12日"],
                                              ["3", "市财政局", "4月14日"]]), header_rows=0)], index=1)
    d = doc("关于开展2022年开放日活动的通知", table)
    r = extract_notice(d)
    assert [(it.units, it.date_text) for it in r.items] == [
        (["市教育局"], "4月7日"), (["市民政局"], "4月12日"), (["市财政局"], "4月14日")]


def test_task_table_with_categories_carried_down_and_duplicates_flagged():
    d = doc(
        "关于印发2022年工作安排的通知",
        [["工作任务", "重点工作任务", "责任单位", "完成时限"],
         ["一、公开", "公开规划。", "市发展改革委", "及时公开"],
         ["", "公开预算。", "市财政局", "每月坚持"],
         ["二、解读", "解读政策。", "市司法局", "12月31日前"],
         ["", "解读政策。", "市司法局", "12月31日前"]],
    )
    items = extract_notice(d).items
    assert [it.item_type for it in items] == ["task"] * 4
    assert [it.category for it in items] == ["一、公开", "一、公开", "二、解读", "二、解读"]
    assert [it.date.kind for it in items] == ["continuous", "recurring", "deadline", "deadline"]
    assert "duplicate of item 3" in items[3].warnings


def test_inline_schedule_in_one_paragraph_and_over_two():
    d = doc(
        "关于印发2022年开放日方案的通知",
        "1.活动时间：9月5日 实施单位：县农业农村局、乡村振兴局；",
        "2.活动时间：9月6日",
        "实施单位：县民政局。",
    )
    items = extract_notice(d).items
    assert [(it.units, it.date_text, it.source_row) for it in items] == [
        (["县农业农村局", "乡村振兴局"], "9月5日", 1), (["县民政局"], "9月6日", 2)]


def test_dates_outside_the_announced_activity_period_are_flagged():
    d = doc(
        "关于开展2022年开放日活动的通知", "活动时间：2022年8月22日至2022年9月22日。",
        [["序号", "单位名称", "开展时间"], ["1", "老君镇", "8月19日"], ["2", "丹山镇", "9月20日"]],
    )
    items = extract_notice(d).items
    assert any("outside the activity period" in w for w in items[0].warnings)
    assert not items[1].warnings
