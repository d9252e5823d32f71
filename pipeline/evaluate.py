"""Precision, recall and F1 of the extraction against hand-checked gold files.

    evaluate(gold_dir="samples/gold", samples_dir="samples/notices") -> Report

Items are matched to gold items by similarity of their (type, task, theme,
units, date text), in document order; then each field is scored:
* scalar fields (title, date_start, theme...): a right value is a true
  positive; a wrong one is a false positive and a false negative; a missing one
  a false negative; an extra one a false positive;
* list fields (units, recipients...): each element is scored as a set member;
* rows: matched items are true positives, unmatched predictions false
  positives, unmatched gold items false negatives.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz

from extractors.notice import extract_file
from pipeline.records import result_rows
from schemas.records import ExtractionResult

META_FIELDS = (
    "issuer", "doc_number", "doc_number_prefix", "doc_number_year", "doc_number_seq", "title", "recipients",
    "issue_date", "attachments", "contact_names", "contact_phones", "contact_emails", "year",
)
ITEM_FIELDS = (
    "rows", "units", "units_canonical", "lead_units", "task", "theme", "category", "subcategory", "date_text",
    "date_kind", "date_start", "date_end",
)
# the fields the target (F1 >= 0.98 on every sample and format) applies to
GATED = set(META_FIELDS) | {"rows", "units", "task", "theme", "date_kind", "date_start", "date_end"}
LIST_FIELDS = {"recipients", "attachments", "contact_names", "contact_phones", "contact_emails", "units", "units_canonical",
               "lead_units"}


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: "Score") -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def counted(self) -> bool:
        return bool(self.tp or self.fp or self.fn)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class FileReport:
    source: str
    format: str
    scores: dict[str, Score] = field(default_factory=dict)
    error: str | None = None


@dataclass
class Report:
    files: list[FileReport] = field(default_factory=list)

    def overall(self) -> dict[str, Score]:
        total: dict[str, Score] = {}
        for f in self.files:
            for name, s in f.scores.items():
                total.setdefault(name, Score()).add(s)
        return total

    def failures(self, threshold: float = 0.98) -> list[tuple[str, str, str, float]]:
        """(source, format, field, f1) for every gated field below the threshold."""
        out = []
        for f in self.files:
            if f.error:
                out.append((f.source, f.format, "error", 0.0))
            for name, s in f.scores.items():
                if name in GATED and s.counted and s.f1 < threshold:
                    out.append((f.source, f.format, name, s.f1))
        return out


# ----------------------------------------------------------------------------- views
# What is scored is what the tables hold: the rows of pipeline.records.result_rows.


def _iso(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def item_view(row: dict, units: list[dict] = ()) -> dict:
    """An `items` row (with its `item_units` rows), as the gold writes it."""
    view = {name: _iso(row[name]) for name in ("item_type",) + ITEM_FIELDS[1:] if name in row}
    view["lead_units"] = [u["unit"] for u in units if u.get("role") == "lead"]
    return view


def meta_view(notice: dict) -> dict:
    """A `notices` row, as the gold writes it (year 0, the table's "no year", is null)."""
    view = {name: _iso(notice[name]) for name in META_FIELDS}
    view["year"] = view["year"] or None
    return view


# ----------------------------------------------------------------------------- scoring


def score_scalar(pred, gold) -> Score:
    if gold is None and pred is None:
        return Score()
    if pred == gold:
        return Score(tp=1)
    return Score(fp=1 if pred is not None else 0, fn=1 if gold is not None else 0)


def score_list(pred: list | None, gold: list | None) -> Score:
    p, g = list(pred or []), list(gold or [])
    tp = 0
    rest = list(g)
    for x in p:
        if x in rest:
            rest.remove(x)
            tp += 1
    return Score(tp=tp, fp=len(p) - tp, fn=len(g) - tp)


def _signature(item: dict) -> str:
    return "|".join([item.get("item_type") or "", item.get("task") or "", item.get("theme") or "",
                     "、".join(item.get("units") or []), item.get("date_text") or ""])


def match_items(pred: list[dict], gold: list[dict], threshold: float = 60.0) -> list[tuple[int, int]]:
    """Pairs (pred index, gold index): each gold item takes the most similar
    unmatched prediction (ties to the nearest position)."""
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    sigs = [_signature(p) for p in pred]
    for gi, g in enumerate(gold):
        gs = _signature(g)
        best = None
        for pi, ps in enumerate(sigs):
            if pi in used:
                continue
            s = fuzz.ratio(ps, gs)
            key = (s, -abs(pi - gi))
            if s >= threshold and (best is None or key > best[0]):
                best = (key, pi)
        if best is not None:
            used.add(best[1])
            pairs.append((best[1], gi))
    return pairs


def score_file(result: ExtractionResult, gold: dict) -> dict[str, Score]:
    scores: dict[str, Score] = {}
    rows = result_rows(result)
    pm, gm = meta_view(rows["notices"][0]), gold["metadata"]
    for name in META_FIELDS:
        if name in gm:  # a field the gold does not write is not scored
            scores[name] = (score_list if name in LIST_FIELDS else score_scalar)(pm.get(name), gm.get(name))
    units_of: dict[int, list[dict]] = {}
    for u in rows["item_units"]:
        units_of.setdefault(u["item_no"], []).append(u)
    pred = [item_view(r, units_of.get(r["item_no"], [])) for r in rows["items"]]
    gitems = gold["items"]
    pairs = match_items(pred, gitems)
    matched_p = {p for p, _ in pairs}
    matched_g = {g for _, g in pairs}
    scores["rows"] = Score(tp=len(pairs), fp=len(pred) - len(pairs), fn=len(gitems) - len(pairs))
    for name in ITEM_FIELDS[1:]:
        if not any(name in g for g in gitems):
            continue  # the gold does not write this field (or has no rows: then only rows are scored)
        s = Score()
        scorer = score_list if name in LIST_FIELDS else score_scalar
        for p, g in pairs:
            if name in gitems[g]:
                s.add(scorer(pred[p].get(name), gitems[g].get(name)))
        for p, it in enumerate(pred):
            if p not in matched_p:
                s.add(scorer(it.get(name), None))
        for g, it in enumerate(gitems):
            if g not in matched_g and name in it:
                s.add(scorer(None, it.get(name)))
        scores[name] = s
    return scores


def evaluate(
    gold_dir: str | Path = "samples/gold",
    samples_dir: str | Path = "samples/notices",
    formats: tuple[str, ...] = ("txt", "docx", "pdf"),
) -> Report:
    report = Report()
    for gold_path in sorted(Path(gold_dir).glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        for fmt in formats:
            path = Path(samples_dir) / f"{gold['source']}.{fmt}"
            fr = FileReport(gold["source"], fmt)
            if not path.exists():
                fr.error = f"missing {path}"
            else:
                try:
                    fr.scores = score_file(extract_file(path), gold)
                except Exception as e:  # an eval run reports a broken file instead of stopping
                    fr.error = f"{type(e).__name__}: {e}"
            report.files.append(fr)
    return report
