"""Batch ingest: folders of notices -> Delta Lake tables, resumable and exact.

    summary = ingest(["samples/notices"], out="output", jobs=2)

1. Lock the output root (one writer at a time), make sure every table exists
   with this version's schema, refuse an output a newer pipeline wrote, and
   vacuum the files a killed run left behind.
2. Find the files (pipeline.discovery), hash each, and decide: a task, a skip
   (its bytes are already in `notices` with this pipeline and schema version,
   or were quarantined by this version for a reason in the bytes), or a
   quarantine. Failures that came from a run (a limit, a crash, a file being
   written) are retried.
3. Extract in worker processes, each file under a time limit and a memory
   cap: a pool on this machine (pipeline.workers, the default engine) or
   actors on a Ray cluster (pipeline.ray_engine); the rest is the same.
4. Every `chunk_size` files, commit: items, item_units, dates, errors, then
   notices, so a notice is visible only once all its rows are (pipeline.writer
   keeps every key unique).
5. Record the run in `runs` with the table versions it left.

Every input path ends as exactly one of: ingested, skipped (a duplicate or a
known error), or quarantined (a row in `errors`, one per path). Memory stays
flat: only one chunk of rows is held at a time.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

import pyarrow as pa

from pipeline.discovery import Found, walk
from pipeline.faults import checkpoint
from pipeline.paths import display_path, path_bytes, safe_text
from pipeline.records import PIPELINE_VERSION
from pipeline.workers import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, Outcome, WorkerPool
from pipeline.writer import Store
from schemas.arrow import DATA_TABLES, EXTRACTION_SCHEMA, SCHEMA_VERSION, TABLES
from schemas.errors import ERROR_CODES, RETRIED_CODES
from schemas.settings import check_environment

DEFAULT_CHUNK = 200
# quarantines that stay skipped: facts about the bytes, not about the run
CONTENT_CODES = frozenset(ERROR_CODES) - RETRIED_CODES

log = logging.getLogger("notices.ingest")


@dataclass
class FileError:
    path: str  # as text (pipeline.paths.display_path)
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
    committed: int = 0  # files whose rows (or error rows) are committed
    errors: list[FileError] = field(default_factory=list)
    versions: dict[str, int | None] = field(default_factory=dict)
    vacuumed: dict[str, int] = field(default_factory=dict)
    commit_seconds: float = 0.0
    replaced: int = 0  # notices re-extracted (--force, or a new pipeline/schema version)
    by_format: Counter = field(default_factory=Counter)
    engine: str = "pool"
    workers: int = 0  # extraction processes
    cluster_nodes: int = 1
    cluster_cpus: int = 0

    @property
    def exit_code(self) -> int:
        """0: every file is in (or was already); 1: some files are quarantined."""
        return 1 if self.quarantined or self.skipped_known_errors else 0

    @property
    def done(self) -> int:
        return self.ingested + self.skipped_duplicates + self.skipped_known_errors + self.quarantined

    def error_counts(self) -> Counter:
        return Counter(e.code for e in self.errors)


class IngestInterrupted(Exception):
    """Ctrl-C: the run stopped; what it committed stays, the rest is not written."""

    def __init__(self, summary: RunSummary):
        super().__init__("interrupted")
        self.summary = summary


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def new_run_id() -> str:
    return now_utc().strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def hash_file(path: str, block: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def _stale(pipeline_version: str, schema_version: int) -> bool:
    """A notice another pipeline version extracted, or one from before the rows' schema last changed."""
    return pipeline_version != PIPELINE_VERSION or (schema_version or 0) < EXTRACTION_SCHEMA


@dataclass
class _Task:
    path: str
    doc_id: str
    replace: bool


# --------------------------------------------------------------------------- the chunk committer


class _Committer:
    """Rows of the files finished since the last commit, and their commit."""

    def __init__(self, store: Store, summary: RunSummary, chunk_size: int, progress):
        self.store, self.summary, self.chunk_size, self.progress = store, summary, chunk_size, progress
        self._reset()

    def _reset(self) -> None:
        self.tables: dict[str, list[pa.Table]] = {name: [] for name in DATA_TABLES if name != "errors"}
        self.error_rows: list[dict] = []
        self.files = 0
        self.replace_ids: set[str] = set()

    def add_notice(self, tables: dict[str, pa.Table], doc_id: str, replace: bool) -> None:
        for name, t in tables.items():
            if t.num_rows:
                self.tables[name].append(t)
        self.files += 1
        if replace:
            self.replace_ids.add(doc_id)

    def add_error(self, path: str, err: FileError) -> None:
        self.error_rows.append({
            "run_id": self.summary.run_id, "source_path": err.path, "source_path_bytes": path_bytes(path),
            "doc_id": err.doc_id, "stage": err.stage, "error_code": err.code, "message": err.message,
            "pipeline_version": PIPELINE_VERSION, "occurred_at": now_utc(),
        })

    def due(self) -> bool:
        return self.files + len(self.error_rows) >= self.chunk_size

    def commit(self) -> None:
        if not (self.files or self.error_rows):
            return
        t0 = time.perf_counter()
        run = {"run_id": self.summary.run_id, "ingested_at": now_utc()}
        for name in DATA_TABLES:
            checkpoint(f"commit:{name}")
            if name == "errors":
                self.store.commit(name, self.error_rows)
                continue
            parts = self.tables[name]
            rows = pa.concat_tables(parts) if parts else TABLES[name].row_schema.empty_table()
            self.store.commit(name, rows, replace_ids=self.replace_ids, run=run)
        s = self.summary
        s.replaced += len(self.replace_ids)
        s.committed += self.files + len(self.error_rows)
        s.commit_seconds += time.perf_counter() - t0
        log.info("committed %d files (%d in this run so far)", self.files + len(self.error_rows), s.committed)
        self._reset()
        if self.progress:
            self.progress("commit", s)


# --------------------------------------------------------------------------- the run


class _Run:
    """Turns what discovery finds into tasks, skips and quarantines, and the
    workers' outcomes into rows; keeps the counts."""

    def __init__(self, store: Store, summary: RunSummary, committer: _Committer, force: bool, retry_errors: bool,
                 progress):
        self.store, self.summary, self.committer, self.progress = store, summary, committer, progress
        self.force = force
        self.present = store.doc_ids("notices")
        self.notice_versions = store.notice_versions()
        self.known_errors = set() if (force or retry_errors) else store.error_ids(PIPELINE_VERSION, CONTENT_CODES)
        self.seen: set[str] = set()  # doc_ids met in this run
        self.in_flight: dict[str, str] = {}  # doc_id -> the path sent to a worker
        self.waiting: dict[str, list[str]] = {}  # doc_id -> other paths with the same bytes
        self.failed: dict[str, FileError] = {}  # doc_id -> why its first copy was quarantined

    def _event(self, event: str) -> None:
        if self.progress:
            self.progress(event, self.summary)

    def quarantine(self, path: str, code: str, message: str, stage: str, doc_id: str | None = None) -> FileError:
        err = FileError(display_path(path), code, safe_text(message), stage, doc_id)
        self.summary.quarantined += 1
        self.summary.errors.append(err)
        self.committer.add_error(path, err)
        log.warning("quarantined %s: %s [%s]", err.path, err.message, err.code)
        self._event("error")
        return err

    def skip(self, path: str, why: str, known_error: bool = False) -> None:
        if known_error:
            self.summary.skipped_known_errors += 1
        else:
            self.summary.skipped_duplicates += 1
        log.debug("skipped %s: %s", display_path(path), why)

    def tasks(self, found: Iterable[Found]) -> Iterator[_Task]:
        for f in found:
            self.summary.files_seen += 1
            self._event("seen")
            if f.problem:
                self.quarantine(f.path, *f.problem)
                continue
            try:
                doc_id = hash_file(f.path)
            except OSError as e:
                self.quarantine(f.path, "unreadable", f"cannot read the file: {e.strerror or e}", "read")
                continue
            if doc_id in self.seen:
                self._duplicate(f.path, doc_id)
                continue
            self.seen.add(doc_id)
            stale = doc_id in self.notice_versions and _stale(*self.notice_versions[doc_id])
            if doc_id in self.present and not (self.force or stale):
                self.skip(f.path, "already ingested")
                continue
            if doc_id in self.known_errors:
                self.skip(f.path, "quarantined by an earlier run of this version", known_error=True)
                continue
            self.in_flight[doc_id] = f.path
            yield _Task(f.path, doc_id, replace=self.force or stale)

    def _duplicate(self, path: str, doc_id: str) -> None:
        """A path whose bytes another path of this run already has."""
        if doc_id in self.in_flight:
            self.waiting.setdefault(doc_id, []).append(path)
        elif doc_id in self.failed:
            self._quarantine_copy(path, self.failed[doc_id])
        elif doc_id in self.known_errors:
            self.skip(path, "quarantined by an earlier run of this version", known_error=True)
        else:
            self.skip(path, "same bytes as a file already ingested")

    def _quarantine_copy(self, path: str, first: FileError) -> None:
        self.quarantine(path, first.code, f"{first.message} (the same bytes as {first.path})", first.stage, first.doc_id)

    def finished(self, task: _Task, outcome: Outcome) -> None:
        self.in_flight.pop(task.doc_id, None)
        if outcome.status == "ok" and outcome.doc_id != task.doc_id:
            outcome = Outcome("error", doc_id=task.doc_id, code="file_changed", stage="read",
                              message="the file changed while the run was reading it (its bytes differ from "
                                      "when it was found); the next run retries it")
        if outcome.status == "ok":
            c = outcome.counts
            s = self.summary
            s.ingested += 1
            s.items += c["items"]
            s.warnings += c["warnings"]
            s.pages += c["pages"]
            s.by_format[c["format"]] += 1
            self.committer.add_notice(outcome.tables, task.doc_id, task.replace)
            log.debug("ingested %s (%d items)", display_path(task.path), c["items"])
            for path in self.waiting.pop(task.doc_id, []):
                self.skip(path, f"same bytes as {display_path(task.path)}")
        else:
            err = self.quarantine(task.path, outcome.code, outcome.message, outcome.stage, outcome.doc_id or task.doc_id)
            self.failed[task.doc_id] = err
            for path in self.waiting.pop(task.doc_id, []):
                self._quarantine_copy(path, err)
        self._event("done")

    def record(self) -> None:
        """The run's row in `runs`, with the table versions it left."""
        s = self.summary
        checkpoint("runs")
        s.finished_at = now_utc()
        s.versions = self.store.versions()
        self.store.commit("runs", [{
            "run_id": s.run_id, "started_at": s.started_at, "finished_at": s.finished_at,
            "files_seen": s.files_seen, "ingested": s.ingested,
            "skipped_duplicates": s.skipped_duplicates, "skipped_known_errors": s.skipped_known_errors,
            "quarantined": s.quarantined, "items": s.items, "pipeline_version": PIPELINE_VERSION,
            "schema_version": SCHEMA_VERSION, **{f"{n}_version": s.versions.get(n) for n in DATA_TABLES},
            "engine": s.engine, "workers": s.workers, "cluster_nodes": s.cluster_nodes, "cluster_cpus": s.cluster_cpus,
        }])
        s.versions["runs"] = self.store.version("runs")


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
    retry_errors: bool = False,
    follow_symlinks: bool = False,
    engine: str = "pool",
    ray_address: str | None = None,
) -> RunSummary:
    """Ingest every notice under `paths` into the Delta tables under `out`.

    `engine`: "pool" (worker processes on this machine; `jobs` of them,
    default: its cores) or "ray" (actors on a Ray cluster; `jobs` of them,
    default: its CPUs; `ray_address` as in pipeline.ray_engine.RayPool).

    Raises OutputError (the output cannot be written), OutputLocked (another
    ingest holds it), ConfigError (a bad NOTICES_* variable), RayEngineError
    (Ray missing or its cluster unusable) or IngestInterrupted (Ctrl-C; what
    was committed stays)."""
    check_environment()
    paths = list(paths)
    # Ray connects to its cluster here: one out of reach fails before the output is touched
    pool = _pool(engine, jobs, timeout, memory_mb, ray_address)
    store = Store(out)
    summary = RunSummary(new_run_id(), str(out), now_utc(), engine=engine)
    with contextlib.closing(pool), store.lock(wait=wait):
        store.prepare(PIPELINE_VERSION, SCHEMA_VERSION)
        with pool:
            for k, v in pool.describe().items():
                setattr(summary, k, v)
            log.info("run %s: %s -> %s, %s engine, %d workers on %d node(s)", summary.run_id,
                     ", ".join(display_path(p) for p in paths), display_path(out), engine, summary.workers,
                     summary.cluster_nodes)
            # the workers import and warm up while we vacuum and load the keys, and while
            # deltalake's writer imports pandas (half a second) in the background
            threading.Thread(target=_preload_writer, daemon=True).start()
            summary.vacuumed = store.vacuum()
            committer = _Committer(store, summary, chunk_size, progress)
            run = _Run(store, summary, committer, force, retry_errors, progress)
            found = walk(paths, exclude=[out], follow_symlinks=follow_symlinks)
            try:
                for task, outcome in pool.map(run.tasks(found), path_of=lambda t: t.path):
                    checkpoint("done")
                    run.finished(task, outcome)
                    if committer.due():
                        committer.commit()
                committer.commit()
            except KeyboardInterrupt:
                summary.finished_at = now_utc()
                raise IngestInterrupted(summary) from None
        run.record()
        if summary.replaced:  # replaced rows left tombstoned files: remove them so a plain glob stays exact
            store.vacuum()
    log.info("run %s: %d seen, %d ingested, %d skipped, %d quarantined", summary.run_id, summary.files_seen,
             summary.ingested, summary.skipped_duplicates + summary.skipped_known_errors, summary.quarantined)
    return summary


ENGINES = ("pool", "ray")


def _pool(engine: str, jobs: int | None, timeout: float, memory_mb: int | None, ray_address: str | None):
    """The run's workers, not started yet (entering the pool starts them)."""
    if engine == "pool":
        if ray_address:
            raise ValueError("ray_address is for the ray engine")
        return WorkerPool(jobs or os.cpu_count() or 1, timeout=timeout, memory_mb=memory_mb)
    if engine == "ray":
        from pipeline.ray_engine import RayPool

        return RayPool(jobs, timeout=timeout, memory_mb=memory_mb, address=ray_address)
    raise ValueError(f"no engine {engine!r}: {', '.join(ENGINES)}")


def _preload_writer() -> None:
    try:
        import pandas  # noqa: F401  (deltalake's writer imports it on first use)
    except ImportError:
        pass
