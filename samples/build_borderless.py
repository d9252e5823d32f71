"""Borderless copies of the sample PDFs (samples/notices/*.pdf) in samples/borderless/.

Many notices print their schedule without ruling lines: the columns are only
aligned by whitespace. To test the reader's borderless table finder
(extractors/readers/borderless.py) on the samples' own tables, this script
removes the painted paths that draw the table borders (axis-parallel strokes and
outlines) from each page's content stream with pypdf, and saves the copy under
the same stem. Text objects are untouched, so the text layer, and
with it the gold (samples/gold/), still holds.

    python samples/build_borderless.py            # every sample PDF
    python samples/build_borderless.py 000_667d92ae8c820e6e

The generated files are committed, so tests never run this. The script checks
each copy with pdfplumber: no lines or rects left, the same characters as the
original.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pdfplumber
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ContentStream

ROOT = Path(__file__).resolve().parent
SRC = ROOT / "notices"
DST = ROOT / "borderless"


PATH_OPS = {b"m", b"l", b"c", b"v", b"y", b"h", b"re"}
PAINT_OPS = {b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}
CURVES = {b"c", b"v", b"y"}


def _is_border(path: list[tuple[list, bytes]]) -> bool:
    """A painted path that is a table border: straight, axis-parallel segments
    and rectangles only. Curves and diagonals are kept (a seal, a logo)."""
    prev = None
    for args, op in path:
        if op in CURVES:
            return False
        if op == b"m":
            prev = (float(args[0]), float(args[1]))
        elif op == b"l":
            pt = (float(args[0]), float(args[1]))
            if prev is not None and abs(pt[0] - prev[0]) > 0.5 and abs(pt[1] - prev[1]) > 0.5:
                return False  # a diagonal: a drawing
            prev = pt
    return True


def strip_operations(operations: list[tuple[list, bytes]]) -> tuple[list[tuple[list, bytes]], int]:
    """The content stream's operations without the painted border paths. A path
    is its construction operators up to the painting one; a clipping path
    (ended by `n`) draws nothing and stays."""
    out: list[tuple[list, bytes]] = []
    path: list[tuple[list, bytes]] = []
    removed = 0
    for args, op in operations:
        if op in PATH_OPS:
            path.append((args, op))
        elif op in PAINT_OPS and path and _is_border(path):
            path = []
            removed += 1
        else:
            out.extend(path)
            path = []
            out.append((args, op))
    out.extend(path)
    return out, removed


def strip_borders(src: Path, dst: Path) -> int:
    """Copy `src` to `dst` without its border paths; returns how many were removed.

    pypdf edits the content stream in place. pdfium's FPDFPage_RemoveObject +
    FPDFPage_GenerateContent was tried first: it re-encodes the text objects and
    scrambles the glyphs of these CID fonts (一 became 二), so it is not used."""
    reader = PdfReader(src)
    writer = PdfWriter(clone_from=reader)
    removed = 0
    for page in writer.pages:
        stream = ContentStream(page.get_contents(), writer)
        stream.operations, n = strip_operations(stream.operations)
        removed += n
        page.replace_contents(stream)
        page.compress_content_streams()  # keep the committed copies as small as the originals
    with open(dst, "wb") as fh:
        writer.write(fh)
    return removed


def check(src: Path, dst: Path) -> None:
    """No ruling left, and the same characters in the same places."""
    with pdfplumber.open(src) as a, pdfplumber.open(dst) as b:
        assert len(a.pages) == len(b.pages), dst.name
        for pa, pb in zip(a.pages, b.pages):
            assert not pb.lines and not pb.rects, f"{dst.name} page {pb.page_number}: ruling left"
            ta = [(c["text"], round(c["x0"], 1), round(c["top"], 1)) for c in pa.chars]
            tb = [(c["text"], round(c["x0"], 1), round(c["top"], 1)) for c in pb.chars]
            assert sorted(ta) == sorted(tb), f"{dst.name} page {pb.page_number}: text changed"


def main(stems: list[str]) -> None:
    DST.mkdir(exist_ok=True)
    sources = [SRC / f"{s}.pdf" for s in stems] if stems else sorted(SRC.glob("*.pdf"))
    for src in sources:
        dst = DST / src.name
        n = strip_borders(src, dst)
        check(src, dst)
        print(f"{dst.relative_to(ROOT.parent)}: {n} border paths removed, {dst.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
