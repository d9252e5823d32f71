"""The registry of readers: each format says how to recognise its bytes.

A file's format is decided by its content (magic bytes) first and its suffix
only as a tie-breaker, so a `.pdf` that is really a DOCX is read as a DOCX.
Readers register themselves with `@register(...)`; `read_document` is the one
entry point the pipeline calls.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from schemas.document import Document, Source
from schemas.errors import EmptyFile, NoticeError, TooLarge, UnsupportedFormat, Unreadable
from schemas.settings import setting

# Files larger than this are refused before reading (documented in the README).
MAX_FILE_BYTES = setting("NOTICES_MAX_FILE_BYTES")

SniffFn = Callable[[bytes, str], bool]
ReadFn = Callable[[bytes, Source], Document]


@dataclass(frozen=True)
class ReaderSpec:
    format: str
    suffixes: tuple[str, ...]
    sniff: SniffFn  # (first bytes, lower-case suffix) -> is this my format?
    read: ReadFn  # (all bytes, what is known of the file) -> the whole Document
    priority: int = 0  # lower runs first; the text reader is the fallback


_REGISTRY: dict[str, ReaderSpec] = {}
SNIFF_BYTES = 4096
FALLBACK_PRIORITY = 100  # the text reader's: it claims whatever decodes as text


def register(format: str, suffixes: tuple[str, ...], sniff: SniffFn, priority: int = 0):
    def deco(read: ReadFn) -> ReadFn:
        _REGISTRY[format] = ReaderSpec(format, suffixes, sniff, read, priority)
        return read

    return deco


def readers() -> list[ReaderSpec]:
    _load_builtin()
    return sorted(_REGISTRY.values(), key=lambda s: s.priority)


def supported_suffixes() -> set[str]:
    return {sfx for spec in readers() for sfx in spec.suffixes}


def _load_builtin() -> None:
    # importing the modules runs their @register decorators
    from extractors.readers import docx, html, legacy, ofd, pdf, text  # noqa: F401


def detect_format(data: bytes, path: str) -> ReaderSpec:
    head = data[:SNIFF_BYTES]
    suffix = Path(path).suffix.lower()
    matches = [spec for spec in readers() if spec.sniff(head, suffix)]
    if not matches:
        # never quote the bytes: the file may be anything (a key, /etc/shadow)
        raise UnsupportedFormat(f"not a PDF, OFD, DOCX, Word/WPS, web page or text file (suffix {suffix or 'none'}; the content is no known format)",
                                path)
    # several can claim the bytes (a zip may be DOCX or something else): prefer the suffix's owner,
    # unless it is the fallback (a web page saved as .txt is still a web page)
    specific = [spec for spec in matches if spec.priority < FALLBACK_PRIORITY] or matches
    for spec in specific:
        if suffix in spec.suffixes:
            return spec
    return specific[0]


def read_bytes(data: bytes, path: str, sha256: str | None = None) -> Document:
    """Bytes -> Document of the reader the bytes call for (sha256 computed unless given)."""
    if not data:
        raise EmptyFile("the file is empty (0 bytes)", path)
    spec = detect_format(data, path)
    suffix = Path(path).suffix.lower()
    warnings = (f"content is {spec.format} although the name ends in {suffix}",) if suffix and suffix not in spec.suffixes else ()
    source = Source(path, sha256 or hashlib.sha256(data).hexdigest(), spec.format, warnings)
    try:
        return spec.read(data, source)
    except NoticeError as e:
        e.path = e.path or path
        raise


def read_file_bytes(path: str | os.PathLike, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    p = str(path)
    try:
        size = os.path.getsize(p)
        if size > max_bytes:
            raise TooLarge(f"{size} bytes is over the {max_bytes}-byte file limit", p)
        with open(p, "rb") as f:
            return f.read()
    except NoticeError:
        raise
    except OSError as e:
        raise Unreadable(f"cannot read the file: {e.strerror or e}", p) from None


def read_document(path: str | os.PathLike) -> Document:
    """Read any supported notice file into the document model."""
    return read_bytes(read_file_bytes(path), str(path))
