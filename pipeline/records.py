"""ExtractionResult -> rows of the output tables (schemas/arrow.py): a pure function."""
from __future__ import annotations

import datetime as dt
from importlib.metadata import PackageNotFoundError, version

from extractors.units import is_known
from pipeline.paths import display_path, path_bytes
from schemas.arrow import SCHEMA_VERSION
from schemas.records import DateSpan, ExtractionResult

try:
    PIPELINE_VERSION = version("notices")
except PackageNotFoundError:  # running from a checkout without installing
    PIPELINE_VERSION = "0+unknown"


def _hhmm(t: dt.time | None) -> str | None:
    return t.strftime("%H:%M") if t else None


def date_columns(span: DateSpan | None, text: str | None = None) -> dict:
    if span is None:
        return {
            "date_text": text, "date_kind": None, "date_start": None, "date_end": None, "date_precision": None,
            "time_start": None, "time_end": None, "recurrence_every": None, "recurrence_day": None,
            "recurrence_deadline": None, "recurrence_interval": None, "offset_number": None, "offset_unit": None, "offset_direction": None,
            "offset_anchor": None, "date_warnings": [],
        }
    rec, off = span.recurrence, span.offset
    return {
        "date_text": text if text is not None else span.text,
        "date_kind": span.kind,
        "date_start": span.start,
        "date_end": span.end,
        "date_precision": span.precision,
        "time_start": _hhmm(span.time_start),
        "time_end": _hhmm(span.time_end),
        "recurrence_every": rec.every if rec else None,
        "recurrence_day": rec.day if rec else None,
        "recurrence_deadline": rec.deadline if rec else None,
        "recurrence_interval": rec.interval if rec else None,
        "offset_number": off.number if off else None,
        "offset_unit": off.unit if off else None,
        "offset_direction": off.direction if off else None,
        "offset_anchor": off.anchor if off else None,
        "date_warnings": list(span.warnings),
    }


def result_rows(r: ExtractionResult) -> dict[str, list[dict]]:
    """Rows for notices, items, item_units and dates. The notice row lacks the
    run's columns (run_id, ingested_at), which the writer adds at commit."""
    m = r.meta
    # a notice without a year goes to the real partition year=0, never to
    # __HIVE_DEFAULT_PARTITION__ (which plain Parquet readers choke on)
    year = m.year if m.year is not None else 0
    n = m.doc_number
    notice = {
        "doc_id": r.doc_id, "source_path": display_path(r.source_path), "source_path_bytes": path_bytes(r.source_path),
        "source_format": r.source_format, "title": m.title,
        "issuer": m.issuer, "doc_number": n.text if n else None, "doc_number_prefix": n.prefix if n else None,
        "doc_number_year": n.year if n else None, "doc_number_seq": n.seq if n else None,
        "issue_date": m.issue_date, "year": year, "year_source": m.year_source or "none", "recipients": m.recipients,
        "attachments": m.attachments, "contact_names": m.contact_names, "contact_phones": m.contact_phones,
        "contact_emails": m.contact_emails, "page_count": r.page_count, "item_count": len(r.items),
        "unknown_units": r.unknown_units, "warnings": r.warnings, "schema_version": SCHEMA_VERSION,
        "pipeline_version": PIPELINE_VERSION,
    }
    items, item_units = [], []
    for it in r.items:
        items.append({
            "doc_id": r.doc_id, "item_no": it.item_no, "item_type": it.item_type, "category": it.category,
            "subcategory": it.subcategory, "task": it.task, "theme": it.theme, "units": it.units,
            "units_canonical": it.units_canonical, **date_columns(it.date, it.date_text),
            "source_page": it.source_page, "source_table": it.source_table, "source_row": it.source_row,
            "warnings": it.warnings, "year": year,
        })
        roles = list(it.unit_roles) + [None] * (len(it.units) - len(it.unit_roles))
        for k, (u, c, role) in enumerate(zip(it.units, it.units_canonical, roles), 1):
            item_units.append({"doc_id": r.doc_id, "item_no": it.item_no, "unit_no": k, "unit": u,
                               "unit_canonical": c, "unit_known": is_known(c), "role": role, "year": year})
    dates = [
        {"doc_id": r.doc_id, "date_no": k, "sentence": d.sentence, **date_columns(d.date), "source_page": d.source_page,
         "year": year}
        for k, d in enumerate(r.dates, 1)
    ]
    return {"notices": [notice], "items": items, "item_units": item_units, "dates": dates}
