"""Build Word 97-2003 (.doc) renderings of the sample DOCX notices.

Each samples/notices/NAME.docx becomes samples/formats/NAME.doc, converted by
LibreOffice headless ("MS Word 97" filter), so the legacy reader is tested on
the binary format a real Word/WPS install writes: a piece table, table rows
marked in the paragraph properties, merged cells in the row properties.

Rebuild (needs LibreOffice; Debian: libreoffice-writer-nogui fonts-noto-cjk):

    python samples/build_doc.py

The generated files are committed, so tests never need LibreOffice. No .wps
is built: LibreOffice reads Kingsoft .wps but cannot write it.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOTICES = HERE / "notices"
FORMATS = HERE / "formats"


def convert(docx: Path, out_dir: Path, exe: str) -> Path:
    with tempfile.TemporaryDirectory(prefix="build-doc-") as tmp:
        subprocess.run(
            [exe, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--norestore",
             "--convert-to", "doc:MS Word 97", "--outdir", tmp, str(docx)],
            check=True, capture_output=True, timeout=300, stdin=subprocess.DEVNULL,
        )
        made = Path(tmp) / (docx.stem + ".doc")
        if not made.exists():
            raise SystemExit(f"LibreOffice made no .doc of {docx.name}")
        target = out_dir / made.name
        shutil.copyfile(made, target)
        return target


def main() -> None:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise SystemExit("LibreOffice (soffice) is not on the PATH")
    FORMATS.mkdir(exist_ok=True)
    for docx in sorted(NOTICES.glob("*.docx")):
        print(convert(docx, FORMATS, exe).relative_to(HERE.parent), file=sys.stderr)


if __name__ == "__main__":
    main()
