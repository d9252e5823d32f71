"""Festivals, official holidays, the lunar calendar and the 24 solar terms.

    festival_span("春节前", 2024)        -> deadline, end 2024-02-09 (the day before 2024-02-10)
    festival_span("国庆节期间", 2023)    -> period 2023-09-29 .. 2023-10-06 (the official holiday)
    festival_span("五一假前", 2024)      -> deadline on the last working day before the May Day holiday
    festival_span("腊月二十三", 2023)    -> day 2024-02-02 (in the lunar year that starts in 2023)

The days come from maintained calendars, not from tables of our own: lunar dates
and solar terms from lunar-python, the official holidays and working days from
chinese-calendar. The festivals' rules are data (dates.toml [festivals]).
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

import regex

from extractors.vocab import alternation, fast_pattern, table
from schemas.records import DateSpan, Offset

_CN_DAY = {"初一": 1, "初二": 2, "初三": 3, "初四": 4, "初五": 5, "初六": 6, "初七": 7, "初八": 8, "初九": 9, "初十": 10}


def _festivals() -> dict:
    return table("dates.toml")["festivals"]


def _lunar_day(text: str) -> int | None:
    """初一..初十, 十一..二十, 廿一..廿九, 三十 (or digits) -> 1..30."""
    if text in _CN_DAY:
        return _CN_DAY[text]
    if text.isdigit():
        return int(text)
    t = text.replace("廿", "二十").replace("卅", "三十")
    digits = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
    if t == "十":
        return 10
    if t.startswith("二十") or t.startswith("三十"):
        tens = 20 if t[0] == "二" else 30
        rest = t[2:]
        return tens + (digits.get(rest, 0) if rest else 0) if not rest or rest in digits else None
    if t.startswith("十") and len(t) == 2 and t[1] in digits:
        return 10 + digits[t[1]]
    return None


@lru_cache(maxsize=4096)  # lunar_python computes a lunar year astronomically: ~6 ms
def lunar_to_solar(year: int, month: int, day: int) -> dt.date | None:
    """The Gregorian day of lunar month/day in the lunar year that starts in `year`."""
    from lunar_python import Lunar

    try:
        s = Lunar.fromYmd(year, month, day).getSolar()
    except Exception:  # no such lunar day (a 30th in a short month)
        return None
    return dt.date(s.getYear(), s.getMonth(), s.getDay())


@lru_cache(maxsize=256)
def solar_terms(year: int) -> dict[str, dt.date]:
    """The 24 solar terms of the Gregorian year."""
    from lunar_python import Solar

    out: dict[str, dt.date] = {}
    terms = table("dates.toml")["festivals"]["solar_terms"]
    for probe in (dt.date(year, 3, 1), dt.date(year, 9, 1), dt.date(year, 12, 31)):
        for name, s in Solar.fromYmd(probe.year, probe.month, probe.day).getLunar().getJieQiTable().items():
            name = _PINYIN_TERMS.get(name, name)  # the neighbouring year's terms are keyed in pinyin
            d = dt.date(s.getYear(), s.getMonth(), s.getDay())
            if d.year == year and name in terms:
                out.setdefault(name, d)
    return out


_PINYIN_TERMS = {"DONG_ZHI": "冬至", "XIAO_HAN": "小寒", "DA_HAN": "大寒", "LI_CHUN": "立春", "YU_SHUI": "雨水",
                 "JING_ZHE": "惊蛰", "DA_XUE": "大雪"}


@lru_cache(maxsize=4096)
def festival_day(name: str, year: int) -> dt.date | None:
    rule = _festivals().get(name)
    if not isinstance(rule, str):
        return None
    kind, _, arg = rule.partition(":")
    if kind == "solar":
        m, d = map(int, arg.split("-"))
        return dt.date(year, m, d)
    if kind == "lunar":
        m, d = map(int, arg.split("-"))
        return lunar_to_solar(year, m, d)
    if kind == "term":
        return solar_terms(year).get(arg)
    if kind == "nth":
        m, n, weekday = map(int, arg.split("-"))
        first = dt.date(year, m, 1)
        return first + dt.timedelta(days=(weekday - first.isoweekday()) % 7 + 7 * (n - 1))
    if kind == "eve":
        spring = lunar_to_solar(year, 1, 1)
        return spring - dt.timedelta(days=1) if spring else None
    return None


@lru_cache(maxsize=1)
def _calendar():
    from chinese_calendar.constants import holidays, workdays

    return frozenset(holidays), frozenset(workdays), min(holidays).year, max(holidays).year


def is_working_day(d: dt.date) -> bool:
    holidays, workdays, _, _ = _calendar()
    return d in workdays or (d.weekday() < 5 and d not in holidays)


@lru_cache(maxsize=4096)
def official_holiday(name: str, year: int) -> tuple[dt.date, dt.date] | None:
    """The official public holiday a festival gives in `year`: the run of days off
    (weekends inside included) around the festival's day, by chinese-calendar."""
    official = _festivals()["official"].get(name)
    day = festival_day(official or "", year) if official else None
    _, _, first, last = _calendar()
    if day is None or not first <= year <= last:
        return None
    off = next((day + dt.timedelta(days=k) for k in (0, 1, -1, 2, -2) if not is_working_day(day + dt.timedelta(days=k))),
               None)
    if off is None:
        return None
    start = end = off
    while not is_working_day(start - dt.timedelta(days=1)):
        start -= dt.timedelta(days=1)
    while not is_working_day(end + dt.timedelta(days=1)):
        end += dt.timedelta(days=1)
    return start, end


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern]:
    f = _festivals()
    names = [k for k, v in f.items() if isinstance(v, str)]
    fest = alternation(names)
    months = alternation(list(f["lunar_months"]))
    terms = alternation(f["solar_terms"])
    year = r"(?:(?P<y>(?:19|20)\d{2})年|(?P<yr>今年|明年|去年|本年))?"
    return {
        "festival": fast_pattern(
            rf"^{year}(?P<name>{fest})(?P<tail>"
            r"|前|之前|以前|前夕|当天|当日|期间|假期|假期间|放假期间|假前|放假前|节前|后|之后|节后"
            r"|(?:后|节后)(?P<n>\d{1,2})(?P<unit>天|日|周|个星期)(?P<within>内|以内|之内)?"
            r"|(?:节后|后|假期后|假后)(?:上班)?第[1一](?:个工作日|天))$"),
        "lunar": fast_pattern(rf"^{year}(?P<lunar>农历|阴历)?(?P<m>{months}|\d{{1,2}})月"
                               r"(?P<d>初[一二三四五六七八九十]|[二三]?十[一二三四五六七八九]?|廿[一二三四五六七八九]|卅|\d{1,2})(?:日)?$"),
        "term": fast_pattern(rf"^{year}(?P<term>{terms})(?P<tail>|前|当天|当日)$"),
    }


def festive_pattern() -> str:
    """What a festival, a solar term or a lunar date needs in the text (a regex)."""
    f = _festivals()
    words = [k for k, v in f.items() if isinstance(v, str)] + f["solar_terms"]
    return alternation(words) + r"|农历|阴历|[正冬腊]月|月(?:初[一二三四五六七八九十]|[廿卅])"


@lru_cache(maxsize=1)
def _festive() -> tuple:
    f = _festivals()
    words = [k for k, v in f.items() if isinstance(v, str)] + f["solar_terms"]
    first_chars = "".join(sorted({w[0] for w in words})) + "农阴正冬腊初廿卅"
    # a character class first (0.1 us), then the words (`regex` scans this alternation
    # of short strings faster than the stdlib engine)
    return fast_pattern(f"[{first_chars}]"), regex.compile(festive_pattern())


def may_be_festive(core: str) -> bool:
    """Whether `core` names a festival, a solar term or a lunar date at all: a cheap
    test before festival_span (most dates name none)."""
    first, words = _festive()
    return first.search(core) is not None and words.search(core) is not None


def _year(m: re.Match, ref_year: int | None) -> int | None:
    if m.group("y"):
        return int(m.group("y"))
    if ref_year is None:
        return None
    return ref_year + {"明年": 1, "去年": -1}.get(m.group("yr") or "", 0)


def festival_span(core: str, ref_year: int | None, text: str | None = None) -> DateSpan | None:
    """A festival, a holiday, a lunar date or a solar term (see the module
    docstring); None when `core` is none of them."""
    text = text if text is not None else core
    p = _patterns()
    m = p["lunar"].match(core)
    # lunar only where it says so: 农历…, 正月/冬月/腊月, or a day 初三/廿三 (三月十四 is March 14th)
    if m and (m.group("lunar") or m.group("m") in ("正", "冬", "腊") or m.group("d")[0] in "初廿卅"):
        year = _year(m, ref_year)
        month = int(m.group("m")) if m.group("m").isdigit() else _festivals()["lunar_months"][m.group("m")]
        day = _lunar_day(m.group("d"))
        if year is None or day is None:
            return None
        d = lunar_to_solar(year, month, day)
        if d is None:
            return DateSpan(text, "unknown", warnings=[f"invalid date: no lunar {month}/{day} in {year}"])
        return DateSpan(text, "day", d, d, "day")
    if m := p["term"].match(core):
        year = _year(m, ref_year)
        if year is None:
            return None
        d = solar_terms(year).get(m.group("term"))
        if d is None:
            return None
        if m.group("tail") == "前":
            return DateSpan(text, "deadline", None, d - dt.timedelta(days=1), "day")
        return DateSpan(text, "day", d, d, "day")
    m = p["festival"].match(core)
    if not m:
        return None
    year = _year(m, ref_year)
    if year is None:
        return DateSpan(text, "unknown", warnings=["no year: give ref_year (the notice's year)"])
    name, tail = m.group("name"), m.group("tail")
    day = festival_day(name, year)
    if day is None:
        return None
    one = dt.timedelta(days=1)
    if tail in ("", "当天", "当日"):
        return DateSpan(text, "day", day, day, "day")
    if tail in ("前", "之前", "以前", "前夕", "节前"):
        return DateSpan(text, "deadline", None, day - one, "day")
    if tail in ("后", "之后", "节后"):
        return DateSpan(text, "relative", day + one, None, "day", offset=Offset(0, "days", "after", name))
    if m.group("n"):
        n = int(m.group("n")) * (1 if m.group("unit") in ("天", "日") else 7)
        if m.group("within"):
            return DateSpan(text, "deadline", None, day + dt.timedelta(days=n), "day")
        d = day + dt.timedelta(days=n)
        return DateSpan(text, "day", d, d, "day")
    holiday = official_holiday(name, year)
    if holiday is None:
        span = DateSpan(text, "day", day, day, "day")
        span.warnings.append(f"the official holiday of {year} is not known (chinese-calendar): the festival's day")
        return span
    start, end = holiday
    if tail in ("期间", "假期", "假期间", "放假期间"):
        return DateSpan(text, "period", start, end, "day")
    if tail in ("假前", "放假前"):
        d = start - one
        while not is_working_day(d):
            d -= one
        return DateSpan(text, "deadline", None, d, "day")
    d = end + one  # the first working day after the holiday
    while not is_working_day(d):
        d += one
    return DateSpan(text, "day", d, d, "day")
