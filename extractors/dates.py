"""Chinese date and time expressions -> typed ranges (schemas.records.DateSpan).

    normalize("9月中旬", ref_year=2022)
    -> DateSpan(kind="period", start=2022-09-11, end=2022-09-20, precision="xun")
    normalize("10月30日前", ref_year=2022)  -> deadline, end 2022-10-30
    normalize("每月坚持")                    -> recurring, every month
    normalize("活动结束后3个工作日内", ref_date=date(2022, 9, 30))
    -> relative, 3 working days after the anchor: 2022-10-01 .. 2022-10-12 (National Day week)
    find_dates("于2022年8月26日前将活动实施方案纸质版报县政务公开办公室")
    -> [DateMatch(1, 12, "2022年8月26日前", deadline 2022-08-26)]

How: the text is first normalised with a map back to the original positions
(full-width digits, Chinese numerals where a date unit follows: 二〇二二年,
十一月三十日, 三日内; spaces dropped), then matched by patterns assembled from
the vocabulary in data/dates.toml, then each match is evaluated by a small
function per kind. Nothing here raises on any input: failures become kind
"unknown" with a warning.
"""
from __future__ import annotations

import calendar
import datetime as dt
import operator
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from extractors.dates_extra import special
from extractors.vocab import alternation as _alt  # longest words first: 上中旬 wins over 上旬
from extractors.vocab import fast_pattern, table
from schemas.records import DateMatch, DateSpan, Offset, Recurrence


def vocab() -> dict:
    """The date vocabulary (data/dates.toml)."""
    return table("dates.toml")


# ----------------------------------------------------------------------------- pre-normalisation

_ONE_TO_ONE = str.maketrans("０１２３４５６７８９．／－～〜：（）", "0123456789./-~~:()")
_SPACE = set(" \t\r\n\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\u200b\ufeff")
_NEEDS_TRANSLATION = fast_pattern("[０-９．／－～〜：（）" + "".join(sorted(_SPACE)) + "]")
_CN_DIGIT = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUM = "[〇零○一二两三四五六七八九十百]"
_HAS_CN_NUM = fast_pattern(_CN_NUM)
_FULL_WIDTH = fast_pattern("[０-９．／－～〜：（）]+")
_SPACE_RUN = fast_pattern("[" + "".join(sorted(_SPACE)) + "]+")
_DELETE_SPACES = {ord(c): None for c in " \t\r\n\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\u200b\ufeff"}
_CN_YEAR = fast_pattern(r"[〇零○一二三四五六七八九]{4}(?=年)")
_CN_UNIT = fast_pattern(
    rf"(?<![星期周礼拜])({_CN_NUM}+)(?=个?(?:工作日|自然日|月|日|号|天|周(?![岁年])|星期|季度|小时|时|点|分|年|半)|(?<=第){_CN_NUM}+)"
)


def _cn_value(s: str) -> int | None:
    if not s:
        return None
    if all(ch in _CN_DIGIT for ch in s):
        if len(s) == 1:
            return _CN_DIGIT[s]
        return int("".join(str(_CN_DIGIT[ch]) for ch in s))
    total, cur = 0, 0
    for ch in s:
        if ch in _CN_DIGIT:
            cur = _CN_DIGIT[ch]
        elif ch == "十":
            total += (cur or 1) * 10
            cur = 0
        elif ch == "百":
            total += (cur or 1) * 100
            cur = 0
        else:
            return None
    return total + cur


def prepare(text: str) -> tuple[str, list[int]]:
    """Normalised text and, for each of its characters, its index in `text`."""
    if not _NEEDS_TRANSLATION.search(text) and not _HAS_CN_NUM.search(text):
        return text, range(len(text))  # nothing moves: positions are the identity
    # str.translate is slow on CJK text: translate only the full-width runs (one to one)
    t = _FULL_WIDTH.sub(lambda m: m.group().translate(_ONE_TO_ONE), text)
    if _SPACE_RUN.search(t):  # drop spaces; positions by runs, not per character (this is a hot loop)
        parts: list[str] = []
        pos: list[int] | range = []
        last = 0
        for m in _SPACE_RUN.finditer(t):
            parts.append(t[last:m.start()])
            pos.extend(range(last, m.start()))
            last = m.end()
        parts.append(t[last:])
        pos.extend(range(last, len(t)))
        norm = "".join(parts)
    else:
        norm, pos = t, range(len(t))
    if not _HAS_CN_NUM.search(norm):
        return norm, pos
    out: list[str] = []
    out_pos: list[int] = []
    last = 0
    spans = [(m.start(), m.end(), str(int("".join(str(_CN_DIGIT[c]) for c in m.group())))) for m in _CN_YEAR.finditer(norm)]
    taken = {i for a, b, _ in spans for i in range(a, b)}
    for m in _CN_UNIT.finditer(norm):
        if m.start() in taken or m.end() - 1 in taken:  # overlaps a year read above
            continue
        digits = _cn_numeral(m)
        if digits != m.group():
            spans.append((m.start(), m.end(), digits))
    if not spans:
        return norm, pos
    for a, b, digits in sorted(spans):
        out.append(norm[last:a])
        out_pos.extend(pos[last:a])
        out.append(digits)
        # the first digit maps to the numeral's first character, the rest to its last
        out_pos.extend([pos[a]] + [pos[b - 1]] * (len(digits) - 1))
        last = b
    out.append(norm[last:])
    out_pos.extend(pos[last:])
    return "".join(out), out_pos


def prepare_text(text: str) -> str:
    """`prepare` without the position map: what normalize() needs, faster (the same
    text: tests/test_dates.py checks)."""
    norm = text
    if _NEEDS_TRANSLATION.search(norm):
        norm = norm.translate(_ONE_TO_ONE).translate(_DELETE_SPACES)
    if not _HAS_CN_NUM.search(norm):
        return norm
    norm = _CN_YEAR.sub(lambda m: str(int("".join(str(_CN_DIGIT[c]) for c in m.group()))), norm)
    return _CN_UNIT.sub(_cn_numeral, norm)


def _cn_numeral(m) -> str:
    """A Chinese numeral as digits; 〇八 (digit by digit) keeps its leading zero."""
    numeral = m.group()
    if len(numeral) == 1 and numeral in _CN_DIGIT:  # most are one character: 三日, 五个工作日
        return str(_CN_DIGIT[numeral])
    value = _cn_value(numeral)
    if value is None:
        return m.group()
    if len(m.group()) > 1 and all(ch in _CN_DIGIT for ch in m.group()):
        return "".join(str(_CN_DIGIT[c]) for c in m.group())
    return str(value)


# ----------------------------------------------------------------------------- patterns


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern]:
    v = vocab()
    month_parts = _alt(v["parts_of_month"])
    year_parts = _alt(v["parts_of_year"])
    year_suffix_parts = _alt([p[1:] for p in v["parts_of_year"] if p.startswith("年")] + ["上半年", "下半年", "全年"])
    rel_years = _alt(v["relative_years"])
    conn = _alt(v["range"]["connectors"])
    dl_prefix = _alt(v["deadline"]["prefixes"])
    # 前 ends a deadline unless it starts a word: 前往, 前夕, 前期, 前提 ...
    dl_suffix = "|".join(
        re.escape(w) + ("(?![往来夕期列沿提景后])" if w.endswith("前") else "")
        for w in sorted(v["deadline"]["suffixes"], key=len, reverse=True)
    )
    wd_prefix = _alt(v["weekdays"]["prefixes"])
    wd_days = "".join(v["weekdays"]["days"])
    ap = _alt(v["times"]["afternoon"] + v["times"]["morning"])

    def atom(p: str, day_only: bool = False) -> str:
        year = rf"(?P<{p}yw>(?P<{p}y>(?:19|20)\d{{2}})年|(?P<{p}yr>{rel_years}))"
        numeric = rf"(?P<{p}ny>(?:19|20)\d{{2}})(?P<{p}sep>[-./])(?P<{p}nm>\d{{1,2}})(?P={p}sep)(?P<{p}nd>\d{{1,2}})(?!\d)日?"
        month = rf"(?P<{p}m>\d{{1,2}})月(?:份)?(?:(?P<{p}d>\d{{1,2}})[日号]|(?P<{p}mp>{month_parts})(?!心|央|国|秋))?"
        quarter = rf"第?(?P<{p}q>[1-4])季度?(?P<{p}qp>末|底|初)?"
        # each group written once (the stdlib engine wants unique names): a year, then a month,
        # a quarter or (only after a year: the conditional) a part of the year
        options = [
            numeric,
            rf"{year}?(?:{month}|{quarter}|(?({p}yw)(?P<{p}yp2>{year_suffix_parts})?|(?!)))",
            rf"(?P<{p}yp>{year_parts})",
        ]
        if day_only:
            options.append(rf"(?P<{p}d2>\d{{1,2}})[日号]")
        return "(?:" + "|".join(options) + ")"

    def weekday(p: str) -> str:
        return rf"(?:\(?(?:{wd_prefix})(?P<{p}wd>[{wd_days}])\)?)"

    def clock(p: str) -> str:
        return (
            rf"(?P<{p}ap>{ap})?(?P<{p}h>\d{{1,2}})"
            rf"(?::(?P<{p}mi>\d{{2}})|[时点](?:(?P<{p}mi2>\d{{1,2}})分|(?P<{p}half>半))?)"
        )

    times = rf"(?:{clock('t1')}(?:(?:{conn}){clock('t2')})?)"
    absolute = (
        rf"(?P<pre>{dl_prefix})?{atom('a_')}{weekday('a_')}?{times}?"
        rf"(?:(?P<conn>{conn}){atom('b_', day_only=True)}{weekday('b_')}?(?:{clock('t3')})?(?P<close>止)?)?"
        rf"(?P<suf>{dl_suffix})?"
    )
    time_only = rf"(?P<pre>{dl_prefix})?{times}(?P<suf>{dl_suffix})?"
    rv = v["relative"]
    units = _alt(rv["units"])
    relative = (
        rf"(?:(?P<anchor>{_alt(rv['anchors'])})|(?P<ahead>{_alt(rv['before'])}))?"
        rf"(?P<n>\d{{1,3}})(?P<unit>{units})(?!岁|年|[0-9])"
        rf"(?P<dir>{_alt(rv['within'])}|后|前)?"
    )
    rc = v["recurring"]
    recurring = (
        rf"(?:(?:{_alt(rc['prefixes'])})(?:一|1)?(?P<every>{_alt(rc['units'])})"
        rf"(?:(?P<rday>\d{{1,2}})[日号]|(?:{wd_prefix})?(?P<rwd>[{wd_days}](?![0-9月日]))|(?P<rpart>末|底|初))?"
        rf"(?P<rdl>{dl_suffix})?(?:{_alt(rc['fillers'])})*"
        rf"|(?P<regular>{_alt(rc['words'])}))"
    )
    continuous = rf"(?P<cont>{_alt(v['continuous']['words'])})"
    # what a date expression can start with (a number, or one of these words): trying the
    # full pattern only there makes find_dates about ten times faster than letting the
    # engine try every position
    starts = (
        list(v["deadline"]["prefixes"]) + list(rv["anchors"]) + list(rv["before"]) + list(rc["prefixes"])
        + list(rc["words"]) + list(v["continuous"]["words"]) + list(v["relative_years"]) + list(v["parts_of_year"])
        + ["第"]
    )
    return {
        "time": fast_pattern(time_only),
        # the stdlib engine: 2x faster than `regex` on this grammar
        "any": re.compile(rf"(?P<A>{absolute})|(?P<R>{relative})|(?P<C>{recurring})|(?P<K>{continuous})"),
        # the stdlib engine scans a literal alternation about 3x faster than `regex`
        "start_words": re.compile(_alt(starts)),
    }


# ----------------------------------------------------------------------------- evaluation


class _Invalid(Exception):
    pass


_GROUP_INDEX: dict[int, dict[str, int]] = {}  # id(pattern) -> name -> group number; patterns live forever
_ATOM_KEYS = ("ny", "nm", "nd", "y", "yr", "m", "d", "mp", "q", "qp", "yp", "yp2", "d2", "wd")
_ATOM_GETTERS: dict[tuple[int, str], operator.itemgetter] = {}


class _Groups:
    """A match's groups by name, read from one `groups()` tuple: named lookups
    on a regex match cost about a microsecond each, and we make dozens.
    (`Pattern.groupindex` builds a new dict on every access, so it is cached.)"""

    __slots__ = ("vals", "index", "key")

    def __init__(self, m: re.Match):
        pattern = m.re
        self.key = id(pattern)
        index = _GROUP_INDEX.get(self.key)
        if index is None:
            index = _GROUP_INDEX[self.key] = dict(pattern.groupindex)
            for p in ("a_", "b_"):
                _ATOM_GETTERS[(self.key, p)] = operator.itemgetter(*(index.get(p + k, 0) for k in _ATOM_KEYS))
        self.vals = (None,) + m.groups()  # index 0: a group the pattern does not have
        self.index = index

    def __call__(self, name: str):
        return self.vals[self.index.get(name, 0)]

    def atom_fields(self, p: str) -> tuple:
        return _ATOM_GETTERS[(self.key, p)](self.vals)


@dataclass(slots=True)
class _Atom:
    year: int | None = None
    year_explicit: bool = False
    year_rel: int | None = None
    month: int | None = None
    day: int | None = None
    month_part: str | None = None
    year_part: str | None = None
    quarter: int | None = None
    quarter_part: str | None = None
    weekday: int | None = None
    year_word: str | None = None  # the word of a relative year (次年, 去年)


def _int(s) -> int | None:
    return int(s) if s else None


def _atom(g: _Groups, p: str) -> _Atom | None:
    if p == "b_" and not g("conn"):
        return None
    ny, nm, nd, y, yr, month, d, mp, q, qp, yp, yp2, d2, wd = g.atom_fields(p)
    a = _Atom()
    if ny:
        a.year, a.month, a.day, a.year_explicit = int(ny), int(nm), int(nd), True
    else:
        yp = yp or yp2
        if not (y or yr or month or q or yp or d2):
            return None
        if y:
            a.year, a.year_explicit = int(y), True
        elif yr:
            a.year_rel = vocab()["relative_years"][yr]
            a.year_word = yr
        a.month = int(month) if month else None
        d = d or d2
        a.day = int(d) if d else None
        a.month_part = mp
        a.quarter = int(q) if q else None
        a.quarter_part = qp
        if yp:
            parts = vocab()["parts_of_year"]
            a.year_part = yp if yp in parts else "年" + yp if "年" + yp in parts else yp
    if wd:
        a.weekday = vocab()["weekdays"]["days"][wd]
    return a


_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _last_day(year: int, month: int) -> int:
    if month == 2 and calendar.isleap(year):
        return 29
    return _MONTH_DAYS[month]


def _date(year: int, month: int, day: int) -> dt.date:
    if not 1 <= month <= 12:
        raise _Invalid(f"no month {month}")
    if not 1 <= day <= _last_day(year, month):
        raise _Invalid(f"no day {month}月{day}日 in {year}")
    return dt.date(year, month, day)


def _span(a: _Atom, year: int) -> tuple[dt.date, dt.date, str]:
    """The first and last day an atom covers, and its precision."""
    if a.month is not None:
        if not 1 <= a.month <= 12:
            raise _Invalid(f"no month {a.month}")
        last = _last_day(year, a.month)
        if a.day is not None:
            d = _date(year, a.month, a.day)
            return d, d, "day"
        if a.month_part:
            first_day, last_day = vocab()["parts_of_month"][a.month_part]
            if first_day == 0:  # 月底 / 月末: the last day
                d = dt.date(year, a.month, last)
                return d, d, "day"
            return dt.date(year, a.month, first_day), dt.date(year, a.month, last_day or last), "xun"
        return dt.date(year, a.month, 1), dt.date(year, a.month, last), "month"
    if a.quarter is not None:
        m0 = 3 * (a.quarter - 1) + 1
        start, end = dt.date(year, m0, 1), dt.date(year, m0 + 2, _last_day(year, m0 + 2))
        if a.quarter_part in ("末", "底"):
            return end, end, "day"
        if a.quarter_part == "初":
            return start, dt.date(year, m0, _last_day(year, m0)), "month"
        return start, end, "quarter"
    if a.day is not None:
        raise _Invalid("a day without a month")
    if a.year_part:
        m1, d1, m2, d2, precision = vocab()["parts_of_year"][a.year_part]
        start = dt.date(year, m1, d1 or _last_day(year, m1))
        end = dt.date(year, m2, d2 or _last_day(year, m2))
        return start, end, precision
    return dt.date(year, 1, 1), dt.date(year, 12, 31), "year"


def _resolve_year(a: _Atom, ref_year: int | None) -> int | None:
    if a.year_explicit:
        return a.year
    if ref_year is None:
        return None
    return ref_year + (a.year_rel or 0)


_FOLLOWING_YEAR = ("次年", "翌年", "来年")
_COARSE = {"day": 0, "week": 1, "xun": 1, "month": 2, "quarter": 3, "half_year": 4, "year": 5, "decade": 6,
           "century": 7}


_CLOCK_GROUPS = {p: (p + "h", p + "mi", p + "mi2", p + "half", p + "ap") for p in ("t1", "t2", "t3")}


def _clock(g: _Groups, p: str) -> dt.time | None:
    h_key, mi_key, mi2_key, half_key, ap_key = _CLOCK_GROUPS[p]
    h = g(h_key)
    if h is None:
        return None
    hour = int(h)
    minute = int(g(mi_key) or g(mi2_key) or (30 if g(half_key) else 0))
    ap = g(ap_key)
    if ap in vocab()["times"]["afternoon"] and hour < 12:
        hour += 12
    if not (0 <= hour <= 24 and 0 <= minute < 60):
        raise _Invalid(f"no time {h}:{minute:02d}")
    return dt.time(hour % 24, minute)


def _times(g: _Groups, span: DateSpan, deadline: bool) -> None:
    t1, t2 = _clock(g, "t1"), _clock(g, "t2")
    # 下午2:30—5:00: the second time is in the afternoon too
    if t1 and t2 and g("t1ap") in vocab()["times"]["afternoon"] and not g("t2ap") and t2.hour < 12:
        t2 = dt.time(t2.hour + 12, t2.minute)
    if t2 is not None:
        span.time_start, span.time_end = t1, t2
    elif t1 is not None:
        if deadline:
            span.time_end = t1
        else:
            span.time_start = t1


def _check_weekday(a: _Atom, d: dt.date, span: DateSpan) -> None:
    if a.weekday and d.isoweekday() != a.weekday:
        names = "一二三四五六日"
        span.warnings.append(
            f"{d.isoformat()} is a 星期{names[d.isoweekday() - 1]}, the text says 星期{names[a.weekday - 1]}"
        )


def _eval_absolute(g: _Groups, text: str, ref_year: int | None) -> DateSpan:
    span = DateSpan(text)
    a, b = _atom(g, "a_"), _atom(g, "b_")
    suf, pre = g("suf"), g("pre")
    deadline = bool(pre) or bool(suf and suf not in ("止", "为止")) or bool(suf in ("止", "为止") and not b)
    year = _resolve_year(a, ref_year)
    if year is None:
        span.warnings.append("no year: give ref_year (the notice's year)")
        span.kind = "deadline" if deadline and not b else ("range" if b else "day")
        return span
    a_start, a_end, a_prec = _span(a, year)
    if a.day is not None or a.month_part:
        _check_weekday(a, a_start, span)
    if b is not None:
        if b.month is None and b.year is None and b.year_rel is None and b.quarter is None and not b.year_part:
            b.month = a.month  # 5月14日至21日: the month carries over
        if b.year_rel is not None:
            # 次年/翌年 count from the range's first year; 今年/去年/明年 from the notice's
            base = year if b.year_word in _FOLLOWING_YEAR or ref_year is None else ref_year
            b.year, b.year_explicit = base + b.year_rel, True
        b_year = b.year if b.year_explicit else year
        b_start, b_end, b_prec = _span(b, b_year)
        if b_end < a_start and not b.year_explicit:
            b_start, b_end, b_prec = _span(b, b_year + 1)  # 12月20日至1月10日 crosses the year
        if b_end < a_start:
            raise _Invalid(f"the range ends ({b_end}) before it starts ({a_start})")
        if b.day is not None:
            _check_weekday(b, b_start, span)
        span.kind, span.start, span.end = "range", a_start, b_end
        span.precision = min(a_prec, b_prec, key=_COARSE.get)  # the finer end's: 2020年1月至今 is to the day
        t1, t3 = _clock(g, "t1"), _clock(g, "t3")
        span.time_start, span.time_end = t1, t3
        return span
    if g("t1h") is not None:  # a clock time (t2 only follows t1)
        _times(g, span, deadline)
    if deadline:
        span.kind, span.start, span.end, span.precision = "deadline", None, a_end, a_prec
        if suf in ("前",) and a_prec == "month" and not a.month_part:
            span.warnings.append("'X月前' may also mean before the month starts; read as by its end")
        return span
    span.start, span.end, span.precision = a_start, a_end, a_prec
    span.kind = "day" if a_prec == "day" else "period"
    return span


@lru_cache(maxsize=1)
def _working_calendar() -> tuple[frozenset, frozenset, int, int]:
    """chinese-calendar's tables of public holidays and adjusted working days.
    Its own is_workday() re-validates the year range on every call (about 50 us
    a day); we ask the same tables directly."""
    from chinese_calendar.constants import holidays, workdays

    return frozenset(holidays), frozenset(workdays), min(holidays).year, max(holidays).year


def _working_days_after(anchor: dt.date, n: int, span: DateSpan) -> dt.date:
    """The n-th working day after `anchor`, by China's official calendar."""
    holidays, workdays, first_year, last_year = _working_calendar()
    d, left, warned = anchor, n, False
    while left > 0:
        d += dt.timedelta(days=1)
        if not first_year <= d.year <= last_year and not warned:
            span.warnings.append(
                f"the working-day calendar (chinese-calendar) does not cover {d.year} "
                f"(it covers {first_year}-{last_year}): counted Monday-Friday only"
            )
            warned = True
        if d in workdays or (d.weekday() < 5 and d not in holidays):
            left -= 1
    return d


def _eval_relative(g: _Groups, text: str, ref_date: dt.date | None, resolve_events: bool = True) -> DateSpan:
    n = int(g("n"))
    unit = vocab()["relative"]["units"][g("unit")]
    anchor, ahead, direction_word = g("anchor"), g("ahead"), g("dir")
    if ahead or (direction_word == "前") or (anchor and anchor.endswith("前") and not direction_word):
        direction = "before"
    elif direction_word in vocab()["relative"]["within"]:
        direction = "within"
    else:
        direction = "after"
    if not (anchor or ahead or direction_word):
        return DateSpan(text, "unknown", warnings=["a number of days with no anchor or direction"])
    if n == 0:
        return DateSpan(text, "unknown", warnings=["invalid date: an offset of zero"])
    span = DateSpan(text, "relative", offset=Offset(n, unit, direction, anchor or ahead))
    if ref_date is None or ((anchor or ahead) and not resolve_events):
        return span  # counted from an event (活动结束后…) whose date ref_date is not
    span.precision = "day"
    if unit == "working_days":
        if direction == "before":
            span.warnings.append("working days counted backwards are not resolved")
            return span
        end = _working_days_after(ref_date, n, span)
    elif unit in ("days", "weeks"):
        delta = dt.timedelta(days=n * (7 if unit == "weeks" else 1))
        end = ref_date - delta if direction == "before" else ref_date + delta
    elif unit == "months":
        k = ref_date.year * 12 + ref_date.month - 1 + (-n if direction == "before" else n)
        y, m = k // 12, k % 12 + 1
        end = dt.date(y, m, min(ref_date.day, _last_day(y, m)))  # the same day number, clipped
    else:
        span.warnings.append(f"an offset in {unit} is not resolved to dates")
        return span
    if direction == "before" or (direction_word == "后" and not anchor):
        span.start, span.end = end, end  # 5天前, 10天后: that day
    else:
        span.start, span.end = ref_date + dt.timedelta(days=1), end
    return span


def _eval_recurring(g: _Groups, text: str) -> DateSpan:
    if g("regular"):
        return DateSpan(text, "recurring", recurrence=Recurrence(None))
    every = vocab()["recurring"]["units"][g("every")]
    day = _int(g("rday"))
    if g("rwd"):
        day = vocab()["weekdays"]["days"][g("rwd")]
    if g("rpart") in ("末", "底"):
        day = -1
    rec = Recurrence(every, day, deadline=bool(g("rdl")))
    span = DateSpan(text, "recurring", recurrence=rec)
    if day is not None and every == "month" and not 1 <= day <= 31 and day != -1:
        raise _Invalid(f"no day {day} in a month")
    return span


_EVERY_UNITS = {"天": "day", "日": "day", "工作日": "working_day", "周": "week", "星期": "week", "礼拜": "week",
                "月": "month", "季度": "quarter", "季": "quarter", "半年": "half_year", "年": "year", "年度": "year"}
_EVERY = fast_pattern(r"^每(?P<gap>隔)?(?P<n>\d{1,3})?个?(?P<unit>工作日|星期|礼拜|季度|半年|年度|天|日|周|月|季|年)(?P<rest>.*)$")
_EVERY_DAY = fast_pattern(r"^(?:(?P<wd>[一二三四五六日天1-7])|(?P<d>\d{1,2})[日号]|(?P<last>最后一天|最后1天|末|底))(?P<rest>.*)$")


def _every(core: str, text: str, ref_year: int | None, ref_date: dt.date | None) -> DateSpan | None:
    """每天, 每个工作日8点, 每隔2天, 每两周, 每周一上午, 每月最后一天, 每年3月至5月: a
    recurrence with its interval, its day and its times. None for what the main
    grammar reads (每月10日前, 每季度坚持)."""
    if core[:1] != "每":
        return None
    m = _EVERY.match(core)
    if not m:
        return None
    every = _EVERY_UNITS[m.group("unit")]
    n = int(m.group("n")) if m.group("n") else None
    rec = Recurrence(every, interval=n if n and n > 1 else None)
    rest = m.group("rest")
    fillers = tuple(vocab()["recurring"]["fillers"])
    span = DateSpan(text, "recurring", recurrence=rec)
    d = _EVERY_DAY.match(rest) if every in ("week", "month", "quarter", "year") else None
    if d and (every == "week") == bool(d.group("wd")):
        if d.group("wd"):
            rec.day = vocab()["weekdays"]["days"][d.group("wd")]
        elif d.group("d"):
            rec.day = int(d.group("d"))
        else:
            rec.day = -1
        rest = d.group("rest")
    if every == "year" and rest and not rest.startswith(fillers):  # 每年3月至5月: this year's instance
        inner = _normalize(rest, ref_year, None)
        if inner.kind in ("range", "period", "day") and inner.start:
            span.start, span.end, span.precision = inner.start, inner.end, inner.precision
            return span
        return None
    for suffix in vocab()["deadline"]["suffixes"]:
        if rest.endswith(suffix) and not rest.endswith("提前"):
            rec.deadline, rest = True, rest[: -len(suffix)]
            break
    while rest.startswith(fillers):
        rest = rest[len(next(f for f in fillers if rest.startswith(f))):]
    if rest.endswith(fillers):
        rest = rest[: -len(next(f for f in fillers if rest.endswith(f)))]
    if rest:
        t = _patterns()["time"].fullmatch(rest)
        if not t:
            if rest in ("上午", "下午", "晚上", "早上", "中午"):
                return span  # 每周一上午: a part of the day, no hour
            return None
        _times(_Groups(t), span, rec.deadline)
    return span


def _eval_time(g: _Groups, text: str, ref_date: dt.date | None) -> DateSpan:
    deadline = bool(g("suf") or g("pre"))
    span = DateSpan(text, "unknown")
    _times(g, span, deadline)
    if ref_date is not None:
        span.kind = "deadline" if deadline else "day"
        span.end = ref_date
        span.start = None if deadline else ref_date
        span.precision = "day"
    else:
        span.warnings.append("a time without a date")
    return span


def _evaluate(kind: str, m: re.Match, text: str, ref_year: int | None, ref_date: dt.date | None,
              resolve_events: bool = True) -> DateSpan:
    g = _Groups(m)
    try:
        if kind == "absolute":
            return _eval_absolute(g, text, ref_year)
        if kind == "relative":
            return _eval_relative(g, text, ref_date, resolve_events)
        if kind == "recurring":
            return _eval_recurring(g, text)
        if kind == "time":
            return _eval_time(g, text, ref_date)
        return DateSpan(text, "continuous")
    except _Invalid as e:
        return DateSpan(text, "unknown", warnings=[f"invalid date: {e}"])


# ----------------------------------------------------------------------------- API

_STRIP = "。，,；;：:、.!！?？()（）[]【】“”\"'‘’ "


def normalize(text: str, ref_year: int | None = None, ref_date: dt.date | None = None,
              resolve_events: bool = True) -> DateSpan:
    """One date expression -> DateSpan. Dates without a year take `ref_year`
    (else `ref_date`'s year); deixis (本月底前, 下周三) counts from `ref_date`, and
    so do relative expressions (15个工作日内). With `resolve_events=False`, an
    expression counted from an event (活动结束后3个工作日内) stays unresolved:
    ref_date is then the notice's date, not the event's. Never raises."""
    try:
        return _normalize(text, ref_year, ref_date, resolve_events)
    except Exception as e:  # a bug must not stop a batch: report it on the value
        return DateSpan(text, "unknown", warnings=[f"internal error: {type(e).__name__}: {e}"])


# A portal's encoding can eat 年/月/日 and leave the digits run together: 2024715日,
# 2025年731, 20254-6月, 915前. Such a run is read only where one reading is valid.
_LOST_DAY = fast_pattern(r"^(?:(?P<y>(?:19|20)\d{2})年?)?(?P<md>\d{3,4})(?P<rest>(?:[日号前].*)?)$")
_LOST_MONTHS = fast_pattern(r"^(?P<y>(?:19|20)\d{2})(?P<m1>\d{1,2})(?P<conn>[-—–~～至到])(?P<m2>\d{1,2})(?P<rest>月.*)$")


_APPROXIMATE = ("前后", "左右")


def recover_lost_separators(core: str, year: int | None) -> tuple[str, str] | None:
    """(the text with 年/月/日 put back, a warning) where digits of a date ran
    together and exactly one reading is a valid date; else None."""
    if not core[:3].isdigit():  # both forms start with a run of digits
        return None
    m = _LOST_MONTHS.match(core)
    if m and 1 <= int(m.group("m1")) <= 12 and 1 <= int(m.group("m2")) <= 12:
        fixed = f"{m.group('y')}年{m.group('m1')}{m.group('conn')}{m.group('m2')}{m.group('rest')}"
        return fixed, f"lost characters: {core!r} read as {fixed!r}"
    m = _LOST_DAY.match(core)
    if not m or (m.group("y") is None and not m.group("rest")):
        return None
    md, y = m.group("md"), int(m.group("y")) if m.group("y") else (year or 2000)
    readings = []
    for cut in (1, 2):
        month, day = int(md[:cut]), int(md[cut:])
        if len(md) - cut <= 2 and 1 <= month <= 12 and 1 <= day <= calendar.monthrange(y, month)[1]:
            readings.append((month, day))
    if len(readings) != 1:
        return None  # 2022121日: 1月21日 or 12月1日, no telling
    month, day = readings[0]
    rest = m.group("rest")
    fixed = f"{m.group('y') + '年' if m.group('y') else ''}{month}月{day}日{rest[1:] if rest[:1] in '日号' else rest}"
    return fixed, f"lost characters: {core!r} read as {fixed!r}"


def _normalize(text: str, ref_year: int | None, ref_date: dt.date | None, resolve_events: bool = True,
               whole: bool = False) -> DateSpan:
    """`whole`: the text must read as one expression (no reading of a part of it)."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if ref_year is None and ref_date is not None:
        ref_year = ref_date.year
    # a space between a date and a clock time marks the day's end (2023/5/6 14:00): keep it as 日
    if ":" in text or "：" in text:
        text_ = _DATE_THEN_CLOCK.sub(lambda m: "" if m.group(1) else "日", text)
    else:
        text_ = text
    core = prepare_text(text_).strip(_STRIP)
    if not core:
        return DateSpan(text, "unknown", warnings=["empty"])
    lost = recover_lost_separators(core, ref_year) if core[:3].isdigit() else None
    if lost:
        span = _normalize(lost[0], ref_year, ref_date, resolve_events)
        return replace(span, text=text, warnings=[lost[1], *span.warnings])
    if len(core) > 2 and core.endswith(_APPROXIMATE):  # 春节前后, 10月左右: the date, said to be approximate
        span = _normalize(core[:-2], ref_year, ref_date, resolve_events)
        if span.kind in ("day", "period", "range"):
            return replace(span, text=text, warnings=[*span.warnings, f"approximate: {core[-2:]}"])
    extra = special(core, text, ref_year, ref_date)
    if extra.span is not None:
        return extra.span
    core = extra.core
    every = _every(core, text, ref_year, ref_date)
    if every is not None:
        return every
    pats = _patterns()
    m = pats["any"].fullmatch(core)
    if m:
        return _evaluate(_KIND_OF_GROUP[m.lastgroup], m, text, ref_year, ref_date, resolve_events)
    m = pats["time"].fullmatch(core)
    if m:
        return _evaluate("time", m, text, ref_year, ref_date)
    if whole:
        return _not_a_date(text, core, ref_date)
    found = find_dates(text, ref_year=ref_year, ref_date=ref_date, include_vague=True, resolve_events=resolve_events)
    if not found:
        return _not_a_date(text, core, ref_date)
    dated = [f for f in found if f.span.start or f.span.end]
    if len(dated) > 1 and all(f.span.kind in ("day", "period", "range") for f in dated):
        span = DateSpan(text, "range", min(f.span.start for f in dated), max(f.span.end for f in dated))
        span.precision = max((f.span.precision for f in dated), key=_COARSE.get)
        span.warnings.append("several dates: " + "、".join(f.text for f in dated))
        return span
    best = max(found, key=lambda f: (f.span.kind != "continuous", f.end - f.start))
    span = best.span
    span.text = text
    span.warnings.append(f"date read from part of the text: {best.text!r}")
    return span


def _not_a_date(text: str, core: str, ref_date: dt.date | None) -> DateSpan:
    if ref_date is None and _deixis().search(core):
        return DateSpan(text, "unknown", warnings=["counted from the notice's date (本月, 下周, 今天…), which is not known"])
    return DateSpan(text, "unknown", warnings=["not a date expression"])


@lru_cache(maxsize=1)
def _deixis():
    """The words counted from the reference date ([deixis] in dates.toml), and 月底 alone."""
    dx = vocab()["deixis"]
    words = [w + u for w in dx["weeks"] for u in dx["week_names"]] + [w + "月" for w in dx["months"]]
    words += [w + "季度" for w in dx["quarters"]] + list(dx["days"]) + [w for w in dx["now"] if len(w) > 1]
    return fast_pattern(_alt(words) + "|^月(?:份)?[底末初中]")
_BARE_YEAR = fast_pattern(r"\d{4}年")
_NUMBER = fast_pattern(r"\d+")


def _starts(norm: str) -> list[int]:
    """Where a date expression may start: a number, or a start word (在, 每, 及时…)."""
    at = {m.start() for m in _NUMBER.finditer(norm)}
    at.update(m.start() for m in _patterns()["start_words"].finditer(norm))
    return sorted(at)
_DATE_THEN_CLOCK = fast_pattern(r"(?<=\d)([日号])?[ \t\u3000\u00a0]+(?=\d{1,2}[:：]\d{2})")
_KIND_OF_GROUP = {"R": "relative", "C": "recurring", "A": "absolute", "K": "continuous"}


def find_dates(
    text: str,
    ref_year: int | None = None,
    ref_date: dt.date | None = None,
    include_vague: bool = False,
    resolve_events: bool = True,
) -> list[DateMatch]:
    """Every date expression in running text, with its character span in `text`.

    By default leaves out what names rather than schedules: bare years
    ("2022年全市政务公开重点工作安排") and words of continuous duty (及时, 持续),
    which running text is full of; `include_vague=True` keeps them.
    """
    if not text:
        return []
    if ref_year is None and ref_date is not None:
        ref_year = ref_date.year
    norm, pos = prepare(text)
    out: list[DateMatch] = []
    pats = _patterns()
    any_pattern = pats["any"]
    done = 0
    for at in _starts(norm):
        if at < done:
            continue
        m = any_pattern.match(norm, at)
        if not m or m.end() == m.start():
            continue
        done = m.end()
        group = m.lastgroup
        kind = _KIND_OF_GROUP[group]
        a, b = m.span(group)
        start, end = pos[a], pos[b - 1] + 1
        original = text[start:end]
        try:
            span = _evaluate(kind, m, original, ref_year, ref_date, resolve_events)
        except Exception as e:
            span = DateSpan(original, "unknown", warnings=[f"internal error: {type(e).__name__}: {e}"])
        if not include_vague:
            if span.kind == "continuous":
                continue
            if span.kind == "period" and span.precision == "year" and _BARE_YEAR.fullmatch(norm[a:b]):
                continue
            if span.kind == "unknown" and kind == "relative":
                continue
            if span.kind == "recurring" and span.recurrence and span.recurrence.every is None:
                continue  # 定期 ("regularly") in running text schedules nothing
        out.append(DateMatch(start, end, original, span))
    second = _second_look_matches(text, norm, pos, out, ref_year, ref_date, resolve_events)
    if not include_vague:
        second = [m for m in second if m.span.kind != "continuous"]
    return _merge(out, second) if second else out


@lru_cache(maxsize=1)
def _second_look() -> tuple[tuple[re.Pattern, re.Pattern], re.Pattern, frozenset]:
    """(where a second look starts, the characters it reads over, bare names that need more)."""
    v = vocab()
    dx, fest, rt = v["deixis"], v["festivals"], v["running_text"]
    unit_words = [w + u for w in dx["weeks"] for u in dx["week_names"]]
    unit_words += [w + "月" for w in dx["months"]] + [w + "季度" for w in dx["quarters"]]
    words = unit_words + [d for d in dx["days"] if d not in rt["event_days"]] + list(v["relative_years"])
    words += [k for k, val in fest.items() if isinstance(val, str)] + fest["solar_terms"] + rt["triggers"]
    # The scans run over all text: the stdlib engine scans a literal alternation about 3x
    # faster than `regex`; anything but literals in it makes it 15x slower, so 15日前 (a day
    # of the notice's month) and 1-3月 (the patterns read only 3月) are a second scan, by
    # their ends, walked back to their digits.
    words_scan = re.compile(_alt(words))
    ends_scan = fast_pattern(r"(?P<dom>[日号](?:前|之前|以前)|号)|(?P<range>[-—–~～至到]\d{1,2}月)")
    window = fast_pattern("[" + re.escape(rt["window_chars"] + "".join(words)) + "]{1,24}")
    return (words_scan, ends_scan), window, frozenset(rt["needs_context"])


_LEAD = fast_pattern(r"(?:从|自)?(?:(?:19|20)\d{2}年(?:度)?(?:起)?)?$")  # 从2005年起至今, 2023年中秋节


def _trigger_start(norm: str, t) -> int | None:
    """Where the expression a trigger word belongs to starts, or None."""
    start = t.start()
    if t.lastgroup in ("dom", "range"):  # back over the one or two digits before
        k = start
        while k > 0 and start - k < 3 and norm[k - 1].isdigit():
            k -= 1
        if k == start or start - k > 2 or (k > 0 and norm[k - 1] in "月.-/" + ("年" if t.lastgroup == "dom" else "")):
            return None
        start = k
    lead = _LEAD.search(norm, max(0, start - 10), start)
    return lead.start() if lead else start


def _second_look_matches(text: str, norm: str, pos: list[int], found: list[DateMatch],
                         ref_year, ref_date, resolve_events) -> list[DateMatch]:
    """What the patterns miss in running text (本月底前, 春节前, 每月最后一天):
    at each trigger word, the longest window read whole by normalize. A window
    right after a found date and a range's connector (5月1日至下月10日) is read
    with that date first."""
    (words_scan, ends_scan), window, needs_context = _second_look()
    ends_at = {f.end: f for f in found}
    out: list[DateMatch] = []
    done = 0
    triggers = [*words_scan.finditer(norm), *ends_scan.finditer(norm)]
    for t in sorted(triggers, key=lambda t: t.start()):
        if t.start() < done:
            continue
        first = _trigger_start(norm, t)
        if first is None or first < done:
            continue
        w = window.match(norm, first)
        if not w or w.end() < t.end():
            continue
        before = None
        if first > 0 and norm[first - 1] in _CONNECTORS:
            before = ends_at.get(pos[first - 1])
        for end in range(w.end(), t.start(), -1):
            piece = norm[first:end]
            if piece in needs_context:
                break
            end_o = pos[end - 1] + 1
            for start_o in ((before.start, pos[first]) if before else (pos[first],)):
                span = _normalize(text[start_o:end_o], ref_year, ref_date, resolve_events, whole=True)
                if span.kind != "unknown":
                    out.append(DateMatch(start_o, end_o, text[start_o:end_o], span))
                    done = end
                    break
            if done == end:
                break
    return out


_CONNECTORS = frozenset("至到-—–~～")


def _merge(found: list[DateMatch], second: list[DateMatch]) -> list[DateMatch]:
    """The second look's readings replace the patterns' readings they overlap,
    unless a pattern's reading is longer and holds it."""
    keep_second = [s for s in second
                   if not any(f.start <= s.start and s.end <= f.end and f.end - f.start > s.end - s.start for f in found)]
    kept = [f for f in found if not any(f.start < s.end and s.start < f.end for s in keep_second)]
    return sorted(kept + keep_second, key=lambda m: m.start)


@dataclass(frozen=True)
class Reference:
    """What a notice's expressions are read against: its year (for dates without
    one) and its date, the issue date (for deixis: 本月底前, 下周三, 15个工作日内).
    Expressions counted from an event (活动结束后…) stay relative."""

    year: int | None = None
    date: dt.date | None = None

    def read(self, text: str) -> DateSpan:
        return normalize(text, self.year, self.date, resolve_events=False)

    def find(self, text: str, include_vague: bool = False) -> list[DateMatch]:
        return find_dates(text, self.year, self.date, include_vague=include_vague, resolve_events=False)
