"""Readers: any notice file -> the one document model (schemas.document)."""
from extractors.readers.registry import detect_format, read_bytes, read_document, readers, supported_suffixes

__all__ = ["detect_format", "read_bytes", "read_document", "readers", "supported_suffixes"]
