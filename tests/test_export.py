"""Exports for office staff (`notices export`, pipeline/export.py), the diff's
.xlsx/.jsonl reports, and `notices history --as-of`, on an ingest of the samples."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from helpers import ROOT
from pipeline.cli import app
from pipeline.diff import diff, load_file, save
from pipeline.export import export, flat_table, select_rows
from pipeline.ingest import ingest
from pipeline.writer import read_table

SAMPLES = ROOT / "samples" / "notices"
NEXT = ROOT / "samples" / "next_year"
runner = CliRunner()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Two runs: the TXT samples, then the DOCX ones (so there is an earlier version)."""
    out = tmp_path_factory.mktemp("export")
    first = ingest(sorted(SAMPLES.glob("*.txt")), out=out, jobs=1)
    ingest(sorted(SAMPLES.glob("*.docx")), out=out, jobs=1)
    return out, first


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in (result.output or "")
    return result


def test_the_flat_table_is_one_row_per_item_with_its_notice(data):
    out, _ = data
    flat = flat_table(out)
    assert flat.num_rows == read_table(out, "items").num_rows
    assert flat.column_names[:4] == ["issuer", "doc_number", "title", "issue_date"]
    row = next(r for r in flat.to_pylist() if r["units"] and "达州市教育局" in r["units_canonical"])
    assert row["issuer"] == "达州市人民政府办公室" and row["source_path"].endswith(("000_667d92ae8c820e6e.txt",
                                                                                     "000_667d92ae8c820e6e.docx"))


WHERE = [
    # (clauses, what every row holds)
    (["year=2021"], lambda r: r["year"] == 2021),
    (["source_format=docx", "year=2022"], lambda r: r["source_format"] == "docx" and r["year"] == 2022),
    (["units~教育局"], lambda r: any("教育局" in u for u in r["units"])),
    (["source_format!=txt"], lambda r: r["source_format"] != "txt"),
    (["date_kind=deadline"], lambda r: r["date_kind"] == "deadline"),
]


@pytest.mark.parametrize("clauses,holds", WHERE)
def test_where_clauses_select_rows(data, clauses, holds):
    flat = flat_table(data[0])
    chosen = select_rows(flat, clauses).to_pylist()
    assert chosen and all(holds(r) for r in chosen)
    assert len(chosen) == sum(1 for r in flat.to_pylist() if holds(r))


@pytest.mark.parametrize("clause,error", [("nocolumn=1", "no column"), ("year=abc", "is not a"), ("year>2021", "write COLUMN"),
                                          ("units=市教育局", "is a list")])
def test_bad_where_clauses_are_one_line(data, clause, error, tmp_path):
    result = invoke("export", "flat", "--data", data[0], "--out", tmp_path / "x.csv", "--where", clause)
    assert result.exit_code == 2 and error in result.output


def test_xlsx_has_a_frozen_header_sized_columns_and_lists_as_text(data, tmp_path):
    out, _ = data
    target = tmp_path / "flat.xlsx"
    result = invoke("export", "flat", "--data", out, "--out", target, "--where", "source_format=docx")
    assert result.exit_code == 0, result.output
    sheet = load_workbook(target).active
    header = [c.value for c in sheet[1]]
    assert sheet.freeze_panes == "A2" and header[:3] == ["issuer", "doc_number", "title"]
    units = header.index("units")
    values = [row[units].value for row in sheet.iter_rows(min_row=2) if row[units].value]
    assert any("、" in v for v in values)  # a list of units is one 、-joined cell
    assert sheet.column_dimensions["C"].width > sheet.column_dimensions["E"].width  # titles wider than years
    assert f"wrote {sheet.max_row - 1} rows" in result.output
    assert sheet["A1"].comment is not None and "发文机关" in sheet["A1"].comment.text  # the column's meaning


def test_csv_starts_with_a_bom_and_joins_lists(data, tmp_path):
    target = tmp_path / "items.csv"
    assert export(data[0], "items", target) == read_table(data[0], "items").num_rows
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"))))
    assert any("、" in r["units"] for r in rows)


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_jsonl_and_parquet_keep_lists(data, tmp_path, suffix):
    target = tmp_path / f"items{suffix}"
    export(data[0], "items", target)
    rows = ([json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()] if suffix == ".jsonl"
            else pq.read_table(target).to_pylist())
    assert len(rows) == read_table(data[0], "items").num_rows and isinstance(rows[0]["units"], list)


def test_export_as_of_an_earlier_run(data, tmp_path):
    out, first = data
    target = tmp_path / "notices.jsonl"
    result = invoke("export", "notices", "--data", out, "--out", target, "--as-of", first.run_id)
    assert result.exit_code == 0, result.output
    formats = {json.loads(line)["source_format"] for line in target.read_text(encoding="utf-8").splitlines()}
    assert formats == {"txt"}


def test_history_shows_a_table_as_a_run_left_it(data):
    out, first = data
    result = invoke("history", "--out", out, "--table", "notices", "--as-of", first.run_id, "--json")
    assert result.exit_code == 0, result.output
    assert {r["source_format"] for r in json.loads(result.output)} == {"txt"}
    latest = invoke("history", "--out", out, "--table", "notices", "--json")
    assert {r["source_format"] for r in json.loads(latest.output)} == {"txt", "docx"}
    version = next(r for r in read_table(out, "runs").to_pylist() if r["run_id"] == first.run_id)["notices_version"]
    by_number = invoke("history", "--out", out, "--table", "notices", "--as-of", str(version), "--json")
    assert by_number.exit_code == 0 and json.loads(by_number.output) == json.loads(result.output)
    started = invoke("history", "--out", out, "--table", "notices", "--as-of", "2000-01-01T00:00:00", "--json")
    assert started.exit_code == 0 and isinstance(json.loads(started.output), list)
    shown = invoke("history", "--out", out, "--table", "items", "--as-of", first.run_id)
    assert shown.exit_code == 0 and "rows" in shown.output


def test_a_version_whose_files_a_force_run_removed_is_said_plainly(tmp_path):
    out = tmp_path / "out"
    first = ingest([SAMPLES / "000_667d92ae8c820e6e.txt"], out=out, jobs=1)
    ingest([SAMPLES / "000_667d92ae8c820e6e.txt"], out=out, jobs=1, force=True)
    result = invoke("history", "--out", out, "--table", "items", "--as-of", first.run_id)
    assert result.exit_code == 2
    assert "its data files were removed by a later --force run" in result.output


@pytest.mark.parametrize("args,error", [
    (("export", "nosuch"), "no table 'nosuch'"),
    (("export", "items", "--out", "x.txt"), "write .xlsx"),
    (("history", "--table", "items", "--as-of", "no-such-run"), "no run"),
    (("history", "--table", "items", "--as-of", "999"), "has no version 999"),
])
def test_export_and_history_mistakes_are_one_line(data, args, error):
    result = invoke(*args, "--data" if args[0] == "export" else "--out", data[0])
    assert result.exit_code == 2 and error in result.output, result.output


def test_the_diff_writes_xlsx_with_a_summary_and_jsonl(tmp_path):
    changes = diff(load_file(SAMPLES / "001_cbaf9ffe1ea5b1b9.docx"), load_file(NEXT / "001_cbaf9ffe1ea5b1b9_2023.docx"))
    save(changes, tmp_path / "d.xlsx")
    save(changes, tmp_path / "d.jsonl")
    book = load_workbook(tmp_path / "d.xlsx")
    assert book.sheetnames == ["summary", "changes"]
    summary = {r[0].value: r[1].value for r in book["summary"].iter_rows(min_row=2)}
    assert summary["total"] == len(changes) == 7 and summary["theme_changed"] == 2
    assert book["changes"].freeze_panes == "A2" and book["changes"].max_row == 8
    lines = (tmp_path / "d.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["change_type"] for line in lines] == [c.change_type for c in changes]


def test_export_default_file_name(data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("export", "runs", "--data", data[0])
    assert result.exit_code == 0 and Path(tmp_path / "runs.xlsx").exists()


def test_commands_that_read_tables_exit_cleanly(data, tmp_path):
    """Reading through deltalake's Python filesystem made these processes abort at exit
    (SIGABRT, "terminate called without an active exception") after printing."""
    from helpers import run_cli

    out, _ = data
    for k in range(3):
        exported = run_cli("export", "items", "--data", str(out), "--out", str(tmp_path / f"i{k}.jsonl"))
        shown = run_cli("history", "--out", str(out), "--table", "items", "--json")
        assert (exported.returncode, shown.returncode) == (0, 0), exported.stderr + shown.stderr
