"""Batch ingest: folders of notices -> Delta Lake tables, resumable and exact.

    summary = ingest(["samples/notices"], out="output", jobs=2)

1. Take the output's lock (one ingest per output root), and vacuum files a
   killed run left behind.
2. Find files (recursively; symlinked folders are not followed, so loops are
   harmless), hash each, and skip what is already in `notices` (same bytes,
   same pipeline and schema version) or already quarantined by this version.
3. Extract in worker processes (pipeline.workers), each file under a time
   limit and a memory cap.
4. Every `chunk_size` files, commit: items, item_units, dates, errors, then
   notices, so a notice is visible only once all its rows are; rows whose key
   is already in a table (from a run killed between commits) are dropped.
5. Record the run in `runs` with the table versions it left.

Memory stays flat: only one chunk of rows is held at a time.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import stat
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc

from extractors.readers.registry import supported_suffixes
from pipeline.faults import checkpoint
from pipeline.records import PIPELINE_VERSION
from pipeline.workers import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, Outcome, WorkerPool
from pipeline.writer import Store
from schemas.arrow import DATA_TABLES, SCHEMA_VERSION, TABLES

DEFAULT_CHUNK = 200


@dataclass
class FileError:
    path: str
    code: str
    message: str
    stage: str
    doc_id: str | None = None


@dataclass
class RunSummary:
    run_id: str
    out: str
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    files_seen: int = 0
    ingested: int = 0
    skipped_duplicates: int = 0
    skipped_known_errors: int = 0
    quarantined: int = 0
    items: int = 0
    warnings: int = 0
    pages: int = 0
    errors: list[FileError] = field(default_factory=list)
    versions: dict[str, int | None] = field(default_factory=dict)
    vacuumed: dict[str, int] = field(default_factory=dict)
    commit_seconds: float = 0.0
    replaced: int = 0  # notices re-extracted (--force, or a new pipeline/schema version)
    by_format: Counter = field(default_factory=Counter)

    @property
    def exit_code(self) -> int:
        """0: every file is in (or was already); 1: some files are quarantined."""
        return 1 if self.quarantined or self.skipped_known_errors else 0

    def error_counts(self) -> Counter:
        return Counter(e.code for e in self.errors)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def new_run_id() -> str:
    return now_utc().strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def discover(paths: Iterable[str | os.PathLike]) -> Iterator[tuple[str, str | None]]:
    """(path, problem) for every file under `paths`, in a stable order.
    Hidden files and folders (.git, .DS_Store) are left out."""
    for given in paths:
        p = Path(given)
        if p.is_dir() and not p.is_symlink():
            for root, dirs, files in os.walk(p, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield os.path.join(root, name), None
        elif p.is_dir():  # a symlink to a folder given on the command line: follow it once
            yield from discover(sorted(str(c) for c in p.iterdir()))
        elif p.exists() or p.is_symlink():
            yield str(p), None
        else:
            yield str(p), "no such file or folder"


def hash_file(path: str, block: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class _Task:
    path: str
    doc_id: str
    replace: bool


class _Chunk:
    """Arrow tables of the files extracted since the last commit."""

    def __init__(self) -> None:
        self.tables: dict[str, list[pa.Table]] = {name: [] for name in DATA_TABLES}
        self.files = 0
        self.replace_ids: set[str] = set()

    def add(self, tables: dict[str, pa.Table], replace: bool, doc_id: str) -> None:
        for name, t in tables.items():
            if t.num_rows:
                self.tables[name].append(t)
        self.files += 1
        if replace:
            self.replace_ids.add(doc_id)

    def table(self, name: str) -> pa.Table:
        parts = self.tables[name]
        return pa.concat_tables(parts) if parts else TABLES[name].schema.empty_table()


def _fill(table: pa.Table, column: str, value) -> pa.Table:
    """`column` set to one value in every row (the run's columns of `notices`)."""
    field = TABLES["notices"].schema.field(column)
    return table.set_column(table.schema.get_field_index(column), field, pa.array([value] * table.num_rows, field.type))


def _is_in(table: pa.Table, ids: set[str]) -> pa.Array:
    return pc.is_in(table.column("doc_id"), value_set=pa.array(sorted(ids), pa.string()))


def ingest(
    paths: Iterable[str | os.PathLike],
    out: str | os.PathLike = "output",
    jobs: int | None = None,
    force: bool = False,
    chunk_size: int = DEFAULT_CHUNK,
    timeout: float = DEFAULT_TIMEOUT_S,
    memory_mb: int | None = DEFAULT_MEMORY_MB,
    wait: bool = False,
    progress: Callable[[str, RunSummary], None] | None = None,
) -> RunSummary:
    """Ingest every notice under `paths` into the Delta tables under `out`."""
    jobs = jobs or os.cpu_count() or 1
    store = Store(out)
    summary = RunSummary(new_run_id(), str(out), now_utc())
    suffixes = supported_suffixes()
    with store.lock(wait=wait), WorkerPool(jobs, timeout=timeout, memory_mb=memory_mb) as pool:
        # the workers import and warm up while we vacuum and load the keys, and while
        # deltalake's writer imports pandas (half a second) in the background
        threading.Thread(target=_preload_writer, daemon=True).start()
        summary.vacuumed = store.vacuum()
        present = {name: store.doc_ids(name) for name in ("notices", "items", "item_units", "dates")}
        notice_versions = store.notice_versions()
        known_errors = set() if force else store.error_ids(PIPELINE_VERSION)
        seen: set[str] = set()
        chunk = _Chunk()
        error_rows: list[dict] = []

        def quarantine(err: FileError) -> None:
            summary.quarantined += 1
            summary.errors.append(err)
            error_rows.append({
                "run_id": summary.run_id, "source_path": err.path, "doc_id": err.doc_id, "stage": err.stage,
                "error_code": err.code, "message": err.message, "pipeline_version": PIPELINE_VERSION,
                "occurred_at": now_utc(),
            })
            if progress:
                progress("error", summary)

        def tasks() -> Iterator[_Task]:
            for path, problem in discover(paths):
                summary.files_seen += 1
                if progress:
                    progress("seen", summary)
                if problem:
                    quarantine(FileError(path, "unreadable", problem, "discover"))
                    continue
                if Path(path).suffix.lower() not in suffixes:
                    quarantine(FileError(path, "unsupported_format",
                                         f"not a notice file type ({', '.join(sorted(suffixes))})", "discover"))
                    continue
                try:
                    st = os.stat(path)  # follows symlinks: a dangling or looping one fails here
                    if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block a reader forever
                        quarantine(FileError(path, "unsupported_format", "not a regular file (a pipe, socket or device)",
                                             "discover"))
                        continue
                    doc_id = hash_file(path)
                except OSError as e:
                    quarantine(FileError(path, "unreadable", f"cannot read the file: {e.strerror or e}", "read"))
                    continue
                if doc_id in seen:
                    summary.skipped_duplicates += 1
                    continue
                seen.add(doc_id)
                stale = doc_id in notice_versions and notice_versions[doc_id] != (PIPELINE_VERSION, SCHEMA_VERSION)
                if doc_id in present["notices"] and not (force or stale):
                    summary.skipped_duplicates += 1
                    continue
                if doc_id in known_errors:
                    summary.skipped_known_errors += 1
                    continue
                yield _Task(path, doc_id, replace=force or stale)

        def commit() -> None:
            nonlocal chunk, error_rows
            t0 = dt.datetime.now()
            ingested_at = now_utc()
            for name in DATA_TABLES:
                checkpoint(f"commit:{name}")
                if name == "errors":
                    store.append(name, error_rows)
                    continue
                table = chunk.table(name)
                chunk_ids = table.column("doc_id").to_pylist()
                if name == "notices" and table.num_rows:
                    table = _fill(table, "run_id", summary.run_id)
                    table = _fill(table, "ingested_at", ingested_at)
                if chunk.replace_ids:
                    replacing = _is_in(table, chunk.replace_ids)
                    store.replace(name, table.filter(replacing), chunk.replace_ids)
                    table = table.filter(pc.invert(replacing))
                    if name == "notices":
                        summary.replaced += len(chunk.replace_ids)
                if present[name] and table.num_rows:
                    table = table.filter(pc.invert(_is_in(table, present[name])))  # written before a crash
                store.append(name, table)
                present[name].update(chunk_ids)
            summary.commit_seconds += (dt.datetime.now() - t0).total_seconds()
            chunk, error_rows = _Chunk(), []
            if progress:
                progress("commit", summary)

        for task, outcome in pool.map(tasks(), path_of=lambda t: t.path):
            checkpoint("done")
            _record(task, outcome, summary, chunk, quarantine)
            if progress:
                progress("done", summary)
            if chunk.files + len(error_rows) >= chunk_size:
                commit()
        if chunk.files or error_rows:
            commit()
        checkpoint("runs")
        summary.finished_at = now_utc()
        summary.versions = store.versions()
        store.append("runs", [{
            "run_id": summary.run_id, "started_at": summary.started_at, "finished_at": summary.finished_at,
            "files_seen": summary.files_seen, "ingested": summary.ingested,
            "skipped_duplicates": summary.skipped_duplicates, "skipped_known_errors": summary.skipped_known_errors,
            "quarantined": summary.quarantined, "items": summary.items, "pipeline_version": PIPELINE_VERSION,
            "schema_version": SCHEMA_VERSION, **{f"{n}_version": summary.versions.get(n) for n in DATA_TABLES},
        }])
        summary.versions["runs"] = store.version("runs")
        if summary.replaced:  # replaced rows left tombstoned files: remove them so a plain glob stays exact
            store.vacuum()
    return summary


def _preload_writer() -> None:
    try:
        import pandas  # noqa: F401  (deltalake's writer imports it on first use)
    except ImportError:
        pass


def _record(task: _Task, outcome: Outcome, summary: RunSummary, chunk: _Chunk, quarantine) -> None:
    if outcome.status == "ok":
        c = outcome.counts
        summary.ingested += 1
        summary.items += c["items"]
        summary.warnings += c["warnings"]
        summary.pages += c["pages"]
        summary.by_format[c["format"]] += 1
        chunk.add(outcome.tables, task.replace, outcome.doc_id)
    else:
        quarantine(FileError(task.path, outcome.code, outcome.message, outcome.stage, outcome.doc_id or task.doc_id))
