"""Items from a notice: table rows, inline schedules in body text, unit lists.

Tables are understood by their header, not by column position: each header
cell gets a role (seq, unit, theme, task, date, note) from the synonyms in
data/columns.toml. Where several columns are tasks (工作任务 over 重点工作任务),
the last is the task and the ones before it are the category (and, under a
header spanning two columns, the subcategory). A table without a header row
whose rows are clearly "number, unit, date" gets its roles from its content.
"""
from __future__ import annotations

from dataclasses import dataclass

import regex

from extractors import vocab
from extractors.vocab import alternation

from extractors.dates import Reference, normalize
from extractors.duties import NUMBERING, parse_duties
from extractors.script import to_simplified
from extractors.units import UNIT_SUFFIX, canonical_units, split_units
from schemas.document import Document, Paragraph, Table
from schemas.records import DateSpan, Item

_WS = regex.compile(r"\s+")
_GROUP_HEADING = regex.compile(r"^\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)])")
_TOTAL_ROW = regex.compile("^" + alternation(vocab.words("columns.toml", "rows.total_row_starts")))


def column_synonyms() -> dict[str, list[str]]:
    """role -> the header words that give a column that role (columns.toml [roles])."""
    return vocab.table("columns.toml")["roles"]


def column_role(header: str) -> str | None:
    """lead for a 牵头单位 column, support for a 配合单位 one, else None."""
    h = to_simplified(header)
    if any(w in h for w in vocab.words("columns.toml", "duties.lead_verbs")):
        return "lead"
    if any(w in h for w in vocab.words("columns.toml", "duties.support_verbs")):
        return "support"
    return None


def role_of(header: str | None) -> str | None:
    """The role of one header cell: the longest synonym it equals, else the
    longest it contains (开展时间（暂定） is a date column)."""
    if not header:
        return None
    h = _WS.sub("", header)
    syn = column_synonyms()
    for role, words in syn.items():
        if h in words:
            return role
    best: tuple[int, str] | None = None
    for role, words in syn.items():
        for w in words:
            if w in h and (best is None or len(w) > best[0]):
                best = (len(w), role)
    return best[1] if best else None


@dataclass
class Columns:
    seq: int | None = None
    units: tuple[int, ...] = ()
    theme: int | None = None
    task: int | None = None
    date: int | None = None
    category: int | None = None
    subcategory: int | None = None

    @property
    def usable(self) -> bool:
        return bool(self.units) and (self.date is not None or self.task is not None or self.theme is not None)


def columns_from_header(table: Table) -> Columns | None:
    headers = table.header_texts()
    if not any(headers):
        return None
    roles: list[str | None] = []
    spanned_from: list[int | None] = []
    last = None
    for c, h in enumerate(headers):
        # covered by a header cell spanning from the left: None in DOCX/PDF, an empty cell in text dumps
        if not h and last is not None and headers[last]:
            roles.append(roles[last])
            spanned_from.append(last)
        else:
            roles.append(role_of(h))
            spanned_from.append(None)
            last = c
    cols = Columns()
    task_cols = [c for c, r in enumerate(roles) if r == "task"]
    if task_cols:
        cols.task = task_cols[-1]
        earlier = [c for c in task_cols if c != cols.task and spanned_from[c] != cols.task]
        if earlier:
            cols.category = earlier[0]
            if len(earlier) > 1:
                cols.subcategory = earlier[1]
    for c, r in enumerate(roles):
        if r == "seq" and cols.seq is None:
            cols.seq = c
        elif r == "unit" and spanned_from[c] is None:
            cols.units += (c,)
        elif r == "theme" and cols.theme is None:
            cols.theme = c
        elif r == "date" and cols.date is None:
            cols.date = c
    return cols


_INT = regex.compile(r"^\d{1,4}$")


def columns_from_content(rows: list[list[str]]) -> Columns | None:
    """Roles of a table without a header, from what its cells hold."""
    if not rows:
        return None
    width = len(rows[0])
    n = len(rows)

    def share(c: int, test) -> float:
        return sum(1 for r in rows if r[c] and test(r[c])) / n

    cols = Columns()
    ints = [share(c, lambda t: bool(_INT.match(t))) for c in range(width)]
    if ints and ints[0] >= 0.8:
        cols.seq = 0
    dates = [share(c, lambda t: normalize(t, ref_year=2000).kind not in ("unknown",)) for c in range(width)]
    units = [share(c, lambda t: bool(UNIT_SUFFIX.search(split_units(t)[-1] if split_units(t) else ""))) for c in range(width)]
    free = [c for c in range(width) if c != cols.seq]
    date_col = max(free, key=lambda c: dates[c], default=None)
    if date_col is not None and dates[date_col] >= 0.6:
        cols.date = date_col
    unit_col = max((c for c in free if c != cols.date), key=lambda c: units[c], default=None)
    if unit_col is not None and units[unit_col] >= 0.6:
        cols.units = (unit_col,)
    rest = [c for c in free if c not in (cols.date,) + cols.units]
    if rest:
        cols.theme = max(rest, key=lambda c: sum(len(r[c]) for r in rows))
    return cols if cols.units and cols.date is not None else None


_SEQ_WITH_TEXT = regex.compile(r"^(\d{1,3})\s+(\S.*)$")


def table_items(table: Table, places: dict[str, str], when: Reference) -> list[Item]:
    filled = table.filled_rows()
    cols = columns_from_header(table)
    if cols is None or not cols.usable:
        cols = columns_from_content(filled) if not table.header else None
    if cols is None:
        return []
    if not (cols.date is not None or cols.task is not None or cols.theme is not None):
        return _table_list_items(table, cols, filled, places)
    item_type = "task" if cols.task is not None else "schedule"
    items: list[Item] = []
    category = subcategory = None
    header_texts = [_WS.sub("", t or "") for t in table.header_texts()]
    for r, row in enumerate(filled):
        cell = lambda c: row[c].strip() if c is not None and c < len(row) else ""  # noqa: E731
        if [_WS.sub("", t) for t in row] == header_texts:
            continue  # a header repeated inside the body
        seq_text = cell(cols.seq)
        group = cell(cols.category)
        m = _SEQ_WITH_TEXT.match(seq_text)
        if m:  # a text dump ran the number and the merged category together: "2 加强政府信息资源公开…"
            seq_text, group, sub = m.group(1), m.group(2), group
        else:
            sub = cell(cols.subcategory)
        if group and group != category:  # merged cells give every row their group; dumps give the first
            category, subcategory = group, None
        if sub:
            subcategory = sub
        unit_text = "，".join(cell(c) for c in cols.units if cell(c))
        units, roles = [], []
        for c in cols.units:  # a 牵头单位 column and a 配合单位 column give their units a role
            duty = parse_duties(cell(c)) if cell(c) else None  # a cell may say so itself: 办公室牵头,各科室配合
            found = duty[0] if duty else split_units(cell(c))  # …、功能区管委会负责落实: the units, not the verb
            if duty and any(duty[1]):
                found_roles = duty[1]
            else:
                found_roles = [column_role(header_texts[c] if c < len(header_texts) else "")] * len(found)
            units.extend(found)
            roles.extend(found_roles)
        filled_cells = [t.strip() for t in row if t.strip()]
        if cols.units and not unit_text and len(filled_cells) == 1:
            # one cell across a table of units: a group heading (一、…, （二）…) or a row whose units are
            # not there (a flattened page wrote its merged cells empty); either way no one is named
            if _GROUP_HEADING.match(filled_cells[0]):
                category, subcategory = filled_cells[0], None
            continue
        task, theme, date_text = NUMBERING.sub("", cell(cols.task)), cell(cols.theme), cell(cols.date)
        if not (unit_text or task or theme or date_text):
            continue
        if _TOTAL_ROW.match(seq_text + task + theme):
            continue
        if not any(roles):
            units, roles = list(dict.fromkeys(units)), []
        item = Item(
            item_no=0,
            item_type=item_type,
            category=category,
            subcategory=subcategory,
            task=task or None,
            theme=theme or None,
            units=units,
            units_canonical=canonical_units(units, places),
            unit_roles=roles,
            date_text=date_text or None,
            date=when.read(date_text) if date_text else None,
            source_page=table.row_sources[r].page if r < len(table.row_sources) else table.page_start,
            source_table=table.index,
            source_row=r + 1,
        )
        items.append(item)
    return items


def _table_list_items(table: Table, cols: Columns, filled: list[list[str]], places) -> list[Item]:
    items = []
    for r, row in enumerate(filled):
        for u in split_units("，".join(row[c] for c in cols.units if row[c])):
            items.append(_list_item(u, places, None, table.row_sources[r].page if r < len(table.row_sources) else None,
                                    table.index, r + 1))
    return items


def _list_item(unit: str, places, category, page, table_index, row) -> Item:
    return Item(0, "list", category=category, units=[unit], units_canonical=canonical_units([unit], places),
                source_page=page, source_table=table_index, source_row=row)


# ----------------------------------------------------------------------------- body text

def _inline(key: str) -> str:
    return alternation(vocab.words("columns.toml", f"inline.{key}"))


_FIELD = alternation(vocab.words("columns.toml", "duties.field_labels")) + r"\s*[：:]"  # 地点：, 主题：...
_DATE_LABEL = regex.compile(_inline("date_label_prefixes") + "?" + _inline("date_labels")
                            + r"\s*[：:]\s*(?P<date>[^；;。，,]+?)\s*(?=[；;。，,]|" + _inline("date_ends_before")
                            + "|" + _FIELD + "|$)")
_UNIT_LABEL = regex.compile(_inline("unit_label_prefixes") + _inline("unit_label_nouns")
                            + r"\s*[：:]\s*(?P<units>.+?)\s*[；;。]?\s*(?=" + _FIELD + "|$)")
_LIST_NO = regex.compile(r"^\s*[（(]?(\d{1,3})[)）.．、]")


def inline_schedule_items(doc: Document, places, when: Reference, skip: set[int]) -> list[tuple[int, Item]]:
    """Schedules written in the body: "1.活动时间：9月5日" with "实施单位：县农业农村局、
    乡村振兴局；" in the same paragraph or the next. The blocks it reads are added to `skip`."""
    out: list[tuple[int, Item]] = []
    blocks = doc.blocks
    i = 0
    while i < len(blocks):
        b = blocks[i]
        if not isinstance(b, Paragraph) or i in skip:
            i += 1
            continue
        dm = _DATE_LABEL.search(b.text)
        if not dm:
            i += 1
            continue
        um = _UNIT_LABEL.search(b.text[dm.end():])
        used = 1
        if not um and i + 1 < len(blocks) and isinstance(blocks[i + 1], Paragraph):
            um = _UNIT_LABEL.match(blocks[i + 1].text.strip())
            used = 2
        if not um:
            i += 1
            continue
        units = split_units(um.group("units"))
        date_text = dm.group("date").strip()
        n = _LIST_NO.match(b.text)
        item = Item(0, "schedule", units=units, units_canonical=canonical_units(units, places), date_text=date_text,
                    date=when.read(date_text), source_page=b.page,
                    source_row=int(n.group(1)) if n else None)
        out.append((i, item))
        skip.update(range(i, i + used))  # its blocks are taken: no other finder reads them again
        i += used
    return out


_ACTIVITY_DATE = regex.compile(_inline("date_label_prefixes") + _inline("date_labels")
                               + r"\s*[：:]\s*(?P<date>[^；;。]+?)\s*(?=[；;。]|" + _FIELD + "|$)")
_THEME_LABEL = regex.compile(r"(?:活动|开放)?主题\s*[：:]\s*(?P<theme>[^；;。]+?)\s*(?=[；;。]|" + _FIELD + "|$)")


# a section heading that is only a label, its value in the paragraph below: 二、活动时间 / 12月5日15:00
_HEADING_LABEL = regex.compile(
    r"^\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[.．、])?\s*(?P<label>"
    + _inline("date_label_prefixes") + _inline("date_labels") + r"|(?:活动|开放)?主题|"
    + _inline("unit_label_prefixes") + _inline("unit_label_nouns") + r")\s*[：:]?\s*$")
# under 活动时间及地点, a bare 时间： at the start of its line is the activity's
_BARE_DATE = regex.compile(r"^\s*" + _inline("date_labels") + r"\s*[：:]\s*(?P<date>[^；;。]+?)\s*(?=[；;。]|" + _FIELD
                           + "|$)")


_STARTS_WITH_LABEL = regex.compile(r"^\p{Han}{1,8}\s*[：:]")  # 时间：…, not 15:00


def _labelled_paragraphs(doc: Document) -> list[tuple[int, str, int | None]]:
    """(block, text, page) of the paragraphs, a heading that is only a label joined to
    the paragraph below it (一、活动主题 / 数据开放，共享未来 -> 活动主题：数据开放，共享未来)."""
    paras = [(i, b) for i, b in enumerate(doc.blocks) if isinstance(b, Paragraph)]
    out = []
    for k, (i, b) in enumerate(paras):
        text = b.text
        m = _HEADING_LABEL.match(text)
        if m and k + 1 < len(paras):
            value = paras[k + 1][1].text.strip()
            if value and not _HEADING_LABEL.match(value) and not _STARTS_WITH_LABEL.match(value):
                text = f"{m.group('label')}：{value}"
        out.append((i, text, b.page))
    return out


def activity_item(doc: Document, places, when: Reference, issuer: str | None) -> tuple[int, Item] | None:
    """A notice about one activity (an open day: 活动时间：2025年9月19日 上午9:00, 活动地点：…,
    or 二、活动时间 over the time's own line) is one schedule row: its time, its theme,
    and the units its 主办单位：/承办单位： labels name, else the issuer. Used only where
    no other row was found."""
    date_at = theme = None
    units: list[str] = []
    for i, text, page_no in _labelled_paragraphs(doc):
        if date_at is None:
            m = _ACTIVITY_DATE.search(text) or _BARE_DATE.match(text)
            if m:
                date_at, date_text, page = i, m.group("date").strip(" ，,"), page_no
        if theme is None and (t := _THEME_LABEL.search(text)):
            theme = t.group("theme").strip(" ，,")
        if u := _UNIT_LABEL.search(text):
            units.extend(x for x in split_units(u.group("units")) if x not in units)
    if date_at is None:
        return None
    units_text = "、".join(units)
    units = units or ([issuer] if issuer else [])
    item = Item(0, "schedule", theme=theme, units=units, units_canonical=canonical_units(units, places),
                date_text=date_text or None, date=when.read(date_text) if date_text else None,
                source_page=page)
    if not units_text and issuer:
        item.warnings.append("the activity names no unit: the issuer's")
    return date_at, item


_LIST_TITLE = regex.compile(alternation(vocab.words("columns.toml", "rows.list_title_endings")) + "$")


def list_items(doc: Document, places, skip: set[int]) -> list[tuple[int, Item]]:
    """A list of units in an attachment ("…部门名单" then "市发展改革委、市教育局、…")."""
    out: list[tuple[int, Item]] = []
    blocks = doc.blocks
    for i, b in enumerate(blocks[:-1]):
        if not isinstance(b, Paragraph) or i in skip or not _LIST_TITLE.search(b.text) or len(b.text) > 50:
            continue
        nxt = blocks[i + 1]
        if not isinstance(nxt, Paragraph):
            continue
        units = split_units(nxt.text)
        if len(units) < 3 or sum(1 for u in units if UNIT_SUFFIX.search(u)) < 0.7 * len(units):
            continue
        for k, u in enumerate(units, 1):
            out.append((i + 1, _list_item(u, places, b.text.strip(), nxt.page, None, k)))
    return out


# ----------------------------------------------------------------------------- checks


def check_items(items: list[Item], activity: DateSpan | None) -> None:
    """Validation warnings: no unit, no date, duplicates, dates outside the
    activity period the notice announces."""
    seen: dict[tuple, int] = {}
    for it in items:
        if it.item_type == "list":
            continue
        if not it.units:
            it.warnings.append("row has no unit")
        if not it.date_text:
            it.warnings.append("row has no date")
        key = (tuple(it.units), it.task, it.theme, it.date_text)
        if key in seen:
            it.warnings.append(f"duplicate of item {seen[key]}")
        else:
            seen[key] = it.item_no
        d = it.date
        if activity and activity.start and activity.end and d and d.start and d.end and it.item_type == "schedule":
            if d.start < activity.start or d.end > activity.end:
                it.warnings.append(
                    f"date {d.start}..{d.end} is outside the activity period {activity.start}..{activity.end} the notice announces"
                )
