"""One notice: document model in, metadata + items + body dates out.

`extract_file(path)` is a pure function of the file's bytes (and the data files
under extractors/data): no global state, nothing written. It is the unit of
work the pipeline runs in worker processes, and could run on a cluster.
"""
from __future__ import annotations

import os
from dataclasses import replace

import regex

from extractors import vocab
from extractors.dates import Reference
from extractors.header import extract_meta
from extractors.readers import read_document
from extractors.duties import duty_items
from extractors.rows import activity_item, check_items, inline_schedule_items, list_items, table_items
from extractors.script import simplified_view
from extractors.units import is_known, places_of
from schemas.document import Document, Paragraph, Table
from schemas.records import BodyDate, DateSpan, ExtractionResult

_SENTENCE_END = regex.compile(r"(?<=[。！？；!?;])")


def body_dates(doc: Document, skip: set[int], when: Reference) -> list[BodyDate]:
    """Every date expression in the running text, kept with its sentence."""
    out: list[BodyDate] = []
    for i, b in enumerate(doc.blocks):
        if not isinstance(b, Paragraph) or i in skip:
            continue
        for sentence in _SENTENCE_END.split(b.text):
            sentence = sentence.strip()
            if not sentence:
                continue
            for m in when.find(sentence):
                out.append(BodyDate(sentence, m.span, b.page, i))
    return out


def activity_period(dates: list[BodyDate]) -> DateSpan | None:
    """The activity window a notice announces (活动时间：2022年8月22日至2022年9月22日):
    the first range in a sentence about time, else the first range."""
    ranges = [d for d in dates if d.date.kind == "range" and d.date.start and d.date.end]
    for d in ranges:
        if any(w in d.sentence for w in vocab.words("notice.toml", "activity_period_words")):
            return d.date
    return ranges[0].date if ranges else None


def extract_notice(doc: Document) -> ExtractionResult:
    """Metadata, items and body dates of one document. A document in traditional
    script is read through its simplified view and its texts given back as written."""
    view, restore = simplified_view(doc)
    result = _extract(view)
    return _as_written(result, restore) if restore else result


def _as_written(r: ExtractionResult, restore) -> ExtractionResult:
    """The result with every text as the document writes it (canonical names stay simplified)."""
    m = r.meta
    n = m.doc_number
    meta = replace(m, title=restore(m.title), issuer=restore(m.issuer), recipients=restore.all(m.recipients),
                   attachments=restore.all(m.attachments), contact_names=restore.all(m.contact_names),
                   doc_number=replace(n, text=restore(n.text), prefix=restore(n.prefix)) if n else None)
    items = [replace(it, category=restore(it.category), subcategory=restore(it.subcategory), task=restore(it.task),
                     theme=restore(it.theme), units=restore.all(it.units), date_text=restore(it.date_text),
                     date=replace(it.date, text=restore(it.date.text)) if it.date else None) for it in r.items]
    dates = [replace(d, sentence=restore(d.sentence), date=replace(d.date, text=restore(d.date.text))) for d in r.dates]
    return replace(r, meta=meta, items=items, dates=dates)


def _extract(doc: Document) -> ExtractionResult:
    meta, used = extract_meta(doc)
    places = places_of(meta.issuer)
    # undated expressions take the notice's year; deixis counts from its issue date
    when = Reference(meta.year, meta.issue_date)
    dates = body_dates(doc, used, when)
    positioned = []
    for i, b in enumerate(doc.blocks):
        if isinstance(b, Table):
            positioned.extend((i, it) for it in table_items(b, places, when))
    taken = set(used)
    positioned.extend(inline_schedule_items(doc, places, when, taken))
    positioned.extend(duty_items(doc, places, when, taken))
    positioned.extend(list_items(doc, places, used))
    if not positioned:
        one = activity_item(doc, places, when, meta.issuer)
        if one:
            positioned.append(one)
    positioned.sort(key=lambda p: p[0])
    items = [it for _, it in positioned]
    for n, it in enumerate(items, 1):
        it.item_no = n
    check_items(items, activity_period(dates))
    unknown: list[str] = []
    for it in items:
        for u in it.units_canonical:
            if not is_known(u) and u not in unknown:
                unknown.append(u)
    result = ExtractionResult(doc.sha256, doc.source_path, doc.format, doc.page_count, meta, items, dates, unknown)
    result.warnings = list(doc.warnings) + list(meta.warnings)
    if not items:
        result.warnings.append("no schedule, task or list rows found")
    return result


def extract_file(path: str | os.PathLike) -> ExtractionResult:
    """Path in, records out: read the file and extract the notice."""
    return extract_notice(read_document(path))
