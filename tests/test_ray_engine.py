"""`notices ingest --engine ray`: the same tables as the pool, on a local Ray instance.

Every run here starts its own Ray instance on 127.0.0.1 with 2 CPUs (no
network), as `--engine ray` without an address does, and ingests the samples
plus the single-file share of the bad-input corpus."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bad_inputs import write_corpus
from helpers import ROOT, SAMPLES, comparable, run_cli
from pipeline.cli import app
from pipeline.writer import Store, read_table
from schemas.arrow import DATA_TABLES, TABLES
from schemas.errors import RETRIED_CODES

@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ray_corpus")
    shutil.copytree(SAMPLES, folder / "good")
    write_corpus(folder / "bad")
    return folder


@pytest.fixture(scope="module")
def pool_out(corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pool_out")
    result = run_cli("ingest", str(corpus), "--out", str(out), "--json", "--jobs", "2", "--timeout", "600")
    assert result.returncode == 1, result.stderr[-3000:]  # the bad files are quarantined
    return out


@pytest.fixture(scope="module")
def good_pool_out(corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("good_pool_out")
    result = run_cli("ingest", str(corpus / "good"), "--out", str(out), "--jobs", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def ray_ingest(corpus: Path, out: Path, *args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return run_cli("ingest", str(corpus), "--out", str(out), "--json", "--engine", "ray", "--jobs", "2", *args,
                   env=env, **kw)


@pytest.mark.slow
def test_a_ray_run_writes_the_tables_a_pool_run_writes(corpus, pool_out, tmp_path):
    result = ray_ingest(corpus, tmp_path, "--timeout", "600")
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    summary = json.loads(result.stdout)
    assert (summary["engine"], summary["workers"], summary["cluster_nodes"], summary["cluster_cpus"]) == ("ray", 2, 1, 2)
    assert summary["ingested"] > 15 and summary["quarantined"] > 5  # the corpus has both

    want, got = comparable(pool_out), comparable(tmp_path)
    for name in DATA_TABLES:
        assert got[name] == want[name], name
    (run,) = read_table(tmp_path, "runs").to_pylist()
    assert (run["engine"], run["workers"], run["cluster_nodes"], run["cluster_cpus"]) == ("ray", 2, 1, 2)
    (pool_run,) = read_table(pool_out, "runs").to_pylist()
    assert (pool_run["engine"], pool_run["workers"], pool_run["cluster_nodes"]) == ("pool", 2, 1)
    # the same counts, and the same table versions: the driver committed the same chunks
    for k in ("files_seen", "ingested", "skipped_duplicates", "quarantined", "items",
              *(f"{n}_version" for n in DATA_TABLES)):
        assert run[k] == pool_run[k], k

    # a second run skips everything but what failed for a reason of the run's (retried), as the pool's does
    s = json.loads(ray_ingest(corpus, tmp_path).stdout)
    assert s["ingested"] == 0 and {e["code"] for e in s["errors"]} <= RETRIED_CODES
    assert s["skipped_duplicates"] + s["skipped_known_errors"] + s["quarantined"] == s["files_seen"]


def _ray_actors() -> dict[int, str]:
    """pid -> process title of this user's Ray actors running our extractor."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cmd.startswith("ray::Extractor"):
            found[int(entry)] = cmd.strip()
    return found


@pytest.mark.slow
def test_a_killed_ray_worker_loses_nothing_and_duplicates_nothing(corpus, good_pool_out, tmp_path):
    # every file takes a second, so the run is still going when a worker is killed
    env = {"NOTICES_FAULT_FILE": "sleep:_:1", **os.environ}
    env.pop("NOTICES_FAULT", None)
    full = dict(env, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "ingest", str(corpus / "good"), "--out",
                             str(tmp_path), "--json", "--engine", "ray", "--jobs", "2", "--verbose"],
                            env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = []

    def kill_one_busy_actor() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            busy = [pid for pid, title in _ray_actors().items() if ".process" in title]
            if busy:
                time.sleep(0.3)  # well into its file
                os.kill(busy[0], signal.SIGKILL)
                killed.append(busy[0])
                return
            time.sleep(0.1)

    killer = threading.Thread(target=kill_one_busy_actor)
    killer.start()
    stdout, stderr = proc.communicate(timeout=600)
    killer.join()
    assert killed, "no busy Ray worker was seen"
    assert proc.returncode == 0, stderr[-3000:]
    assert "its Ray worker died" in stderr and "retrying" in stderr, stderr[-3000:]
    summary = json.loads(stdout)
    assert summary["ingested"] == 15 and summary["quarantined"] == 0
    # every notice once, each with exactly the rows the pool gave it
    want, got = comparable(good_pool_out), comparable(tmp_path)
    for name in DATA_TABLES:
        assert got[name] == want[name], name
    for name in TABLES:
        table = read_table(tmp_path, name)
        key = TABLES[name].key
        assert len(set(zip(*(table.column(c).to_pylist() for c in key)))) == table.num_rows, name


@pytest.mark.slow
def test_a_file_that_kills_its_ray_worker_every_time_is_quarantined_not_retried_forever(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for p in sorted(SAMPLES.glob("00[0-2]_*.txt")):
        shutil.copy(p, folder)
    shutil.copy(SAMPLES / "003_fe15d2c5fde5f51a.txt", folder / "hog.txt")
    result = ray_ingest(folder, tmp_path / "out", env={"NOTICES_FAULT_FILE": "kill_parent:hog:0"})
    assert result.returncode == 1, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert (summary["ingested"], summary["quarantined"]) == (3, 1)
    (err,) = read_table(tmp_path / "out", "errors").to_pylist()
    assert (Path(err["source_path"]).name, err["error_code"], err["stage"]) == ("hog.txt", "worker_crashed", "worker")
    assert "died 3 times" in err["message"]
    assert result.stderr.count("retrying (attempt") == 2  # two retries, then the quarantine


@pytest.mark.slow
@pytest.mark.parametrize(
    "fault,args,code,stage",
    [
        ("sleep:hog:60", ["--timeout", "3"], "timeout", "worker"),
        ("alloc:hog:6000", ["--memory-mb", "2048"], "memory_limit", "read"),
        ("crash:hog:0", [], "worker_crashed", "worker"),  # the extraction process, not the Ray worker: at once
    ],
)
def test_the_per_file_limits_are_the_pools(tmp_path, fault, args, code, stage):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SAMPLES / "000_667d92ae8c820e6e.txt", folder)
    shutil.copy(SAMPLES / "003_fe15d2c5fde5f51a.txt", folder / "hog.txt")
    result = ray_ingest(folder, tmp_path / "out", *args, env={"NOTICES_FAULT_FILE": fault})
    summary = json.loads(result.stdout)
    assert (summary["ingested"], summary["quarantined"]) == (1, 1), result.stderr[-2000:]
    (err,) = summary["errors"]
    assert (err["code"], Path(err["path"]).name, err["stage"]) == (code, "hog.txt", stage)
    assert "its Ray worker died" not in result.stderr


@pytest.mark.slow
def test_a_killed_driver_leaves_committed_tables_and_the_rerun_finishes(corpus, good_pool_out, tmp_path):
    killed = ray_ingest(corpus / "good", tmp_path, "--chunk-size", "4", env={"NOTICES_FAULT": "commit:items:2@3"})
    assert killed.returncode == -9, killed.stderr[-2000:]
    store = Store(tmp_path)
    assert not store.exists("runs") or read_table(tmp_path, "runs").num_rows == 0
    rerun = ray_ingest(corpus / "good", tmp_path, "--chunk-size", "4")
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    want, got = comparable(good_pool_out), comparable(tmp_path)
    for name in DATA_TABLES:
        assert got[name] == want[name], name


def test_without_ray_the_engine_is_one_line_saying_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    result = CliRunner().invoke(app, ["ingest", str(SAMPLES), "--out", str(tmp_path / "out"), "--engine", "ray"])
    assert result.exit_code == 5
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "pip install 'notices[ray]'" in lines[0], result.stderr
    assert not (tmp_path / "out").exists()  # checked before the output is touched


def test_the_cli_offers_the_engines_the_api_runs():
    from pipeline.cli import Engine
    from pipeline.ingest import ENGINES

    assert [engine.value for engine in Engine] == list(ENGINES)


def test_a_ray_address_without_the_ray_engine_is_refused(tmp_path):
    result = CliRunner().invoke(app, ["ingest", str(SAMPLES), "--out", str(tmp_path), "--ray-address", "auto"])
    assert result.exit_code == 2 and "--engine ray" in result.stderr


def test_an_unreachable_cluster_is_one_line(tmp_path):
    result = ray_ingest(SAMPLES, tmp_path / "out", "--ray-address", "127.0.0.1:9", timeout=300)
    assert result.returncode == 5, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr and "127.0.0.1:9" in lines[-1], result.stderr[-2000:]


@pytest.fixture
def running_cluster(tmp_path_factory):
    """A Ray head started with `ray start --head`, as a user would, on 127.0.0.1 only:
    its workers do not inherit the driver's environment, as on a real cluster."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    temp = Path(tempfile.mkdtemp(prefix="rayc-", dir="/tmp"))  # Ray's socket paths must stay short
    env = dict(os.environ, RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0", RAY_USAGE_STATS_ENABLED="0")
    env.pop("NOTICES_FAULT_FILE", None)
    ray_cli = Path(sys.executable).parent / "ray"
    head = subprocess.Popen([str(ray_cli), "start", "--head", "--block", f"--port={port}", "--num-cpus=2",
                             "--include-dashboard=false", f"--temp-dir={temp}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert head.poll() is None and time.monotonic() < deadline, "ray start --head did not come up"
                time.sleep(0.5)
        yield f"127.0.0.1:{port}"
    finally:
        os.killpg(head.pid, signal.SIGTERM)  # --block: the head's processes stop with it
        try:
            head.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
        shutil.rmtree(temp, ignore_errors=True)


@pytest.mark.slow
def test_a_run_on_a_running_cluster_sends_its_settings_to_the_workers(running_cluster, good_pool_out, corpus, tmp_path):
    # the limits and faults are NOTICES_* variables of the driver: the cluster's workers get them with the tasks
    env = {"RAY_AUTH_MODE": "token", "NOTICES_FAULT_FILE": "sleep:003_:60"}
    result = ray_ingest(corpus / "good", tmp_path, "--ray-address", running_cluster, "--timeout", "3", env=env)
    assert result.returncode == 1, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert (summary["cluster_nodes"], summary["cluster_cpus"], summary["ingested"]) == (1, 2, 12)
    assert sorted(e["code"] for e in summary["errors"]) == ["timeout"] * 3
    assert all("/003_" in e["path"] for e in summary["errors"])
    want, got = comparable(good_pool_out), comparable(tmp_path)
    three = {json.dumps(r["doc_id"]) for r in read_table(good_pool_out, "notices").to_pylist()
             if "/003_" in r["source_path"]}
    assert got["notices"] == [r for r in want["notices"] if dict(r)["doc_id"] not in three]


def test_a_failed_connect_leaves_ray_as_it_was(monkeypatch):
    import ray._private.worker as ray_worker

    from pipeline.ray_engine import RayEngineError, RayPool

    monkeypatch.delenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", raising=False)  # RayPool sets it for a loopback address
    printer = ray_worker.print_to_stdstream
    with pytest.raises(RayEngineError, match="127.0.0.1:9"):
        RayPool(address="127.0.0.1:9")
    assert ray_worker.print_to_stdstream is printer  # Ray's own printer is back for whoever uses Ray next
