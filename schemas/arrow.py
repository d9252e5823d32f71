"""The output schema, defined once: every table, column, type and meaning.

The writer builds its Arrow tables from these schemas, the README's schema
tables are generated from them (`python -m schemas.arrow`), and the tests check
what readers see against them. A change here is a schema change: bump
SCHEMA_VERSION and add a migration note to MIGRATIONS; when the change is in
what extraction writes (notices, items, item_units, dates), set
EXTRACTION_SCHEMA to it too, so notices ingested before are re-extracted.
"""
from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

SCHEMA_VERSION = 5
# the last version that changed the rows extraction writes: notices ingested under
# an older one are re-extracted; a change elsewhere (runs) only adds columns
EXTRACTION_SCHEMA = 4
MIGRATIONS = {
    1: "initial schema",
    2: "notices and errors: source_path_bytes for file names that are not UTF-8; year 0 (not null) when a notice "
       "gives none, year_source 'none'",
    3: "item_units.role: lead (牵头) or support (配合, 协办) where the notice says so",
    4: "items and dates: recurrence_interval (每隔2天); precision week, decade, century; recurrence every day, "
       "working_day",
    5: "runs: engine, workers, cluster_nodes, cluster_cpus (null in rows of earlier runs); notices are not "
       "re-extracted",
}

_str = pa.string()
_i32 = pa.int32()
_i64 = pa.int64()
_date = pa.date32()
_ts = pa.timestamp("us", tz="UTC")
_list = pa.list_(pa.string())
_bool = pa.bool_()
_bin = pa.binary()


def _schema(*cols: tuple[str, pa.DataType, str, bool]) -> tuple[pa.Schema, dict[str, str]]:
    fields = [pa.field(name, typ, nullable=nullable) for name, typ, _, nullable in cols]
    return pa.schema(fields), {name: doc for name, _, doc, _ in cols}


DATE_COLUMNS = (
    ("date_text", _str, "the date as written (9月中旬, 10月30日前, 及时公开)", True),
    ("date_kind", _str, "day, range, deadline, period, continuous, recurring, relative or unknown", True),
    ("date_start", _date, "first day the expression allows (null for a deadline)", True),
    ("date_end", _date, "last day the expression allows", True),
    ("date_precision", _str, "day, week, xun, month, quarter, half_year, year, decade or century", True),
    ("time_start", _str, "clock time HH:MM where given", True),
    ("time_end", _str, "clock time HH:MM where given (a deadline's hour: 16时前 -> 16:00)", True),
    ("recurrence_every", _str, "recurring: day, working_day, week, month, quarter, half_year or year", True),
    ("recurrence_day", _i32, "recurring: day of the period (每月10日前 -> 10; -1 = last)", True),
    ("recurrence_deadline", _bool, "recurring: the day is a deadline (每月10日前)", True),
    ("recurrence_interval", _i32, "recurring: every so many units (每隔2天 -> 2); null = every one", True),
    ("offset_number", _i32, "relative: how many units (活动结束后3个工作日内 -> 3)", True),
    ("offset_unit", _str, "relative: days, working_days, weeks, months or hours", True),
    ("offset_direction", _str, "relative: after, before or within", True),
    ("offset_anchor", _str, "relative: the event it counts from (活动结束后)", True),
    ("date_warnings", _list, "what the date normaliser noticed (weekday mismatch, invalid date, no year)", True),
)

NOTICES, NOTICES_DOC = _schema(
    ("doc_id", _str, "sha256 of the file's bytes, hex: the notice's key", False),
    ("source_path", _str, "the file as given to ingest (bytes that are not UTF-8 shown as \\xNN)", False),
    ("source_path_bytes", _bin, "the path's raw bytes when it is not valid UTF-8, else null", True),
    ("source_format", _str, "pdf, docx or txt (by content, not suffix)", False),
    ("title", _str, "title, joined across lines", True),
    ("issuer", _str, "发文机关", True),
    ("doc_number", _str, "发文字号 as written (资雁府办发〔2022〕58号)", True),
    ("doc_number_prefix", _str, "its prefix (资雁府办发)", True),
    ("doc_number_year", _i32, "its year (2022)", True),
    ("doc_number_seq", _i32, "its sequence number (58)", True),
    ("issue_date", _date, "成文日期 from the signature", True),
    ("year", _i32, "reference year for dates without one; 0 when the notice gives none; the partition column", True),
    ("year_source", _str, "where the year came from: issue_date, doc_number, title, body or none", True),
    ("recipients", _list, "主送机关, one per element", True),
    ("attachments", _list, "attachment titles (附件：...)", True),
    ("contact_names", _list, "联系人", True),
    ("contact_phones", _list, "联系电话", True),
    ("contact_emails", _list, "e-mail addresses", True),
    ("page_count", _i32, "pages (PDF; DOCX as recorded by Word; null for text)", True),
    ("item_count", _i32, "rows in `items` for this notice", False),
    ("unknown_units", _list, "canonical unit names not in the alias table or unit dictionary", True),
    ("warnings", _list, "what the reader and extractors noticed", True),
    ("run_id", _str, "the ingest run that wrote the row", False),
    ("schema_version", _i32, "schemas.arrow.SCHEMA_VERSION at ingest", False),
    ("pipeline_version", _str, "the package version at ingest", False),
    ("ingested_at", _ts, "when the run committed the row (UTC)", False),
)

ITEMS, ITEMS_DOC = _schema(
    ("doc_id", _str, "the notice (notices.doc_id)", False),
    ("item_no", _i32, "order in the notice, from 1; key: (doc_id, item_no)", False),
    ("item_type", _str, "schedule (活动安排), task (责任分工) or list (a unit list)", False),
    ("category", _str, "the 工作任务 group, carried down over merged cells", True),
    ("subcategory", _str, "the group below the category, where the table has one", True),
    ("task", _str, "工作任务 / 重点工作任务 text", True),
    ("theme", _str, "活动主题", True),
    ("units", _list, "units as written, split (市发展改革委)", True),
    ("units_canonical", _list, "canonical names (达州市发展和改革委员会), same order as units", True),
    *DATE_COLUMNS,
    ("source_page", _i32, "page of the row (PDF), null for DOCX and text", True),
    ("source_table", _i32, "table number in the notice, from 1; null for rows from body text", True),
    ("source_row", _i32, "data row in that table, from 1 (or the list number of an inline schedule)", True),
    ("warnings", _list, "row checks: no unit, no date, duplicate, outside the activity period", True),
    ("year", _i32, "the notice's year (0: none); the partition column", True),
)

ITEM_UNITS, ITEM_UNITS_DOC = _schema(
    ("doc_id", _str, "the notice", False),
    ("item_no", _i32, "the item (items.item_no)", False),
    ("unit_no", _i32, "position of the unit in the item, from 1; key: (doc_id, item_no, unit_no)", False),
    ("unit", _str, "the unit as written", False),
    ("unit_canonical", _str, "its canonical name", False),
    ("unit_known", _bool, "the canonical name is in the alias table or unit dictionary", False),
    ("role", _str, "lead (牵头单位, X牵头) or support (配合单位, Y配合); null where the notice makes no such distinction", True),
    ("year", _i32, "the notice's year (0: none); the partition column", True),
)

DATES, DATES_DOC = _schema(
    ("doc_id", _str, "the notice", False),
    ("date_no", _i32, "order in the notice's body text, from 1; key: (doc_id, date_no)", False),
    ("sentence", _str, "the sentence the date expression is in", False),
    *DATE_COLUMNS,
    ("source_page", _i32, "page (PDF)", True),
    ("year", _i32, "the notice's year (0: none); the partition column", True),
)

ERRORS, ERRORS_DOC = _schema(
    ("run_id", _str, "the run that quarantined the file; key: (run_id, source_path)", False),
    ("source_path", _str, "the file (bytes that are not UTF-8 shown as \\xNN)", False),
    ("source_path_bytes", _bin, "the path's raw bytes when it is not valid UTF-8, else null", True),
    ("doc_id", _str, "sha256 of its bytes, when they could be read", True),
    ("stage", _str, "discover, read, extract or worker", False),
    ("error_code", _str, "stable code (README: What happens to bad files)", False),
    ("message", _str, "one line: the reason", False),
    ("pipeline_version", _str, "the package version of the run", False),
    ("occurred_at", _ts, "when (UTC)", False),
)

RUNS, RUNS_DOC = _schema(
    ("run_id", _str, "the run; key", False),
    ("started_at", _ts, "start (UTC)", False),
    ("finished_at", _ts, "end (UTC)", False),
    ("files_seen", _i64, "files found under the given paths", False),
    ("ingested", _i64, "files extracted and written", False),
    ("skipped_duplicates", _i64, "files whose doc_id was already ingested (or seen earlier in the run)", False),
    ("skipped_known_errors", _i64, "files whose bytes were already quarantined by this pipeline version", False),
    ("quarantined", _i64, "files written to `errors` by this run", False),
    ("items", _i64, "item rows written", False),
    ("pipeline_version", _str, "the package version", False),
    ("schema_version", _i32, "schemas.arrow.SCHEMA_VERSION", False),
    ("notices_version", _i64, "Delta version of `notices` after the run (null: no table yet)", True),
    ("items_version", _i64, "Delta version of `items` after the run", True),
    ("item_units_version", _i64, "Delta version of `item_units` after the run", True),
    ("dates_version", _i64, "Delta version of `dates` after the run", True),
    ("errors_version", _i64, "Delta version of `errors` after the run", True),
    ("engine", _str, "where files were extracted: pool (processes on the driver's machine) or ray (a Ray cluster)",
     True),
    ("workers", _i32, "extraction processes (pool) or Ray actors (ray)", True),
    ("cluster_nodes", _i32, "machines the run's workers could use (1 for the pool)", True),
    ("cluster_cpus", _i32, "their CPUs, as the machine or Ray reported them", True),
)


@dataclass(frozen=True)
class TableSpec:
    name: str
    schema: pa.Schema
    docs: dict[str, str]
    key: tuple[str, ...]
    partition_by: tuple[str, ...]
    meaning: str
    run_columns: tuple[str, ...] = ()  # filled by the writer at commit, not by whoever made the rows

    @property
    def row_schema(self) -> pa.Schema:
        """The schema of rows as extraction makes them: without the run's columns."""
        return pa.schema([f for f in self.schema if f.name not in self.run_columns])


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec("notices", NOTICES, NOTICES_DOC, ("doc_id",), ("year",), "one row per ingested notice",
                  run_columns=("run_id", "ingested_at")),
        TableSpec("items", ITEMS, ITEMS_DOC, ("doc_id", "item_no"), ("year",), "schedule, task and list rows"),
        TableSpec("item_units", ITEM_UNITS, ITEM_UNITS_DOC, ("doc_id", "item_no", "unit_no"), ("year",),
                  "one row per (item, unit), for tools that cannot read lists"),
        TableSpec("dates", DATES, DATES_DOC, ("doc_id", "date_no"), ("year",), "date expressions in body text"),
        TableSpec("errors", ERRORS, ERRORS_DOC, ("run_id", "source_path"), (), "quarantined files"),
        TableSpec("runs", RUNS, RUNS_DOC, ("run_id",), (), "one row per ingest run"),
    )
}
# commit order within a chunk: a notice becomes visible only after all its rows are in
DATA_TABLES = ("items", "item_units", "dates", "errors", "notices")


def markdown() -> str:
    """The README's schema section, from the definitions above."""
    out = ["Versions: " + "; ".join(f"{v}: {note}" for v, note in MIGRATIONS.items()) + ".\n"]
    for spec in TABLES.values():
        part = f", partitioned by `{', '.join(spec.partition_by)}`" if spec.partition_by else ""
        out.append(f"#### `{spec.name}`: {spec.meaning} (key: {', '.join(spec.key)}{part})\n")
        out.append("| column | type | meaning |\n|---|---|---|")
        for f in spec.schema:
            nullable = "" if f.nullable else ", not null"
            out.append(f"| `{f.name}` | {f.type}{nullable} | {spec.docs[f.name]} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown())
