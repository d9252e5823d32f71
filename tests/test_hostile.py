"""A hostile folder, a bare machine, a script: every input path gets one outcome,
no key is ever duplicated, and every failure is one line with its own exit status."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from deltalake import DeltaTable, write_deltalake
from typer.testing import CliRunner

from bad_inputs import huge_document_xml, gridspan_not_a_number, truncated_pdf
from helpers import DATA, ROOT, SAMPLES, assert_unique_keys, glob_table, run_cli
from pipeline.cli import app
from pipeline.records import PIPELINE_VERSION
from pipeline.writer import Store, read_table
from schemas.arrow import SCHEMA_VERSION

S000 = SAMPLES / "000_667d92ae8c820e6e.txt"
S001 = SAMPLES / "001_cbaf9ffe1ea5b1b9.txt"
S003 = SAMPLES / "003_fe15d2c5fde5f51a.txt"
S004 = SAMPLES / "004_55053ed01a992ddd.txt"


def cli(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, list(args), env=env)


def summary_of(result) -> dict:
    return json.loads(result.stdout)


def adds_up(s: dict) -> bool:
    return s["files_seen"] == s["ingested"] + s["skipped_duplicates"] + s["skipped_known_errors"] + s["quarantined"]


def one_line(text: str) -> str:
    """The one `error:` line of a failure (log lines may come before it), and no traceback."""
    lines = [ln for ln in text.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in text, text
    return lines[0]


# --------------------------------------------------------------------------- data loss


def test_a_file_name_that_is_not_utf8_is_stored_losslessly(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    good = os.fsencode(folder) + b"/\xff\xfe.txt"
    bad = os.fsencode(folder) + b"/\xff\xfe-empty.pdf"
    with open(good, "wb") as f:
        f.write(S000.read_bytes())
    open(bad, "wb").close()
    shutil.copy(S001, folder / "通知.txt")
    out = tmp_path / "out"
    for run in range(2):  # the rerun used to abort too, on every run
        result = cli("ingest", str(folder), "--out", str(out), "--json", "--jobs", "1")
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output[-2000:]
        s = summary_of(result)
        assert adds_up(s) and s["files_seen"] == 3
    notices = {n["source_path"]: n for n in read_table(out, "notices").to_pylist()}
    shown = str(folder) + "/\\xff\\xfe.txt"
    assert notices[shown]["source_path_bytes"] == good and notices[shown]["item_count"] == 35
    assert notices[str(folder / "通知.txt")]["source_path_bytes"] is None
    (err,) = read_table(out, "errors").to_pylist()  # the second run skipped it as a known error
    assert (err["source_path"], err["source_path_bytes"], err["error_code"]) == (
        str(folder) + "/\\xff\\xfe-empty.pdf", bad, "empty_file")


def test_a_file_rewritten_with_another_files_bytes_mid_run_is_not_a_second_notice(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(S000, folder / "a.txt")
    shutil.copy(S001, folder / "swap.txt")  # the worker overwrites it with a.txt's bytes before reading it
    out = tmp_path / "out"
    result = run_cli("ingest", str(folder), "--out", str(out), "--json", "--jobs", "1",
                     env={"NOTICES_FAULT_FILE": f"copy:swap:{folder / 'a.txt'}"})
    s = json.loads(result.stdout)
    assert (s["ingested"], s["quarantined"]) == (1, 1), result.stderr[-2000:]
    (err,) = s["errors"]
    assert (Path(err["path"]).name, err["code"]) == ("swap.txt", "file_changed")
    assert_unique_keys(out)
    assert read_table(out, "notices").num_rows == 1
    again = json.loads(run_cli("ingest", str(folder), "--out", str(out), "--json").stdout)
    assert (again["ingested"], again["skipped_duplicates"], again["quarantined"]) == (0, 2, 0)  # retried: now a copy
    assert_unique_keys(out)


def _wait_for(predicate, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_deleting_the_lock_file_does_not_let_a_second_writer_in(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for p in (S000, S001):
        shutil.copy(p, folder)
    shutil.copy(S003, folder / "hog.txt")
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT), NOTICES_FAULT_FILE="sleep:hog:6")
    cmd = [sys.executable, "-m", "pipeline.cli", "ingest", str(folder), "--out", str(out), "--json", "--jobs", "1"]
    first = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = out / Store.LOCK_NAME
    _wait_for(lambda: lock.exists() and lock.read_text().strip() == str(first.pid))
    lock.unlink()
    env.pop("NOTICES_FAULT_FILE")
    second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert first.wait(300) == 0
    assert second.returncode == 3 and "another ingest" in one_line(second.stderr)
    assert_unique_keys(out)
    assert read_table(out, "notices").num_rows == 3


def test_two_writers_cannot_duplicate_rows_even_without_the_lock(tmp_path):
    from pipeline.workers import process_file

    outcome = process_file(str(S001))
    run = {"run_id": "r1", "ingested_at": pd.Timestamp.now(tz="UTC").to_pydatetime()}
    mine, theirs = Store(tmp_path), Store(tmp_path)
    mine.prepare(PIPELINE_VERSION, SCHEMA_VERSION)
    assert mine.doc_ids("items") == set()  # what this writer saw when its run began
    for name in ("items", "notices"):
        assert theirs.commit(name, outcome.tables[name], run=run) > 0
    for name in ("items", "notices"):  # the same rows again: already in the table as it is now
        assert mine.commit(name, outcome.tables[name], run=run) == 0
    assert_unique_keys(tmp_path)
    doubled = outcome.tables["items"].take(list(range(outcome.tables["items"].num_rows)) * 2)
    fresh = Store(tmp_path / "fresh")
    fresh.prepare(PIPELINE_VERSION, SCHEMA_VERSION)
    assert fresh.commit("items", doubled) == outcome.tables["items"].num_rows  # repeated keys within one commit
    assert_unique_keys(tmp_path / "fresh")


def test_failures_the_run_caused_are_retried_and_content_errors_are_not(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(S000, folder)
    shutil.copy(S003, folder / "hog.txt")
    (folder / "empty.pdf").write_bytes(b"")
    truncated_pdf(folder / "truncated.pdf")
    out = tmp_path / "out"
    first = json.loads(run_cli("ingest", str(folder), "--out", str(out), "--json", "--jobs", "1", "--timeout", "3",
                               env={"NOTICES_FAULT_FILE": "sleep:hog:60"}).stdout)
    assert sorted(e["code"] for e in first["errors"]) == ["corrupt_pdf", "empty_file", "timeout"]
    second = json.loads(run_cli("ingest", str(folder), "--out", str(out), "--json", "--jobs", "1").stdout)
    assert (second["ingested"], second["skipped_known_errors"], second["quarantined"]) == (1, 2, 0)  # hog retried
    third = json.loads(run_cli("ingest", str(folder), "--out", str(out), "--json", "--retry-errors").stdout)
    assert (third["skipped_known_errors"], sorted(e["code"] for e in third["errors"])) == (0, ["corrupt_pdf", "empty_file"])
    assert_unique_keys(out)


def test_a_folder_the_walk_cannot_enter_is_an_unreadable_row(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(S000, folder)
    fd = os.open(folder, os.O_RDONLY)
    try:
        for _ in range(25):  # 25 folders of 200 bytes: a path of 5,000 bytes, past PATH_MAX
            os.mkdir("d" * 200, dir_fd=fd)
            deeper = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = deeper
        note = os.open("deep.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(note, S001.read_bytes())
        os.close(note)
    finally:
        os.close(fd)
    result = cli("ingest", str(folder), "--out", str(tmp_path / "out"), "--json", "--jobs", "1")
    s = summary_of(result)
    assert adds_up(s) and s["ingested"] == 1 and s["quarantined"] == 1, result.output[-2000:]
    (err,) = s["errors"]
    assert err["code"] == "unreadable" and "too long" in err["message"] and len(err["path"]) > 4000
    shutil.rmtree(folder)


def test_every_input_path_gets_its_own_outcome(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.pdf", "b.pdf", "c.pdf"):  # the same bad bytes under three names
        truncated_pdf(folder / name)
    shutil.copy(S000, folder / "one.txt")
    shutil.copy(S000, folder / "two.txt")  # the same good bytes twice
    out = tmp_path / "out"
    result = cli("ingest", str(folder / "a.pdf"), str(folder), str(folder / "a.pdf"), "--out", str(out), "--json")
    s = summary_of(result)
    assert adds_up(s) and s["files_seen"] == 5  # a.pdf given three times is one path
    assert (s["ingested"], s["skipped_duplicates"], s["quarantined"]) == (1, 1, 3)
    errors = {Path(e["source_path"]).name: e for e in read_table(out, "errors").to_pylist()}
    assert {n: e["error_code"] for n, e in errors.items()} == {"a.pdf": "corrupt_pdf", "b.pdf": "corrupt_pdf",
                                                              "c.pdf": "corrupt_pdf"}
    assert "the same bytes as" in errors["b.pdf"]["message"]
    assert_unique_keys(out)


def test_the_size_limit_is_checked_before_the_file_is_read(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    with open(folder / "huge.txt", "wb") as f:
        f.truncate(40 * 1024**3)  # 40 GB, sparse: hashing it took 80 s
    s = summary_of(cli("ingest", str(folder), "--out", str(tmp_path / "out"), "--json"))
    (err,) = s["errors"]
    assert (err["code"], err["stage"], err["doc_id"]) == ("too_large", "discover", None)  # never hashed


@pytest.mark.slow
def test_a_docx_that_needs_more_memory_than_the_cap_is_memory_limit(tmp_path):
    path = huge_document_xml(tmp_path / "huge.docx")
    assert path.stat().st_size < 1_000_000
    s = summary_of(cli("ingest", str(path), "--out", str(tmp_path / "out"), "--json", "--memory-mb", "1024"))
    (err,) = s["errors"]
    assert err["code"] == "memory_limit", err
    parsed = cli("parse", str(path), "--memory-mb", "1024")  # the same cap as ingest workers
    assert parsed.exit_code == 2 and one_line(parsed.stderr).endswith("[memory_limit]")


def test_parse_reads_a_malformed_attribute_with_a_warning(tmp_path):
    result = cli("parse", str(gridspan_not_a_number(tmp_path / "two.docx")))
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert "gridSpan 'two' is not a number" in result.stdout


def test_the_output_folder_inside_an_input_folder_is_never_read(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for p in (S000, S001):
        shutil.copy(p, folder)
    for run in range(2):
        s = summary_of(cli("ingest", str(folder), "--out", str(folder / "output"), "--json"))
        assert s["files_seen"] == 2 and s["quarantined"] == 0
    assert read_table(folder / "output", "errors").num_rows == 0


def test_links_out_of_the_input_folders_are_not_followed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:SECRET-VALUE\n", encoding="utf-8")
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(S000, folder / "real.txt")
    os.symlink(secret, folder / "passwd.txt")
    os.symlink(folder / "real.txt", folder / "alias.txt")  # inside the inputs: followed (and a duplicate)
    (folder / "key.pdf").write_bytes(b"SECRET-VALUE\x00\xff\xfe" * 50)  # no known format
    out = tmp_path / "out"
    s = summary_of(cli("ingest", str(folder), "--out", str(out), "--json"))
    codes = {Path(e["path"]).name: e["code"] for e in s["errors"]}
    assert codes == {"passwd.txt": "outside_input", "key.pdf": "unsupported_format"}
    assert (s["ingested"], s["skipped_duplicates"]) == (1, 1)
    assert not any("SECRET" in e["message"] for e in s["errors"])  # a message never quotes the bytes
    followed = summary_of(cli("ingest", str(folder), "--out", str(out), "--json", "--follow-symlinks"))
    assert followed["ingested"] == 1 and "passwd.txt" not in {Path(e["path"]).name for e in followed["errors"]}


@pytest.mark.parametrize("pipeline_version,schema_version", [("99.0", SCHEMA_VERSION), (PIPELINE_VERSION, SCHEMA_VERSION + 1)])
def test_an_older_pipeline_does_not_rewrite_rows_a_newer_one_wrote(tmp_path, pipeline_version, schema_version):
    out = tmp_path / "out"
    assert cli("ingest", str(S000), "--out", str(out), "--json").exit_code == 0
    row = read_table(out, "runs").to_pylist()[0]
    Store(out).commit("runs", [{**row, "run_id": "newer", "pipeline_version": pipeline_version,
                                "schema_version": schema_version}])
    before = Store(out).versions()
    result = cli("ingest", str(S000), str(S001), "--out", str(out), "--json")
    assert result.exit_code == 4
    line = one_line(result.stderr)
    assert "newer notices" in line and str(out) in line
    assert Store(out).versions() == before


# --------------------------------------------------------------------------- the output side


def _mount_tmpfs(where: Path, options: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True).returncode == 0


def _umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_an_output_path_that_is_a_file_is_one_line_with_exit_4(tmp_path):
    (tmp_path / "out").write_text("not a folder")
    result = cli("ingest", str(S000), "--out", str(tmp_path / "out"))
    assert result.exit_code == 4 and "is a file" in one_line(result.stderr)


def test_a_read_only_output_is_one_line_with_exit_4(tmp_path):
    out = tmp_path / "ro"
    if os.geteuid() == 0:
        if not _mount_tmpfs(out, "ro,size=1m"):
            pytest.skip("root ignores permission bits and cannot mount a read-only tmpfs here")
    else:
        out.mkdir()
        out.chmod(0o555)
    try:
        result = cli("ingest", str(S000), "--out", str(out))
        assert result.exit_code == 4 and str(out) in one_line(result.stderr)
    finally:
        _umount(out) if os.geteuid() == 0 else out.chmod(0o755)


def test_a_full_disk_is_one_line_with_exit_4(tmp_path):
    out = tmp_path / "small"
    if not _mount_tmpfs(out, "size=160k"):
        pytest.skip("needs root to mount a small tmpfs")
    try:
        result = cli("ingest", str(SAMPLES), "--out", str(out))
        assert result.exit_code == 4, result.output[-2000:]
        assert "No space left on device" in one_line(result.stderr)
    finally:
        _umount(out)


def test_a_table_of_another_schema_is_one_line_with_exit_4(tmp_path):
    import pyarrow as pa

    out = tmp_path / "out"
    write_deltalake(str(out / "items"), pa.table({"doc_id": ["x"], "amount": [1.5]}))
    result = cli("ingest", str(S000), "--out", str(out))
    assert result.exit_code == 4 and "another schema" in one_line(result.stderr)


def test_an_older_schemas_tables_get_the_new_columns(tmp_path):
    from schemas.arrow import TABLES

    out = tmp_path / "out"
    old = TABLES["errors"].schema.remove(TABLES["errors"].schema.get_field_index("source_path_bytes"))
    DeltaTable.create(str(out / "errors"), schema=old)
    (tmp_path / "empty.txt").write_bytes(b"")
    result = cli("ingest", str(tmp_path / "empty.txt"), "--out", str(out), "--json")
    assert result.exit_code == 1
    errors = read_table(out, "errors")  # the new column is added (at the end, as Delta adds columns)
    assert sorted(errors.column_names) == sorted(TABLES["errors"].schema.names) and errors.num_rows == 1


# --------------------------------------------------------------------------- what a script sees


def test_error_codes_are_printed_not_eaten_as_markup(tmp_path):
    (tmp_path / "empty.pdf").write_bytes(b"")
    result = cli("parse", str(tmp_path / "empty.pdf"))
    assert result.exit_code == 2
    assert one_line(result.stderr) == f"error: {tmp_path / 'empty.pdf'}: the file is empty (0 bytes) [empty_file]"


def test_output_to_a_pipe_is_not_wrapped_at_80_columns():
    result = cli("parse", str(SAMPLES / "002_f368b6cade0a67ca.txt"))
    assert result.exit_code == 0
    longest = max(len(line) for line in result.stdout.splitlines())
    assert longest > 200  # a paragraph is one line, whatever the width of a terminal


@pytest.mark.parametrize(
    "args,env,says",
    [
        (["ingest", "/nope"], None, "error: /nope: no such file or folder"),
        (["history", "--out", "/nope"], None, "error: /nope: no such output folder"),
        (["extract", str(SAMPLES)], None, f"run `notices ingest {SAMPLES}`"),
        (["parse", str(SAMPLES)], None, "reads one notice file"),
        (["ingest", str(S000)], {"NOTICES_TIMEOUT_S": "abc"}, "NOTICES_TIMEOUT_S"),
        (["ingest", str(S000)], {"NOTICES_MAX_PAGES": "abc"}, "NOTICES_MAX_PAGES='abc' is not an integer"),
        (["parse", str(S000)], {"NOTICES_MEMORY_MB": "lots"}, "NOTICES_MEMORY_MB"),
        (["ingest", str(S000), "--jobs", "0"], None, "--jobs"),
    ],
)
def test_bad_usage_is_one_line_with_exit_2(args, env, says, tmp_path):
    result = cli(*args, "--out", str(tmp_path / "o"), env=env) if args[0] == "ingest" else cli(*args, env=env)
    assert result.exit_code == 2
    line = one_line(result.stderr)
    assert line.startswith("error: ") and says in line


def test_version():
    result = cli("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"notices {PIPELINE_VERSION} (output schema {SCHEMA_VERSION})"


def test_quiet_verbose_and_log_file(tmp_path):
    paths = [str(S000), str(S001)]
    verbose = cli("ingest", *paths, "--out", str(tmp_path / "v"), "--verbose")
    assert verbose.exit_code == 0
    assert all(f"ingested {p}" in verbose.stderr for p in paths)
    quiet = cli("ingest", *paths, "--out", str(tmp_path / "q"), "--quiet", "--log-file", str(tmp_path / "log.txt"))
    assert quiet.exit_code == 0 and quiet.stderr == "" and quiet.stdout == ""
    log = (tmp_path / "log.txt").read_text(encoding="utf-8")
    assert all(f"DEBUG notices.ingest ingested {p}" in log for p in paths) and "committed 2 files" in log
    plain = cli("ingest", *paths, "--out", str(tmp_path / "p"))  # default, not a terminal: INFO lines, no per-file lines
    assert "INFO run " in plain.stderr and "INFO committed 2 files" in plain.stderr and "ingested /" not in plain.stderr


def test_progress_lines_come_every_n_files_or_seconds():
    import logging

    from pipeline.cli import _ProgressLines
    from pipeline.ingest import RunSummary

    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    logger = logging.getLogger("test.progress")
    logger.addHandler(Keep())
    logger.setLevel(logging.INFO)
    lines = _ProgressLines(logger, files=10, seconds=3600)
    s = RunSummary("r", "out", pd.Timestamp.now(tz="UTC").to_pydatetime())
    for k in range(35):
        s.files_seen += 1
        s.ingested += 1
        lines("done", s)
    assert [r.split(" files")[0] for r in records] == ["progress: 10 of 10", "progress: 20 of 20", "progress: 30 of 30"]


def test_ctrl_c_says_what_was_committed_and_a_rerun_finishes(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for p in (S000, S001, S004):
        shutil.copy(p, folder)
    shutil.copy(S003, folder / "zz_hog.txt")  # last in walking order: the others are committed by then
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT), NOTICES_FAULT_FILE="sleep:zz_hog:60")
    cmd = [sys.executable, "-m", "pipeline.cli", "ingest", str(folder), "--out", str(out), "--jobs", "1",
           "--chunk-size", "1"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    while not any("committed 1 files (3 in this run" in line for line in seen):
        line = proc.stderr.readline()
        assert line, "".join(seen)
        seen.append(line)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "interrupted: this run committed 3 of the 3 files" in stderr and "Run the same command again" in stderr
    assert read_table(out, "notices").num_rows == 3
    env.pop("NOTICES_FAULT_FILE")
    rerun = subprocess.run(cmd + ["--json"], env=env, capture_output=True, text=True, timeout=300)
    s = json.loads(rerun.stdout)
    assert rerun.returncode == 0 and (s["ingested"], s["skipped_duplicates"]) == (1, 3)
    assert_unique_keys(out)


# --------------------------------------------------------------------------- what every reader sees


def test_the_errors_table_exists_after_a_clean_run_and_a_yearless_notice_is_year_0(tmp_path):
    notice = tmp_path / "no_year.txt"
    notice.write_text("关于开展政务公开活动的通知\n各乡镇、各部门：\n请于9月5日前报送活动方案。\n县人民政府办公室\n", encoding="utf-8")
    out = tmp_path / "out"
    assert cli("ingest", str(notice), "--out", str(out)).exit_code == 0
    assert DeltaTable(str(out / "errors")).to_pyarrow_table().num_rows == 0  # exists, empty
    (row,) = read_table(out, "notices").to_pylist()
    assert (row["year"], row["year_source"]) == (0, "none")
    assert (out / "notices" / "year=0").is_dir()
    assert not list(out.glob("*/__HIVE_DEFAULT_PARTITION__*"))
    assert pd.read_parquet(out / "notices")["year"].astype(int).tolist() == [0]
    assert str(glob_table(out, "notices").schema.field("year").type) == "int32"
    assert pl.read_delta(str(out / "notices")).schema["year"] == pl.Int32
    for name in DATA:
        assert read_table(out, name).schema.field("year").type == read_table(out, "notices").schema.field("year").type
