"""Typed records that stages pass on: dates, notices, items, errors.

The Arrow schemas of the output tables (schemas/arrow.py) are derived from the
fields documented here; keep the two in step.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

DATE_KINDS = ("day", "range", "deadline", "period", "continuous", "recurring", "relative", "unknown")
PRECISIONS = ("day", "xun", "month", "quarter", "half_year", "year")
RECURRENCE_UNITS = ("week", "month", "quarter", "half_year", "year")


@dataclass
class Recurrence:
    """A recurring date: every `every` (week, month, ...), on `day` of the period
    where given (每月10日前 -> month, 10, deadline=True)."""

    every: str | None
    day: int | None = None
    deadline: bool = False


@dataclass
class Offset:
    """A date relative to an event: 活动结束后3个工作日内 -> 3 working_days after
    the anchor "活动结束"."""

    number: int
    unit: str  # days | working_days | weeks | months | hours
    direction: str  # after | before | within
    anchor: str | None = None


@dataclass
class DateSpan:
    """One normalised date expression.

    kind: day | range | deadline | period | continuous | recurring | relative | unknown
    start/end: the first and last day the expression allows (a deadline has
    start None); for a relative expression they are filled only when an anchor
    date was given. precision: day | xun | month | quarter | half_year | year.
    """

    text: str
    kind: str = "unknown"
    start: dt.date | None = None
    end: dt.date | None = None
    precision: str | None = None
    time_start: dt.time | None = None
    time_end: dt.time | None = None
    recurrence: Recurrence | None = None
    offset: Offset | None = None
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("start", "end", "time_start", "time_end"):
            if d[k] is not None:
                d[k] = d[k].isoformat()
        return d


@dataclass
class DateMatch:
    """A date expression found inside running text: its character span in that
    text (end exclusive) and what it means."""

    start: int
    end: int
    text: str
    span: DateSpan
