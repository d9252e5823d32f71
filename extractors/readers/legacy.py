"""Legacy binary Word (.doc) and WPS files: OLE compound documents.

We cannot read them directly; they are recognised so the error says what they
are instead of "unsupported".
"""
from __future__ import annotations

from extractors.readers.registry import register
from schemas.document import Document
from schemas.errors import LegacyDoc

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def sniff_ole(head: bytes, suffix: str) -> bool:
    return head.startswith(OLE_MAGIC)


@register("doc", (".doc", ".wps"), sniff_ole, priority=5)
def read_legacy(data: bytes, path: str) -> Document:
    raise LegacyDoc("legacy Word/WPS binary (OLE) file: save it as DOCX or PDF, or convert it with LibreOffice", path)
