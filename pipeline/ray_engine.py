"""The Ray engine: the same per-file extraction on a Ray cluster.

`RayPool` has the interface of `pipeline.workers.WorkerPool` (`map` yields
(task, Outcome) as files finish), so ingest's discovery, skips, chunked
commits, lock and `runs` row stay in the driver, unchanged.

Each CPU of the cluster gets one Ray actor, `Extractor`. An actor does not
extract in its own process: it keeps a one-process `WorkerPool` of its own,
so every file runs in a warm extraction process under exactly the pool's time
limit and memory cap (RLIMIT_AS: a Ray worker's own address space holds the
object store's mappings, so the cap cannot be set there), and a file that
crashes the extraction process is `worker_crashed` at once, as with the pool.
Warm-up happens once per actor (again every `files_per_worker` files, when
its extraction process is recycled), never per file.

Actors, not Ray Data: the driver keeps at most `depth` calls queued per actor
and fetches each result as soon as it is ready, so memory is bounded by
`actors x depth` notices in flight plus one commit chunk, whatever the size
of the input; and each file stays its own call, so a lost call is retried
alone and charged to the file it was running, not to a block of files.

When an actor dies (its process killed, its node lost), the file it was
running is retried on a new actor; the files queued behind it go back in
line uncharged. A file whose actor dies `attempts` times is quarantined as
`worker_crashed`.
"""
from __future__ import annotations

import logging
import os
import socket
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from pipeline.records import PIPELINE_VERSION
from pipeline.workers import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, Outcome, WorkerPool
from schemas.arrow import SCHEMA_VERSION

log = logging.getLogger("notices.ray")

INSTALL_HINT = "pip install 'notices[ray]'"
LOCAL = "local"
START_TIMEOUT_S = 120.0  # for every actor to start and answer
CONNECT_TIMEOUT_S = 60.0  # for ray.init to start or join a cluster
SLACK_S = 120.0  # beyond the per-file limit, before an actor that does not answer is given up on


_DONE = object()


class RayEngineError(Exception):
    """Ray is missing, the cluster cannot be reached, or its workers cannot run us."""


def import_ray():
    try:
        import ray
    except ImportError:
        raise RayEngineError(f"--engine ray needs Ray, which is not installed: {INSTALL_HINT}") from None
    return ray


class Extractor:
    """A Ray actor: one warm extraction process, fed one file per call."""

    def __init__(self, cwd: str, timeout: float, memory_mb: int | None, files_per_worker: int):
        # input paths are as the driver found them; relative ones are relative to its folder
        self.has_cwd = os.path.isdir(cwd)
        if self.has_cwd:
            os.chdir(cwd)
        self.pool = WorkerPool(1, timeout=timeout, memory_mb=memory_mb, files_per_worker=files_per_worker).__enter__()

    def ready(self) -> dict:
        return {"version": PIPELINE_VERSION, "schema": SCHEMA_VERSION, "host": socket.gethostname(),
                "pid": os.getpid(), "has_cwd": self.has_cwd}

    def process(self, path: str) -> Outcome:
        for _, outcome in self.pool.map([path]):
            return outcome
        raise RuntimeError("the extraction process returned nothing")  # not reached: one outcome per task


@dataclass
class _Call:
    ref: object
    task: object
    attempts: int  # times this file's actor died under it before this call


@dataclass
class _Slot:
    actor: object
    calls: deque = field(default_factory=deque)  # submitted, in order; the head is running
    started: float = 0.0  # when the head call started


def _notices_env() -> dict[str, str]:
    """The run's NOTICES_* settings, for actors on other machines."""
    return {k: v for k, v in os.environ.items() if k.startswith("NOTICES_")}


def _ray_messages_to_log(ray, restore=None):
    """A Ray driver prints its cluster's error messages ("A worker died...") on
    stdout, where `--json` writes; while we are connected they go to our log
    (debug level) instead: the run's own warning says which file it cost.
    Returns what to restore (None where this Ray has no such printer)."""
    worker = getattr(getattr(ray, "_private", None), "worker", None)
    if worker is None or not hasattr(worker, "print_to_stdstream"):
        return None
    if restore is not None:
        worker.print_to_stdstream = restore
        return None

    def to_log(data, ignore_prefix=False):
        for line in data.get("lines", ()):
            log.debug("ray %s: %s", data.get("pid", ""), line)

    original = worker.print_to_stdstream
    worker.print_to_stdstream = to_log
    return original


def _init(ray, kwargs: dict, failure: list) -> None:
    try:
        ray.init(**kwargs)
    except Exception as e:
        failure.append(e)


def _is_loopback(address: str) -> bool:
    host = address.rpartition(":")[0].strip("[]")
    return host in ("127.0.0.1", "localhost", "::1")


def _probe(address: str, timeout: float = 10.0) -> None:
    """HOST:PORT must answer a TCP connection: Ray's own attempts go on for minutes."""
    if address == "auto" or "://" in address:  # auto: Ray finds the address on this machine, or says it cannot
        return
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=timeout).close()
    except ValueError:
        raise RayEngineError(f"--ray-address {address}: give auto or HOST:PORT (the head node's GCS port)") from None
    except OSError as e:
        raise RayEngineError(f"cannot connect to the Ray cluster at {address}: {e.strerror or e}") from None


def _short(e: BaseException) -> str:
    first = next((line.strip() for line in str(e).splitlines() if line.strip()), "")
    return f"{type(e).__name__}: {first[:200]}" if first else type(e).__name__


class RayPool:
    """`map` runs every file in Ray actors; the interface of WorkerPool.

    `address`: None or "local" starts a Ray instance on this machine (bound to
    127.0.0.1, `jobs` CPUs) for the run; "auto" or HOST:PORT joins a running
    cluster (the RAY_ADDRESS variable is read when `address` is None)."""

    engine = "ray"

    def __init__(self, jobs: int | None = None, timeout: float = DEFAULT_TIMEOUT_S,
                 memory_mb: int | None = DEFAULT_MEMORY_MB, files_per_worker: int = 500,
                 address: str | None = None, attempts: int = 3):
        self.requested_jobs = jobs
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.files_per_worker = files_per_worker
        self.address = address or os.environ.get("RAY_ADDRESS") or LOCAL
        if self.address == LOCAL or _is_loopback(self.address):
            # Ray would swap 127.0.0.1 for this machine's network address (it reads this at import):
            # a run's own instance, or a head started on the loopback, stays on the loopback
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        self.ray = import_ray()
        self.attempts = max(1, attempts)
        self.slots: list[_Slot] = []
        self.ready_refs: list = []
        self.started_ray = False
        self._printer = None
        try:
            self._connect()
            self.cpus = int(self.ray.cluster_resources().get("CPU", 0))
            self.nodes = sum(1 for n in self.ray.nodes() if n.get("Alive"))
        except RayEngineError:
            self.close()  # Ray's message printer back as it was
            raise
        except Exception as e:
            self.close()
            raise RayEngineError(f"the Ray cluster at {self.address} does not answer: {_short(e)}") from None
        self.jobs = self.requested_jobs or self.cpus or 1

    # ------------------------------------------------------------------ the cluster

    def __enter__(self) -> "RayPool":
        """Start the actors; they warm up while the driver prepares (map waits for them)."""
        self.slots = [_Slot(self._new_actor()) for _ in range(self.jobs)]
        self.ready_refs = [s.actor.ready.remote() for s in self.slots]
        return self

    def _connect(self) -> None:
        ray = self.ray
        if ray.is_initialized():  # called from inside a Ray program: use its connection, leave it open
            return
        quiet = dict(log_to_driver=False, logging_level=logging.ERROR, include_dashboard=False)
        self._printer = _ray_messages_to_log(ray)
        failure: list[BaseException] = []
        if self.address == LOCAL:
            where, hint = "start a local Ray instance", ""
            temp = os.environ.get("RAY_TMPDIR") or os.path.join(tempfile.gettempdir(), f"notices-ray-{os.getuid()}")
            # in this thread: Ray ties the processes it starts to the life of the thread that
            # started them (PR_SET_PDEATHSIG), so they must not be started from one that ends
            _init(ray, dict(num_cpus=self.requested_jobs or os.cpu_count() or 1, object_store_memory=256 * 2**20,
                            _temp_dir=temp, **quiet), failure)
        else:
            where = f"connect to the Ray cluster at {self.address}"
            hint = (" (is it the head's GCS port? a cluster with token authentication also needs "
                    "RAY_AUTH_MODE=token and its token here)")
            _probe(self.address)
            # Ray retries a cluster that answers TCP but not its protocol (a wrong port, a missing
            # auth token) for ever: give it CONNECT_TIMEOUT_S, from a thread we can stop waiting for
            attempt = threading.Thread(target=_init, args=(ray, dict(address=self.address, **quiet), failure),
                                       daemon=True)
            attempt.start()
            attempt.join(CONNECT_TIMEOUT_S)
            if attempt.is_alive():
                raise RayEngineError(f"cannot {where}: no answer within {CONNECT_TIMEOUT_S:g} s{hint}")
        if failure:  # ConnectionError, a version mismatch between Ray releases...
            raise RayEngineError(f"cannot {where}: {_short(failure[0])}{hint}")
        self.started_ray = True

    def _new_actor(self):
        remote = self.ray.remote(Extractor).options(
            num_cpus=1, max_restarts=0, max_task_retries=0, runtime_env={"env_vars": _notices_env()})
        return remote.remote(os.getcwd(), self.timeout, self.memory_mb, self.files_per_worker)

    def _check_ready(self) -> None:
        """Every actor started, runs this pipeline and schema version, and can see our folder."""
        ray = self.ray
        refs, self.ready_refs = self.ready_refs, []
        if not refs:
            return
        done, waiting = ray.wait(refs, num_returns=len(refs), timeout=START_TIMEOUT_S)
        if waiting:
            raise RayEngineError(f"only {len(done)} of {len(refs)} Ray workers started within {START_TIMEOUT_S:g} s "
                                 f"(the cluster has {self.cpus} CPUs; --jobs asks for {self.jobs})")
        try:
            answers = ray.get(refs)
        except ray.exceptions.RayError as e:
            raise RayEngineError(f"a Ray worker could not start the extractor (is notices installed on every node?): "
                                 f"{_short(e)}") from None
        for a in answers:
            if (a["version"], a["schema"]) != (PIPELINE_VERSION, SCHEMA_VERSION):
                raise RayEngineError(f"node {a['host']} runs notices {a['version']} (schema {a['schema']}), this "
                                     f"driver {PIPELINE_VERSION} (schema {SCHEMA_VERSION}): install the same "
                                     f"version on every node")
        without = sorted({a["host"] for a in answers if not a["has_cwd"]})
        if without:
            log.warning("%s: no folder %s there, so relative input paths will not be found; give absolute paths",
                        ", ".join(without), os.getcwd())

    def describe(self) -> dict:
        return {"engine": self.engine, "workers": self.jobs, "cluster_nodes": self.nodes, "cluster_cpus": self.cpus}

    def __exit__(self, *_) -> None:
        for s in self.slots:
            try:
                self.ray.kill(s.actor, no_restart=True)
            except Exception:  # already gone
                pass
        self.slots = []

    def close(self) -> None:
        """Disconnect; a Ray instance this pool started stops."""
        if self.started_ray:
            self.ray.shutdown()
            self.started_ray = False
        if self._printer:
            _ray_messages_to_log(self.ray, restore=self._printer)
            self._printer = None

    # ------------------------------------------------------------------ the files

    def map(self, tasks: Iterable, path_of=lambda t: t, depth: int = 2) -> Iterator[tuple[object, Outcome]]:
        """Run every task; yield (task, Outcome) in the order files finish."""
        ray = self.ray
        self._check_ready()
        pending = iter(tasks)
        retry: deque = deque()  # (task, attempts), before new tasks
        done_feeding = False
        by_ref: dict = {}  # ref -> slot index

        def feed(i: int) -> None:
            nonlocal done_feeding
            slot = self.slots[i]
            while len(slot.calls) < depth:
                if retry:
                    task, attempts = retry.popleft()
                elif done_feeding:
                    return
                else:
                    task = next(pending, _DONE)
                    attempts = 0
                    if task is _DONE:
                        done_feeding = True
                        return
                if not slot.calls:
                    slot.started = time.monotonic()
                ref = slot.actor.process.remote(str(path_of(task)))
                slot.calls.append(_Call(ref, task, attempts))
                by_ref[ref] = i

        def lost(i: int, why: str) -> Iterator[tuple[object, Outcome]]:
            """Slot i's actor is gone: charge its running file, requeue the rest, start a new actor."""
            slot = self.slots[i]
            calls = list(slot.calls)
            for c in calls:
                by_ref.pop(c.ref, None)
            head, rest = calls[0], calls[1:]
            retry.extendleft((c.task, c.attempts) for c in reversed(rest))
            tries = head.attempts + 1
            if tries >= self.attempts:  # ingest logs the quarantine
                yield head.task, Outcome("error", code="worker_crashed", stage="worker",
                                         message=f"its Ray worker died {tries} times while reading the file "
                                                 f"(the last time: {why})")
            else:
                log.warning("%s: its Ray worker died (%s); retrying (attempt %d of %d)", path_of(head.task), why,
                            tries + 1, self.attempts)
                retry.appendleft((head.task, tries))
            try:
                ray.kill(slot.actor, no_restart=True)
            except Exception:
                pass
            self.slots[i] = _Slot(self._new_actor())

        for i in range(len(self.slots)):
            feed(i)
        while by_ref:
            ready, _ = ray.wait(list(by_ref), num_returns=1, timeout=0.5)
            for ref in ready:
                i = by_ref.get(ref)
                if i is None:  # its actor was replaced meanwhile
                    continue
                slot = self.slots[i]
                try:
                    outcome = ray.get(ref)
                except ray.exceptions.RayTaskError as e:  # the actor raised: a bug, charged to the file
                    call = self._pop(slot, ref, by_ref)
                    outcome = Outcome("error", code="extract_failed", stage="worker", message=_short(e.cause or e))
                    yield call.task, outcome
                except ray.exceptions.RayError as e:  # the actor (or its node) is gone
                    yield from lost(i, _short(e))
                else:
                    call = self._pop(slot, ref, by_ref)
                    yield call.task, outcome
                feed(i)
            now = time.monotonic()
            limit = (self.timeout or 0) + SLACK_S
            for i, slot in enumerate(self.slots):
                if slot.calls and self.timeout and now - slot.started > limit:
                    yield from lost(i, f"no answer {limit:g} s after the file started")
                    feed(i)

    @staticmethod
    def _pop(slot: _Slot, ref, by_ref: dict) -> _Call:
        """The call `ref` answered: off its slot; the next call there starts now."""
        by_ref.pop(ref, None)
        call = next(c for c in slot.calls if c.ref == ref)
        slot.calls.remove(call)
        slot.started = time.monotonic()
        return call
