"""Ingest into Delta Lake tables, read back by every reader, crash and rerun."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from deltalake import DeltaTable

from helpers import DATA, ROOT, SAMPLES, glob_table, keys, run_cli
from pipeline.ingest import ingest
from pipeline.writer import Store, read_table
from schemas.arrow import TABLES


@pytest.fixture(scope="module")
def out(samples_dataset) -> Path:
    return samples_dataset


def test_every_reader_sees_the_same_typed_rows(out):
    expected = {"notices": 15, "items": 570}  # 004 gained its six bracketed responsibilities
    for name in DATA:
        delta = DeltaTable(str(out / name)).to_pyarrow_table()
        glob = glob_table(out, name)
        pdf = pd.read_parquet(out / name, engine="pyarrow")  # pandas over the folder (hive partitions)
        pol = pl.read_delta(str(out / name))
        pol_glob = pl.scan_parquet(str(out / name / "year=*" / "*.parquet"), hive_partitioning=True).collect()
        arrow_ds = DeltaTable(str(out / name)).to_pyarrow_dataset()  # noqa: F841  (DuckDB reads it by name)
        duck_arrow = duckdb.sql("select count(*) from arrow_ds").fetchall()[0][0]
        duck_glob = duckdb.sql(
            f"select count(*) from read_parquet('{out / name}/year=*/*.parquet', hive_partitioning=true)").fetchall()[0][0]
        counts = {delta.num_rows, glob.num_rows, len(pdf), pol.height, pol_glob.height, duck_arrow, duck_glob}
        assert len(counts) == 1, (name, counts)
        if name in expected:
            assert delta.num_rows == expected[name]
        assert keys(delta, name) == keys(glob, name)
        assert len(set(keys(delta, name))) == delta.num_rows  # keys are unique
    items = DeltaTable(str(out / "items")).to_pyarrow_table()
    assert items.schema.field("date_start").type == pa.date32()
    assert items.schema.field("units").type == pa.list_(pa.string())
    assert pl.read_delta(str(out / "items")).schema["date_end"] == pl.Date
    assert duckdb.sql(f"select typeof(date_start) from read_parquet('{out}/items/year=*/*.parquet', "
                      "hive_partitioning=true) limit 1").fetchall()[0][0] == "DATE"
    notices = DeltaTable(str(out / "notices")).to_pyarrow_table()
    assert notices.schema.field("issue_date").type == pa.date32()
    assert str(notices.schema.field("ingested_at").type) == "timestamp[us, tz=UTC]"


def test_rows_match_the_gold(out):
    items = read_table(out, "items").to_pylist()
    notices = {n["doc_id"]: n for n in read_table(out, "notices").to_pylist()}
    for gold_path in sorted((ROOT / "samples" / "gold").glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        for fmt in ("txt", "docx", "pdf"):
            doc = next(n for n in notices.values() if n["source_path"].endswith(f"{gold['source']}.{fmt}"))
            rows = sorted((r for r in items if r["doc_id"] == doc["doc_id"]), key=lambda r: r["item_no"])
            assert [(r["units"], r["date_text"], r["date_start"] and r["date_start"].isoformat(),
                     r["date_end"] and r["date_end"].isoformat()) for r in rows] == [
                (g["units"], g["date_text"], g["date_start"], g["date_end"]) for g in gold["items"]], (gold["source"], fmt)
            assert doc["title"] == gold["metadata"]["title"] and doc["item_count"] == len(gold["items"])


def test_item_units_flatten_items(out):
    units = read_table(out, "item_units").to_pylist()
    items = read_table(out, "items").to_pylist()
    assert len(units) == sum(len(i["units"]) for i in items)
    assert {(u["doc_id"], u["item_no"]) for u in units} <= {(i["doc_id"], i["item_no"]) for i in items}


def test_ingesting_twice_adds_nothing_and_no_version(out, tmp_path):
    out = Path(shutil.copytree(out, tmp_path / "out"))  # the shared dataset is read-only
    before = Store(out).versions()
    summary = ingest([SAMPLES], out=out, jobs=1)
    assert (summary.ingested, summary.skipped_duplicates, summary.quarantined) == (0, 15, 0)
    after = Store(out).versions()
    assert {k: v for k, v in after.items() if k != "runs"} == {k: v for k, v in before.items() if k != "runs"}
    assert after["runs"] == before["runs"] + 1  # the run itself is recorded


def test_reading_as_of_an_earlier_run(tmp_path):
    first = ingest([SAMPLES / "000_667d92ae8c820e6e.txt"], out=tmp_path, jobs=1)
    second = ingest([SAMPLES / "001_cbaf9ffe1ea5b1b9.txt"], out=tmp_path, jobs=1)
    assert read_table(tmp_path, "items").num_rows == 35 + 39
    assert read_table(tmp_path, "items", as_of=first.run_id).num_rows == 35
    assert read_table(tmp_path, "items", as_of=first.versions["items"]).num_rows == 35
    assert read_table(tmp_path, "items", as_of=second.run_id).num_rows == 74
    assert [r["run_id"] for r in read_table(tmp_path, "runs", as_of=first.run_id).to_pylist()] == [first.run_id]


def test_force_replaces_rows_without_duplicates(tmp_path):
    ingest([SAMPLES / "002_f368b6cade0a67ca.txt"], out=tmp_path, jobs=1)
    summary = ingest([SAMPLES / "002_f368b6cade0a67ca.txt"], out=tmp_path, jobs=1, force=True)
    assert summary.ingested == 1 and summary.replaced == 1
    for name in DATA:
        delta = read_table(tmp_path, name)
        assert len(set(keys(delta, name))) == delta.num_rows
        assert keys(glob_table(tmp_path, name), name) == keys(delta, name)  # replaced files vacuumed
    assert read_table(tmp_path, "items").num_rows == 71


RUNS_ADDED_IN_5 = ("engine", "workers", "cluster_nodes", "cluster_cpus")


def test_an_output_of_schema_4_is_upgraded_in_place_and_only_older_notices_are_re_extracted(tmp_path):
    from deltalake import write_deltalake

    files = [SAMPLES / "000_667d92ae8c820e6e.txt", SAMPLES / "001_cbaf9ffe1ea5b1b9.txt"]
    now = tmp_path / "now"
    ingest(files, out=now, jobs=1)
    # the same output as schema 4 wrote it: runs without the engine columns; one notice of schema 3
    old = tmp_path / "old"
    for name, spec in TABLES.items():
        table = read_table(now, name)
        if name == "runs":
            table = table.drop_columns(list(RUNS_ADDED_IN_5))
        if name == "notices":
            versions = pa.array([3] + [4] * (table.num_rows - 1), pa.int32())
            table = table.set_column(table.schema.get_field_index("schema_version"), "schema_version", versions)
        write_deltalake(str(old / name), table, partition_by=list(spec.partition_by) or None)
    by_schema = {r["schema_version"]: r for r in read_table(old, "notices").to_pylist()}

    summary = ingest(files, out=old, jobs=1)
    assert (summary.ingested, summary.replaced, summary.skipped_duplicates) == (1, 1, 1)
    run_of = {r["doc_id"]: r["run_id"] for r in read_table(old, "notices").to_pylist()}
    assert run_of[by_schema[3]["doc_id"]] == summary.run_id  # re-extracted
    assert run_of[by_schema[4]["doc_id"]] == by_schema[4]["run_id"]  # kept
    runs = sorted(read_table(old, "runs").to_pylist(), key=lambda r: r["started_at"])
    assert [tuple(r[c] for c in RUNS_ADDED_IN_5) for r in runs] == [(None,) * 4, ("pool", 1, 1, os.cpu_count())]
    for name in DATA:
        assert keys(read_table(old, name), name) == keys(read_table(now, name), name), name


# --------------------------------------------------------------------------- crashes


def run_ingest(out: Path, *args: str, fault: str | None = None, paths=(str(SAMPLES),)) -> subprocess.CompletedProcess:
    """A real process: the point is to kill it."""
    return run_cli("ingest", *paths, "--out", str(out), "--json", *args, env={"NOTICES_FAULT": fault} if fault else None,
                   timeout=300)


@pytest.fixture(scope="module")
def clean(samples_dataset) -> Path:
    return samples_dataset  # what a run that is never killed leaves


@pytest.mark.slow
@pytest.mark.parametrize(
    "fault",
    [
        "done:3",                 # during extraction, before any commit
        "commit:item_units:2",    # second chunk: items committed, the rest not
        "commit:notices:1",       # every table but notices committed
        "commit:items:3@3",       # 3 ms into the third chunk's items write
        "commit:dates:2@15",      # 15 ms into a dates write
        "runs:1",                 # everything but the run record
    ],
)
def test_killed_ingest_leaves_readable_tables_and_a_rerun_is_exact(tmp_path, clean, fault):
    killed = run_ingest(tmp_path, "--chunk-size", "4", "--jobs", "2", fault=fault)
    assert killed.returncode == -9, killed.stderr[-2000:]
    for name in TABLES:
        if Store(tmp_path).exists(name):
            DeltaTable(str(tmp_path / name)).to_pyarrow_table()  # readable at a committed version
    rerun = run_ingest(tmp_path, "--chunk-size", "4", "--jobs", "2")
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    for name in DATA:
        want = keys(read_table(clean, name), name)
        got_delta = keys(read_table(tmp_path, name), name)
        got_glob = keys(glob_table(tmp_path, name), name)
        assert got_delta == want, (name, len(got_delta), len(want))
        assert got_glob == want, (name, "plain glob", len(got_glob), len(want))


def test_two_ingests_at_once_do_not_corrupt(tmp_path, clean):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "pipeline.cli", "ingest", str(SAMPLES), "--out", str(tmp_path), "--json", "--jobs", "1"]
    first = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.05)
    while not (tmp_path / Store.LOCK_NAME).exists():
        time.sleep(0.05)
    time.sleep(0.3)
    second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    waiting = subprocess.Popen(cmd + ["--wait"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert first.wait(300) == 0
    assert second.returncode == 3 and "another ingest" in second.stderr
    assert waiting.wait(300) == 0
    for name in DATA:
        assert keys(read_table(tmp_path, name), name) == keys(read_table(clean, name), name)


def test_data_files_no_commit_references_are_removed_by_the_next_run(tmp_path):
    """What a run killed between writing Parquet and committing leaves: complete
    data files the log never mentions. The plain glob would count them."""
    ingest([SAMPLES / "001_cbaf9ffe1ea5b1b9.txt"], out=tmp_path, jobs=1)
    part = next((tmp_path / "items").glob("year=*/*.parquet"))
    orphan = part.with_name("part-99999-orphan-c000.snappy.parquet")
    shutil.copy(part, orphan)
    assert glob_table(tmp_path, "items").num_rows == 2 * 39
    summary = ingest([SAMPLES / "001_cbaf9ffe1ea5b1b9.txt"], out=tmp_path, jobs=1)
    assert summary.vacuumed == {"items": 1} and not orphan.exists()
    assert glob_table(tmp_path, "items").num_rows == read_table(tmp_path, "items").num_rows == 39


def test_readme_schema_tables_are_generated_from_the_one_definition():
    from schemas.arrow import markdown

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- schema:start -->\n", 1)[1].split("<!-- schema:end -->", 1)[0]
    assert block == markdown()
