"""Fault injection for the crash tests: SIGKILL ourselves at a named point.

NOTICES_FAULT="commit:items:2"      kill at the 2nd time the "commit:items" point is reached
NOTICES_FAULT="commit:items:2@20"   ... 20 ms later, from a thread: lands inside delta-rs's write
NOTICES_FAULT="done:5"              kill when the 5th file's outcome arrives (during extraction)

NOTICES_FAULT_FILE="sleep:hog:30"   a worker sleeps 30 s on any file whose name contains "hog"
NOTICES_FAULT_FILE="alloc:hog:4000" a worker allocates 4000 MiB for such a file
NOTICES_FAULT_FILE="crash:hog:0"    a worker kills itself on such a file
NOTICES_FAULT_FILE="kill_parent:hog:0" a worker kills the process that started it, then itself:
                                    under the Ray engine, the Ray worker (as an OOM killer
                                    or a lost node would); under the pool, the driver
NOTICES_FAULT_FILE="copy:swap:/x.txt" a worker overwrites such a file with /x.txt's bytes before
                                    reading it (a file rewritten after it was found and hashed)
(to test the per-file time limit and memory cap without a real pathological file)

Unset (always, outside tests) they cost one dictionary lookup per point.
"""
from __future__ import annotations

import os
import signal
import threading
import time

_SPEC = os.environ.get("NOTICES_FAULT", "")
_hits: dict[str, int] = {}


def _parse(spec: str) -> tuple[str, int, float | None] | None:
    if not spec:
        return None
    delay = None
    if "@" in spec:
        spec, ms = spec.split("@", 1)
        delay = float(ms) / 1000
    point, _, nth = spec.rpartition(":")
    return point, int(nth), delay


_TARGET = _parse(_SPEC)


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def checkpoint(point: str) -> None:
    if _TARGET is None or point != _TARGET[0]:
        return
    _hits[point] = _hits.get(point, 0) + 1
    if _hits[point] != _TARGET[1]:
        return
    if _TARGET[2] is None:
        _die()
    threading.Thread(target=lambda: (time.sleep(_TARGET[2]), _die()), daemon=True).start()


_FILE_SPEC = os.environ.get("NOTICES_FAULT_FILE", "")


def file_hook(path: str) -> None:
    """In a worker, before reading `path`: misbehave as NOTICES_FAULT_FILE says."""
    if not _FILE_SPEC:
        return
    action, needle, amount = _FILE_SPEC.split(":", 2)
    if needle not in os.path.basename(path):
        return
    if action == "sleep":
        time.sleep(float(amount))
    elif action == "crash":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "kill_parent":
        os.kill(os.getppid(), signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "copy":
        with open(amount, "rb") as src, open(path, "wb") as dst:
            dst.write(src.read())
    elif action == "alloc":
        hog = bytearray(int(amount) * 1024 * 1024)  # noqa: F841  (holds the memory until the next line)
        hog[::4096] = b"x" * len(hog[::4096])
