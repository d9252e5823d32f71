"""Responsibilities written in body text, outside tables.

Task-split notices (工作要点, 任务分工方案) put the responsible units after each task:

    1.加强政策解读。……（牵头单位：市发展改革委；责任单位：市财政局、市商务局；完成时限：2023年6月底前）
    做好A。（区发改委牵头，区财政局、区商务局配合）、做好B（责任单位：区商务局）
    （三）做好政策解读工作。……
    牵头领导：市政府分管领导
    牵头单位：市发展改革委
    责任单位：市政府办公室、市司法局
    完成时限：2023年12月底前

Each bracketed responsibility closes a task: the text since the previous one (or
the paragraph's start) without its number. A run of labelled lines (牵头单位：,
责任单位：, 完成时限：, a person's 牵头领导：) gives the units and date of the paragraph
above it; a person is never a unit. Lead units (牵头) and supporting units (配合, 协办) keep their
role. The labels and verbs are data (columns.toml [duties]).
"""
from __future__ import annotations

from functools import lru_cache

import regex

from extractors import vocab
from extractors.dates import Reference
from extractors.units import UNIT_SUFFIX, canonical_units, split_units
from extractors.vocab import alternation
from schemas.document import Document, Paragraph
from schemas.records import Item

_OPEN, _CLOSE = "（(【[〔", "）)】]〕"
NUMBERING = regex.compile(r"^\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d{1,3}[.．、](?!\d)"
                          r"|\d{1,2}[.．](?=(?:19|20)\d\d年)|[①-⑳])\s*")  # 5.2020年8月底前…: a number, then a year
_LEAD, _SUPPORT = "lead", "support"


def _words(key: str) -> tuple[str, ...]:
    return vocab.words("columns.toml", f"duties.{key}")


@lru_cache(maxsize=1)
def _patterns() -> dict[str, regex.Pattern]:
    unit_labels = _words("lead_labels") + _words("support_labels") + _words("unit_labels")
    labels = unit_labels + _words("date_labels") + _words("person_labels")
    return {
        "label": regex.compile(alternation(labels) + r"\s*[：:]"),
        "line": regex.compile(r"^\s*" + alternation(unit_labels) + r"\s*[：:]"),
        "labelled": regex.compile(r"^\s*" + alternation(labels) + r"\s*[：:]"),
        "verb": regex.compile(
            r"(?P<units>[^，,；;。]+?)\s*(?P<verb>" + alternation(_words("lead_verbs") + _words("support_verbs")
                                                             + _words("duty_verbs")) + r")(?:[，,；;。]|$)"),
        "field": regex.compile(r"\s*" + alternation(_words("field_labels")) + r"\s*[：:]"),
    }


def _role_of_label(label: str) -> str | None:
    if label in _words("lead_labels"):
        return _LEAD
    if label in _words("support_labels"):
        return _SUPPORT
    return None


def _looks_like_units(units: list[str]) -> bool:
    return bool(units) and all(UNIT_SUFFIX.search(u) or u.startswith(("各", "有关", "相关")) for u in units)


def parse_duties(text: str, bare_ok: bool = False) -> tuple[list[str], list[str | None], str | None] | None:
    """(units, their roles, date text) of a responsibility: labelled fields
    (牵头单位：…；责任单位：…；完成时限：…) or verbs (X牵头，Y、Z配合); None if the text is no
    responsibility (（以下简称“方案”）, a remark). With `bare_ok`, a list of units
    alone counts too (only where the bracket closes a sentence: 各部门（单位）根据… is no row)."""
    p = _patterns()
    units: list[str] = []
    roles: list[str | None] = []
    date_text = None
    labels = list(p["label"].finditer(text))
    if labels and not text[: labels[0].start()].strip(" ，,；;"):
        for k, m in enumerate(labels):
            end = labels[k + 1].start() if k + 1 < len(labels) else len(text)
            label = regex.sub(r"\s*[：:]$", "", m.group(0)).strip()
            value = text[m.end():end]
            other = p["field"].search(value)
            if other:
                value = value[: other.start()]
            value = value.strip(" ，,；;。")
            if label in _words("date_labels"):
                date_text = value or None
                continue
            if label in _words("person_labels"):
                continue
            value = _without_note(value)
            clauses = _verb_clauses(value)  # 责任单位：A、B按职责分工负责
            found = [u for named, _ in clauses for u in named] if clauses else split_units(value)
            units.extend(found)
            roles.extend([_role_of_label(label)] * len(found))
        return (units, roles, date_text) if units else None
    text = _without_note(text)
    clauses = _verb_clauses(text)
    if clauses is None:
        bare = split_units(text)  # （区发改委、区财政局）: units alone, the responsible ones
        whole = all(len(u) >= 3 and UNIT_SUFFIX.search(u) and not regex.search(r"\d", u) for u in bare)  # not 617室
        if bare_ok and len(text) <= 120 and bare and whole:
            return bare, [None] * len(bare), None
        return None
    for found, verb in clauses:
        role = _LEAD if verb in _words("lead_verbs") else _SUPPORT if verb in _words("support_verbs") else None
        units.extend(found)
        roles.extend([role] * len(found))
    return (units, roles, None) if units else None


_SAME_BELOW = regex.compile(r"[，,；;]?\s*下同\s*$")


def _without_note(text: str) -> str:
    """The units of a responsibility without the note the first one carries for the
    rest: （A、B按职责分工负责。具体任务均涉及各市人民政府，不再做分工，下同） -> A、B按职责分工负责."""
    head, stop, rest = text.partition("。")
    if stop and rest.strip():
        text = head
    return _SAME_BELOW.sub("", text)


def _verb_clauses(text: str) -> list[tuple[list[str], str]] | None:
    """(units, verb) of each clause of a responsibility written with verbs (X牵头，Y、Z配合),
    or None when the text is not only such clauses. A list of units without a verb
    shares the next clause's (省直有关部门，各州、市人民政府按照职责分工负责: both are responsible)."""
    verb = _patterns()["verb"]
    out: list[tuple[list[str], str]] = []
    waiting: list[str] = []
    for piece in regex.split(r"[，,；;。]", text):
        piece = piece.strip()
        if not piece:
            continue
        m = verb.fullmatch(piece)
        named = regex.sub(r"^(?:由|请)", "", (m.group("units") if m else piece).strip())
        found = [u for u in split_units(named) if u]
        if not _looks_like_units(found):
            return None
        if m is None:
            waiting.extend(found)
            continue
        out.append((waiting + found, m.group("verb")))
        waiting = []
    return out if out and not waiting else None


def _bracket_groups(text: str) -> list[tuple[int, int]]:
    """(start, end) of every outermost bracketed group, brackets included. A bracket
    that never closes (（一加强…, a portal lost its other half) is passed over."""
    pairs, opened = [], []
    for i, ch in enumerate(text):
        if ch in _OPEN:
            opened.append(i)
        elif ch in _CLOSE and opened:
            pairs.append((opened.pop(), i + 1))
    pairs.sort()
    out: list[tuple[int, int]] = []
    for start, end in pairs:
        if not out or start >= out[-1][1]:
            out.append((start, end))
    return out


def _task_text(text: str) -> str | None:
    t = NUMBERING.sub("", text.strip(" 、，,；;")).strip(" 、，,；;")
    return t or None


def _deadline_in(task: str | None, when: Reference) -> str | None:
    """The first deadline the task's own text sets (…，2020年9月底前完成清理…): the
    row's date when no label gives one."""
    for m in when.find(task or ""):
        if m.span.kind == "deadline":
            return m.text
    return None


def _item(task: str | None, units, roles, date_text, places, when: Reference, page, row) -> Item:
    date_text = date_text or _deadline_in(task, when)
    return Item(0, "task", task=task, units=units, units_canonical=canonical_units(units, places),
                unit_roles=roles, date_text=date_text,
                date=when.read(date_text) if date_text else None, source_page=page, source_row=row)


def _label_run(blocks, start: int, skip: set[int]) -> int:
    """The end (exclusive) of the run of labelled paragraphs that starts at `start`."""
    labelled = _patterns()["labelled"]
    end = start
    while end < len(blocks) and end not in skip and isinstance(blocks[end], Paragraph) \
            and labelled.match(blocks[end].text):
        end += 1
    return end


def duty_items(doc: Document, places, when: Reference, skip: set[int]) -> list[tuple[int, Item]]:
    """Items of responsibilities written after tasks in the body (see module docstring)."""
    out: list[tuple[int, Item]] = []
    blocks = doc.blocks
    p = _patterns()
    run_end = 0  # paragraphs before it belong to a run of labelled lines already read
    tails: dict[int, str] = {}  # a paragraph's text after its last responsibility: a task the next line may close
    for i, b in enumerate(blocks):
        if not isinstance(b, Paragraph) or i in skip or i < run_end:
            continue
        text = b.text
        if p["labelled"].match(text):  # 牵头单位：… 责任单位：… 完成时限：… under the task they belong to
            run_end = _label_run(blocks, i, skip)
            run = [blk.text.strip() for blk in blocks[i:run_end]]
            prev = blocks[i - 1] if i > 0 else None
            if not any(p["line"].match(t) for t in run) or not isinstance(prev, Paragraph) or (i - 1) in skip \
                    or _looks_like_units(split_units(prev.text)):
                continue  # a date or a person alone gives no units; a run under a table (or under the
                # names a 指导单位： line spilt onto the lines below) has no task above it
            duty = parse_duties("；".join(t.rstrip("。；;，,") for t in run))
            if duty is None:
                continue
            units, roles, date_text = duty
            out.append((i, _item(_task_text(prev.text), units, roles, date_text, places, when, b.page, None)))
            continue
        last = 0
        for start, end in _bracket_groups(text):
            closes = end == len(text) or text[end] in "。；;，,、" or text[start - 1:start] in "。；;"
            duty = parse_duties(text[start + 1:end - 1], bare_ok=closes)
            if duty is None:
                continue
            units, roles, date_text = duty
            # X（牵头单位：…）。 is the task X。: the stop after the bracket ends the task's sentence
            stop = text[end] if end < len(text) and text[end] in "。；;" and start > 0 and text[start - 1] not in "。；;" \
                else ""
            task = _task_text(text[last:start] + stop) if text[last:start].strip() else None
            if task is None and last == 0 and (i - 1) in tails:  # the bracket opens its line: the task is above it
                task = _task_text(tails.pop(i - 1))
            out.append((i, _item(task, units, roles, date_text, places, when, b.page, None)))
            last = end + len(stop)
        tails[i] = text[last:]
    return out
