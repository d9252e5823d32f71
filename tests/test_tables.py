"""Stitching table parts: small grids in, one table out."""
from __future__ import annotations

from extractors.readers.tables import TablePart, detect_header_rows, is_header_like, make_cell_grid, stitch
from schemas.document import Cell

HEADER = ["序号", "单位", "任务", "完成时限"]


def part(rows, page, header_rows=None):
    return TablePart(make_cell_grid(rows, page), page=page, header_rows=header_rows)


def test_header_detection():
    assert is_header_like(make_cell_grid([HEADER])[0])
    assert not is_header_like(make_cell_grid([["1", "市教育局", "开放日", "9月5日"]])[0])
    assert not is_header_like(make_cell_grid([["发电单位", "丹东市人民政府办公室"]])[0])
    assert detect_header_rows(make_cell_grid([HEADER, ["1", "a", "b", "9月5日"]])) == 1


def test_repeated_header_rows_are_dropped():
    t = stitch([
        part([HEADER, ["1", "市教育局", "开放。", "9月5日前"]], 1),
        part([HEADER, ["2", "市民政局", "开放。", "9月6日前"]], 2),
    ])
    assert [c.text for c in t.header[0]] == HEADER
    assert [t.row_texts(r)[0] for r in range(len(t.rows))] == ["1", "2"]
    assert [src.parts for src in t.row_sources] == [[(1, 1)], [(2, 1)]]


def test_row_broken_by_page_break_with_empty_key_cells_is_joined():
    t = stitch([
        part([HEADER, ["1", "市教育局", "推进教育信息", "9月5日前"]], 1),
        part([HEADER, ["", "", "公开。", ""], ["2", "市民政局", "开放。", "9月6日前"]], 2),
    ])
    assert t.row_texts(0) == ["1", "市教育局", "推进教育信息公开。", "9月5日前"]
    assert t.row_sources[0].parts == [(1, 1), (2, 1)]
    assert len(t.rows) == 2


def test_row_broken_in_every_column_is_joined_when_a_sentence_is_cut():
    rows = [[str(i), f"单位{i}", f"第{i}项任务要按时完成。", "及时公开"] for i in range(1, 5)]
    rows.append(["5", "市财政局、市审", "依法依规公开财政预决算信", "10月30"])
    t = stitch([part([HEADER] + rows, 1), part([HEADER, ["", "计局", "息。", "日前"]], 2)])
    assert len(t.rows) == 5
    assert t.row_texts(4) == ["5", "市财政局、市审计局", "依法依规公开财政预决算信息。", "10月30日前"]


def test_a_new_row_at_the_top_of_a_page_is_not_joined():
    rows = [[str(i), f"单位{i}", f"主题{i}", f"9月{i}日"] for i in range(1, 4)]
    t = stitch([part([HEADER] + rows, 1), part([HEADER, ["4", "单位4", "主题4", "9月4日"]], 2)])
    assert len(t.rows) == 4 and t.row_texts(3)[0] == "4"


def test_vertical_merge_running_over_a_page_is_continued():
    p1 = TablePart([
        [Cell(h) for h in HEADER],
        [Cell("1"), Cell("市教育局", row_span=2), Cell("任务一。"), Cell("及时公开")],
        [Cell("2"), None, Cell("任务二。"), Cell("及时公开")],
    ], page=1)
    # on the next page the merged unit cell runs on: empty at the top, spanning its rows there
    p2 = TablePart([
        [Cell(h) for h in HEADER],
        [Cell("3"), Cell("", row_span=2), Cell("任务三。"), Cell("及时公开")],
        [Cell("4"), None, Cell("任务四。"), Cell("及时公开")],
        [Cell("5"), Cell("市民政局"), Cell("任务五。"), Cell("及时公开")],
    ], page=2)
    t = stitch([p1, p2])
    assert len(t.rows) == 5
    assert t.rows[0][1].text == "市教育局" and t.rows[0][1].row_span == 4
    assert [row[1] for row in t.filled_rows()] == ["市教育局"] * 4 + ["市民政局"]
    assert (0, 1, 4, 1) in t.merged()


def test_an_empty_cell_at_a_page_top_is_not_a_merge():
    p1 = part([HEADER, ["1", "市教育局", "任务一。", "及时公开"]], 1)
    p2 = part([HEADER, ["2", "市民政局", "任务二。", ""]], 2)
    t = stitch([p1, p2])
    assert t.rows[0][3].row_span == 1 and t.row_texts(1)[3] == ""
