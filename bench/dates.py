"""Date normalisation: accuracy and speed against JioNLP, side by side in one run.

JioNLP (jionlp.parse_time / jionlp.ner.extract_time) is a benchmark-only
dependency: pip install -e '.[bench]'.

Accuracy is scored on what both tools can express, case by case from the case
tables tests/data/dates*.tsv (written to the rules in tests/data/dates_spec.md,
by hand and with calendar packages; the module was then made to pass them, so
read our figures as "passes its own tests", JioNLP's as how it fares on the
same expressions):
* a case with a start and an end: both dates must match (and the clock times
  where the case gives them);
* a deadline (no start): the last allowed day must match (JioNLP's start, which
  is its time base, is ignored);
* a case without dates (continuous, recurring, an unanchored relative date, an
  invalid date, a time without a date): the tool must not invent dates;
* a recurring case: the repeating period (month, quarter...) must be right;
* a date whose weekday the text contradicts: the tool must flag it.
"Ours, strict" also checks kind, precision, recurrence, offset and warnings.

Speed: normalize() vs parse_time() over every case text (expressions/s), and
find_dates() vs extract_time() over the seed notices' text (characters/s);
medians of warm runs, ours and JioNLP's interleaved (each runs once before timing).

    python bench/dates.py [--repeat 5]
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import logging
import statistics
import sys
import time
from collections import defaultdict
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from extractors.dates import find_dates, normalize  # noqa: E402
from test_dates import CASES, check  # noqa: E402


def ref_date_of(case) -> dt.date | None:
    r = case["extra"].get("ref_date")
    return dt.date.fromisoformat(r) if r else None


def ours(case):
    return normalize(case["text"], ref_year=case["ref_year"], ref_date=ref_date_of(case))


def ours_view(span):
    hhmm = lambda t: t.strftime("%H:%M") if t else None  # noqa: E731
    every = span.recurrence.every if span.recurrence else None
    return span.start, span.end, hhmm(span.time_start), hhmm(span.time_end), every, bool(span.warnings)


_JIO_DELTA = {("month", 1): "month", ("month", 3): "quarter", ("month", 6): "half_year", ("year", 1): "year",
              ("day", 7): "week", ("week", 1): "week"}


def jio_base(case) -> float:
    base = ref_date_of(case) or dt.date(case["ref_year"], 1, 1)
    return dt.datetime(base.year, base.month, base.day).timestamp()


def jio_parse_text(jio, text: str, stamp: float):
    try:
        return jio.parse_time(text, time_base=stamp)
    except Exception:
        return None


def jio_parse(jio, case):
    return jio_parse_text(jio, case["text"], jio_base(case))


def jio_view(result):
    """JioNLP's answer as (start, end, time start, time end); no dates for
    periodic answers, deltas and failures."""
    if result and result.get("type") == "time_period":
        delta = (result.get("time") or {}).get("delta") or {}
        every = _JIO_DELTA.get(next(iter(delta.items()), None), "other")
        return None, None, None, None, every, False
    if not result or result.get("type") not in ("time_point", "time_span"):
        return None, None, None, None, None, False
    times = result.get("time")
    if not isinstance(times, list) or len(times) != 2 or not all(isinstance(t, str) for t in times):
        return None, None, None, None, None, False
    try:
        a, b = (dt.datetime.strptime(t, "%Y-%m-%d %H:%M:%S") for t in times)
    except ValueError:  # a malformed answer (seen: '22-01-01 00:00:00'): wrong whatever was expected
        return "malformed", "malformed", None, None, None, False
    ta = a.strftime("%H:%M") if a.time() != dt.time(0, 0) else None
    tb = b.strftime("%H:%M") if b.time() not in (dt.time(23, 59, 59), dt.time(0, 0)) else None
    return a.date(), b.date(), ta, tb, None, False  # JioNLP never flags a suspect date


def correct(case, view) -> bool:
    start, end, ts, te, every, flagged = view
    iso = lambda d: d.isoformat() if isinstance(d, dt.date) else d  # noqa: E731
    if case["start"] is None and case["end"] is None:
        ok = start is None and end is None
    elif case["start"] is None:
        ok = iso(end) == case["end"]
    else:
        ok = iso(start) == case["start"] and iso(end) == case["end"]
    x = case["extra"]
    if "ts" in x:
        ok = ok and ts == x["ts"]
    if "te" in x:
        ok = ok and te == x["te"]
    if case["kind"] == "recurring":  # the period that repeats must be right
        ok = ok and every == x.get("every")
    if "warn" in x and case["start"] is not None:  # a date that the text contradicts must be flagged
        ok = ok and flagged
    return ok


def timed_pair(ours_fn, ours_items, theirs_fn, theirs_items, repeat: int) -> tuple[float, float]:
    """Median seconds of each side over `repeat` runs, the two interleaved (ours, theirs,
    ours, ...) so both see the same state of a shared machine; one warm run each first."""
    ours_all = lambda: [ours_fn(i) for i in ours_items]  # noqa: E731
    theirs_all = lambda: [theirs_fn(i) for i in theirs_items]  # noqa: E731
    ours_all()
    theirs_all()
    ours_runs, theirs_runs = [], []
    for _ in range(repeat):
        for fn_all, runs in ((ours_all, ours_runs), (theirs_all, theirs_runs)):
            t0 = time.perf_counter()
            fn_all()
            runs.append(time.perf_counter() - t0)
    return statistics.median(ours_runs), statistics.median(theirs_runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    logging.disable(logging.CRITICAL)
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        import jionlp as jio  # prints a banner and logs parse failures as errors
        jio.parse_time("9月5日")

    # ---------------------------------------------------------------- accuracy
    fam_n: dict[str, int] = defaultdict(int)
    fam_ours: dict[str, int] = defaultdict(int)
    fam_strict: dict[str, int] = defaultdict(int)
    fam_jio: dict[str, int] = defaultdict(int)
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        for case in CASES:
            f = case["family"]
            fam_n[f] += 1
            span = ours(case)
            fam_ours[f] += correct(case, ours_view(span))
            fam_strict[f] += not check(case, span)
            fam_jio[f] += correct(case, jio_view(jio_parse(jio, case)))
    print(f"Accuracy on {len(CASES)} cases (tests/data/dates*.tsv)")
    print(f"{'family':17} {'cases':>5} {'ours':>7} {'ours strict':>11} {'JioNLP':>7}")
    for f in sorted(fam_n, key=lambda f: -fam_n[f]):
        n = fam_n[f]
        print(f"{f:17} {n:5d} {fam_ours[f] / n:7.1%} {fam_strict[f] / n:11.1%} {fam_jio[f] / n:7.1%}")
    n = len(CASES)
    print(f"{'all':17} {n:5d} {sum(fam_ours.values()) / n:7.1%} {sum(fam_strict.values()) / n:11.1%} {sum(fam_jio.values()) / n:7.1%}")
    worse = [f for f in fam_n if fam_ours[f] < fam_jio[f]]
    ties = [f for f in fam_n if fam_ours[f] == fam_jio[f]]
    print("families where ours is worse:", ", ".join(worse) or "none", "| equal:", ", ".join(ties) or "none")

    # ---------------------------------------------------------------- speed
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        # each tool's arguments made once, so the timings are of the tools, not of this script
        ours_args = [(c["text"], c["ref_year"], ref_date_of(c)) for c in CASES]
        jio_args = [(c["text"], jio_base(c)) for c in CASES]
        t_ours, t_jio = timed_pair(lambda a: normalize(*a), ours_args,
                                   lambda a: jio_parse_text(jio, *a), jio_args, args.repeat)
    print()
    print(f"normalize:   ours {n / t_ours:10,.0f} expressions/s ({1e6 * t_ours / n:.1f} us each)")
    print(f"parse_time:  JioNLP {n / t_jio:8,.0f} expressions/s ({1e6 * t_jio / n:.1f} us each)")
    print(f"speed ratio: {t_jio / t_ours:.1f}x")

    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "samples" / "notices").glob("*.txt"))]
    paragraphs = [line for t in texts for line in t.split("\n") if line.strip()]
    chars = sum(len(p) for p in paragraphs)
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        def jio_find(p):
            try:
                return jio.ner.extract_time(p, time_base=dt.datetime(2022, 9, 1).timestamp())
            except Exception:
                return None

        # as the pipeline reads rows: the notice's year and date (deixis counts from it)
        t_find, t_jfind = timed_pair(lambda p: find_dates(p, 2022, dt.date(2022, 9, 1), resolve_events=False),
                                     paragraphs, jio_find, paragraphs, args.repeat)
    print(f"find_dates:  ours {chars / t_find:10,.0f} chars/s over {len(paragraphs)} seed lines ({chars:,} chars)")
    print(f"extract_time: JioNLP {chars / t_jfind:7,.0f} chars/s; ratio {t_jfind / t_find:.1f}x")


if __name__ == "__main__":
    main()
