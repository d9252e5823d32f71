"""Legacy binary Word (.doc) and Kingsoft WPS (.wps) files: OLE compound documents.

Two ways in:

1. LibreOffice, where it is installed (`soffice` on the PATH, or the path in
   NOTICES_SOFFICE): the file is converted to DOCX in a temporary folder and
   read by the DOCX reader. It knows the whole format (styles, hidden text,
   nested tables, text boxes), so it is used first.
2. Our own reader of the Word 97-2003 binary format (msdoc.py) on the streams
   olefile opens: text, paragraphs and tables with merged cells. Used when
   LibreOffice is absent (or NOTICES_SOFFICE=none) or cannot convert the file.

Kingsoft WPS writes the Word binary format with additions of its own, so a
.wps holding a WordDocument stream is read the same way. An OLE file without
one (an Excel .xls, an Outlook .msg, a Microsoft Works .wps), an encrypted or a
Word 6/95 document is quarantined as legacy_doc, saying what it is.
"""
from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

from extractors.readers import msdoc
from extractors.readers.registry import register
from extractors.readers.tables import number_tables
from schemas.document import Document, Source
from schemas.errors import LegacyDoc, NoticeError, TooLarge
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


# ----------------------------------------------------------------------------- LibreOffice


def convert_to_docx(data: bytes, suffix: str, path: str, exe: str) -> bytes:
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
        except OSError as e:
            raise LegacyDoc(f"LibreOffice ({exe}) could not be started: {e.strerror or e}", path) from None
        out = src.with_suffix(".docx")
        if not out.exists() or out.stat().st_size == 0:
            said = (proc.stderr or b"").decode("utf-8", "replace") + (proc.stdout or b"").decode("utf-8", "replace")
            why = " ".join(line.strip() for line in said.splitlines() if line.strip().startswith("Error"))[:200]
            raise LegacyDoc(f"LibreOffice could not convert it{': ' + why if why else ''}", path)
        return out.read_bytes()


def read_with_libreoffice(data: bytes, source: Source, exe: str) -> Document:
    from extractors.readers.docx import read_docx

    path = source.path
    docx = convert_to_docx(data, Path(path).suffix.lower(), path, exe)
    converted = replace(source, warnings=(*source.warnings, "converted from a legacy Word/WPS file with LibreOffice"))
    try:
        return read_docx(docx, converted)
    except TooLarge:
        raise
    except NoticeError as e:
        raise LegacyDoc(f"LibreOffice's DOCX is unreadable: {e.message}", path) from None


# ----------------------------------------------------------------------------- built-in


def what_ole_is(streams: set[str]) -> str:
    """What an OLE file without a WordDocument stream is, from its stream names."""
    if streams & {"workbook", "book"}:
        return "an Excel workbook (.xls), not a Word document"
    if "powerpoint document" in streams:
        return "a PowerPoint presentation (.ppt), not a Word document"
    if any(s.startswith("__substg1.0_") for s in streams) or "__properties_version1.0" in streams:
        return "an Outlook message (.msg), not a Word document: save its attachment"
    if "encryptedpackage" in streams:
        return "a password-protected (encrypted) Office 2007+ file: remove the password and save it again"
    if "contents" in streams or "matost" in streams:
        return "a Microsoft Works (or old WPS 2000) document, not a Word/Kingsoft WPS document: save it as DOCX"
    if "visiodocument" in streams:
        return "a Visio drawing, not a Word document"
    return "an OLE compound file without a WordDocument stream: not a Word/WPS document"


def open_word_streams(data: bytes) -> tuple[bytes, bytes, msdoc.Fib]:
    """The WordDocument and table streams and the FIB; LegacyDoc (message only)
    for what is not a readable Word 97-2003 document."""
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except MemoryError:
        raise
    except Exception as e:  # olefile raises OSError, but struct/index errors escape on damaged headers
        raise LegacyDoc(f"not a readable OLE compound file (truncated or damaged): {e}") from None
    try:
        streams = {"/".join(entry).lower() for entry in ole.listdir()}
        if "worddocument" not in streams:
            raise LegacyDoc(what_ole_is(streams))
        wd = ole.openstream("WordDocument").read()
        fib = msdoc.parse_fib(wd)
        if fib.encrypted:
            raise LegacyDoc("a password-protected (encrypted) Word document: remove the password and save it again")
        if fib.n_fib < msdoc.WORD97_NFIB:
            raise LegacyDoc(f"a Word 6.0/95 document (nFib {fib.n_fib}): only Word 97-2003 files are read without "
                            "LibreOffice")
        if fib.table_stream.lower() not in streams:
            raise LegacyDoc(f"the {fib.table_stream} stream the document needs is missing (damaged file)")
        table = ole.openstream(fib.table_stream).read()
        return wd, table, fib
    except NoticeError:
        raise
    except msdoc.MsDocError as e:
        raise LegacyDoc(str(e)) from None
    except MemoryError:
        raise
    except Exception as e:
        raise LegacyDoc(f"the OLE container is damaged: {type(e).__name__}: {e}") from None
    finally:
        ole.close()


def read_builtin(data: bytes, source: Source, how: str) -> Document:
    wd, table, fib = open_word_streams(data)
    try:
        blocks, warnings = msdoc.read_streams(wd, table, fib)
    except msdoc.MsDocError as e:
        raise LegacyDoc(str(e)) from None
    return Document.of(source, None, number_tables(blocks), [], [how, *warnings])


@register("doc", (".doc", ".wps", ".dot"), sniff_ole, priority=5)
def read_legacy(data: bytes, source: Source) -> Document:
    exe = soffice()
    if exe is None:
        return read_builtin(data, source, "read with the built-in Word 97-2003 reader (LibreOffice is not installed)")
    try:
        return read_with_libreoffice(data, source, exe)
    except LegacyDoc as first:
        try:
            return read_builtin(data, source, f"{first.message}: read with the built-in Word 97-2003 reader instead")
        except LegacyDoc as second:
            raise LegacyDoc(f"{second.message} (and {first.message})", source.path) from None
