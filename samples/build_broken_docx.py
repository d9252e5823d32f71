"""Build DOCX files that Word and WPS open but python-docx refuses, in samples/formats/*.docx.

Each is a sample DOCX (samples/notices/) with what real files carry: an image
relationship whose target is missing (WPS writes Target="../NULL" for an image it
could not embed) and, for some, a relationship to a header part that is not in the
package. The reader must read them with a warning, not quarantine them.

    python samples/build_broken_docx.py
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "formats"
IMAGE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
HEADER = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header"


def dangle(docx: bytes, with_missing_header: bool) -> bytes:
    extra = f'<Relationship Id="rIdNull1" Type="{IMAGE}" Target="../NULL"/>'
    if with_missing_header:
        extra += f'<Relationship Id="rIdNull2" Type="{HEADER}" Target="header9.xml"/>'
    src = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "word/_rels/document.xml.rels":
                body = body.replace(b"</Relationships>", extra.encode() + b"</Relationships>")
            dst.writestr(zipfile.ZipInfo(info.filename, info.date_time), body, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for k, path in enumerate(sorted((HERE / "notices").glob("*.docx"))):
        target = OUT / path.name
        target.write_bytes(dangle(path.read_bytes(), with_missing_header=k % 2 == 1))
        print("wrote", target.relative_to(HERE.parent))


if __name__ == "__main__":
    main()
