"""Tables out to the files office staff open: .xlsx, .csv, .jsonl, .parquet.

    export(out, "flat", "schedule.xlsx", as_of=None, where=["year=2022"]) -> rows written

`flat` is the one table staff want: one row per item with its notice's metadata
(issuer, number, title, issue date, file), the item's units as one 、-joined text
and its dates. In .xlsx and .csv every list becomes 、-joined text; .csv starts
with a BOM so Excel shows the Chinese; .xlsx has its header frozen and its
columns sized to their text.
"""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.writer import parse_as_of, read_table
from schemas.arrow import TABLES

SUFFIXES = (".xlsx", ".csv", ".jsonl", ".parquet")
FLAT = "flat"
# the notice columns a flat row carries, in the order staff read them
FLAT_NOTICE_COLUMNS = ("issuer", "doc_number", "title", "issue_date", "year", "source_path", "source_format")
LIST_JOINER = "、"
MAX_COLUMN_WIDTH = 60  # characters: wider task columns wrap instead of running off the screen


def table_names() -> tuple[str, ...]:
    return (FLAT, *TABLES)


def flat_table(out: str | Path, as_of=None) -> pa.Table:
    """items joined with their notice's metadata (one row per item)."""
    notices = read_table(out, "notices", as_of=as_of, columns=["doc_id", *FLAT_NOTICE_COLUMNS])
    items = read_table(out, "items", as_of=as_of)
    items = items.drop_columns([c for c in ("year",) if c in items.column_names])
    # Arrow's hash join cannot carry list columns (units): look each item's notice up instead
    at = pc.index_in(items.column("doc_id"), value_set=notices.column("doc_id"))
    found = pc.is_valid(at)
    items, at = items.filter(found), at.filter(found)
    meta = notices.take(at)
    columns = {name: meta.column(name) for name in FLAT_NOTICE_COLUMNS}
    columns.update({name: items.column(name) for name in items.column_names})
    return pa.table(columns)


def load(out: str | Path, name: str, as_of: str | int | None = None) -> pa.Table:
    when = parse_as_of(as_of)
    if name == FLAT:
        return flat_table(out, when)
    if name not in TABLES:
        raise KeyError(f"no table {name!r}; tables: {', '.join(table_names())}")
    return read_table(out, name, as_of=when)


def _condition(table: pa.Table, clause: str):
    """COLUMN=VALUE, COLUMN!=VALUE or COLUMN~TEXT (contains); numbers compare as numbers."""
    for op in ("!=", "~", "="):
        if op in clause:
            col, value = (part.strip() for part in clause.split(op, 1))
            break
    else:
        raise ValueError(f"--where {clause!r}: write COLUMN=VALUE, COLUMN!=VALUE or COLUMN~TEXT")
    if col not in table.column_names:
        raise ValueError(f"--where {clause!r}: no column {col!r}; columns: {', '.join(table.column_names)}")
    column = table.column(col)
    kind = column.type
    if op == "~":
        text = pc.cast(column, pa.string()) if not pa.types.is_list(kind) else pc.binary_join(column, LIST_JOINER)
        return pc.fill_null(pc.match_substring(text, value), False)
    if pa.types.is_list(kind):
        raise ValueError(f"--where {clause!r}: {col} is a list; use {col}~TEXT")
    try:
        scalar = pa.scalar(value).cast(kind) if not pa.types.is_string(kind) else pa.scalar(value)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise ValueError(f"--where {clause!r}: {value!r} is not a {kind}") from None
    test = pc.equal(column, scalar) if op == "=" else pc.not_equal(column, scalar)
    return pc.fill_null(test, False)


def select_rows(table: pa.Table, where: list[str] | None) -> pa.Table:
    """The rows every clause holds for."""
    for clause in where or []:
        table = table.filter(_condition(table, clause))
    return table


def cell_value(value):
    """A value as a spreadsheet cell: lists 、-joined, times without their zone."""
    if isinstance(value, list):
        return LIST_JOINER.join("" if v is None else str(v) for v in value)
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        return value.replace(tzinfo=None)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _flat_lists(table: pa.Table) -> pa.Table:
    """Lists as 、-joined text, for formats without lists (CSV)."""
    cols = []
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_list(col.type):
            col = pc.binary_join(pc.cast(col, pa.list_(pa.string())), LIST_JOINER)
        elif pa.types.is_binary(col.type) or pa.types.is_large_binary(col.type):
            col = pa.array([None if v is None else v.hex() for v in col.to_pylist()], pa.string())
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def write_xlsx(sheets: dict[str, pa.Table], path: Path, docs: dict[str, str] | None = None) -> None:
    """One sheet per table: bold frozen header, columns sized to their text (capped, wrapping)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for title, table in sheets.items():
        sheet = book.create_sheet(title[:31])  # Excel's limit on a sheet name
        sheet.append(table.column_names)
        widths = [len(n) + 2 for n in table.column_names]
        for row in table.to_pylist():
            values = [cell_value(row[n]) for n in table.column_names]
            sheet.append(values)
            for k, v in enumerate(values):
                if v is not None:
                    widths[k] = max(widths[k], _display_width(str(v)) + 2)
        for k, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(k)].width = min(width, MAX_COLUMN_WIDTH)
            if width > MAX_COLUMN_WIDTH:
                for cell in sheet[get_column_letter(k)][1:]:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            if docs and cell.value in docs:
                from openpyxl.comments import Comment

                cell.comment = Comment(docs[cell.value], "notices")
        sheet.freeze_panes = "A2"
    book.save(path)


def _display_width(text: str) -> int:
    """Characters as a spreadsheet shows them: CJK ones take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in max(text.split("\n"), key=len))


def write(table: pa.Table, path: str | Path, sheet: str = "data", docs: dict[str, str] | None = None) -> int:
    """Write `table` by the file's suffix; returns the rows written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        write_xlsx({sheet: table}, path, docs)
    elif suffix == ".csv":
        import pyarrow.csv as pcsv

        with open(path, "wb") as f:
            f.write(b"\xef\xbb\xbf")  # a BOM, so Excel opens the Chinese text as UTF-8
            pcsv.write_csv(_flat_lists(table), f)
    elif suffix == ".jsonl":
        with open(path, "w", encoding="utf-8") as f:
            for row in table.to_pylist():
                f.write(json.dumps(row, ensure_ascii=False, default=_json_default) + "\n")
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, path)
    else:
        raise ValueError(f"{path}: write {', '.join(SUFFIXES)}")
    return table.num_rows


def _json_default(value):
    if isinstance(value, bytes):
        return value.hex()
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def docs_for(name: str) -> dict[str, str]:
    """Each column's meaning (schemas/arrow.py), for the sheet's header comments."""
    if name == FLAT:
        return {**TABLES["items"].docs, **{c: TABLES["notices"].docs[c] for c in FLAT_NOTICE_COLUMNS}}
    return dict(TABLES[name].docs) if name in TABLES else {}


def export(out: str | Path, name: str, path: str | Path, as_of: str | int | None = None,
           where: list[str] | None = None) -> int:
    """A table of the output (or the flat join) as it is, or was, to a file."""
    table = select_rows(load(out, name, as_of), where)
    return write(table, path, sheet=name, docs=docs_for(name))
