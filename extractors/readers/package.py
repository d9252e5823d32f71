"""Zip packages (DOCX, OFD): opened with the decompressed-size limit checked first."""
from __future__ import annotations

import io
import zipfile

from schemas.errors import ReadError, ZipBomb
from schemas.settings import setting

# Limit that makes zip bombs harmless (documented in the README).
MAX_UNZIPPED_BYTES = setting("NOTICES_MAX_UNZIPPED_BYTES")


def open_zip(data: bytes, path: str, corrupt: type[ReadError], kind: str) -> zipfile.ZipFile:
    """The package, or `corrupt` ("not a valid KIND (zip) package") / ZipBomb, before
    any part is inflated."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as e:
        raise corrupt(f"not a valid {kind} (zip) package: {e}", path) from None
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED_BYTES:
        raise ZipBomb(f"would inflate to {total:,} bytes (limit {MAX_UNZIPPED_BYTES:,})", path)
    return zf
