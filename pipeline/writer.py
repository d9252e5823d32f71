"""The output: one Delta Lake table per name under the output root.

Every write is a Delta commit (deltalake / delta-rs): Parquet files first, then
one log entry that makes them part of the table, so a reader sees a table at
one committed version or the next, never half a write. Rows are insert-only and
keyed (schemas/arrow.py); before appending, rows whose key is already in the
table are dropped, so re-running after a crash converges without duplicates.

    read_table("output", "items")                 # latest
    read_table("output", "items", as_of=3)        # Delta version 3
    read_table("output", "items", as_of=run_id)   # as the run left it
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable, write_deltalake

from schemas.arrow import TABLES


class OutputLocked(Exception):
    """Another ingest holds the output root."""


class Store:
    LOCK_NAME = ".notices.lock"

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._tables: dict[str, DeltaTable] = {}

    # ------------------------------------------------------------------ paths, versions

    def path(self, name: str) -> Path:
        return self.root / name

    def exists(self, name: str) -> bool:
        return DeltaTable.is_deltatable(str(self.path(name)))

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

    # ------------------------------------------------------------------ lock, vacuum

    @contextlib.contextmanager
    def lock(self, wait: bool = False, poll_s: float = 0.5) -> Iterator[None]:
        """One ingest at a time per output root. The lock is a kernel flock on a
        file, so it is released whenever the holder exits, even by kill -9."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / self.LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as e:
                    if e.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if not wait:
                        raise OutputLocked(
                            f"{self.root} is being written by another ingest (pid in {self.LOCK_NAME}); "
                            "wait for it or run with --wait"
                        ) from None
                    time.sleep(poll_s)
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            yield
        finally:
            os.close(fd)  # closing releases the flock

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
            files = t.vacuum(retention_hours=0, dry_run=False, enforce_retention_duration=False, full=True)
            if files:
                removed[name] = len(files)
        return removed

    # ------------------------------------------------------------------ reading keys

    def column_values(self, name: str, column: str) -> list:
        t = self.table(name)
        if t is None:
            return []
        return t.to_pyarrow_dataset().to_table(columns=[column]).column(column).to_pylist()

    def doc_ids(self, name: str) -> set[str]:
        return set(self.column_values(name, "doc_id"))

    def notice_versions(self) -> dict[str, tuple[str, int]]:
        """doc_id -> (pipeline_version, schema_version) of every ingested notice."""
        t = self.table("notices")
        if t is None:
            return {}
        tbl = t.to_pyarrow_dataset().to_table(columns=["doc_id", "pipeline_version", "schema_version"])
        return {d: (p, s) for d, p, s in zip(*(tbl.column(c).to_pylist() for c in tbl.column_names))}

    def error_ids(self, pipeline_version: str) -> set[str]:
        """doc_ids this pipeline version has already quarantined."""
        t = self.table("errors")
        if t is None:
            return set()
        tbl = t.to_pyarrow_dataset().to_table(columns=["doc_id", "pipeline_version"])
        mask = pc.equal(tbl.column("pipeline_version"), pipeline_version)
        return {d for d in tbl.filter(mask).column("doc_id").to_pylist() if d}

    # ------------------------------------------------------------------ writing

    def _arrow(self, name: str, rows: list[dict] | pa.Table) -> pa.Table:
        if isinstance(rows, pa.Table):
            return rows
        return pa.Table.from_pylist(rows, schema=TABLES[name].schema)

    def append(self, name: str, rows: list[dict] | pa.Table) -> int | None:
        """One commit adding `rows` (dicts or an Arrow table); no version when empty."""
        if len(rows) == 0:
            return None
        spec = TABLES[name]
        write_deltalake(str(self.path(name)), self._arrow(name, rows), mode="append",
                        partition_by=list(spec.partition_by) or None)
        return self.version(name)

    def replace(self, name: str, rows: list[dict] | pa.Table, doc_ids: Iterable[str]) -> int | None:
        """One commit replacing every row of `doc_ids` with `rows` (forced or
        upgraded re-extraction): no duplicate keys, one atomic step."""
        ids = sorted(set(doc_ids))
        if not ids:
            return self.append(name, rows)
        if not self.exists(name):
            return self.append(name, rows)
        spec = TABLES[name]
        quoted = ", ".join("'" + i.replace("'", "''") + "'" for i in ids)
        write_deltalake(str(self.path(name)), self._arrow(name, rows), mode="overwrite",
                        predicate=f"doc_id IN ({quoted})", partition_by=list(spec.partition_by) or None)
        return self.version(name)


# ---------------------------------------------------------------------- reading tables


def read_table(root: str | os.PathLike, name: str, as_of: int | str | None = None, columns: list[str] | None = None) -> pa.Table:
    """A table as Arrow: the latest version, a Delta version number, or as a
    run (its run_id) left it."""
    if name not in TABLES:
        raise KeyError(f"no table {name!r}; tables: {', '.join(TABLES)}")
    store = Store(root)
    path = str(store.path(name))
    if not store.exists(name):
        return TABLES[name].schema.empty_table() if columns is None else TABLES[name].schema.empty_table().select(columns)
    if as_of is None:
        return DeltaTable(path).to_pyarrow_table(columns=columns)
    if isinstance(as_of, int):
        return DeltaTable(path, version=as_of).to_pyarrow_table(columns=columns)
    runs = DeltaTable(str(store.path("runs"))).to_pyarrow_table()
    match = [r for r in runs.to_pylist() if r["run_id"] == as_of]
    if not match:
        raise KeyError(f"no run {as_of!r} in {root}/runs")
    run = match[0]
    if name == "runs":
        return runs.filter(pc.less_equal(runs.column("finished_at"), run["finished_at"]))
    version = run[f"{name}_version"]
    if version is None:
        return TABLES[name].schema.empty_table()
    return DeltaTable(path, version=version).to_pyarrow_table(columns=columns)
