"""Generate broken, unusual and hostile input files (never committed as binaries).

Each generator writes one file into a folder and returns its path. `CORPUS`
maps a file name to (generator, expected outcome) for what the *readers* see:
an error code, or "ok" for files that must be read. `FOLDER_CORPUS` adds what
only a folder walk meets (symlink loops, pipes, unreadable files, very large
files) with the outcome *ingest* must give. Run as a script to write it all:

    python tests/bad_inputs.py /tmp/bad
"""
from __future__ import annotations

import io
import os
import random
import sys
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "notices"
SEED_TXT = SAMPLES / "000_667d92ae8c820e6e.txt"
SEED_PDF = SAMPLES / "000_667d92ae8c820e6e.pdf"
SEED_DOCX = SAMPLES / "001_cbaf9ffe1ea5b1b9.docx"


def _rand(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def _seed(path: Path) -> int:
    """A seed of the file's name: every generated file has bytes of its own (two
    files with the same bytes would be one notice), the same in every run."""
    return zlib.crc32(path.name.encode("utf-8"))


def zero_bytes(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def random_bytes(path: Path) -> Path:
    path.write_bytes(_rand(5000, _seed(path)))
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


def scanned_page_pdf(path: Path) -> Path:
    """The first page of a scanned sample (samples/scans): an image with text, read by OCR."""
    import pypdfium2

    src = pypdfium2.PdfDocument(ROOT / "samples" / "scans" / SEED_PDF.name)
    out = pypdfium2.PdfDocument.new()
    out.import_pages(src, [0])
    out.save(path)
    out.close()
    src.close()
    return path


def gbk_text(path: Path) -> Path:
    path.write_bytes(SEED_TXT.read_text(encoding="utf-8").encode("gbk"))
    return path


GB18030_ONLY = "\n注：㐀𠀋\n"  # CJK Extension A and B: four-byte sequences that GBK lacks


def gb18030_text(path: Path) -> Path:
    path.write_bytes((SEED_TXT.read_text(encoding="utf-8") + GB18030_ONLY).encode("gb18030"))
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
    """A real Word 97 .doc: the seed DOCX as LibreOffice saved it (samples/build_doc.py)."""
    path.write_bytes((ROOT / "samples" / "formats" / (SEED_DOCX.stem + ".doc")).read_bytes())
    return path


def ole_junk(path: Path) -> Path:
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + _rand(4096, _seed(path)))
    return path


def _docx_with(path: Path, edit) -> Path:
    """The seed DOCX with its word/document.xml changed by `edit` (str -> str)."""
    with zipfile.ZipFile(SEED_DOCX) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/document.xml":
                data = edit(data.decode("utf-8")).encode("utf-8")
            dst.writestr(info.filename, data)
    return path


def gridspan_not_a_number(path: Path) -> Path:
    return _docx_with(path, lambda x: x.replace("<w:tcPr>", '<w:tcPr><w:gridSpan w:val="two"/>', 1))


def gridspan_huge(path: Path) -> Path:
    """A span of a billion columns: building that row would need tens of GB."""
    return _docx_with(path, lambda x: x.replace("<w:tcPr>", '<w:tcPr><w:gridSpan w:val="1000000000"/>', 1))


def million_grid_columns(path: Path) -> Path:
    """A table grid that declares a million columns (a few KB compressed)."""
    return _docx_with(path, lambda x: x.replace("<w:tblGrid>", "<w:tblGrid>" + '<w:gridCol w:w="1"/>' * 1_000_000, 1))


def huge_document_xml(path: Path, paragraphs: int = 2_000_000) -> Path:
    """A DOCX of a few hundred KB whose document.xml (~80 MB of paragraphs, under
    the zip-bomb limit) needs gigabytes to parse into a tree."""
    with zipfile.ZipFile(SEED_DOCX) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                dst.writestr(info.filename, src.read(info.filename))
                continue
            head, tail = src.read(info.filename).decode("utf-8").split("<w:body>", 1)
            with dst.open("word/document.xml", "w", force_zip64=True) as f:
                f.write((head + "<w:body>").encode("utf-8"))
                chunk = ("<w:p><w:r><w:t>市教育局</w:t></w:r></w:p>" * 10_000).encode("utf-8")
                for _ in range(paragraphs // 10_000):
                    f.write(chunk)
                f.write(tail.encode("utf-8"))
    return path


def zip_bomb(path: Path, gib: int = 2) -> Path:
    """A DOCX of ~10 MB whose word/document.xml inflates to `gib` GiB of zeros."""
    with zipfile.ZipFile(SEED_DOCX) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                dst.writestr(info, src.read(info.filename))
        info = zipfile.ZipInfo("word/document.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(info, "w", force_zip64=True) as f:
            chunk = b"\0" * (1 << 24)
            for _ in range(gib * 64):
                f.write(chunk)
    return path


def mixed_endings_with_nul(path: Path) -> Path:
    text = SEED_TXT.read_text(encoding="utf-8")
    lines = text.split("\n")
    out = b"".join(line.encode("utf-8") + (b"\r\n", b"\r", b"\n")[i % 3] for i, line in enumerate(lines))
    out = out.replace("。".encode(), "。".encode() + b"\x00", 3)
    path.write_bytes(out)
    return path


def big_text(path: Path, mb: int = 50) -> Path:
    """About `mb` MB of running text (notice body paragraphs repeated)."""
    body = (SAMPLES / "003_fe15d2c5fde5f51a.txt").read_text(encoding="utf-8").encode("utf-8")
    with open(path, "wb") as f:
        written = 0
        while written < mb * 1_000_000:
            f.write(body)
            written += len(body)
    return path


def pages_pdf(path: Path, pages: int = 500) -> Path:
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(str(SAMPLES / "003_fe15d2c5fde5f51a.pdf"))
    writer = PdfWriter()
    for i in range(pages):
        writer.add_page(reader.pages[i % len(reader.pages)])
    with open(path, "wb") as f:
        writer.write(f)
    return path


def _pdf(content: bytes, width: int = 595, height: int = 842) -> bytes:
    """A one-page PDF drawing `content` (a flate-compressed content stream), with Helvetica as F1."""
    stream = zlib.compress(content, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
        % (width, height),
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for k, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % k + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def ruled_grid_pdf(path: Path, n: int = 460, step: float = 4.0) -> Path:
    """A few KB of PDF whose page draws an n x n ruling grid (lines `step` pt
    apart, on a page made big enough): n*n cells for a table finder."""
    size = int(n * step + 100)
    lines = [b"BT /F1 8 Tf 40 %d Td (grid) Tj ET" % (size - 30), b"0.1 w"]
    for k in range(n + 1):
        at = 50 + k * step
        lines.append(b"%.2f 50 m %.2f %.2f l" % (at, at, 50 + n * step))
        lines.append(b"50 %.2f m %.2f %.2f l" % (at, 50 + n * step, at))
    lines.append(b"S")
    path.write_bytes(_pdf(b"\n".join(lines), size, size))
    return path


def plain_copy(path: Path) -> Path:
    path.write_bytes((SAMPLES / "004_55053ed01a992ddd.txt").read_bytes().replace(b"2021", b"2021 ", 1))
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
    "scanned.pdf": (image_only_pdf, "no_text_layer"),  # a box and no text: OCR finds none either
    "scanned_page.pdf": (scanned_page_pdf, "ok"),  # no text layer, text in the image: OCR reads it
    "gbk.txt": (gbk_text, "ok"),
    "gb18030.txt": (gb18030_text, "ok"),
    "utf16_bom.txt": (utf16_bom_text, "ok"),
    "utf8_bom.txt": (utf8_bom_text, "ok"),
    "really_a_docx.pdf": (docx_named_pdf, "ok"),
    "not_a_zip.docx": (docx_not_a_zip, "corrupt_docx"),
    "no_document_xml.docx": (docx_without_document_xml, "corrupt_docx"),
    "legacy.doc": (legacy_doc, "ok"),  # LibreOffice where installed, else the built-in Word 97 reader
    "kingsoft.wps": (ole_junk, "legacy_doc"),  # OLE magic, no readable container: neither path reads it
    "zip_bomb.docx": (zip_bomb, "zip_bomb"),
    "gridspan_two.docx": (gridspan_not_a_number, "ok"),
    "gridspan_billion.docx": (gridspan_huge, "ok"),
    "million_grid_columns.docx": (million_grid_columns, "ok"),
    "ruled_grid_460.pdf": (ruled_grid_pdf, "too_large"),
    "mixed_endings_nul.txt": (mixed_endings_with_nul, "ok"),
    "通知 附件 “引号” 'q'.txt": (plain_copy, "ok"),
}

# what only a folder walk meets: name -> (maker(folder) -> paths, expected ingest outcome per path)
# outcomes: "ingested", "skipped" (duplicate), or an error code


def _symlink_loop(folder: Path) -> dict[Path, str]:
    a, b = folder / "loop_a.txt", folder / "loop_b.txt"
    os.symlink(b.name, a)
    os.symlink(a.name, b)
    os.symlink(".", folder / "loop_dir")  # a folder that contains itself: not followed
    return {a: "unreadable", b: "unreadable"}


def _dangling(folder: Path) -> dict[Path, str]:
    p = folder / "dangling.pdf"
    os.symlink("no_such_target.pdf", p)
    return {p: "unreadable"}


def _fifo(folder: Path) -> dict[Path, str]:
    p = folder / "pipe.txt"
    os.mkfifo(p)
    return {p: "unsupported_format"}


def _no_permission(folder: Path) -> dict[Path, str]:
    p = folder / "no_permission.txt"
    p.write_bytes((SAMPLES / "003_fe15d2c5fde5f51a.txt").read_bytes() + b"\n")
    p.chmod(0)
    # root reads whatever the permission bits say: then the file is simply ingested
    return {p: "ingested" if os.geteuid() == 0 else "unreadable"}


def _big_text(folder: Path) -> dict[Path, str]:
    return {big_text(folder / "big_50mb.txt"): "ingested"}


def _many_pages(folder: Path) -> dict[Path, str]:
    return {pages_pdf(folder / "pages_500.pdf"): "ingested"}


def _not_a_notice_type(folder: Path) -> dict[Path, str]:
    p = folder / "data.xlsx"
    p.write_bytes(b"PK\x03\x04" + _rand(100, 5))
    q = folder / "README"
    q.write_text("not a notice", encoding="utf-8")
    return {p: "unsupported_format", q: "unsupported_format"}


FOLDER_CORPUS = {
    "symlink_loop": _symlink_loop,
    "dangling_symlink": _dangling,
    "fifo": _fifo,
    "no_permission": _no_permission,
    "big_text": _big_text,
    "many_pages": _many_pages,
    "not_a_notice_type": _not_a_notice_type,
}

_READ_TO_INGEST = {"ok": "ingested"}


def write_folder_corpus(folder: Path) -> dict[Path, str]:
    """The whole corpus in one folder, with the outcome ingest must give each path."""
    folder.mkdir(parents=True, exist_ok=True)
    expected = {gen(folder / name): _READ_TO_INGEST.get(outcome, outcome) for name, (gen, outcome) in CORPUS.items()}
    for make in FOLDER_CORPUS.values():
        expected.update(make(folder))
    return expected


def write_corpus(folder: Path) -> dict[Path, str]:
    folder.mkdir(parents=True, exist_ok=True)
    return {gen(folder / name): expected for name, (gen, expected) in CORPUS.items()}


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "bad_inputs")
    for p, expected in write_folder_corpus(out).items():
        print(f"{expected:20} {p}")
