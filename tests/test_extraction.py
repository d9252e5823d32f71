"""The whole extraction on the real samples, in every format."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

import pytest

from helpers import FORMATS, ROOT, sample
from extractors.notice import extract_file
from pipeline.evaluate import GATED, evaluate


@lru_cache(maxsize=None)
def extracted(prefix: str, fmt: str):
    return extract_file(sample(prefix, fmt))


@pytest.fixture(scope="module")
def report():
    return evaluate(ROOT / "samples" / "gold", ROOT / "samples" / "notices")


def test_every_gated_field_reaches_f1_098_on_every_sample_and_format(report):
    assert len(report.files) == 15
    assert report.failures(0.98) == []
    overall = report.overall()
    for name in GATED:
        if overall[name].counted:
            assert overall[name].f1 >= 0.98, name


@pytest.mark.parametrize("fmt", FORMATS)
def test_001_first_row(fmt):
    it = extracted("001", fmt).items[0]
    assert (it.item_type, it.units, it.theme, it.date_text) == ("schedule", ["区应急局"], "科学防汛减灾 走进应急管理", "9月中旬")
    assert (it.date.kind, it.date.start, it.date.end, it.date.precision) == (
        "period", dt.date(2022, 9, 11), dt.date(2022, 9, 20), "xun")
    assert it.units_canonical == ["雁江区应急管理局"]
    assert it.source_table == 1 and it.source_row == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_001_date_before_the_activity_window_is_flagged(fmt):
    items = extracted("001", fmt).items
    laojun = next(it for it in items if it.units == ["老君镇"])
    assert laojun.date.start == dt.date(2022, 8, 19)
    assert any("outside the activity period 2022-08-22..2022-09-22" in w for w in laojun.warnings)
    flagged = {it.units[0] for it in items if any("outside" in w for w in it.warnings)}
    assert flagged == {"老君镇", "东峰镇"}  # 8月19日 and 8月中旬 are before 8月22日


@pytest.mark.parametrize("fmt", FORMATS)
def test_002_row_with_six_units(fmt):
    items = extracted("002", fmt).items
    assert len(items) == 71 and all(it.item_type == "task" for it in items)
    it = next(i for i in items if i.task.startswith("规范公布并动态更新权责清单"))
    assert it.units == ["市委编办", "市司法局", "市政管局", "各县（市、区）人民政府", "达州高新区管委会", "达州东部经开区管委会"]
    assert it.units_canonical[0] == "达州市委机构编制委员会办公室"
    shared = next(i for i in items if i.task.startswith("完善市政府公报数据库"))
    assert shared.date_text == "11月30日前" and shared.date.end == dt.date(2022, 11, 30)
    assert shared.units[0] == "市政府信息公开管理中心"
    kinds = {i.date.kind for i in items}
    assert kinds == {"deadline", "continuous", "recurring"}


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_002_categories_from_merged_cells(fmt):
    items = extracted("002", fmt).items
    assert items[0].category == "加强重点领域信息公开，增强政策公开透明度"
    assert items[0].subcategory == "加强稳增长信息公开"
    assert items[-1].category == "加强完善机制创新建设，确保工作落地落实"
    assert items[-1].subcategory == "完善工作促进机制"


@pytest.mark.parametrize("fmt", FORMATS)
def test_003_inline_schedule(fmt):
    r = extracted("003", fmt)
    assert [(it.units_canonical, it.date.start) for it in r.items] == [
        (["西吉县农业农村局", "西吉县乡村振兴局"], dt.date(2022, 9, 5)),
        (["西吉县民政局", "西吉县医疗保障局"], dt.date(2022, 9, 6)),
        (["西吉县教育和体育局", "西吉县卫生健康局"], dt.date(2022, 9, 7)),
        (["西吉县人力资源和社会保障局", "西吉县住房和城乡建设局"], dt.date(2022, 9, 8)),
    ]
    assert r.meta.year_source == "title"  # no issue date, no document number
    deadlines = {(d.date.text, d.date.end) for d in r.dates if d.date.kind == "deadline"}
    assert ("2022年8月26日前", dt.date(2022, 8, 26)) in deadlines
    assert ("最迟不得超过10月份", dt.date(2022, 10, 31)) in deadlines
    sentence = next(d.sentence for d in r.dates if d.date.text == "2022年8月26日前")
    assert "纸质版报县政务公开办公室" in sentence


@pytest.mark.parametrize("fmt", FORMATS)
def test_004_unit_list_and_telegram_header(fmt):
    r = extracted("004", fmt)
    # the activities' bracketed responsibilities (（市政府办公室负责，市政府相关部门配合）), then the unit list
    tasks = [it for it in r.items if it.item_type == "task"]
    units = [it for it in r.items if it.item_type == "list"]
    assert (len(tasks), len(units), len(r.items)) == (6, 35, 41)
    assert (tasks[0].units, tasks[0].unit_roles) == (["市政府办公室", "市政府相关部门"], [None, "support"])
    assert units[0].units == ["市发展改革委"] and units[-1].units == ["国家统计局丹东调查队"]
    assert r.meta.doc_number.text == "丹政办明电〔2021〕7号"
    assert r.meta.issuer == "丹东市人民政府办公室"
    body = {(d.date.text, d.date.kind) for d in r.dates}
    assert ("5月14日至21日", "range") in body and ("5月20日16时前", "deadline") in body


@pytest.mark.parametrize("fmt", FORMATS)
def test_provenance_points_at_the_page_and_row(fmt):
    items = extracted("002", fmt).items
    assert [it.source_row for it in items] == list(range(1, 72))
    if fmt == "pdf":
        assert items[0].source_page == 12 and items[-1].source_page == 22
        assert all(12 <= it.source_page <= 22 for it in items)
