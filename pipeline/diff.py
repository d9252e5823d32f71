"""Audit diff: what changed between two notices (or two sets of items).

    changes = diff(load_file("2022.pdf"), load_file("2023.pdf"))

Schedules (and unit lists) are matched by canonical unit, so 市发展改革委 and
市发展和改革委员会 are one unit; a unit that cannot be matched is reported as
added or removed, never merged with another. Responsibility tasks are matched by
the similarity of their text (rapidfuzz, 0..1, threshold settable), unit overlap
breaking ties; a reworded task says how similar it is.

Dates of two years are compared by day of year: the old date is moved by the
difference between the notices' years first, so "the same day next year" is no
shift. Each change is one record with both sides' provenance (file, page, row).
"""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import regex
from rapidfuzz import fuzz

from pipeline.records import result_rows

CHANGE_TYPES = (
    "unit_added", "unit_removed", "date_moved", "date_kind_changed", "theme_changed",
    "task_reworded", "task_added", "task_removed", "units_added_to_task", "units_removed_from_task",
    "deadline_earlier", "deadline_later",
)


@dataclass
class DiffItem:
    """One item of one side, with what the diff compares and where it came from."""

    item_type: str
    units: list[str]
    units_canonical: list[str]
    theme: str | None
    task: str | None
    date_text: str | None
    date_kind: str | None
    date_start: dt.date | None
    date_end: dt.date | None
    year: int | None
    doc_id: str | None
    source_path: str | None
    page: int | None
    row: int | None
    # what the audit report shows of the item's notice and place; not compared
    table: int | None = None
    title: str | None = None
    doc_number: str | None = None
    issue_date: dt.date | None = None


@dataclass
class Change:
    change_type: str
    item_type: str
    unit: str | None
    task: str | None
    old_value: str | None
    new_value: str | None
    shift_days: int | None
    similarity: float | None
    old_source_path: str | None
    old_page: int | None
    old_row: int | None
    new_source_path: str | None
    new_page: int | None
    new_row: int | None
    old_doc_id: str | None = None
    new_doc_id: str | None = None


# ----------------------------------------------------------------------------- loading sides


def items_from_result(result) -> list[DiffItem]:
    """A notice extracted from a file, through the same rows as the dataset's."""
    rows = result_rows(result)
    return _from_rows(rows["items"], {result.doc_id: rows["notices"][0]})


def load_file(path: str | Path) -> list[DiffItem]:
    from extractors.notice import extract_file

    return items_from_result(extract_file(path))


def _from_rows(items: list[dict], notices: dict[str, dict]) -> list[DiffItem]:
    """`notices`: the notice row of each doc_id (source_path, and title, doc_number and
    issue_date where the row has them)."""
    out = []
    for r in sorted(items, key=lambda r: (r["doc_id"], r["item_no"])):
        n = notices.get(r["doc_id"], {})
        out.append(DiffItem(r["item_type"], r["units"] or [], r["units_canonical"] or [], r["theme"], r["task"],
                            r["date_text"], r["date_kind"], r["date_start"], r["date_end"], r["year"], r["doc_id"],
                            n.get("source_path"), r["source_page"], r["source_row"], r.get("source_table"),
                            n.get("title"), n.get("doc_number"), n.get("issue_date")))
    return out


# Which copy of a notice ingested in several formats a comparison reads: the one that keeps
# the most structure (DOCX: real tables and merges), then the fixed layouts, then the rest.
FORMAT_PREFERENCE = ("docx", "doc", "pdf", "ofd", "html", "txt")


def _same_notice_key(n: dict) -> tuple:
    """Copies of one notice share a document number and title, or, without a number,
    an issuer and title."""
    title = _norm(n.get("title"))
    if n.get("doc_number"):
        return ("number", _norm(n["doc_number"]), title)
    return ("issuer", n.get("issuer") or "", title) if title else ("doc", n["doc_id"])


def one_copy_each(notices: list[dict]) -> tuple[list[dict], list[str]]:
    """One notice per group of copies (the preferred format, then the first path), and a
    line per group that had several, saying which copy was read."""
    groups: dict[tuple, list[dict]] = {}
    for n in notices:
        groups.setdefault(_same_notice_key(n), []).append(n)
    chosen, said = [], []
    for copies in groups.values():
        rank = {f: k for k, f in enumerate(FORMAT_PREFERENCE)}
        copies = sorted(copies, key=lambda n: (rank.get(n.get("source_format") or "", len(rank)), n["source_path"]))
        chosen.append(copies[0])
        if len(copies) > 1:
            others = ", ".join(Path(c["source_path"]).name for c in copies[1:])
            said.append(f"{Path(copies[0]['source_path']).name}: one notice in {len(copies)} copies; "
                        f"compared from its {copies[0].get('source_format')} (also ingested: {others})")
    return chosen, said


def load_dataset(data: str | Path, doc_id: str | None = None, issuer: str | None = None,
                 year: int | None = None, said: list[str] | None = None) -> list[DiffItem]:
    """Items of one notice (a doc_id or its unique prefix) or of an issuer's notices of a
    year. A notice ingested in several formats counts once (see one_copy_each); what was
    chosen is appended to `said`."""
    from pipeline.writer import read_table

    notices = read_table(data, "notices", columns=["doc_id", "source_path", "source_format", "issuer", "year",
                                                   "title", "doc_number", "issue_date"]).to_pylist()
    if doc_id:
        chosen = [n for n in notices if n["doc_id"].startswith(doc_id.lower())]
        if len(chosen) != 1:
            raise LookupError(f"{len(chosen)} notices in {data} have a doc_id starting with {doc_id!r}")
    else:
        chosen = [n for n in notices if n["issuer"] == issuer and n["year"] == year]
        if not chosen:
            raise LookupError(f"no notice of {issuer!r} in {year} in {data}")
        chosen, notes = one_copy_each(chosen)
        if said is not None:
            said.extend(notes)
    ids = {n["doc_id"] for n in chosen}
    items = [r for r in read_table(data, "items").to_pylist() if r["doc_id"] in ids]
    return _from_rows(items, {n["doc_id"]: n for n in chosen})


def load_side(spec: str, data: str | Path = "output") -> list[DiffItem]:
    """A file path, else a doc_id (or a unique prefix of one) in the dataset."""
    if Path(spec).exists():
        return load_file(spec)
    if regex.fullmatch(r"[0-9a-fA-F]{4,64}", spec):  # a doc_id, or any unique prefix of 4 or more
        return load_dataset(data, doc_id=spec)
    raise LookupError(f"{spec}: not a file, nor a doc_id in {data}")


# ----------------------------------------------------------------------------- comparing

_NORM = regex.compile(r"[\s\p{P}]+")
_YEAR = regex.compile(r"(?:19|20)\d{2}(?=\s*年)")


def _norm(text: str | None, year: int | None = None) -> str:
    """Text without spaces and punctuation, with years written relative to the
    notice's year: 2022年6月底前 in a 2022 notice equals 2023年6月底前 in a 2023 one."""
    text = text or ""
    if year:
        text = _YEAR.sub(lambda m: f"Y{int(m.group(0)) - year:+d}", text)
    return _NORM.sub("", text)


def _add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February in a year without one
        return d.replace(year=d.year + years, day=28)


def _shift(old: dt.date | None, new: dt.date | None, years: int) -> int | None:
    if old is None or new is None:
        return None
    return (new - _add_years(old, years)).days


def _change(kind: str, o: DiffItem | None, n: DiffItem | None, unit=None, task=None, old=None, new=None,
            shift=None, similarity=None) -> Change:
    return Change(kind, (n or o).item_type, unit, task, old, new, shift, similarity,
                  o.source_path if o else None, o.page if o else None, o.row if o else None,
                  n.source_path if n else None, n.page if n else None, n.row if n else None,
                  o.doc_id if o else None, n.doc_id if n else None)


def _date_changes(o: DiffItem, n: DiffItem, unit: str | None, task: str | None) -> list[Change]:
    years = (n.year - o.year) if n.year and o.year else 0  # 0: a notice without a year
    if o.date_kind != n.date_kind:
        shift = _shift(o.date_start or o.date_end, n.date_start or n.date_end, years)
        return [_change("date_kind_changed", o, n, unit, task, o.date_text, n.date_text, shift)]
    start, end = _shift(o.date_start, n.date_start, years), _shift(o.date_end, n.date_end, years)
    if o.date_kind == "deadline" and end:
        return [_change("deadline_later" if end > 0 else "deadline_earlier", o, n, unit, task, o.date_text,
                        n.date_text, end)]
    if start or end:
        return [_change("date_moved", o, n, unit, task, o.date_text, n.date_text, start if start else end)]
    if start is None and end is None and _norm(o.date_text) != _norm(n.date_text):
        return [_change("date_moved", o, n, unit, task, o.date_text, n.date_text, None)]  # no dates to count
    return []


def diff_schedules(old: list[DiffItem], new: list[DiffItem]) -> list[Change]:
    """Schedules and lists by canonical unit; a unit with several rows pairs them in date order."""
    def by_unit(items: list[DiffItem]) -> dict[str, list[DiffItem]]:
        out: dict[str, list[DiffItem]] = defaultdict(list)
        for it in items:
            for u in it.units_canonical:
                out[u].append(it)
        for rows in out.values():
            rows.sort(key=lambda it: (it.date_start or it.date_end or dt.date.min, it.row or 0))
        return out

    a, b = by_unit(old), by_unit(new)
    changes: list[Change] = []
    for unit in list(a) + [u for u in b if u not in a]:
        olds, news = a.get(unit, []), b.get(unit, [])
        for o, n in zip(olds, news):
            if o.item_type != "list" and _norm(o.theme, o.year) != _norm(n.theme, n.year):
                changes.append(_change("theme_changed", o, n, unit, None, o.theme, n.theme))
            if o.item_type != "list":
                changes.extend(_date_changes(o, n, unit, None))
        for o in olds[len(news):]:
            changes.append(_change("unit_removed", o, None, unit, None, o.date_text, None))
        for n in news[len(olds):]:
            changes.append(_change("unit_added", None, n, unit, None, None, n.date_text))
    return changes


def diff_tasks(old: list[DiffItem], new: list[DiffItem], threshold: float = 0.8) -> list[Change]:
    """Tasks matched by text similarity (best pairs first), then compared."""
    candidates = []
    for i, o in enumerate(old):
        for j, n in enumerate(new):
            sim = fuzz.ratio(_norm(o.task, o.year), _norm(n.task, n.year)) / 100
            if sim >= threshold:
                shared = len(set(o.units_canonical) & set(n.units_canonical))
                overlap = shared / max(1, len(set(o.units_canonical) | set(n.units_canonical)))
                candidates.append((sim, overlap, -abs(i - j), i, j))
    candidates.sort(reverse=True)
    used_old: set[int] = set()
    used_new: set[int] = set()
    pairs = []
    for sim, _, _, i, j in candidates:
        if i not in used_old and j not in used_new:
            used_old.add(i)
            used_new.add(j)
            pairs.append((sim, i, j))
    changes: list[Change] = []
    for sim, i, j in sorted(pairs, key=lambda p: p[1]):
        o, n = old[i], new[j]
        task = n.task
        if _norm(o.task, o.year) != _norm(n.task, n.year):
            changes.append(_change("task_reworded", o, n, None, task, o.task, n.task, similarity=round(sim, 3)))
        for u in [u for u in n.units_canonical if u not in o.units_canonical]:
            changes.append(_change("units_added_to_task", o, n, u, task, None, u))
        for u in [u for u in o.units_canonical if u not in n.units_canonical]:
            changes.append(_change("units_removed_from_task", o, n, u, task, u, None))
        changes.extend(_date_changes(o, n, None, task))
    for i, o in enumerate(old):
        if i not in used_old:
            changes.append(_change("task_removed", o, None, None, o.task, o.date_text, None))
    for j, n in enumerate(new):
        if j not in used_new:
            changes.append(_change("task_added", None, n, None, n.task, None, n.date_text))
    return changes


def diff(old: list[DiffItem], new: list[DiffItem], threshold: float = 0.8, item_type: str | None = None) -> list[Change]:
    """Every difference between two sides, schedules first, then tasks."""
    if item_type:
        old = [i for i in old if i.item_type == item_type]
        new = [i for i in new if i.item_type == item_type]
    sched = lambda items: [i for i in items if i.item_type in ("schedule", "list")]  # noqa: E731
    tasks = lambda items: [i for i in items if i.item_type == "task"]  # noqa: E731
    return diff_schedules(sched(old), sched(new)) + diff_tasks(tasks(old), tasks(new), threshold)


# ----------------------------------------------------------------------------- output


def counts(changes: list[Change]) -> Counter:
    return Counter(c.change_type for c in changes)


SAVE_SUFFIXES = (".csv", ".xlsx", ".parquet", ".json", ".jsonl")


def save(changes: list[Change], path: str | Path) -> None:
    """By the file's suffix: CSV (with a BOM), XLSX (a summary sheet and a sheet of
    changes), Parquet, JSON or JSON Lines."""
    import pyarrow as pa

    from pipeline import export

    path = Path(path)
    rows = [asdict(c) for c in changes]
    suffix = path.suffix.lower()
    if suffix == ".json":
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        return
    if suffix not in SAVE_SUFFIXES:
        raise ValueError(f"{path}: write {', '.join(SAVE_SUFFIXES)}")
    schema = pa.schema([(f.name, pa.int32() if f.name in ("shift_days", "old_page", "old_row", "new_page", "new_row")
                         else pa.float64() if f.name == "similarity" else pa.string()) for f in fields(Change)])
    table = pa.Table.from_pylist(rows, schema=schema)
    if suffix == ".xlsx":
        c = counts(changes)
        summary = pa.table({"change": [k for k in CHANGE_TYPES if c[k]] + ["total"],
                            "count": [c[k] for k in CHANGE_TYPES if c[k]] + [len(changes)]})
        export.write_xlsx({"summary": summary, "changes": table}, path)
    else:
        export.write(table, path)


def to_html(changes: list[Change], old_label: str, new_label: str, title: str | None = None,
            threshold: float | None = None) -> str:
    """The audit report (pipeline.report.render_report) for two sides known only by their
    labels and the changes' source paths; the CLI passes what it knows of the notices."""
    from pipeline.records import PIPELINE_VERSION
    from pipeline.report import Side, render_report

    return render_report(changes, Side.from_changes(old_label, changes, "old"), Side.from_changes(new_label, changes, "new"),
                         threshold, dt.datetime.now().astimezone(), PIPELINE_VERSION, title=title)
