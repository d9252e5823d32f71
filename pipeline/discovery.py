"""Finding the files of a run: every path under the inputs, once, in a stable order.

`walk(paths)` yields one `Found` per input path: a file to read, or a problem
that quarantines the path right away (the file system refused to list a
folder, a dangling link, a link out of the input folders, a pipe, a file type
that is no notice). Nothing the walk meets disappears: a folder that cannot be
listed is a row of its own. What is left out, on purpose: hidden files and
folders (.git, .DS_Store), the output folder and any other Delta table inside
the inputs (its Parquet files are data, not notices), and the same path given
twice.
"""
from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from typing import Iterable, Iterator

from pipeline.paths import display_path
from schemas.settings import setting

log = logging.getLogger("notices.ingest")


@dataclass(frozen=True)
class Found:
    """One input path. `path` is as the file system gives it (a name that is
    not UTF-8 holds surrogate escapes); `problem` is (code, message, stage)
    when the path is quarantined without being read."""

    path: str
    size: int = 0
    problem: tuple[str, str, str] | None = None


def _inside(real: str, roots: list[str]) -> bool:
    return any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _is_delta_table(folder: str) -> bool:
    return os.path.isdir(os.path.join(folder, "_delta_log"))


def walk(paths: Iterable[str | os.PathLike], exclude: Iterable[str | os.PathLike] = (),
         follow_symlinks: bool = False, suffixes: set[str] | None = None,
         max_bytes: int | None = None) -> Iterator[Found]:
    """Every input path under `paths` (folders recursively), each once.

    A symbolic link to a file outside all of `paths` is not followed unless
    `follow_symlinks` (a link given on the command line is followed: it was
    named). Folder links are followed only with `follow_symlinks`, each real
    folder once, so loops are harmless. `suffixes` are the notice file types;
    files over `max_bytes` are `too_large` before anything reads them."""
    from extractors.readers.registry import supported_suffixes

    paths = [os.fspath(p) for p in paths]
    suffixes = suffixes if suffixes is not None else supported_suffixes()
    max_bytes = max_bytes if max_bytes is not None else setting("NOTICES_MAX_FILE_BYTES")
    roots = [os.path.realpath(p) for p in paths if os.path.lexists(p)]
    excluded = {os.path.realpath(e) for e in exclude}
    emitted: set[str] = set()
    visited_dirs: set[str] = set()

    def check_file(path: str, named: bool) -> Found:
        try:
            st = os.stat(path)  # follows links: a dangling or looping one fails here
        except OSError as e:
            return Found(path, problem=("unreadable", f"cannot read the file: {e.strerror or e}", "discover"))
        if not named and not follow_symlinks and os.path.islink(path) and not _inside(os.path.realpath(path), roots):
            return Found(path, problem=("outside_input", "a symbolic link to a file outside the input folders: "
                                        "not followed (--follow-symlinks follows it)", "discover"))
        if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block a reader forever
            return Found(path, problem=("unsupported_format", "not a regular file (a pipe, socket or device)", "discover"))
        if os.path.splitext(path)[1].lower() not in suffixes:
            return Found(path, problem=("unsupported_format",
                                        f"not a notice file type ({', '.join(sorted(suffixes))})", "discover"))
        if st.st_size > max_bytes:
            return Found(path, st.st_size, ("too_large", f"{st.st_size:,} bytes is over the {max_bytes:,}-byte file limit",
                                            "discover"))
        return Found(path, st.st_size)

    def once(found: Found) -> Iterator[Found]:
        key = os.path.abspath(found.path)
        if key not in emitted:
            emitted.add(key)
            yield found

    def walk_folder(top: str) -> Iterator[Found]:
        refused: list[OSError] = []
        for root, dirs, files in os.walk(top, followlinks=follow_symlinks, onerror=refused.append):
            while refused:
                e = refused.pop(0)
                yield from once(Found(e.filename or root, problem=(
                    "unreadable", f"cannot list the folder: {e.strerror or e}", "discover")))
            keep = []
            for d in sorted(dirs):
                full = os.path.join(root, d)
                real = os.path.realpath(full)
                if d.startswith("."):
                    continue
                if real in excluded or _is_delta_table(full):
                    log.info("not read: %s is an output folder (Delta tables)", display_path(full))
                    continue
                if os.path.islink(full) and not follow_symlinks:
                    log.info("not followed: %s is a link to a folder (--follow-symlinks follows it)", display_path(full))
                    continue
                if real in visited_dirs:  # a folder reached again through a link: a loop
                    continue
                visited_dirs.add(real)
                keep.append(d)
            dirs[:] = keep
            for name in sorted(files):
                if not name.startswith("."):
                    yield from once(check_file(os.path.join(root, name), named=False))
        while refused:  # the top folder itself could not be listed
            e = refused.pop(0)
            yield from once(Found(e.filename or top, problem=(
                "unreadable", f"cannot list the folder: {e.strerror or e}", "discover")))

    for given in paths:
        if not os.path.lexists(given):
            yield from once(Found(given, problem=("unreadable", "no such file or folder", "discover")))
        elif os.path.isdir(given):
            real = os.path.realpath(given)
            if real in excluded or _is_delta_table(given):
                log.info("not read: %s is an output folder (Delta tables)", display_path(given))
                continue
            visited_dirs.add(real)
            yield from walk_folder(given)
        else:
            yield from once(check_file(given, named=True))
