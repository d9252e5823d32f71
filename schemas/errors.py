"""Typed errors with stable codes.

Every file that cannot be ingested ends in the `errors` table with one of these
codes. The codes are part of the output contract: never rename one; add new
ones. `message` is one line that names the reason; the pipeline adds the file.
"""
from __future__ import annotations


class NoticeError(Exception):
    """Base of every expected failure on a bad input file."""

    code = "error"
    stage = "read"

    def __init__(self, message: str, path: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ReadError(NoticeError):
    stage = "read"


class EmptyFile(ReadError):
    code = "empty_file"


class UnsupportedFormat(ReadError):
    code = "unsupported_format"


class LegacyDoc(ReadError):
    code = "legacy_doc"


class CorruptPdf(ReadError):
    code = "corrupt_pdf"


class EncryptedPdf(ReadError):
    code = "encrypted_pdf"


class NoTextLayer(ReadError):
    code = "no_text_layer"


class NoContent(ReadError):
    """A web page (or MHTML archive) with no text in its body."""

    code = "no_content"


class Timeout(ReadError):
    """A reader's own time limit (OCR of one page); the worker pool's per-file
    limit gives the same code without a page."""

    code = "timeout"


class CorruptDocx(ReadError):
    code = "corrupt_docx"


class CorruptOfd(ReadError):
    code = "corrupt_ofd"


class ZipBomb(ReadError):
    code = "zip_bomb"


class UndecodableText(ReadError):
    code = "undecodable_text"


class TooLarge(ReadError):
    code = "too_large"


class Unreadable(ReadError):
    """The file system refused: permission denied, vanished, a loop."""

    code = "unreadable"


class ConfigError(ValueError):
    """A setting (an environment variable, an option) has a value we cannot use."""


class OutputError(Exception):
    """The output root cannot be written as asked: it is a file, read-only, full,
    or holds tables of another schema or of a newer pipeline. One line naming
    the path and the reason."""


# code -> one-line meaning, for the README.
ERROR_CODES: dict[str, str] = {
    "empty_file": "the file has zero bytes",
    "unsupported_format": "the bytes are no format we read: PDF, OFD, DOCX, Word/WPS, web page, text (whatever the suffix says)",
    "legacy_doc": "a legacy Word .doc / WPS (OLE) file that neither LibreOffice nor the built-in Word 97-2003 reader can read: encrypted, Word 6/95, damaged, or not a Word document (.xls, .ppt, .msg, Works .wps)",
    "corrupt_pdf": "the PDF cannot be parsed (truncated, broken xref, not really a PDF)",
    "encrypted_pdf": "the PDF needs a user password to open",
    "no_text_layer": "the PDF has no text layer and OCR found no text (blank pages) or is off (`--no-ocr`, `NOTICES_OCR=0`)",
    "no_content": "the web page (HTML, MHTML) has no text in its body",
    "corrupt_docx": "the DOCX is not a valid Word package (bad zip, missing word/document.xml)",
    "corrupt_ofd": "the OFD is not a valid package (bad zip, no OFD.xml, broken XML, a page that is not there)",
    "zip_bomb": "the DOCX or OFD package would inflate beyond the decompressed-size limit",
    "undecodable_text": "the text file is binary or in no known Chinese encoding",
    "too_large": "the file or one of its tables exceeds a documented size limit",
    "unreadable": "the file system refused to read the file (permission, loop, vanished)",
    "extract_failed": "the document was read but extraction failed (a bug: please report it)",
    "timeout": "the file took longer than the per-file time limit, or one page longer than the per-page OCR limit",
    "memory_limit": "the file needed more memory than the per-worker cap",
    "worker_crashed": "the worker process died while handling the file",
    "file_changed": "the file changed between being found and being read (still being written?)",
    "outside_input": "a symbolic link to a file outside the input folders (followed only with --follow-symlinks)",
}

# Failures that come from the run rather than from the file's bytes: the run's
# limits and settings (--no-ocr), the machine (LibreOffice missing), a crash, a file being
# written. The next run retries them. The others are facts about the bytes and
# stay skipped until a new pipeline version (or --retry-errors).
RETRIED_CODES = frozenset({
    "unreadable", "too_large", "zip_bomb", "legacy_doc", "no_text_layer", "timeout", "memory_limit", "worker_crashed",
    "file_changed", "outside_input",
})


def markdown() -> str:
    """The README's table of error codes, from the definitions above."""
    rows = ["| code | meaning | the next run |", "|---|---|---|"]
    for code, meaning in ERROR_CODES.items():
        rows.append(f"| `{code}` | {meaning} | {'retries it' if code in RETRIED_CODES else 'skips it'} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
