"""extractors.dates: the case table in tests/data/dates.tsv, find_dates, properties."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors.dates import Reference, find_dates, normalize
from schemas.records import DATE_KINDS, PRECISIONS, RECURRENCE_UNITS

CASE_FILES = sorted((Path(__file__).parent / "data").glob("dates*.tsv"))  # the rules: tests/data/dates_spec.md


def load_cases() -> list[dict]:
    cases = []
    lines = [line for f in CASE_FILES for line in f.read_text(encoding="utf-8").split("\n")]
    for line in lines:
        if not line.strip() or line.startswith("#") or line.startswith("family\t"):
            continue
        family, text, ref_year, kind, start, end, precision, extra = (line.split("\t") + [""] * 8)[:8]
        extras = dict(kv.split("=", 1) if "=" in kv else (kv, "") for kv in extra.split(";") if kv)
        cases.append(dict(family=family, text=text, ref_year=int(ref_year), kind=kind, start=start or None,
                          end=end or None, precision=precision or None, extra=extras))
    return cases


CASES = load_cases()


def check(case: dict, span) -> list[str]:
    """Every way `span` differs from the case's expectation (empty: it matches)."""
    problems = []
    iso = lambda d: d.isoformat() if d else None  # noqa: E731
    for field, got in (("kind", span.kind), ("start", iso(span.start)), ("end", iso(span.end)),
                       ("precision", span.precision)):
        if got != case[field]:
            problems.append(f"{field}: {got!r} != {case[field]!r}")
    x = case["extra"]
    hhmm = lambda t: t.strftime("%H:%M") if t else None  # noqa: E731
    if "ts" in x and hhmm(span.time_start) != x["ts"]:
        problems.append(f"time_start {hhmm(span.time_start)} != {x['ts']}")
    if "te" in x and hhmm(span.time_end) != x["te"]:
        problems.append(f"time_end {hhmm(span.time_end)} != {x['te']}")
    if "every" in x and (span.recurrence is None or span.recurrence.every != x["every"]):
        problems.append(f"recurrence {span.recurrence} != every {x['every']}")
    if "day" in x and (span.recurrence is None or span.recurrence.day != int(x["day"])):
        problems.append(f"recurrence day {span.recurrence} != {x['day']}")
    if "dl" in x and (span.recurrence is None or span.recurrence.deadline != (x["dl"] == "true")):
        problems.append(f"recurrence deadline {span.recurrence} != {x['dl']}")
    if "interval" in x and (span.recurrence is None or span.recurrence.interval != int(x["interval"])):
        problems.append(f"recurrence interval {span.recurrence} != {x['interval']}")
    for key, attr in (("n", "number"), ("unit", "unit"), ("dir", "direction"), ("anchor", "anchor")):
        if key in x:
            got = getattr(span.offset, attr, None) if span.offset else None
            want = int(x[key]) if key == "n" else x[key]
            if got != want:
                problems.append(f"offset.{attr} {got!r} != {want!r}")
    if "warn" in x and not any(x["warn"] in w for w in span.warnings):
        problems.append(f"no warning containing {x['warn']!r}: {span.warnings}")
    if "nowarn" in x and span.warnings:
        problems.append(f"unexpected warnings {span.warnings}")
    return problems


def run(case: dict):
    ref_date = dt.date.fromisoformat(case["extra"]["ref_date"]) if "ref_date" in case["extra"] else None
    return normalize(case["text"], ref_year=case["ref_year"], ref_date=ref_date)


def test_the_case_table_is_big_enough():
    assert len(CASES) >= 1000
    assert len({c["family"] for c in CASES}) >= 25


@pytest.mark.parametrize("case", CASES, ids=[f"{c['family']}:{c['text']}:{c['ref_year']}" for c in CASES])
def test_case(case):
    assert check(case, run(case)) == []


# --------------------------------------------------------------------------- find_dates


@pytest.mark.parametrize(
    "text,expected",
    [
        ("于2022年8月26日前将活动实施方案纸质版报县政务公开办公室", [("2022年8月26日前", "deadline", None, "2022-08-26")]),
        ("（二）活动时间：2022年8月22日至2022年9月22日", [("2022年8月22日至2022年9月22日", "range", "2022-08-22", "2022-09-22")]),
        ("在“政务开放日”活动结束后 3个工作日内，将活动开展情况", [("活动结束后 3个工作日内", "relative", None, None)]),
        ("我县确定9月份集中开展，最迟不得超过10月份。", [("9月份", "period", "2022-09-01", "2022-09-30"),
                                                    ("最迟不得超过10月份", "deadline", None, "2022-10-31")]),
        ("在2022年6月底前报送工作推进情况，年底前形成工作报告", [("2022年6月底前", "deadline", None, "2022-06-30"),
                                                     ("年底前", "deadline", None, "2022-12-31")]),
        ("各部门应提前15天在政府门户网站发布活动公告", [("提前15天", "relative", None, None)]),
        ("2022年全市政务公开重点工作安排", []),  # a year that names the plan is not a date
        ("及时公开发布优化产业创新布局", []),  # continuous words in running text are left out
        ("年满18周岁具有完全民事行为能力的群众代表", []),
        ("9月5日前往现场", [("9月5日", "day", "2022-09-05", "2022-09-05")]),  # 前往 is not a deadline
        ("第十五届“5·15政务公开日”", []),
    ],
)
def test_find_dates(text, expected):
    found = find_dates(text, ref_year=2022)
    got = [(m.text, m.span.kind, m.span.start and m.span.start.isoformat(), m.span.end and m.span.end.isoformat())
           for m in found]
    assert got == expected
    for m in found:
        assert text[m.start:m.end] == m.text


# Running text with the notice's date (2023-03-06, a Monday): deixis, festivals, the lunar
# calendar and parts the patterns alone miss; what is counted from an event stays relative.
@pytest.mark.parametrize(
    "text,expected",
    [
        ("请于本月底前报送材料。", [("本月底前", "deadline", None, "2023-03-31")]),
        ("各单位于春节前完成自查", [("春节前", "deadline", None, "2023-01-21")]),
        ("国庆节后一周内上报总结", [("国庆节后一周内", "deadline", None, "2023-10-08")]),
        ("下周五前提交名单", [("下周五前", "deadline", None, "2023-03-17")]),
        ("农历八月十五举办晚会", [("农历八月十五", "day", "2023-09-29", "2023-09-29")]),
        ("五一假前完成安全检查", [("五一假前", "deadline", None, "2023-04-28")]),
        ("2023年中秋节期间加强值守", [("2023年中秋节期间", "period", "2023-09-29", "2023-10-06")]),
        ("于下月10日前报送", [("下月10日前", "deadline", None, "2023-04-10")]),
        ("请于15日前报送", [("15日前", "deadline", None, "2023-03-15")]),  # the 15th, not 15 days ago
        ("今年年底前完成整改", [("今年年底前", "deadline", None, "2023-12-31")]),
        ("本周内完成自查", [("本周内", "period", "2023-03-06", "2023-03-12")]),
        ("1-3月开展自查", [("1-3月", "range", "2023-01-01", "2023-03-31")]),
        ("2023年1至3月份开展", [("2023年1至3月份", "range", "2023-01-01", "2023-03-31")]),
        ("国庆节至10月7日开展", [("国庆节至10月7日", "range", "2023-10-01", "2023-10-07")]),
        ("3月1日至本月底集中整治", [("3月1日至本月底", "range", "2023-03-01", "2023-03-31")]),
        ("从2005年起至今", [("从2005年起至今", "range", "2005-01-01", "2023-03-06")]),
        ("每月最后一天报送", [("每月最后一天", "recurring", None, None)]),
        ("活动结束后3个工作日内报送", [("活动结束后3个工作日内", "relative", None, None)]),
        ("活动当天签到", []),  # 当天 of an event, not of the notice
        ("共有十一个单位参加", []),  # 十一 is a number here, not National Day
        ("遇大雪天气暂停", []),  # a solar term's name as weather
        ("清明节前后开展祭扫", [("清明节前后", "day", "2023-04-05", "2023-04-05")]),
    ],
)
def test_find_dates_against_the_notice_date(text, expected):
    found = Reference(2023, dt.date(2023, 3, 6)).find(text)
    got = [(m.text, m.span.kind, m.span.start and m.span.start.isoformat(), m.span.end and m.span.end.isoformat())
           for m in found]
    assert got == expected
    for m in found:
        assert text[m.start:m.end] == m.text


def test_find_dates_spans_survive_chinese_numerals():
    text = "定于二〇二二年九月十五日举行，十一月三十日前报送。"
    found = find_dates(text, ref_year=2022)
    assert [m.text for m in found] == ["二〇二二年九月十五日", "十一月三十日前"]
    assert [text[m.start:m.end] for m in found] == [m.text for m in found]


def test_what_special_skips_as_plain_no_rule_would_change():
    import extractors.dates_extra as extra
    from extractors.dates import prepare_text

    plain = 0
    for case in CASES:
        core = prepare_text(case["text"]).strip("。，,；;：:、.!！?？()（）[]【】“”\"'‘’ ")
        if extra.PLAIN.fullmatch(core):
            plain += 1
            ref = case["extra"].get("ref_date")
            ref_date = dt.date.fromisoformat(ref) if ref else dt.date(case["ref_year"], 3, 6)
            assert extra.rules(core, core, case["ref_year"], ref_date) == (None, core), core
    assert plain >= 100


def test_no_year_gives_a_warning_not_a_guess():
    span = normalize("9月5日")
    assert span.kind == "day" and span.start is None and any("year" in w for w in span.warnings)


def test_several_dates_in_one_cell_become_a_range_with_a_warning():
    span = normalize("9月5日、9月8日", ref_year=2022)
    assert (span.kind, span.start, span.end) == ("range", dt.date(2022, 9, 5), dt.date(2022, 9, 8))
    assert span.warnings


# --------------------------------------------------------------------------- properties

CN = "〇一二三四五六七八九"


def cn_digits(n: int) -> str:
    return "".join(CN[int(c)] for c in str(n))


def cn_number(n: int) -> str:
    if n < 10:
        return CN[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN[tens]) + "十" + (CN[ones] if ones else "")


dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2049, 12, 31))


@settings(max_examples=300, deadline=None)
@given(dates)
def test_valid_dates_round_trip_through_their_spellings(d):
    spellings = [
        f"{d.year}年{d.month}月{d.day}日",
        f"{cn_digits(d.year)}年{cn_number(d.month)}月{cn_number(d.day)}日",
        f"{d.year}-{d.month:02d}-{d.day:02d}",
        f"{d.year}.{d.month}.{d.day}",
        f"{d.year}/{d.month}/{d.day}",
        f"{d.year} 年 {d.month} 月 {d.day} 日",
        f"{d.year}年{d.month}月{d.day}日".translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    ]
    for text in spellings:
        span = normalize(text)
        assert (span.kind, span.start, span.end) == ("day", d, d), text


@settings(max_examples=300, deadline=None)
@given(dates, st.integers(min_value=0, max_value=400))
def test_ranges_start_before_they_end(d, days):
    e = d + dt.timedelta(days=days)
    span = normalize(f"{d.year}年{d.month}月{d.day}日至{e.year}年{e.month}月{e.day}日")
    assert span.kind == "range" and span.start == d and span.end == e


def _no_internal_error(span) -> None:
    """normalize catches every exception (a batch must go on) and says so in a
    warning: "never raises" means no such warning, not merely no exception."""
    assert not any(w.startswith("internal error") for w in span.warnings), (span.text, span.warnings)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789年月日旬上中下底前至到-—~每季度周星期一二三十〇号时点:：（）() 个工作天内后提前半全初末份截止最迟本今明春节国庆农历腊正清明左右"))))
def test_date_like_noise_never_raises_and_keeps_start_before_end(text):
    span = normalize(text, ref_year=2022)
    _no_internal_error(span)
    assert span.kind in DATE_KINDS and span.precision in (*PRECISIONS, None)
    assert span.recurrence is None or span.recurrence.every in (*RECURRENCE_UNITS, None)
    if span.start and span.end:
        assert span.start <= span.end
    dated = Reference(2022, dt.date(2022, 3, 6))
    _no_internal_error(dated.read(text))
    for m in find_dates(text, ref_year=2022) + dated.find(text):
        _no_internal_error(m.span)
        assert 0 <= m.start < m.end <= len(text)
        if m.span.start and m.span.end:
            assert m.span.start <= m.span.end


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789〇零○一二两三四五六七八九十百年月日号周星期第个天 \u3000０１２：:．-"))))
def test_the_fast_preparation_is_the_mapped_one_without_its_map(text):
    from extractors.dates import prepare, prepare_text

    norm, pos = prepare(text)
    assert prepare_text(text) == norm and len(pos) == len(norm)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises(text):
    _no_internal_error(normalize(text))
    _no_internal_error(normalize(text, ref_year=2022, ref_date=dt.date(2022, 5, 1)))
    dated = Reference(2022, dt.date(2022, 3, 6))
    _no_internal_error(dated.read(text))
    for m in find_dates(text, ref_year=2022) + dated.find(text):
        _no_internal_error(m.span)
