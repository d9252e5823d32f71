"""Extraction in worker processes, with a time limit and a memory cap per file.

`process_file(path)` is the unit of work: a pure function, path in, rows (or a
typed error) out. `WorkerPool.map` runs it in `jobs` worker processes and
yields outcomes as they finish. A file that runs past the time limit gets its
worker killed (and replaced): the file is quarantined with code `timeout`. The
memory cap is an address-space limit in each worker (RLIMIT_AS): an allocation
past it raises MemoryError there, and the file gets code `memory_limit`. A
worker that dies (a crash in a C library) gives `worker_crashed`. The batch
always goes on.
"""
from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Iterable, Iterator

from pipeline.faults import file_hook
from schemas.errors import NoticeError
from schemas.settings import setting

DEFAULT_TIMEOUT_S = setting("NOTICES_TIMEOUT_S")
DEFAULT_MEMORY_MB = setting("NOTICES_MEMORY_MB")


@dataclass
class Outcome:
    """What a worker made of one file: Arrow tables ready to commit (built here,
    in parallel, rather than in the parent) and a few counts for the summary."""

    status: str  # ok | error
    tables: dict | None = None
    counts: dict | None = None
    doc_id: str | None = None
    code: str | None = None
    message: str | None = None
    stage: str | None = None
    seconds: float = 0.0
    value: object = None  # what a parse or extract job returns (a Document, an ExtractionResult)


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def process_file(path: str) -> Outcome:
    """Read, extract and convert one file: the pure unit of work."""
    import pyarrow as pa

    from extractors.notice import extract_notice
    from extractors.readers.registry import read_bytes, read_file_bytes
    from pipeline.records import result_rows
    from schemas.arrow import TABLES

    t0 = time.perf_counter()
    doc_id = None
    stage = "read"
    try:
        file_hook(path)
        data = read_file_bytes(path)
        doc_id = hashlib.sha256(data).hexdigest()
        doc = read_bytes(data, path, sha256=doc_id)
        del data
        stage = "extract"
        rows = result_rows(extract_notice(doc))
        notice = rows["notices"][0]
        counts = {
            "items": len(rows["items"]),
            "warnings": len(notice["warnings"]) + sum(len(r["warnings"]) for r in rows["items"]),
            "pages": notice["page_count"] or 0,
            "format": notice["source_format"],
        }
        # without the run's columns (run_id, ingested_at): the writer adds them at commit
        tables = {name: pa.Table.from_pylist(rs, schema=TABLES[name].row_schema) for name, rs in rows.items()}
        return Outcome("ok", tables, counts, doc_id, seconds=time.perf_counter() - t0)
    except NoticeError as e:
        return Outcome("error", None, None, doc_id, e.code, _one_line(e.message), e.stage, time.perf_counter() - t0)
    except MemoryError:
        return Outcome("error", None, None, doc_id, "memory_limit",
                       "the file needed more memory than the per-worker cap", stage, time.perf_counter() - t0)
    except Exception as e:  # a bug must quarantine the file, not stop the batch
        return Outcome("error", None, None, doc_id, "extract_failed", _one_line(f"{type(e).__name__}: {e}"), stage,
                       time.perf_counter() - t0)


def read_job(path: str) -> Outcome:
    """`notices parse`: the Document, read under the same limits as ingest."""
    return _job(path, lambda: __import__("extractors.readers", fromlist=["read_document"]).read_document(path))


def extract_job(path: str) -> Outcome:
    """`notices extract`: the ExtractionResult, under the same limits as ingest."""
    return _job(path, lambda: __import__("extractors.notice", fromlist=["extract_file"]).extract_file(path))


def _job(path: str, work) -> Outcome:
    t0 = time.perf_counter()
    try:
        file_hook(path)
        return Outcome("ok", value=work(), seconds=time.perf_counter() - t0)
    except NoticeError as e:
        return Outcome("error", code=e.code, message=_one_line(e.message), stage=e.stage, seconds=time.perf_counter() - t0)
    except MemoryError:
        return Outcome("error", code="memory_limit", message="the file needed more memory than the per-worker cap",
                       stage="read", seconds=time.perf_counter() - t0)
    except Exception as e:
        return Outcome("error", code="extract_failed", message=_one_line(f"{type(e).__name__}: {e}"), stage="extract",
                       seconds=time.perf_counter() - t0)


JOBS = {"ingest": process_file, "parse": read_job, "extract": extract_job}


def _limit_memory(memory_mb: int | None) -> None:
    if not memory_mb:
        return
    try:
        import resource

        cap = memory_mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard if hard != resource.RLIM_INFINITY and hard < cap else cap))
    except (ImportError, ValueError, OSError):  # not on this platform: no cap
        pass


def _warm_up() -> None:
    """Import the readers and compile the date patterns before the first file
    (jieba's unit dictionary stays lazy: few notices need it)."""
    from extractors import dates, notice  # noqa: F401
    from extractors.readers import registry

    registry.readers()
    dates._patterns()


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when the process that started it dies,
    so a killed driver (or Ray actor) leaves no worker grinding on a long file."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the worker exits at its next message instead
        return
    if os.getppid() == 1:  # the parent died before the line above
        os._exit(0)


def _worker_main(conn: Connection, memory_mb: int | None, job: str = "ingest") -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent()
    _limit_memory(memory_mb)
    _warm_up()
    work = JOBS[job]
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        task_id, path = msg
        outcome = work(path)
        try:
            conn.send((task_id, outcome))
        except (BrokenPipeError, OSError):
            return


def _reap(procs: list[subprocess.Popen], grace: float = 10.0) -> None:
    for proc in procs:
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


_DONE = object()


@dataclass
class _Worker:
    proc: subprocess.Popen
    conn: Connection
    queue: deque = field(default_factory=deque)  # (task id, task) sent and not answered; the head is running
    started: float = 0.0  # when the head task started
    sent: int = 0  # files sent to this worker process


class WorkerPool:
    """`jobs` worker processes; `map` yields (task, Outcome) as files finish.

    Workers are fresh interpreters (`python -m pipeline.workers FD MEMORY_MB`)
    talking over a socket pair: unlike multiprocessing's spawn, they never
    re-import the caller's script, so the API is safe to call from any program.
    """

    engine = "pool"

    def __init__(self, jobs: int, timeout: float = DEFAULT_TIMEOUT_S, memory_mb: int | None = DEFAULT_MEMORY_MB,
                 files_per_worker: int = 500, job: str = "ingest"):
        if job not in JOBS:
            raise ValueError(f"no job {job!r}: {', '.join(JOBS)}")
        self.job = job
        self.jobs = max(1, jobs)
        self.timeout = timeout
        self.memory_mb = memory_mb
        # a long-lived interpreter's heap creeps up with every file it parses; a fresh
        # worker every few hundred files keeps memory flat at a cost of ~0.5 s each time
        self.files_per_worker = files_per_worker
        self.workers: list[_Worker] = []

    def __enter__(self) -> "WorkerPool":
        self.workers = [self._start() for _ in range(self.jobs)]
        return self

    def __exit__(self, exc_type, *_) -> None:
        for w in self.workers:
            if exc_type is not None and w.proc.poll() is None:
                w.proc.kill()  # interrupted or failed: the files they hold are not wanted
            try:
                w.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
            w.conn.close()
        # a worker's interpreter takes ~0.3 s to shut down: reap them without waiting here
        threading.Thread(target=_reap, args=([w.proc for w in self.workers],), daemon=True).start()

    def close(self) -> None:
        """Nothing to let go of once the pool has exited (RayPool disconnects from its cluster)."""

    def describe(self) -> dict:
        """For the run's row in `runs`."""
        return {"engine": self.engine, "workers": self.jobs, "cluster_nodes": 1, "cluster_cpus": os.cpu_count() or 0}

    def _start(self) -> _Worker:
        parent_sock, child_sock = socket.socketpair()
        root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.workers", str(child_sock.fileno()), str(self.memory_mb or 0), self.job],
            pass_fds=(child_sock.fileno(),), env=env, stdin=subprocess.DEVNULL,
        )
        child_sock.close()
        conn = Connection(parent_sock.detach())
        return _Worker(proc, conn)

    def _retire(self, i: int) -> None:
        """Let the worker in slot i exit, then start a fresh one there (one after
        the other, so the two never hold memory at the same time)."""
        w = self.workers[i]
        try:
            w.conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        w.conn.close()
        _reap([w.proc], grace=5.0)
        self.workers[i] = self._start()

    def _restart(self, i: int) -> None:
        """Kill the worker in slot i (if still running) and start a fresh one there."""
        w = self.workers[i]
        if w.proc.poll() is None:
            w.proc.kill()
        w.proc.wait()
        w.conn.close()
        self.workers[i] = self._start()

    def map(self, tasks: Iterable, path_of=lambda t: t, depth: int = 2) -> Iterator[tuple[object, Outcome]]:
        """Run every task; yield (task, Outcome) in the order files finish.

        Each worker has up to `depth` tasks queued, so it never waits for this
        process between files; the time limit counts from when a task reaches
        the head of its worker's queue. A killed or dead worker is charged only
        with the task it was running; its queued tasks go back in line."""
        pending = iter(tasks)
        retry: list = []
        next_id = 0

        def feed(i: int) -> None:
            nonlocal next_id
            w = self.workers[i]
            if self.files_per_worker and w.sent >= self.files_per_worker and not w.queue:
                self._retire(i)
                w = self.workers[i]
            while len(w.queue) < depth and not (self.files_per_worker and w.sent >= self.files_per_worker):
                task = retry.pop() if retry else next(pending, _DONE)
                if task is _DONE:
                    return
                next_id += 1
                if not w.queue:
                    w.started = time.monotonic()
                w.queue.append((next_id, task))
                w.sent += 1
                w.conn.send((next_id, str(path_of(task))))

        def restart(i: int) -> None:
            retry.extend(task for _, task in reversed(list(self.workers[i].queue)[1:]))
            self._restart(i)

        for i in range(len(self.workers)):
            feed(i)
        while True:
            busy = [i for i, w in enumerate(self.workers) if w.queue]
            if not busy:
                return
            ready = set(wait([self.workers[i].conn for i in busy], timeout=0.5))
            now = time.monotonic()
            for i in busy:
                w = self.workers[i]
                task = w.queue[0][1]
                outcome = None
                if w.conn in ready:  # a result, or EOF when the worker died
                    try:
                        _, outcome = w.conn.recv()
                        w.queue.popleft()
                        w.started = time.monotonic()
                    except (EOFError, OSError):
                        outcome = self._died(w)
                        restart(i)
                elif self.timeout and now - w.started > self.timeout:
                    outcome = Outcome("error", code="timeout", stage="worker",
                                      message=f"took longer than the {self.timeout:g} s per-file limit",
                                      seconds=now - w.started)
                    restart(i)
                if outcome is not None:
                    yield task, outcome
                    feed(i)

    @staticmethod
    def _died(w: _Worker) -> Outcome:
        try:
            code = w.proc.wait(2)
        except subprocess.TimeoutExpired:
            code = None
        why = "killed (out of memory?)" if code in (-9, 137) else f"exit code {code}"
        return Outcome("error", code="worker_crashed", stage="worker",
                       message=f"the worker process died while reading the file ({why})")


def run_one(path: str, job: str, timeout: float = DEFAULT_TIMEOUT_S, memory_mb: int | None = DEFAULT_MEMORY_MB) -> Outcome:
    """One file through one worker, under the same time limit and memory cap as
    ingest (`notices parse` and `notices extract`)."""
    with WorkerPool(1, timeout=timeout, memory_mb=memory_mb, job=job) as pool:
        for _, outcome in pool.map([path]):
            return outcome
    raise RuntimeError("the worker returned nothing")  # not reached: map yields one outcome per task


if __name__ == "__main__":  # a worker: python -m pipeline.workers FD MEMORY_MB [JOB]
    # import ourselves under our package name, so what we pickle (Outcome) is
    # pipeline.workers.Outcome for the parent, not __main__.Outcome
    from pipeline import workers

    workers._worker_main(Connection(int(sys.argv[1])), int(sys.argv[2]) or None,
                         sys.argv[3] if len(sys.argv) > 3 else "ingest")
