"""The seven commands through typer's CliRunner: what they print, their JSON shapes,
their exit status. (Real processes are used only where processes are the point:
kills, locks, signals; see test_ingest, test_reliability, test_hostile.)"""
from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from helpers import ROOT, SAMPLES, sample
from pipeline.cli import app
from schemas.arrow import TABLES

NEXT = ROOT / "samples" / "next_year"


def cli(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, list(args), env=env)


def next_year(prefix: str, fmt: str):
    return next(NEXT.glob(f"{prefix}_*_2023.{fmt}"))


# --------------------------------------------------------------------------- parse


PARAGRAPH_KEYS = {"type", "text", "page"}
TABLE_KEYS = {"type", "index", "page_start", "page_end", "header", "rows", "merged", "row_pages"}


def test_parse_json_has_the_documented_shape():
    result = cli("parse", str(sample("002", "pdf")), "--json")
    assert result.exit_code == 0, result.output[-2000:]
    doc = json.loads(result.stdout)
    assert set(doc) == {"source_path", "sha256", "format", "page_count", "blocks", "furniture", "warnings", "pages", "links"}
    assert (doc["format"], doc["page_count"], len(doc["sha256"])) == ("pdf", 22, 64)
    assert doc["source_path"] == str(sample("002", "pdf"))
    for block in doc["blocks"]:
        assert set(block) == (TABLE_KEYS if block["type"] == "table" else PARAGRAPH_KEYS)
    table = next(b for b in doc["blocks"] if b["type"] == "table")
    assert table["header"] == ["序号", "工作任务", None, "重点工作任务", "责任单位", "完成时限"]
    width = len(table["header"])
    assert all(len(row) == width for row in table["rows"])
    assert len(table["row_pages"]) == len(table["rows"])
    for r, c, rs, cs in table["merged"]:
        assert table["rows"][r][c] is not None and r + rs <= len(table["rows"]) and c + cs <= width
    assert all(set(f) == {"text", "page"} for f in doc["furniture"])


def test_parse_prints_paragraphs_and_tables():
    result = cli("parse", str(sample("001", "docx")))
    assert result.exit_code == 0
    out = result.stdout
    assert "format=docx" in out and "table 1:" in out and "资阳市雁江区人民政府办公室" in out


# --------------------------------------------------------------------------- extract


def test_extract_json_is_the_rows_ingest_writes():
    result = cli("extract", str(sample("003", "txt")), "--json")
    assert result.exit_code == 0, result.output[-2000:]
    rows = json.loads(result.stdout)
    assert set(rows) == {"notice", "items", "item_units", "dates"}
    run_columns = set(TABLES["notices"].run_columns)
    assert set(rows["notice"]) == set(TABLES["notices"].schema.names) - run_columns
    for name in ("items", "item_units", "dates"):
        assert rows[name] and all(set(r) == set(TABLES[name].schema.names) for r in rows[name])
    assert rows["notice"]["issuer"] == "西吉县人民政府办公室"
    first = rows["items"][0]
    assert (first["units"], first["date_text"], first["date_start"]) == (["县农业农村局", "乡村振兴局"], "9月5日",
                                                                         "2022-09-05")


def test_extract_prints_metadata_items_and_dates():
    result = cli("extract", str(sample("004", "pdf")))
    assert result.exit_code == 0
    assert "丹政办明电〔2021〕7号" in result.stdout and "items" in result.stdout and "date in text" in result.stdout


# --------------------------------------------------------------------------- ingest and history


def test_ingest_then_history(tmp_path):
    out = tmp_path / "out"
    first = cli("ingest", str(sample("000", "txt")), str(sample("001", "docx")), "--out", str(out), "--json")
    assert first.exit_code == 0, first.output[-2000:]
    s = json.loads(first.stdout)
    assert (s["ingested"], s["quarantined"], s["items"], s["exit_code"]) == (2, 0, 74, 0)
    again = cli("ingest", str(sample("000", "txt")), "--out", str(out))
    assert again.exit_code == 0 and "files seen" in again.stdout and "skipped: already ingested" in again.stdout
    history = cli("history", "--out", str(out), "--json")
    runs = json.loads(history.stdout)
    assert [r["run_id"] for r in runs] == [s["run_id"], runs[1]["run_id"]] and runs[1]["ingested"] == 0
    table = cli("history", "--out", str(out))
    assert table.exit_code == 0 and s["run_id"] in table.stdout


def test_history_of_an_empty_folder(tmp_path):
    result = cli("history", "--out", str(tmp_path))
    assert result.exit_code == 0 and "no runs in" in result.stdout


def test_ingest_says_which_files_are_quarantined(tmp_path):
    (tmp_path / "empty.pdf").write_bytes(b"")
    shutil.copy(sample("000", "txt"), tmp_path)
    result = cli("ingest", str(tmp_path), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "quarantined files" in result.stdout and "empty_file" in result.stdout and "empty.pdf" in result.stdout


# --------------------------------------------------------------------------- diff


def test_diff_writes_files_and_json(tmp_path):
    result = cli("diff", str(sample("002", "pdf")), str(next_year("002", "pdf")), "--out", str(tmp_path / "c.json"),
                 "--html", str(tmp_path / "r.html"), "--json")
    assert result.exit_code == 0, result.output[-2000:]
    changes = json.loads(result.stdout)
    assert len(changes) == len(json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))) == 8
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script src" not in page and "<link" not in page and "@import" not in page and "url(" not in page


def test_diff_prints_changes_by_type():
    result = cli("diff", str(sample("001", "txt")), str(next_year("001", "txt")))
    assert result.exit_code == 0
    assert "7 changes" in result.stdout and "theme_changed" in result.stdout


@pytest.mark.parametrize("args,says", [
    (["diff"], "give OLD and NEW"),
    (["diff", "--issuer", "x"], "--issuer needs --years"),
    (["diff", str(sample("001", "txt")), str(next_year("001", "txt")), "--threshold", "2"], "between 0 and 1"),
    (["diff", str(sample("001", "txt")), "/nope.txt"], "/nope.txt"),
])
def test_diff_usage_errors(args, says):
    result = cli(*args)
    assert result.exit_code == 2 and result.stderr.startswith("error: ") and says in result.stderr


# --------------------------------------------------------------------------- eval and dates


def test_eval_passes_on_the_samples():
    result = cli("eval", "--gold", str(ROOT / "samples" / "gold"), "--samples", str(SAMPLES), "--formats", "txt", "--json")
    assert result.exit_code == 0, result.output[-2000:]
    report = json.loads(result.stdout)
    assert report["failures"] == [] and len(report["files"]) == 5
    assert report["overall"]["rows"]["f1"] == 1.0


def test_eval_without_gold_is_a_usage_error(tmp_path):
    result = cli("eval", "--gold", str(tmp_path / "none"))
    assert result.exit_code == 2 and "no such folder of gold files" in result.stderr


def test_dates_normalise_and_find():
    result = cli("dates", "9月中旬", "10月30日前", "--year", "2022", "--json")
    assert result.exit_code == 0
    spans = json.loads(result.stdout)
    assert [(s["kind"], s["start"], s["end"]) for s in spans] == [("period", "2022-09-11", "2022-09-20"),
                                                                  ("deadline", None, "2022-10-30")]
    found = cli("dates", "--find", "于2022年8月26日前将活动实施方案报县政务公开办公室")
    assert found.exit_code == 0 and "[1:12] 2022年8月26日前  deadline" in found.stdout
    table = cli("dates", "每月10日前")
    assert table.exit_code == 0 and "recurring" in table.stdout


def test_dates_with_a_bad_anchor():
    result = cli("dates", "活动结束后3个工作日内", "--anchor", "30/9/2022")
    assert result.exit_code == 2 and "is not a date (YYYY-MM-DD)" in result.stderr
