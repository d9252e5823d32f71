"""The audit report of `notices diff --html`: one self-contained HTML page.

    html = render_report(changes, Side.from_items("2022", old_items), Side.from_items("2023", new_items),
                         threshold=0.8, made_at=datetime.now().astimezone(), version=PIPELINE_VERSION)

The page is a Jinja2 template (templates/report.html.j2, autoescaped) with its CSS and
JavaScript inline, so the one file works offline and can be mailed. This module only
prepares the rows (provenance, sort keys, the character diff of rewordings); the
template decides how they look.
"""
from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

import jinja2
from markupsafe import Markup, escape

from pipeline.diff import CHANGE_TYPES, Change, DiffItem, counts

# rewordings: the changed characters are marked (Chinese has no spaces to diff words by)
REWORDINGS = ("task_reworded", "theme_changed")

# the columns of the table of changes: (key, heading, class, tooltip); the class sets the width
COLUMNS = (
    ("change_type", "change_type", "c-type", "what changed"),
    ("item_type", "item", "c-item", "schedule row, list row or task"),
    ("unit", "unit", "c-unit", "the unit (canonical name); for a task, its units"),
    ("task", "task", "c-task", "the task (as the new notice words it)"),
    ("old_value", "old", "c-old", "the old notice's value"),
    ("new_value", "new", "c-new", "the new notice's value"),
    ("shift_days", "shift", "c-num", "days a date moved, the old date taken to the new year first"),
    ("similarity", "sim.", "c-num", "similarity of the two task texts, 0 to 1"),
    ("old_at", "old: where", "c-at", "file, page, table and row in the old notice"),
    ("new_at", "new: where", "c-at", "file, page, table and row in the new notice"),
)


@dataclass(frozen=True)
class Side:
    """What is known of one side of a comparison. A side of several notices (an issuer's
    year) joins their titles and numbers; its issue date is kept only when they share one."""

    label: str
    title: str | None = None
    doc_number: str | None = None
    issue_date: dt.date | None = None
    paths: tuple[str, ...] = ()
    # (source_path, page, row) -> the item there: the table number and units a Change lacks
    items: Mapping[tuple, DiffItem] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def from_items(cls, label: str, items: Iterable[DiffItem]) -> "Side":
        items = list(items)
        notices = list(dict.fromkeys((i.source_path, i.title, i.doc_number, i.issue_date) for i in items))
        titles = list(dict.fromkeys(n[1] for n in notices if n[1]))
        numbers = list(dict.fromkeys(n[2] for n in notices if n[2]))
        dates = {n[3] for n in notices if n[3]}
        return cls(label, "；".join(titles) or None, "、".join(numbers) or None,
                   dates.pop() if len(dates) == 1 else None,
                   tuple(dict.fromkeys(n[0] for n in notices if n[0])),
                   {(i.source_path, i.page, i.row): i for i in items})

    @classmethod
    def from_changes(cls, label: str, changes: Iterable[Change], side: str) -> "Side":
        """Only the label and the paths the changes name (what diff.to_html has)."""
        return cls(label, paths=tuple(dict.fromkeys(p for c in changes if (p := getattr(c, f"{side}_source_path")))))


def mark_changes(old: str, new: str) -> tuple[Markup, Markup]:
    """Both texts, escaped, with what the other lacks in <del> (old) and <ins> (new)."""
    a, b = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            a.append(escape(old[i1:i2]))
            b.append(escape(new[j1:j2]))
            continue
        if i2 > i1:
            a.append(Markup("<del>%s</del>") % old[i1:i2])
        if j2 > j1:
            b.append(Markup("<ins>%s</ins>") % new[j1:j2])
    return Markup("").join(a), Markup("").join(b)


def _blank(v) -> bool:
    return v is None or v == ""


def _where(side: Side, path: str | None, page: int | None, row: int | None) -> dict | None:
    if not path:
        return None
    item = side.items.get((path, page, row))
    table = item.table if item else None
    href = None
    try:
        href = Path(path).resolve().as_uri()  # relative paths are the ingest's cwd's, as the CLI is run
    except ValueError:
        pass
    if href and page and Path(path).suffix.lower() == ".pdf":
        href += f"#page={page}"  # PDF viewers (Chromium, Firefox, Acrobat) open at the page
    name = Path(path).name
    # sort by file, then page, table and row as numbers (zero-padded, so text order is number order)
    key = f"{name}\x1f{page or 0:06d}\x1f{table or 0:06d}\x1f{row or 0:06d}"
    return {"name": name, "path": path, "page": page, "table": table, "row": row, "href": href, "key": key}


def _row(c: Change, old: Side, new: Side) -> dict:
    o_item = old.items.get((c.old_source_path, c.old_page, c.old_row))
    n_item = new.items.get((c.new_source_path, c.new_page, c.new_row))
    # a task change has no unit of its own: the filter and the cell use the task's units
    units = [c.unit] if c.unit else list(dict.fromkeys((n_item.units_canonical if n_item else [])
                                                       + (o_item.units_canonical if o_item else [])))
    if c.change_type in REWORDINGS and c.old_value and c.new_value:
        old_html, new_html = mark_changes(c.old_value, c.new_value)
    else:
        old_html, new_html = escape(c.old_value or ""), escape(c.new_value or "")
    old_at = _where(old, c.old_source_path, c.old_page, c.old_row)
    new_at = _where(new, c.new_source_path, c.new_page, c.new_row)
    sort = {"change_type": c.change_type, "item_type": c.item_type, "unit": c.unit or "、".join(units),
            "task": c.task or "", "old_value": c.old_value or "", "new_value": c.new_value or "",
            "shift_days": "" if _blank(c.shift_days) else str(c.shift_days),
            "similarity": "" if _blank(c.similarity) else f"{c.similarity:.3f}",
            "old_at": old_at["key"] if old_at else "", "new_at": new_at["key"] if new_at else ""}
    return {"c": c, "units": units, "own_unit": bool(c.unit), "old_html": old_html, "new_html": new_html,
            "old_at": old_at, "new_at": new_at, "sort": sort}


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )


def render_report(changes: list[Change], old: Side, new: Side, threshold: float | None, made_at: dt.datetime,
                  version: str, title: str | None = None) -> str:
    """The page: the two notices, when and how it was made, a summary table of counts, then
    the changes (filter, search and sort in the page's own script)."""
    rows = [_row(c, old, new) for c in changes]
    c = counts(changes)
    summary = [(k, c[k]) for k in CHANGE_TYPES if c[k]] + [(k, n) for k, n in sorted(c.items()) if k not in CHANGE_TYPES]
    units = sorted({u for r in rows for u in r["units"]})
    return _env().get_template("report.html.j2").render(
        title=title or f"{old.label} → {new.label}", old=old, new=new, threshold=threshold,
        made_at=made_at.isoformat(timespec="seconds"), version=version, summary=summary, total=len(changes),
        rows=rows, units=units, columns=COLUMNS,
    )
