"""More of the language of Chinese time, before the main grammar (extractors/dates.py).

`special(core, ref_year, ref_date)` takes a prepared expression and either
answers it (a week, a part of a period, a decade, a bare year, a festival, a
lunar date) or rewrites it into what the main grammar reads: numeric forms into
年月日 (20230506, 2001.03, 7·15, 2023-05-0608:30), two-digit years into the
nearest century (97年 -> 1997年 from 2022), 自…起至…止 into …至…止, and, given
the reference date, deixis into dates (下周三 -> 2024年3月13日, 本月底前 ->
2024年3月底前, 至今 -> 至2024年3月8日). So compositions (上周一到本周三,
2016年3月到下个月10号) need no grammar of their own.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from functools import lru_cache
from typing import NamedTuple

from extractors.dates_calendar import festival_span, may_be_festive
from extractors.vocab import alternation, fast_pattern, table
from schemas.records import DateSpan


class Special(NamedTuple):
    span: DateSpan | None  # the answer, when the expression is one of the forms here
    core: str  # else the expression rewritten for the main grammar


def _v() -> dict:
    return table("dates.toml")


def _d(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    k = year * 12 + (month - 1) + n
    return k // 12, k % 12 + 1


def _valid(y: int, m: int, d: int) -> bool:
    return 1 <= m <= 12 and 1 <= d <= _last_day(y, m)


def nearest_century(two: int, ref_year: int | None) -> int:
    """97 -> 1997 and 16 -> 2016 from 2022: the century that puts it nearest."""
    ref = ref_year or dt.date.today().year
    base = ref - ref % 100
    return min((base - 100 + two, base + two, base + 100 + two), key=lambda y: abs(y - ref))


_YEAR_WORDS = ("今年", "本年", "明年", "次年", "去年", "上年", "前年", "后年")


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern]:
    dx = _v()["deixis"]
    weeks = alternation(list(dx["weeks"]))
    months = alternation(list(dx["months"]))
    quarters = alternation(list(dx["quarters"]))
    wname = alternation(dx["week_names"])
    days = alternation(list(dx["days"]))
    now = alternation(dx["now"])
    wd = "[一二三四五六日天1-7]"
    return {
        # 8月26、27日, 3月5日、6日、7日: consecutive days of one month listed (a schedule's two-day event)
        "day_list": fast_pattern(r"(?<=月)(\d{1,2}(?:[日号]?、\d{1,2})+)([日号])"),
        "seconds": fast_pattern(r"(\d{1,2}:\d{2}):\d{2}"),
        "run_on_time": fast_pattern(r"((?:19|20)\d{2}[-./]\d{1,2}[-./]\d{2})(?=\d{1,2}:\d{2})"),
        "eight_digits": fast_pattern(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)日?"),
        # 2001.03 (a month), not 2023-05 of 2023-05-06 (a day follows)
        "year_month": fast_pattern(r"(?<![\d./])((?:19|20)\d{2})[.\-/](\d{1,2})(?![\d]|[.\-/]\d{1,2}(?!\d))"),
        "year_range": fast_pattern(r"^((?:19|20)\d{2})(?=[-—–~～至到](?:19|20)\d{2}年?$)"),
        "year_after_conn": fast_pattern(r"(?<=[-—–~～至到])((?:19|20)\d{2})$"),
        "month_day": fast_pattern(r"^(\d{1,2})[-/·.](\d{1,2})(?:号|日)?(?![\d月])"),
        "bare_day": fast_pattern(r"(\d{1,2}月\d{1,2})(?=$|[至到\-—–~～]|前|之前|以前)"),
        "bare_day_end": fast_pattern(r"(?<=\d月\d{1,2}日?[至到\-—–~～])(\d{1,2})$"),
        "short_year": fast_pattern(r"(?<![\d世纪])(\d{2})(?=年(?!代))"),
        "month_range": fast_pattern(r"(?:(?<=^)|(?<=年))(?P<m1>\d{1,2}|[一二三四五六七八九十]{1,3})(?=[-—–~～至到]\d{1,2}月)"),
        # 国庆节至10月7日, 春节到元宵节: a festival at either end of a range
        "range_ends": fast_pattern(r"^(?P<a>(?:从|自)?[^至到\-—–~～]+?)(?:起)?(?P<conn>[至到\-—–~～])(?P<b>[^至到\-—–~～]+?)(?P<stop>止)?$"),
        "connector": fast_pattern(r"[-—–~～至到]"),
        "month_word_gate": fast_pattern(r"[本这当下上]"),
        "numeric_sep": fast_pattern(r"[-/·.]"),
        "year_word": fast_pattern(rf"^(?P<w>{'|'.join(_YEAR_WORDS)})(?=.)"),
        "year_year_part": fast_pattern(r"(?<=\d{3,4}年)年(?=底|末|初|中|内)"),  # 2023年年底前: 年 said twice
        # 15日前, 20号前, 20号: a day of the month the notice is dated in (or of the next, once passed)
        "day_of_month": fast_pattern(r"^(?P<d>\d{1,2})(?:[日号](?P<tail>前|之前|以前)|号)$"),
        "days_of_month": fast_pattern(r"^(?P<d>\d{1,2})[日号]?[-—–~～至到](?P<d2>\d{1,2})[日号]$"),  # 15日至20日
        # 本周内, 本月内, 月内, 下季度内: within a named period is the period (as 年内 is the year)
        "within_named": fast_pattern(
            rf"^(?P<w>{weeks}|{months}|{quarters})?(?P<unit>(?:个)?(?:{wname})|月份?|季度)(?:内|以内|之内)$"),
        "from": fast_pattern(r"^(?:自|从|由)"),
        "since": fast_pattern(r"(?:起|开始)(?=[至到\-—–~～])"),
        "now_end": fast_pattern(rf"(?<=[至到\-—–~～])(?:{now})$"),
        "now": fast_pattern(rf"^(?:{now})$"),
        "day_gate": fast_pattern(days),
        "day_word": fast_pattern(rf"(?:(?<=^)|(?<=[至到从自起\-—–~～]))(?:{days})(?![天日])"),
        "week_day": fast_pattern(rf"(?<![日号(（\d每个])(?P<w>{weeks})?(?:个)?(?:{wname})(?P<d>{wd})"),
        "week": fast_pattern(rf"^(?P<w>{weeks})(?:个)?(?:{wname})$"),
        "week_range": fast_pattern(rf"^(?:从|自)?(?P<a>{weeks})(?:个)?(?:{wname})(?:起)?[至到](?P<b>{weeks})(?:个)?(?:{wname})(?:止)?$"),
        "month_word": fast_pattern(rf"(?:(?<=^)|(?<=[至到从自起\-—–~～]))(?P<w>{months})月(?!份?[\d]月)"),
        "week_word": fast_pattern(rf"(?:(?<=^)|(?<=[至到从自起\-—–~～]))(?P<w>{weeks})(?:个)?(?:{wname})(?![一二三四五六日天1-7])"),
        "quarter_word": fast_pattern(rf"(?:(?<=^)|(?<=[至到从自起\-—–~～]))(?P<w>{quarters})(?:[一1])?季度"),
        "month_part_alone": fast_pattern(r"^(?=月(?:份)?(?:底|末|初|中|上旬|中旬|下旬))"),
        "after_work": fast_pattern(r"(?:上午|下午|晚上)?下班前$"),
        # what a rule needs to be worth trying: most expressions need none of them (speed)
        # parts of periods (after the rewrites above)
        "first_quarters": fast_pattern(r"^(?:(?P<y>\d{3,4})年(?:度)?)?前(?P<n>[1-4])(?:个)?季度$"),
        "first_months": fast_pattern(r"^(?:(?P<y>\d{3,4})年(?:度)?)?前(?P<n>\d{1,2})个月(?:份)?$"),
        "first_days": fast_pattern(r"^(?:(?P<y>\d{3,4})年)?(?P<m>\d{1,2})月(?:份)?(?:的)?前(?P<n>\d{1,2})(?:天|日)$"),
        "last_days": fast_pattern(r"^(?:(?P<y>\d{3,4})年)?(?P<m>\d{1,2})月(?:份)?(?:的)?(?:最后|后)(?P<n>\d{1,2})(?:天|日)$"),
        "nth_week": fast_pattern(r"^(?:(?P<y>\d{3,4})年)?(?P<m>\d{1,2})月(?:份)?(?:的)?第(?P<n>[1-6])(?:个)?(?:周|星期)$"),
        "last_week": fast_pattern(r"^(?:(?P<y>\d{3,4})年)?(?P<m>\d{1,2})月(?:份)?(?:的)?最后[一1](?:个)?(?:周|星期)$"),
        "nth_weekday": fast_pattern(
            rf"^(?:(?P<y>\d{{3,4}})年)?(?P<m>\d{{1,2}})月(?:份)?(?:的)?(?:第(?P<n>[1-5一二三四五])|(?P<last>最后[一1]))个?(?:{wname})(?P<d>{wd})$"),
        "first_quarter": fast_pattern(r"^(?:(?P<y>\d{3,4})年)?首(?:个)?季度?$"),
        "first_month": fast_pattern(r"^(?:(?P<y>\d{3,4})年)?首月$"),
        "decade": fast_pattern(r"^(?:(?P<c>\d{2}|二十一|二十|上个?)世纪)?(?P<d>\d)0年代$"),
        "century": fast_pattern(r"^(?P<c>\d{2}|二十一|二十|上个?|本)世纪$"),
        "bare_year": fast_pattern(r"^(?P<y>(?:19|20)\d{2})(?:年度?)?$"),
        "old_year": fast_pattern(r"^(?P<y>\d{3})年$"),
    }


@lru_cache(maxsize=1)
def _now_words() -> frozenset[str]:
    return frozenset(_v()["deixis"]["now"])


@lru_cache(maxsize=1)
def _now_ends() -> tuple[str, ...]:
    return tuple(_v()["deixis"]["now"])


_CONNECTOR_CHARS = "-—–~～至到"
_DAY_WORD_FIRST = frozenset("今当明次后大昨前")  # the first characters of [deixis] days


def _sub(pattern, repl, core: str) -> str:
    """pattern.sub, skipped where the pattern does not occur: a failed search costs
    less than a sub that finds nothing (which still prepares its replacement)."""
    return pattern.sub(repl, core) if pattern.search(core) else core


def _month_number(s: str) -> int:
    if s.isdigit():
        return int(s)
    units = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
    if s.startswith("十"):
        return 10 + units.get(s[1:], 0)
    return units.get(s, 0)


_WEEKDAY = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7}


def _weekday(s: str) -> int:
    return int(s) if s.isdigit() else _WEEKDAY[s]


def _monday(d: dt.date) -> dt.date:
    return d - dt.timedelta(days=d.isoweekday() - 1)


def _year_of(m: re.Match, ref_year: int | None) -> int | None:
    return int(m.group("y")) if m.group("y") else ref_year


def _period(text: str, start: dt.date, end: dt.date, precision: str) -> DateSpan:
    return DateSpan(text, "period", start, end, precision)


def _century(c: str, ref_year: int | None) -> int | None:
    if c in ("上", "上个"):
        return (ref_year or dt.date.today().year - 1) // 100  # the one before the reference's (1-based)
    if c == "本":
        return (ref_year or dt.date.today().year - 1) // 100 + 1
    return {"二十一": 21, "二十": 20}.get(c) or (int(c) if c.isdigit() else None)


def _parts(text: str, core: str, ref_year: int | None) -> DateSpan | None:
    p = _patterns()
    first_or_last = "前" in core or "后" in core
    weekly = "周" in core or "星期" in core
    if first_or_last and "季度" in core and (m := p["first_quarters"].match(core)):
        y = _year_of(m, ref_year)
        if y:
            n = int(m.group("n"))
            return _period(text, dt.date(y, 1, 1), dt.date(y, 3 * n, _last_day(y, 3 * n)), "quarter")
    if first_or_last and "个月" in core and (m := p["first_months"].match(core)):
        y, n = _year_of(m, ref_year), int(m.group("n"))
        if y and 1 <= n <= 12:
            return _period(text, dt.date(y, 1, 1), dt.date(y, n, _last_day(y, n)), "month")
    for key in ("first_days", "last_days") if first_or_last and core[-1:] in ("天", "日") else ():
        if m := p[key].match(core):
            y, month, n = _year_of(m, ref_year), int(m.group("m")), int(m.group("n"))
            if y and 1 <= month <= 12 and 1 <= n <= _last_day(y, month):
                last = _last_day(y, month)
                a, b = (1, n) if key == "first_days" else (last - n + 1, last)
                return _period(text, dt.date(y, month, a), dt.date(y, month, b), "day")
    if weekly and "第" in core and (m := p["nth_week"].match(core)):
        y, month, n = _year_of(m, ref_year), int(m.group("m")), int(m.group("n"))
        if y and 1 <= month <= 12 and 7 * (n - 1) < _last_day(y, month):
            last = _last_day(y, month)
            return _period(text, dt.date(y, month, 7 * (n - 1) + 1), dt.date(y, month, min(7 * n, last)), "week")
    if weekly and "最后" in core and (m := p["last_week"].match(core)):
        y, month = _year_of(m, ref_year), int(m.group("m"))
        if y and 1 <= month <= 12:
            last = _last_day(y, month)
            return _period(text, dt.date(y, month, last - 6), dt.date(y, month, last), "week")
    if (weekly or "礼拜" in core) and (m := p["nth_weekday"].match(core)):
        y, month, wd = _year_of(m, ref_year), int(m.group("m")), _weekday(m.group("d"))
        if y and 1 <= month <= 12:
            if m.group("last"):
                d = dt.date(y, month, _last_day(y, month))
                d -= dt.timedelta(days=(d.isoweekday() - wd) % 7)
            else:
                first = dt.date(y, month, 1)
                n = int(m.group("n")) if m.group("n").isdigit() else "一二三四五".index(m.group("n")) + 1
                d = first + dt.timedelta(days=(wd - first.isoweekday()) % 7 + 7 * (n - 1))
                if d.month != month:
                    return DateSpan(text, "unknown", warnings=["invalid date: no such weekday in the month"])
            return DateSpan(text, "day", d, d, "day")
    if "首" in core and (m := p["first_quarter"].match(core)):
        y = _year_of(m, ref_year)
        if y:
            return _period(text, dt.date(y, 1, 1), dt.date(y, 3, 31), "quarter")
    if "首" in core and (m := p["first_month"].match(core)):
        y = _year_of(m, ref_year)
        if y:
            return _period(text, dt.date(y, 1, 1), dt.date(y, 1, 31), "month")
    if "年代" in core and (m := p["decade"].match(core)):
        c = _century(m.group("c"), ref_year) if m.group("c") else None
        if c is None and ref_year:
            c = (ref_year - 1) // 100 + 1
        if c:
            y0 = (c - 1) * 100 + int(m.group("d")) * 10
            return _period(text, dt.date(y0, 1, 1), dt.date(y0 + 9, 12, 31), "decade")
    if "世纪" in core and (m := p["century"].match(core)):
        c = _century(m.group("c"), ref_year)
        if c:
            return _period(text, dt.date((c - 1) * 100 + 1, 1, 1), dt.date(c * 100, 12, 31), "century")
    if (len(core) <= 7 and core[:1].isdigit() and core[-1:] in "0123456789年度"
            and ((m := p["bare_year"].match(core)) or (m := p["old_year"].match(core)))):
        y = int(m.group("y"))
        return _period(text, dt.date(y, 1, 1), dt.date(y, 12, 31), "year")
    return None


def _consecutive_days(m: re.Match) -> str:
    """26、27日 -> 26日至27日: consecutive days are the range they span; days with gaps
    between them (5、9日) stay a list, which the grammar reads no further than its first."""
    days = [int(d) for d in re.findall(r"\d{1,2}", m.group(1))]
    if all(b == a + 1 for a, b in zip(days, days[1:])):
        return f"{days[0]}日至{days[-1]}{m.group(2)}"
    return m.group(0)


def _rewrite_numeric(core: str, ranged: bool) -> str:
    p = _patterns()
    if ":" in core:
        core = _sub(p["seconds"], r"\1", core)
        core = _sub(p["run_on_time"], r"\1日", core)

    def eight(m: re.Match) -> str:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        return f"{y}年{mo}月{d}日" if _valid(y, mo, d) else m.group(0)

    if len(core) >= 8:
        core = _sub(p["eight_digits"], eight, core)
    if "." in core or "-" in core or "/" in core:
        core = _sub(p["year_month"],
                    lambda m: f"{m.group(1)}年{int(m.group(2))}月" if 1 <= int(m.group(2)) <= 12 else m.group(0), core)
    if ranged and core[4:5] in _CONNECTOR_CHARS:  # 2015-2018: a range of bare years
        core = _sub(p["year_range"], r"\1年", core)
    if ranged and core[-1:].isdigit():  # 2010.05-2012
        core = _sub(p["year_after_conn"], r"\1年", core)
    if core[:1].isdigit() and p["numeric_sep"].search(core, 0, 4):
        m = p["month_day"].match(core)
        if m and 1 <= int(m.group(1)) <= 12 and 1 <= int(m.group(2)) <= 31:
            core = f"{int(m.group(1))}月{int(m.group(2))}日" + core[m.end():]
    if "月" in core and (core[-1:].isdigit() or "前" in core or ranged):
        core = _sub(p["bare_day"], r"\1日", core)
    if ranged and core[-1:].isdigit():
        core = _sub(p["bare_day_end"], r"\1日", core)
    return core


def _rewrite_deixis(core: str, ref: dt.date, ranged: bool = True) -> str:
    p = _patterns()
    dx = _v()["deixis"]
    if ranged and core.endswith(_now_ends()):
        core = _sub(p["now_end"], _d(ref), core)
    if (core[:1] in _DAY_WORD_FIRST or ranged) and p["day_gate"].search(core):
        core = _sub(p["day_word"], lambda m: _d(ref + dt.timedelta(days=dx["days"][m.group(0)])), core)
    weekly = "周" in core or "星期" in core or "礼拜" in core
    monthly = "月" in core and (core[:1] == "月" or p["month_word_gate"].search(core) is not None)
    if not weekly and not monthly and "季度" not in core:
        return core

    def week_day(m: re.Match) -> str:
        weeks = dx["weeks"][m.group("w")] if m.group("w") else 0
        return _d(_monday(ref) + dt.timedelta(days=7 * weeks + _weekday(m.group("d")) - 1))

    if weekly:
        core = _sub(p["week_day"], week_day, core)

    def week_word(m: re.Match) -> str:  # 上周到本周: a range from a Monday to a Sunday
        monday = _monday(ref) + dt.timedelta(days=7 * dx["weeks"][m.group("w")])
        return _d(monday if m.start() == 0 else monday + dt.timedelta(days=6))

    if weekly:
        core = _sub(p["week_word"], week_word, core)

    def month_word(m: re.Match) -> str:
        y, mo = _add_months(ref.year, ref.month, dx["months"][m.group("w")])
        return f"{y}年{mo}月"

    if monthly:
        core = _sub(p["month_word"], month_word, core)
        if core[:1] == "月":
            core = _sub(p["month_part_alone"], f"{ref.year}年{ref.month}", core)  # 月底前: this month's end

    def quarter_word(m: re.Match) -> str:
        q = (ref.month - 1) // 3 + dx["quarters"][m.group("w")]
        y = ref.year + (q // 4)
        return f"{y}年第{q % 4 + 1}季度"

    return _sub(p["quarter_word"], quarter_word, core) if "季度" in core else core


def _rewrite_festival_ends(core: str, ref_year: int | None) -> str:
    """国庆节至10月7日 -> 2023年10月1日至10月7日: a festival's day as a range's end."""
    m = _patterns()["range_ends"].match(core)
    if not m:
        return core

    def as_day(side: str) -> str:
        bare = side.lstrip("从自")
        span = festival_span(bare, ref_year)
        return _d(span.start) if span is not None and span.kind == "day" else side

    a, b = as_day(m.group("a")), as_day(m.group("b"))
    if (a, b) == (m.group("a"), m.group("b")):
        return core
    return a + m.group("conn") + b + (m.group("stop") or "")


def _day_of_month(text: str, m: re.Match, ref: dt.date | None) -> DateSpan:
    """15日前 in a notice dated 2023-03-06 is 2023-03-15; dated 2023-03-20, the 15th
    has passed, so 2023-04-15. Without the notice's date there is no month."""
    if ref is None:
        return DateSpan(text, "unknown", warnings=["a day of the month with no month: the notice's date is unknown"])
    y, mo, d = ref.year, ref.month, int(m.group("d"))
    if d < ref.day:
        y, mo = _add_months(y, mo, 1)
    if not _valid(y, mo, d):
        return DateSpan(text, "unknown", warnings=[f"invalid date: {mo}月{d}日"])
    day = dt.date(y, mo, d)
    kind = "deadline" if m.group("tail") else "day"
    return DateSpan(text, kind, None if kind == "deadline" else day, day, "day",
                    warnings=[f"month taken from the notice's date: {y}年{mo}月"])


def _days_of_month(text: str, m: re.Match, ref: dt.date | None) -> DateSpan:
    """15日至20日: days of the notice's month (or of the next, once the first has passed)."""
    if ref is None:
        return DateSpan(text, "unknown", warnings=["days of the month with no month: the notice's date is unknown"])
    y, mo, d1, d2 = ref.year, ref.month, int(m.group("d")), int(m.group("d2"))
    if d1 < ref.day:
        y, mo = _add_months(y, mo, 1)
    if not (_valid(y, mo, d1) and _valid(y, mo, d2) and d1 <= d2):
        return DateSpan(text, "unknown", warnings=[f"invalid date: {mo}月{d1}日至{d2}日"])
    return DateSpan(text, "range", dt.date(y, mo, d1), dt.date(y, mo, d2), "day",
                    warnings=[f"month taken from the notice's date: {y}年{mo}月"])


# A plain date, or a range of two, that no rule below changes (2022年9月5日, 10月30日前,
# 9月中旬, 2022年8月22日至2022年9月22日): the grammar reads it as it is.
# tests/test_dates.py checks that the rules leave every such case unchanged.
_DAY = r"(?:(?:19|20)\d{2}年)?\d{1,2}月(?:份)?(?:\d{1,2}[日号]|[上中下]旬|底|末|初|中旬)?"
PLAIN = re.compile(rf"{_DAY}(?:前|之前|以前)?|{_DAY}[至到]{_DAY}")


def special(core: str, text: str, ref_year: int | None, ref_date: dt.date | None) -> Special:
    """See the module docstring. `core` is the prepared text, `text` as written."""
    if PLAIN.fullmatch(core):
        return Special(None, core)
    return rules(core, text, ref_year, ref_date)


def rules(core: str, text: str, ref_year: int | None, ref_date: dt.date | None) -> Special:
    """Every rule of special(). Each is tried only where the characters it needs are
    (`x in core` is ~50 ns, a regex call ~1 us, and most expressions need few rules)."""
    p = _patterns()
    festive = may_be_festive(core)
    span = festival_span(core, ref_year, text) if festive else None
    if span is not None:
        return Special(span, core)
    if "、" in core:
        core = _sub(p["day_list"], _consecutive_days, core)
    ranged = p["connector"].search(core) is not None
    if core[:1].isdigit() and len(core) <= 5 and (m := p["day_of_month"].match(core)):
        return Special(_day_of_month(text, m, ref_date), core)
    if ranged and core[:1].isdigit() and len(core) <= 7 and (m := p["days_of_month"].match(core)):
        return Special(_days_of_month(text, m, ref_date), core)
    if ref_date is not None:
        if core[-1:] == "内" and (m := p["within_named"].match(core)):
            default = "本" if m.group("w") is None else m.group("w")
            core = default + m.group("unit")
        if core in _now_words():
            return Special(DateSpan(text, "day", ref_date, ref_date, "day"), core)
        weekly = "周" in core or "星期" in core or "礼拜" in core
        if weekly and (m := p["week"].match(core)):
            monday = _monday(ref_date) + dt.timedelta(days=7 * _v()["deixis"]["weeks"][m.group("w")])
            return Special(_period(text, monday, monday + dt.timedelta(days=6), "week"), core)
        if weekly and ranged and (m := p["week_range"].match(core)):  # 上周到本周: week to week
            weeks = _v()["deixis"]["weeks"]
            first = _monday(ref_date) + dt.timedelta(days=7 * weeks[m.group("a")])
            last = _monday(ref_date) + dt.timedelta(days=7 * weeks[m.group("b")] + 6)
            if first <= last:
                return Special(DateSpan(text, "range", first, last, "week"), core)
    core = _rewrite_numeric(core, ranged)
    if festive and ranged:
        core = _rewrite_festival_ends(core, ref_year)
    if "年" in core and p["short_year"].search(core):
        core = _sub(p["short_year"], lambda m: str(nearest_century(int(m.group(1)), ref_year)), core)
    if ranged:  # 2017年1－6月份, 2022年十至十二月: the first month of a range inside one written year
        core = _sub(p["month_range"], lambda m: f"{_month_number(m.group('m1'))}月", core)
    # 今年前两季度: the year as a number
    if ref_year is not None and core[:2] in _YEAR_WORDS and (m := p["year_word"].match(core)):
        core = f"{ref_year + _v()['relative_years'].get(m.group('w'), 0)}年" + core[m.end():]
    if "年年" in core:
        core = _sub(p["year_year_part"], "", core)
    if core[:1] in ("自", "从", "由"):
        core = _sub(p["from"], "", core)
    if ranged and ("起" in core or "开始" in core):
        core = _sub(p["since"], "", core)
    if ref_date is not None:
        core = _rewrite_deixis(core, ref_date, ranged)
        if "下班前" in core:
            core = _sub(p["after_work"], "前", core)  # 周三下午下班前: a deadline on that day
    if not _may_be_a_part(core):
        return Special(None, core)
    span = _parts(text, core, ref_year if ref_year is not None else (ref_date.year if ref_date else None))
    return Special(span, core)


_PART_WORDS = re.compile("[前后第首]|年代|世纪")


def _may_be_a_part(core: str) -> bool:
    """What _parts needs: one of its words, or a bare year's shape (2019, 2019年度, 625年)."""
    if core[:1].isdigit() and len(core) <= 7 and core[-1:] in "0123456789年度":
        return True
    return _PART_WORDS.search(core) is not None
