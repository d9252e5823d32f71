"""Typed records that stages pass on: dates, notices, items, errors.

The Arrow schemas of the output tables (schemas/arrow.py) are derived from the
fields documented here; keep the two in step.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

DATE_KINDS = ("day", "range", "deadline", "period", "continuous", "recurring", "relative", "unknown")
PRECISIONS = ("day", "week", "xun", "month", "quarter", "half_year", "year", "decade", "century")
RECURRENCE_UNITS = ("day", "working_day", "week", "month", "quarter", "half_year", "year")


@dataclass
class Recurrence:
    """A recurring date: every `every` (week, month, ...), on `day` of the period
    where given (每月10日前 -> month, 10, deadline=True)."""

    every: str | None
    day: int | None = None
    deadline: bool = False
    interval: int | None = None  # every `interval` units (每隔2天: day, 2); None = every one


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
    date was given. precision: day | week | xun | month | quarter | half_year | year |
    decade | century.
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


@dataclass
class DocNumber:
    """发文字号: 资雁府办发〔2022〕58号 -> prefix 资雁府办发, year 2022, seq 58."""

    text: str
    prefix: str | None
    year: int | None
    seq: int | None


@dataclass
class NoticeMeta:
    """What a notice says about itself (its header and signature)."""

    title: str | None = None
    issuer: str | None = None
    doc_number: DocNumber | None = None
    recipients: list[str] = field(default_factory=list)
    issue_date: dt.date | None = None
    attachments: list[str] = field(default_factory=list)
    contact_names: list[str] = field(default_factory=list)
    contact_phones: list[str] = field(default_factory=list)
    contact_emails: list[str] = field(default_factory=list)
    year: int | None = None
    year_source: str | None = None  # issue_date | doc_number | title | body
    warnings: list[str] = field(default_factory=list)


@dataclass
class Item:
    """One schedule or responsibility row (or one unit of a list) with provenance."""

    item_no: int
    item_type: str  # schedule | task | list
    category: str | None = None
    subcategory: str | None = None
    task: str | None = None
    theme: str | None = None
    units: list[str] = field(default_factory=list)
    units_canonical: list[str] = field(default_factory=list)
    unit_roles: list[str | None] = field(default_factory=list)  # per unit: lead (牵头), support (配合) or None
    date_text: str | None = None
    date: DateSpan | None = None
    source_page: int | None = None
    source_table: int | None = None
    source_row: int | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class BodyDate:
    """A date expression found in the notice's running text, with its sentence."""

    sentence: str
    date: DateSpan
    source_page: int | None = None
    block: int | None = None


@dataclass
class ExtractionResult:
    """Everything extracted from one file: the unit the pipeline writes."""

    doc_id: str
    source_path: str
    source_format: str
    page_count: int | None
    meta: NoticeMeta
    items: list[Item] = field(default_factory=list)
    dates: list[BodyDate] = field(default_factory=list)
    unknown_units: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
