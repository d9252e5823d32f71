"""The output: one Delta Lake table per name under the output root.

Every write is a Delta commit (deltalake / delta-rs): Parquet files first, then
one log entry that makes them part of the table, so a reader sees a table at
one committed version or the next, never half a write. Rows are insert-only and
keyed (schemas/arrow.py). `Store.commit` keeps keys unique whoever wrote
before: rows repeating a key within the commit are dropped, and so are rows of
notices already in the table, checked against the table as it is at commit
time (another writer's commit since we last looked is read first). So a rerun
after a crash converges, and not even two writers can duplicate a row.

    read_table("output", "items")                 # latest
    read_table("output", "items", as_of=3)        # Delta version 3
    read_table("output", "items", as_of=run_id)   # as the run left it
"""
from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable, Schema, write_deltalake
from deltalake.exceptions import DeltaError, TableNotFoundError

from schemas.arrow import TABLES, TableSpec
from schemas.errors import OutputError


class OutputLocked(Exception):
    """Another ingest holds the output root."""


def _reason(e: BaseException) -> str:
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    text = " ".join(str(e).split())
    return text[:300] or type(e).__name__


def drop_duplicate_keys(table: pa.Table, key: tuple[str, ...]) -> pa.Table:
    """The table with only the first row of every key."""
    n = table.num_rows
    if n < 2:
        return table
    keyed = table.select(list(key)).append_column("__row", pa.array(range(n), pa.int64()))
    first = keyed.group_by(list(key), use_threads=False).aggregate([("__row", "min")]).column("__row_min")
    if len(first) == n:
        return table
    return table.take(pc.sort_indices(first))


def _is_in(table: pa.Table, ids: Iterable[str]) -> pa.Array:
    return pc.is_in(table.column("doc_id"), value_set=pa.array(sorted(ids), pa.string()))


def is_object_store(root: str | os.PathLike) -> bool:
    """An output root on object storage (s3://, gs://, az://, abfss://...): deltalake
    reaches it with the storage settings in the environment (AWS_*, GOOGLE_*, AZURE_*)."""
    return isinstance(root, str) and "://" in root and not root.startswith("file://")


def _flock(fd: int, wait: bool, poll_s: float, busy: str) -> None:
    """An exclusive flock on fd: waited for, or OutputLocked(busy) at once."""
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            if not wait:
                raise OutputLocked(busy) from None
            time.sleep(poll_s)


def _local_lock_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "notices" / "locks"


class Store:
    LOCK_NAME = ".notices.lock"  # holds the pid of the run, for people; the lock is on the folder itself

    def __init__(self, root: str | os.PathLike):
        self.remote = is_object_store(root)
        self.root: Path | str = str(root).rstrip("/") if self.remote else Path(root)
        self._tables: dict[str, DeltaTable] = {}
        self._lock_fd: int | None = None
        # doc_ids in each table, and the table version they were read at
        self._ids: dict[str, set[str]] = {}
        self._ids_version: dict[str, int | None] = {}

    # ------------------------------------------------------------------ paths, versions

    def path(self, name: str) -> Path | str:
        return f"{self.root}/{name}" if self.remote else self.root / name

    def exists(self, name: str) -> bool:
        if not self.remote:
            return DeltaTable.is_deltatable(str(self.path(name)))
        if name in self._tables:
            return True
        # is_deltatable retries for a minute on a missing table in S3; opening it fails at once
        try:
            self._tables[name] = DeltaTable(self.path(name))
        except TableNotFoundError:
            return False
        except (OSError, DeltaError) as e:
            raise OutputError(f"{self.path(name)}: cannot open the table: {_reason(e)}") from None
        return True

    def table(self, name: str) -> DeltaTable | None:
        if not self.exists(name):
            return None
        t = self._tables.get(name)
        if t is None:
            t = self._tables[name] = DeltaTable(str(self.path(name)))
        else:
            t.update_incremental()
        return t

    def version(self, name: str) -> int | None:
        t = self.table(name)
        return t.version() if t is not None else None

    def versions(self) -> dict[str, int | None]:
        return {name: self.version(name) for name in TABLES}

    # ------------------------------------------------------------------ lock

    @contextlib.contextmanager
    def lock(self, wait: bool = False, poll_s: float = 0.5) -> Iterator[None]:
        """One writer at a time per output root. The lock is a kernel flock on
        the root folder itself: released whenever the holder exits (even by
        kill -9), and not undone by deleting a file in it. On object storage
        there is no folder to lock: the lock is a flock on a file named after
        the root in this machine's cache, so it keeps apart the ingests that
        this driver machine runs (see the README for writers on several machines)."""
        if self.remote:
            with self._lock_file(wait, poll_s):
                yield
            return
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise OutputError(f"{self.root}: is a file, not a folder for the output tables") from None
        except OSError as e:
            raise OutputError(f"{self.root}: cannot create the output folder: {_reason(e)}") from None
        if not self.root.is_dir():
            raise OutputError(f"{self.root}: is a file, not a folder for the output tables")
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            _flock(fd, wait, poll_s, f"{self.root} is being written by another ingest (pid in {self.LOCK_NAME}); "
                                     "wait for it or run with --wait")
            try:  # also proves the folder is writable before any work is done
                (self.root / self.LOCK_NAME).write_text(f"{os.getpid()}\n", encoding="ascii")
            except OSError as e:
                raise OutputError(f"{self.root}: cannot write there: {_reason(e)}") from None
            self._lock_fd = fd
            yield
        finally:
            self._lock_fd = None
            os.close(fd)  # closing releases the flock

    @contextlib.contextmanager
    def _lock_file(self, wait: bool, poll_s: float) -> Iterator[None]:
        folder = _local_lock_dir()
        name = hashlib.sha256(str(self.root).encode("utf-8")).hexdigest()[:24] + ".lock"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(folder / name, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as e:
            raise OutputError(f"{folder}: cannot create the lock file for {self.root}: {_reason(e)}") from None
        try:
            _flock(fd, wait, poll_s, f"{self.root} is being written by another ingest on this machine "
                                     f"(lock {folder / name}); wait for it or run with --wait")
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()} {self.root}\n".encode("utf-8"))
            yield
        finally:
            os.close(fd)

    def check_lock(self) -> None:
        """The locked folder is still the one at `root` (not moved or deleted
        and made anew, which would let another writer lock the new one)."""
        if self._lock_fd is None or self.remote:
            return
        held = os.fstat(self._lock_fd)
        try:
            now = os.stat(self.root)
        except OSError:
            now = None
        if now is None or (now.st_ino, now.st_dev) != (held.st_ino, held.st_dev):
            raise OutputError(f"{self.root}: the output folder was moved or deleted during the run")

    # ------------------------------------------------------------------ opening for writing

    def prepare(self, pipeline_version: str, schema_version: int) -> None:
        """Before a run writes: every table exists (empty is fine, so readers need
        no special case) with our schema (columns a newer schema version added
        are added to older tables), and nothing in the output was written by a
        newer pipeline, whose rows this version would otherwise rewrite."""
        self._refuse_newer(pipeline_version, schema_version)
        for name, spec in TABLES.items():
            try:
                if self.exists(name):
                    self._upgrade_schema(spec)
                else:
                    DeltaTable.create(str(self.path(name)), schema=spec.schema,
                                      partition_by=list(spec.partition_by) or None)
            except (OSError, DeltaError) as e:
                raise OutputError(f"{self.path(name)}: cannot create or open the table: {_reason(e)}") from None

    def _refuse_newer(self, pipeline_version: str, schema_version: int) -> None:
        from packaging.version import InvalidVersion, Version

        def newer(theirs: str | None, schema: int | None) -> bool:
            if schema is not None and schema > schema_version:
                return True
            try:
                return schema == schema_version and Version(theirs) > Version(pipeline_version)
            except (InvalidVersion, TypeError):
                return False

        for name in ("runs", "notices"):
            t = self.table(name)
            if t is None:
                continue
            fields = {f.name for f in t.schema().fields}
            if not {"pipeline_version", "schema_version"} <= fields:
                continue
            rows = arrow_of(t, ["pipeline_version", "schema_version"])
            pairs = set(zip(rows.column("pipeline_version").to_pylist(), rows.column("schema_version").to_pylist()))
            worst = [p for p in pairs if newer(*p)]
            if worst:
                theirs, schema = max(worst, key=lambda p: (p[1] or 0, str(p[0])))
                raise OutputError(
                    f"{self.root}: written by a newer notices ({theirs}, schema {schema}) than this one "
                    f"({pipeline_version}, schema {schema_version}); upgrade notices to write here, or use another --out")

    def _upgrade_schema(self, spec: TableSpec) -> None:
        t = self.table(spec.name)
        have = {f["name"]: f for f in json.loads(t.schema().to_json())["fields"]}
        want = {f["name"]: f for f in json.loads(Schema.from_arrow(spec.schema).to_json())["fields"]}
        where = self.path(spec.name)
        unknown = [n for n in have if n not in want]
        if unknown:
            raise OutputError(f"{where}: a table of another schema (columns this version does not know: "
                              f"{', '.join(unknown[:5])}); use another --out")
        for n, f in have.items():
            if f["type"] != want[n]["type"]:
                raise OutputError(f"{where}: a table of another schema (column {n} is {json.dumps(f['type'])}, "
                                  f"not {json.dumps(want[n]['type'])}); use another --out")
        if list(t.metadata().partition_columns) != list(spec.partition_by):
            raise OutputError(f"{where}: a table partitioned by {t.metadata().partition_columns}, "
                              f"not {list(spec.partition_by)}; use another --out")
        missing = [spec.schema.field(n) for n in want if n not in have]
        if missing:
            if any(not f.nullable for f in missing):
                raise OutputError(f"{where}: a table of an older schema that cannot be upgraded in place; use another --out")
            t.alter.add_columns(list(Schema.from_arrow(pa.schema(missing)).fields))

    # ------------------------------------------------------------------ vacuum

    def vacuum(self) -> dict[str, int]:
        """Delete data files that no commit of the latest version references:
        what a killed run left behind, so a plain Parquet glob is exact again.
        Insert-only tables tombstone nothing, so history stays readable; after a
        forced re-extraction (which replaces rows) the replaced files go too."""
        removed = {}
        for name in TABLES:
            t = self.table(name)
            if t is None:
                continue
            try:
                files = t.vacuum(retention_hours=0, dry_run=False, enforce_retention_duration=False, full=True)
            except (OSError, DeltaError) as e:
                raise OutputError(f"{self.path(name)}: cannot clean up the table: {_reason(e)}") from None
            if files:
                removed[name] = len(files)
        return removed

    # ------------------------------------------------------------------ reading keys

    def column_values(self, name: str, column: str) -> list:
        t = self.table(name)
        if t is None:
            return []
        return arrow_of(t, [column]).column(column).to_pylist()

    def doc_ids(self, name: str) -> set[str]:
        """doc_ids in the table as it is now (cached; read again after another
        writer's commit)."""
        version = self.version(name)
        if name not in self._ids or self._ids_version[name] != version:
            self._ids[name] = set(self.column_values(name, "doc_id"))
            self._ids_version[name] = version
        return self._ids[name]

    def notice_versions(self) -> dict[str, tuple[str, int]]:
        """doc_id -> (pipeline_version, schema_version) of every ingested notice."""
        t = self.table("notices")
        if t is None:
            return {}
        tbl = arrow_of(t, ["doc_id", "pipeline_version", "schema_version"])
        return {d: (p, s) for d, p, s in zip(*(tbl.column(c).to_pylist() for c in tbl.column_names))}

    def error_ids(self, pipeline_version: str, codes: Iterable[str] | None = None) -> set[str]:
        """doc_ids this pipeline version has quarantined (with one of `codes`)."""
        t = self.table("errors")
        if t is None:
            return set()
        tbl = arrow_of(t, ["doc_id", "pipeline_version", "error_code"])
        mask = pc.equal(tbl.column("pipeline_version"), pipeline_version)
        if codes is not None:
            mask = pc.and_(mask, pc.is_in(tbl.column("error_code"), value_set=pa.array(sorted(codes), pa.string())))
        return {d for d in tbl.filter(mask).column("doc_id").to_pylist() if d}

    # ------------------------------------------------------------------ writing

    def arrow(self, name: str, rows: list[dict] | pa.Table) -> pa.Table:
        if isinstance(rows, pa.Table):
            return rows
        return pa.Table.from_pylist(rows, schema=TABLES[name].schema)

    def _with_run_columns(self, spec: TableSpec, table: pa.Table, run: dict | None) -> pa.Table:
        for column in spec.run_columns:
            if column in table.column_names:
                continue
            field = spec.schema.field(column)
            if run is None or column not in run:
                raise ValueError(f"{spec.name}: rows lack {column} and no run value was given")
            table = table.append_column(field, pa.array([run[column]] * table.num_rows, field.type))
        return table.select(spec.schema.names).cast(spec.schema)

    def _write(self, name: str, table: pa.Table, **kwargs) -> None:
        self.check_lock()
        spec = TABLES[name]
        try:
            write_deltalake(str(self.path(name)), table, partition_by=list(spec.partition_by) or None, **kwargs)
        except (OSError, DeltaError) as e:
            raise OutputError(f"{self.path(name)}: cannot write: {_reason(e)}") from None

    def commit(self, name: str, rows: list[dict] | pa.Table, replace_ids: Iterable[str] = (),
               run: dict | None = None) -> int:
        """One commit of `rows` into table `name`; returns the rows written.

        Rows whose key repeats within `rows` are dropped (the first stays); rows
        of notices (doc_ids) already in the table are dropped, unless the doc_id
        is in `replace_ids`: those notices' rows are replaced by theirs in the
        same commit (a forced or upgraded re-extraction). The run's columns
        (notices.run_id, ingested_at) come from `run`."""
        spec = TABLES[name]
        table = self.arrow(name, rows)
        if table.num_rows == 0 and not replace_ids:
            return 0
        table = drop_duplicate_keys(self._with_run_columns(spec, table, run), spec.key)
        keyed_by_doc = spec.key[0] == "doc_id"
        replace = set(replace_ids)
        if replace and keyed_by_doc and self.exists(name):
            replacing = _is_in(table, replace)
            kept = table.filter(pc.invert(replacing))
            quoted = ", ".join("'" + i.replace("'", "''") + "'" for i in sorted(replace))
            self._write(name, table.filter(replacing), mode="overwrite", predicate=f"doc_id IN ({quoted})")
            table = kept
        if keyed_by_doc and table.num_rows:
            present = self.doc_ids(name)  # as the table is now
            if present:
                table = table.filter(pc.invert(_is_in(table, present)))
        if table.num_rows:
            self._write(name, table, mode="append")
        if keyed_by_doc and name in self._ids:
            self._ids[name].update(table.column("doc_id").to_pylist())
            self._ids[name].update(replace)
            self._ids_version[name] = self.version(name)
        return table.num_rows


# ---------------------------------------------------------------------- reading tables


def arrow_of(table: DeltaTable, columns: list[str] | None = None) -> pa.Table:
    """A Delta table's rows as Arrow. Local tables are scanned by pyarrow itself from the
    files the log lists: through deltalake's Python filesystem (to_pyarrow_table,
    to_pyarrow_dataset) a process that exits soon after aborted ("terminate called
    without an active exception", deltalake 1.6 with pyarrow 26; about half the runs
    threaded, 1 in 25 single-threaded), so any CLI command that read a table could die
    at exit after printing its answer."""
    import pyarrow.dataset as ds

    uris = table.file_uris()
    if not all(os.path.isabs(u) for u in uris):  # object storage: deltalake's own reader
        return table.to_pyarrow_dataset().to_table(columns=columns, use_threads=False)
    schema = pa.schema(table.schema().to_arrow())
    parts = table.metadata().partition_columns
    partitioning = ds.partitioning(pa.schema([schema.field(c) for c in parts]), flavor="hive") if parts else None
    return ds.dataset(uris, schema=schema, format="parquet", partitioning=partitioning).to_table(columns=columns)


class VersionGone(LookupError):
    """An earlier version whose data files a later run removed (--force and upgrades vacuum)."""


def parse_as_of(value: str | int | None) -> int | str | dt.datetime | None:
    """--as-of: a Delta version number, a run_id, or a time (ISO 8601; UTC unless it says)."""
    if value is None or isinstance(value, int):
        return value
    text = value.strip()
    if text.isdigit():
        return int(text)
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text  # a run_id
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def read_table(root: str | os.PathLike, name: str, as_of: int | str | dt.datetime | None = None,
               columns: list[str] | None = None) -> pa.Table:
    """A table as Arrow: the latest version, a Delta version number, as a run (its
    run_id) left it, or as it was at a time. An earlier version whose files were
    removed is VersionGone, saying so."""
    if name not in TABLES:
        raise KeyError(f"no table {name!r}; tables: {', '.join(TABLES)}")
    store = Store(root)
    path = str(store.path(name))
    empty = TABLES[name].schema.empty_table()
    if not store.exists(name):
        return empty if columns is None else empty.select(columns)
    if as_of is None:
        return arrow_of(DeltaTable(path), columns)
    if isinstance(as_of, str):
        runs = arrow_of(DeltaTable(str(store.path("runs"))))
        match = [r for r in runs.to_pylist() if r["run_id"] == as_of]
        if not match:
            raise KeyError(f"no run {as_of!r} in {root}/runs")
        run = match[0]
        if name == "runs":
            return runs.filter(pc.less_equal(runs.column("finished_at"), run["finished_at"]))
        as_of = run[f"{name}_version"]
        if as_of is None:
            return empty if columns is None else empty.select(columns)
    table = DeltaTable(path)
    try:
        table.load_as_version(as_of)
    except Exception as e:  # deltalake raises its own errors for a version or time it does not have
        if isinstance(as_of, dt.datetime):
            return empty if columns is None else empty.select(columns)  # the table did not exist yet
        raise KeyError(f"{name} has no version {as_of!r} (latest: {DeltaTable(path).version()}): {e}") from None
    try:
        return arrow_of(table, columns)
    except Exception as e:  # the log keeps the version, the files are gone
        if "not found" in str(e).lower() or isinstance(e, FileNotFoundError):
            raise VersionGone(f"{name} version {table.version()} cannot be read: its data files were removed by a "
                              f"later --force run or upgrade (the log keeps it, the files are vacuumed)") from None
        raise
