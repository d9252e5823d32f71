"""The text reader on small inputs: paragraphs and the table shapes it recovers."""
from __future__ import annotations

import pytest

from extractors.readers.text import decode_text, parse_text
from schemas.document import Paragraph, Table


def blocks(text: str):
    return parse_text(text)[0]


def test_numbered_rows_without_a_header_are_a_table():
    text = "附件\n\n1 市教育局 9月 5日\n\n2 市民政局 9月 6日\n\n3 市财政局 9月 7日\n\n以上请遵照执行。\n"
    bs = blocks(text)
    table = next(b for b in bs if isinstance(b, Table))
    assert table.header == [] and [table.row_texts(r) for r in range(3)][2] == ["3", "市财政局", "9月7日"]
    assert isinstance(bs[-1], Paragraph) and bs[-1].text == "以上请遵照执行。"


def test_numbered_list_items_are_not_a_table():
    text = "1.活动时间：9月5日\n实施单位：县农业农村局、乡村振兴局；\n2.活动时间：9月6日\n实施单位：县民政局；\n"
    assert all(isinstance(b, Paragraph) for b in blocks(text))


def test_tab_separated_table_with_repeated_header_is_one_table():
    head = "序号\t单位\t完成时限"
    text = "\n".join([head, "1\t市教育局\t9月5日前", "2\t市民政局\t9月6日前", "", head, "3\t市财政局\t9月7日前"])
    (table,) = [b for b in blocks(text) if isinstance(b, Table)]
    assert len(table.rows) == 3 and table.row_texts(2) == ["3", "市财政局", "9月7日前"]


def test_hard_wrapped_text_is_reflowed_into_paragraphs():
    line = "各县（市、区）人民政府，达州高新区管委会，达州东部经开"  # a full printed line
    text = "\n\n".join([
        "一、活动主体",
        line, "区管委会，市政府工作部门根据要求开展活动。",
        "（一）市政府工作部门。",
        line, line, "区管委会。",
        line, "区管委会。",
    ])
    paras = [b.text for b in blocks(text)]
    assert paras[0] == "一、活动主体"
    assert paras[1] == line + "区管委会，市政府工作部门根据要求开展活动。"
    assert paras[2] == "（一）市政府工作部门。"
    assert paras[3] == line + line + "区管委会。"


def test_paragraph_cut_by_a_page_break_is_joined():
    long = "准确把握不同类型公开要求，综合考虑公开目的、公开效果、后续影响等因素，完善政府信息“编、审、发”责任岗位制，依法依规严格执行政府信息公开保密审查，"
    text = f"{long}\n\n防止泄露国家秘密、工作秘密和敏感信息。\n\n二、工作要求\n"
    paras = [b.text for b in blocks(text)]
    assert paras == [long + "防止泄露国家秘密、工作秘密和敏感信息。", "二、工作要求"]


def test_noise_and_page_numbers_are_dropped():
    text = "第一段。\nhttp://www.example.gov.cn/a.html\n— 3 —\n窗体顶端\n[bookmark: _GoBack]第二段。\n"
    assert [b.text for b in blocks(text)] == ["第一段。", "第二段。"]


def test_mixed_line_endings_and_stray_nul_bytes():
    data = "第一段。\r\n第二段。\r第三段。\n".encode("utf-8").replace("二".encode(), "二".encode() + b"\x00")
    text, enc = decode_text(data)
    assert enc == "utf-8"
    assert [b.text for b in blocks(text)] == ["第一段。", "第二段。", "第三段。"]


@pytest.mark.parametrize("shape", ["\tX\n", "\tX\n\n", "\tX\tY\n", "1 市教育局 9月\n", "X\n"])
def test_table_recovery_reads_each_line_a_bounded_number_of_times(monkeypatch, shape):
    """Work grows with the number of lines, not its square: 12,000 lines of
    "\\tX" were read 72 million times (132 s). Counted, not timed."""
    from extractors.readers import text as reader

    calls = {"n": 0}
    real = reader._cell

    def counting(s: str) -> str:
        calls["n"] += 1
        return real(s)

    monkeypatch.setattr(reader, "_cell", counting)
    n = 3000
    reader.parse_text(shape * n)
    assert calls["n"] <= 4 * n
