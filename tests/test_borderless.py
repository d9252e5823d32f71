"""Borderless tables (extractors/readers/borderless.py): synthetic glyph grids of
the shapes notices print without ruling lines, shapes that must stay text, the
borderless copies of the sample PDFs (samples/build_borderless.py) scored on the
gold, and the ruled samples unchanged."""
from __future__ import annotations

from pathlib import Path

import pytest

from extractors.readers import borderless
from extractors.readers.pdf import Char, build_page
from pipeline.evaluate import evaluate

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "samples" / "gold"
BORDERLESS = ROOT / "samples" / "borderless"
SIZE = 10.5  # glyph width and height of the synthetic pages, points


def text_at(text: str, x: float, top: float, size: float = SIZE, step: float | None = None) -> list[Char]:
    """Glyphs of `text` from x at `top`, one `step` apart (a glyph's width: set solid)."""
    step = step or size
    return [Char(ch, x + i * step, top, x + i * step + size, top + size) for i, ch in enumerate(text)]


def page_of(cells: list[tuple[str, float, float]], step: float | None = None) -> list[Char]:
    return [c for text, x, top in cells for c in text_at(text, x, top, step=step)]


def tables(chars: list[Char]):
    return build_page(1, 595, 842, chars, []).tables


def texts(table) -> list[list[str]]:
    return [[c.text if c is not None else None for c in row] for row in table.part.grid]


PITCH = 16.0  # one line a row


def schedule(rows: list[tuple[str, str, str]], header=("序号", "单位名称", "开展时间"), top: float = 100.0):
    """A one-line-a-row schedule: number left, unit centred, date left."""
    cells = []
    for r, row in enumerate([header, *rows]):
        y = top + r * PITCH
        cells.append((row[0], 80, y))
        cells.append((row[1], 250 - len(row[1]) * SIZE / 2, y))  # centred on x=250
        cells.append((row[2], 400, y))
    return page_of(cells)


SCHEDULE = [("1", "市发展改革委", "4月7日"), ("2", "市经信局", "4月12日"), ("3", "市人力资源社会保障局", "5月6日")]

# (name, chars, expected grid) of shapes that are tables
TABLE_CASES = [
    ("three-column schedule, centred units", schedule(SCHEDULE),
     [["序号", "单位名称", "开展时间"], ["1", "市发展改革委", "4月7日"], ["2", "市经信局", "4月12日"],
      ["3", "市人力资源社会保障局", "5月6日"]]),
    # a theme wrapped over two lines, its number, unit and date on the middle of the row
    ("wrapped cell, vertically centred number",
     page_of([("序号", 80, 100), ("单位名称", 150, 100), ("活动主题", 300, 100), ("开展时间", 460, 100),
              ("1", 80, 116), ("区应急局", 150, 116), ("走进应急管理", 300, 116), ("9月中旬", 460, 116),
              ("多样化的认证渠道破解", 300, 130), ("2", 80, 138), ("区人社局", 150, 138), ("9月上旬", 460, 138),
              ("养老认证难题", 300, 146),
              ("3", 80, 162), ("区商务局", 150, 162), ("以服务惠民众", 300, 162), ("9月8日", 460, 162)]),
     [["序号", "单位名称", "活动主题", "开展时间"], ["1", "区应急局", "走进应急管理", "9月中旬"],
      ["2", "区人社局", "多样化的认证渠道破解养老认证难题", "9月上旬"], ["3", "区商务局", "以服务惠民众", "9月8日"]]),
    # padded cells: units wrap over 3 lines beside a 1-line task centred on them; the
    # category is written once, on its first row (a merged cell: the rows below are empty)
    ("padded rows, units taller than the task",
     page_of([("类别", 60, 100), ("工作任务", 160, 100), ("责任单位", 330, 100), ("完成时限", 470, 100),
              ("加强公开", 60, 130), ("市财政局、市", 330, 120), ("公开预算", 160, 135), ("6月底前", 470, 135),
              ("税务局、市审", 330, 135), ("计局", 330, 150),
              ("市教育局、市", 330, 180), ("公开招生", 160, 195), ("及时公开", 470, 195), ("民政局、市人", 330, 195),
              ("社局", 330, 210)]),
     [["类别", "工作任务", "责任单位", "完成时限"], ["加强公开", "公开预算", "市财政局、市税务局、市审计局", "6月底前"],
      ["", "公开招生", "市教育局、市民政局、市人社局", "及时公开"]]),
]


@pytest.mark.parametrize("name,chars,expected", TABLE_CASES, ids=[c[0] for c in TABLE_CASES])
def test_borderless_shapes_are_tables(name, chars, expected):
    found = tables(chars)
    assert len(found) == 1, name
    assert texts(found[0]) == expected
    edges = found[0].part.col_edges
    assert len(edges) == len(expected[0]) + 1 and edges == sorted(edges)


# shapes that must stay text
BODY = "各县（市）区人民政府、各经济区管委会，市政府有关部门：现将有关事宜通知如下"
TEXT_CASES = [
    ("two-column signature block",
     page_of([("达州市财政局", 100, 600), ("达州市教育局", 350, 600),
              ("2022年5月26日", 100, 620), ("2022年5月26日", 350, 620)])),
    ("justified body text, letter-spaced lines",
     [c for r in range(6) for c in text_at(BODY[: 20 - r % 3], 80, 100 + r * 22, step=SIZE * 20 / (20 - r % 3) + 0.1)]
     + text_at("联系人", 80, 240, step=3 * SIZE)),
    ("centred title over body text",
     page_of([("关于开展政务开放日活动的通知", 150, 80)] + [(BODY[:22], 80, 110 + r * 22) for r in range(4)])),
    ("two label lines with wide gaps",
     page_of([("联系人：张三", 80, 700), ("联系电话：12345678", 330, 700),
              ("地址：人民路1号", 80, 720), ("邮编：635000", 330, 720)])),
]


@pytest.mark.parametrize("name,chars", TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_text_shapes_are_not_tables(name, chars):
    page = build_page(1, 595, 842, chars, [])
    assert page.tables == [], name
    assert page.lines  # the text is still there
    assert not any("without ruling lines" in w for w in page.warnings)


def test_a_found_table_is_noted_and_its_text_is_not_repeated_as_lines():
    page = build_page(3, 595, 842, schedule(SCHEDULE) + text_at("附件", 80, 60), [])
    assert page.warnings == ["page 3: 1 table(s) found without ruling lines (from word positions)"]
    assert [ln.text for ln in page.lines] == ["附件"]


@pytest.mark.parametrize("line,expected", [
    (text_at("市发展改革委", 80, 0) + text_at("4月7日", 80 + 6 * SIZE + 1.2 * SIZE, 0), ["市发展改革委", "4月7日"]),
    (text_at("市发展改革委", 80, 0) + text_at("4月7日", 80 + 6 * SIZE + 0.5 * SIZE, 0), ["市发展改革委4月7日"]),
    (text_at("联系人", 80, 0, step=3 * SIZE), ["联系人"]),  # letter-spaced: one segment
])
def test_segments(line, expected):
    assert ["".join(c.text for c in s.chars) for s in borderless.segments(line)] == expected


def test_a_page_of_5000_glyphs_is_read():
    """Not timed (the figure is in the report): a dense 50-row, 4-column page and
    a page of body text both go through; the schedule is one table of 50 rows."""
    rows = [(str(i), "单位名称" * 2, "2022年" + str(i)) for i in range(1, 50)]
    chars = schedule(rows, top=20)
    assert len(tables(chars)[0].part.grid) == 50
    body = [c for r in range(100) for c in text_at(BODY * 2 + "。", 20, 10 + r * 8, size=5, step=5.2)][:5000]
    assert tables(body) == []


STEMS = sorted(p.stem for p in BORDERLESS.glob("*.pdf"))


def test_fixtures_have_no_ruling_and_the_same_text():
    import pdfplumber

    assert STEMS == sorted(p.stem for p in (ROOT / "samples" / "notices").glob("*.pdf"))
    for stem in STEMS:
        with pdfplumber.open(BORDERLESS / f"{stem}.pdf") as b, pdfplumber.open(ROOT / "samples" / "notices" / f"{stem}.pdf") as a:
            for pa, pb in zip(a.pages, b.pages):
                assert not pb.lines and not pb.rects
                assert pa.extract_text() == pb.extract_text()


@pytest.fixture(scope="module")
def borderless_report():
    return evaluate(GOLD, BORDERLESS, formats=("pdf",))


@pytest.mark.parametrize("stem,floor", [
    ("000_667d92ae8c820e6e", 0.95),  # one-line-a-row schedules
    ("001_cbaf9ffe1ea5b1b9", 0.95),
    ("002_f368b6cade0a67ca", 0.90),  # merged categories, long wrapped tasks: see README
])
def test_borderless_fixtures_rows_f1(borderless_report, stem, floor):
    f = next(f for f in borderless_report.files if f.source == stem)
    assert f.error is None
    assert f.scores["rows"].f1 >= floor, (stem, f.scores["rows"].f1)


def test_ruled_samples_unchanged():
    report = evaluate(GOLD, ROOT / "samples" / "notices", formats=("pdf",))
    assert [f.error for f in report.files] == [None] * len(report.files)
    assert report.failures(0.98) == []
