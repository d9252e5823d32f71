"""Legacy binary Word (.doc) and WPS files: OLE compound documents.

We cannot parse them ourselves. Where LibreOffice is installed (`soffice` on the
PATH) they are converted to DOCX in a temporary folder and read by the DOCX
reader; where it is not, they are quarantined with a message saying how to
enable the conversion.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

from extractors.readers.registry import register
from schemas.document import Document, Source
from schemas.errors import LegacyDoc, NoticeError
from schemas.settings import setting

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CONVERT_TIMEOUT_S = setting("NOTICES_CONVERT_TIMEOUT_S")


def sniff_ole(head: bytes, suffix: str) -> bool:
    return head.startswith(OLE_MAGIC)


def soffice() -> str | None:
    """LibreOffice's executable: NOTICES_SOFFICE (a path, or `none` to never
    convert), else soffice/libreoffice on the PATH."""
    chosen = setting("NOTICES_SOFFICE")
    if chosen is not None:
        return None if chosen.strip().lower() in ("none", "off", "0", "no") else shutil.which(chosen)
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_docx(data: bytes, suffix: str, path: str) -> bytes:
    exe = soffice()
    if exe is None:
        raise LegacyDoc(
            "legacy Word/WPS binary (OLE) file: install LibreOffice (soffice on the PATH) to convert and ingest "
            "it, or save it as DOCX or PDF", path)
    with tempfile.TemporaryDirectory(prefix="notices-convert-") as tmp:
        src = Path(tmp) / f"in{suffix if suffix in ('.doc', '.wps', '.dot') else '.doc'}"
        src.write_bytes(data)
        try:
            proc = subprocess.run(
                [exe, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--norestore",
                 "--convert-to", "docx", "--outdir", tmp, str(src)],
                capture_output=True, timeout=CONVERT_TIMEOUT_S, stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise LegacyDoc(f"LibreOffice took longer than {CONVERT_TIMEOUT_S} s to convert it", path) from None
        out = src.with_suffix(".docx")
        if not out.exists() or out.stat().st_size == 0:
            said = (proc.stderr or b"").decode("utf-8", "replace") + (proc.stdout or b"").decode("utf-8", "replace")
            why = " ".join(line.strip() for line in said.splitlines() if line.strip().startswith("Error"))[:200]
            raise LegacyDoc(f"LibreOffice could not convert it (not a readable Word/WPS file){': ' + why if why else ''}",
                            path)
        return out.read_bytes()


@register("doc", (".doc", ".wps", ".dot"), sniff_ole, priority=5)
def read_legacy(data: bytes, source: Source) -> Document:
    from extractors.readers.docx import read_docx

    path = source.path
    docx = convert_to_docx(data, Path(path).suffix.lower(), path)
    converted = replace(source, warnings=(*source.warnings, "converted from a legacy Word/WPS file with LibreOffice"))
    try:
        return read_docx(docx, converted)
    except NoticeError as e:
        raise LegacyDoc(f"converted by LibreOffice, but the result is unreadable: {e.message}", path) from None
