"""DOCX structures the samples do not show: nested tables, hidden text, headers."""
from __future__ import annotations

import io

from docx import Document
from docx.oxml import OxmlElement

from extractors.readers.registry import read_bytes


def build() -> bytes:
    doc = Document()
    doc.sections[0].header.paragraphs[0].text = "达州市人民政府办公室文件"
    p = doc.add_paragraph("正文第一段。")
    hidden = p.add_run("窗体顶端")
    hidden.font.hidden = True
    table = doc.add_table(rows=3, cols=3)
    for c, h in enumerate(["序号", "责任单位", "完成时限"]):
        table.cell(0, c).text = h
    table.cell(1, 0).text, table.cell(1, 1).text, table.cell(1, 2).text = "1", "市教育局", "9月5日前"
    table.cell(2, 0).text = "2"
    table.cell(1, 2).merge(table.cell(2, 2))  # deadline shared by both rows (vMerge)
    inner = table.cell(2, 1).add_table(rows=1, cols=2)
    inner.cell(0, 0).text, inner.cell(0, 1).text = "内表", "嵌套"
    table.cell(2, 1).paragraphs[0].text = "市民政局"
    doc.add_paragraph("正文第二段。")
    deleted = OxmlElement("w:del")
    run = OxmlElement("w:r")
    t = OxmlElement("w:delText")
    t.text = "删除的字"
    run.append(t)
    deleted.append(run)
    doc.paragraphs[-1]._p.append(deleted)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_docx_structures():
    doc = read_bytes(build(), "t.docx")
    kinds = [b.kind for b in doc.blocks]
    assert kinds == ["paragraph", "table", "table", "paragraph"]  # body order; nested table after its parent
    assert doc.blocks[0].text == "正文第一段。"  # the hidden run is gone
    outer, inner = doc.blocks[1], doc.blocks[2]
    assert outer.header_texts() == ["序号", "责任单位", "完成时限"]
    assert outer.row_texts(0) == ["1", "市教育局", "9月5日前"]
    assert outer.row_texts(1) == ["2", "市民政局", None]  # covered by the merge, not repeated
    assert outer.rows[0][2].row_span == 2
    assert inner.rows[0][0].text == "内表" or inner.header_texts() == ["内表", "嵌套"]
    assert doc.blocks[3].text == "正文第二段。"  # deleted revision text is not body text
    assert [p.text for p in doc.furniture] == ["达州市人民政府办公室文件"]
