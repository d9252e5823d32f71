"""Generate broken and unusual input files (never committed as binaries).

Each generator writes one file into a folder and returns its path; `CORPUS`
maps a file name to (generator, expected outcome): an error code, or "ok" for
files that must be read. Run as a script to write the corpus somewhere:

    python tests/bad_inputs.py /tmp/bad
"""
from __future__ import annotations

import io
import random
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "notices"
SEED_TXT = SAMPLES / "000_667d92ae8c820e6e.txt"
SEED_PDF = SAMPLES / "000_667d92ae8c820e6e.pdf"
SEED_DOCX = SAMPLES / "001_cbaf9ffe1ea5b1b9.docx"


def _rand(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def zero_bytes(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def random_bytes(path: Path) -> Path:
    path.write_bytes(_rand(5000, hash(path.suffix) & 0xFFFF))
    return path


def truncated_pdf(path: Path) -> Path:
    data = SEED_PDF.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return path


def broken_xref_pdf(path: Path) -> Path:
    data = bytearray(SEED_PDF.read_bytes())
    i = data.rfind(b"startxref")
    data[i + 10 : i + 20] = b"9999999999"  # the xref offset points nowhere
    j = data.find(b"xref")
    data[j : j + 200] = _rand(200, 7)  # and the table itself is garbage
    path.write_bytes(bytes(data))
    return path


def encrypted_pdf(path: Path, user_password: str = "secret", owner_password: str = "owner") -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(str(SEED_PDF)))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="RC4-128")
    with open(path, "wb") as f:
        writer.write(f)
    return path


def owner_password_pdf(path: Path) -> Path:
    """Encrypted with an empty user password: anyone may open and read it."""
    return encrypted_pdf(path, user_password="", owner_password="owner-only")


def image_only_pdf(path: Path) -> Path:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (1240, 1754), "white")
    ImageDraw.Draw(img).rectangle([100, 100, 1100, 300], outline="black", width=5)
    img.save(path, "PDF", resolution=150)
    return path


def gbk_text(path: Path) -> Path:
    path.write_bytes(SEED_TXT.read_text(encoding="utf-8").encode("gbk"))
    return path


def gb18030_text(path: Path) -> Path:
    path.write_bytes(SEED_TXT.read_text(encoding="utf-8").encode("gb18030"))
    return path


def utf16_bom_text(path: Path) -> Path:
    path.write_bytes(SEED_TXT.read_text(encoding="utf-8").encode("utf-16"))
    return path


def utf8_bom_text(path: Path) -> Path:
    path.write_bytes(b"\xef\xbb\xbf" + SEED_TXT.read_bytes())
    return path


def docx_named_pdf(path: Path) -> Path:
    path.write_bytes(SEED_DOCX.read_bytes())
    return path


def docx_not_a_zip(path: Path) -> Path:
    path.write_bytes(b"PK\x03\x04" + _rand(3000, 11))
    return path


def docx_without_document_xml(path: Path) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(SEED_DOCX) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                dst.writestr(info, src.read(info.filename))
    path.write_bytes(buf.getvalue())
    return path


def legacy_doc(path: Path) -> Path:
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + _rand(4096, 3))
    return path


CORPUS = {
    "empty.pdf": (zero_bytes, "empty_file"),
    "random.pdf": (random_bytes, "unsupported_format"),
    "random.docx": (random_bytes, "unsupported_format"),
    "random.txt": (random_bytes, "unsupported_format"),
    "truncated.pdf": (truncated_pdf, "corrupt_pdf"),
    "broken_xref.pdf": (broken_xref_pdf, "ok"),  # pdfium rebuilds a broken xref: the text is readable
    "encrypted.pdf": (encrypted_pdf, "encrypted_pdf"),
    "owner_password_only.pdf": (owner_password_pdf, "ok"),
    "scanned.pdf": (image_only_pdf, "no_text_layer"),
    "gbk.txt": (gbk_text, "ok"),
    "gb18030.txt": (gb18030_text, "ok"),
    "utf16_bom.txt": (utf16_bom_text, "ok"),
    "utf8_bom.txt": (utf8_bom_text, "ok"),
    "really_a_docx.pdf": (docx_named_pdf, "ok"),
    "not_a_zip.docx": (docx_not_a_zip, "corrupt_docx"),
    "no_document_xml.docx": (docx_without_document_xml, "corrupt_docx"),
    "legacy.doc": (legacy_doc, "legacy_doc"),
}


def write_corpus(folder: Path) -> dict[Path, str]:
    folder.mkdir(parents=True, exist_ok=True)
    return {gen(folder / name): expected for name, (gen, expected) in CORPUS.items()}


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "bad_inputs")
    for p, expected in write_corpus(out).items():
        print(f"{expected:20} {p}")
