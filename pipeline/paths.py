"""File names as the file system gives them, and as text that can be stored.

On POSIX a file name is bytes; Python hands names that are not valid UTF-8 to
us with the bad bytes as lone surrogates (PEP 383), which no UTF-8 column, JSON
file or terminal accepts. The output keeps such a name twice: readable, with
the bad bytes shown as \\xNN, and losslessly, as its raw bytes.
"""
from __future__ import annotations

import os


def display_path(path: str | os.PathLike) -> str:
    """The path as valid text: bytes that are not UTF-8 become \\xNN."""
    return safe_text(os.fsdecode(path))


def path_bytes(path: str | os.PathLike) -> bytes | None:
    """The path's raw bytes when they are not valid UTF-8 (else None: the text is exact)."""
    try:
        os.fsdecode(path).encode("utf-8")
        return None
    except UnicodeEncodeError:
        return os.fsencode(path)


def safe_text(text: str) -> str:
    """Any text as valid UTF-8: an escaped file-name byte (PEP 383) becomes \\xNN,
    any other lone surrogate \\uNNNN."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
