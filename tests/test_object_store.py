"""The output on object storage: an S3 bucket served by moto on 127.0.0.1 (no network).

An ingest to s3://BUCKET/PREFIX writes the tables a folder ingest writes, a rerun
skips every file, and the reading commands take the same URI."""
from __future__ import annotations

import json
import os

import pytest

from helpers import SAMPLES, comparable, run_cli
from pipeline.writer import OutputLocked, Store

BUCKET = "notices-test"


@pytest.fixture(scope="module")
def s3_env(tmp_path_factory):
    moto_server = pytest.importorskip("moto.server")
    import boto3

    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    _, port = server.get_host_and_port()
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ALLOW_HTTP": "true",
           "XDG_CACHE_HOME": str(tmp_path_factory.mktemp("cache"))}
    boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                 aws_access_key_id="test", aws_secret_access_key="test").create_bucket(Bucket=BUCKET)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # this process reads the bucket too
    yield env
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    server.stop()


def test_an_ingest_to_s3_writes_the_tables_a_folder_ingest_writes(s3_env, tmp_path):
    uri = f"s3://{BUCKET}/out"
    first = run_cli("ingest", str(SAMPLES), "--out", uri, "--json", "--jobs", "2", env=s3_env)
    assert first.returncode == 0, first.stderr[-3000:]
    summary = json.loads(first.stdout)
    assert summary["out"] == uri and summary["ingested"] > 0

    local = tmp_path / "local"
    assert run_cli("ingest", str(SAMPLES), "--out", str(local), "--jobs", "2").returncode == 0
    on_s3, in_folder = comparable(uri), comparable(local)
    assert on_s3 == in_folder and on_s3["items"]

    again = run_cli("ingest", str(SAMPLES), "--out", uri, "--json", "--jobs", "2", env=s3_env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads(again.stdout)["ingested"] == 0
    assert comparable(uri) == in_folder

    history = run_cli("history", "--out", uri, "--json", env=s3_env)
    assert history.returncode == 0, history.stderr[-3000:]
    assert len(json.loads(history.stdout)) == 2

    target = tmp_path / "notices.csv"
    export = run_cli("export", "notices", "--data", uri, "--out", str(target), env=s3_env)
    assert export.returncode == 0, export.stderr[-3000:]
    assert target.read_text(encoding="utf-8-sig").count("\n") == len(in_folder["notices"]) + 1


def test_a_missing_table_on_s3_reads_as_absent_at_once(s3_env):
    store = Store(f"s3://{BUCKET}/never-written")
    assert store.remote and not store.exists("items") and store.version("items") is None


def test_two_ingests_of_one_s3_root_on_one_machine_exclude_each_other(s3_env):
    first, second = Store(f"s3://{BUCKET}/locked"), Store(f"s3://{BUCKET}/locked/")
    with first.lock():
        with pytest.raises(OutputLocked, match="another ingest on this machine"):
            with second.lock():
                pass
    with second.lock():  # released with the first
        pass
