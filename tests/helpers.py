"""Helpers the test modules share (test modules never import each other)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from pipeline.writer import read_table
from schemas.arrow import DATA_TABLES, TABLES

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "notices"
SEEDS = sorted(p.stem for p in SAMPLES.glob("*.txt"))
FORMATS = ("txt", "docx", "pdf")
DATA = ("notices", "items", "item_units", "dates")


def sample(stem_prefix: str, fmt: str) -> Path:
    stem = next(s for s in SEEDS if s.startswith(stem_prefix))
    return SAMPLES / f"{stem}.{fmt}"


@lru_cache(maxsize=None)
def read_sample(stem_prefix: str, fmt: str):
    """What the reader makes of a sample (read once per session)."""
    from extractors.readers import read_document

    return read_document(sample(stem_prefix, fmt))


def run_cli(*args: str, env: dict | None = None, timeout: float = 900, **kwargs) -> subprocess.CompletedProcess:
    """`notices ARGS` in a real process (where processes are the point: kills, locks, signals)."""
    full = dict(os.environ, PYTHONPATH=str(ROOT))
    for k in ("NOTICES_FAULT", "NOTICES_FAULT_FILE"):
        full.pop(k, None)
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], env=full, capture_output=True, text=True,
                          timeout=timeout, **kwargs)


def glob_table(out: Path, name: str) -> pa.Table:
    """What a plain Parquet reader sees: the year=*/ partition folders, nothing else."""
    files = sorted(str(p) for p in (out / name).glob("year=*/*.parquet"))
    return ds.dataset(files, format="parquet", partitioning=ds.partitioning(flavor="hive"),
                      partition_base_dir=str(out / name)).to_table() if files else pa.table({})


def keys(tbl: pa.Table, name: str) -> list[tuple]:
    cols = TABLES[name].key
    return sorted(zip(*(tbl.column(c).to_pylist() for c in cols))) if tbl.num_rows else []


def per_doc_counts(out: Path, name: str) -> Counter:
    return Counter(read_table(out, name, columns=["doc_id"]).column("doc_id").to_pylist())


def assert_unique_keys(out: Path) -> None:
    for name in TABLES:
        table = read_table(out, name)
        assert len(set(keys(table, name))) == table.num_rows, name


# what differs between two runs over the same files: the run, and when
RUN_COLUMNS = {"run_id", "ingested_at", "occurred_at"}


def comparable(out: str | Path) -> dict[str, list[tuple]]:
    """Every data table as sorted rows without the run's columns (errors keyed by path, not run)."""
    tables = {}
    for name in DATA_TABLES:
        rows = read_table(out, name).to_pylist()
        tables[name] = sorted(
            tuple((k, json.dumps(v, sort_keys=True, default=str)) for k, v in sorted(r.items()) if k not in RUN_COLUMNS)
            for r in rows)
    return tables
