"""Build scanned and mixed renderings of the sample PDFs, for the OCR reader.

* samples/scans/NAME.pdf: every page of samples/notices/NAME.pdf rendered to a
  grayscale JPEG and put back as an image-only page (no text layer at all), as
  a scanner or "print to image" makes them;
* samples/mixed/NAME.pdf: the same, but only every other page (2, 4, ...) is
  an image; the others keep their text layer, as a notice with a scanned page
  or attachment does.

Pages keep their size in points, so OCR'd coordinates compare with the text
layer's. Grayscale JPEG at 150 dpi keeps the files small (they are committed)
and is what office scanners produce by default; it is also the DPI the reader
renders scans at.

    python samples/build_scans.py [--dpi 150] [--quality 40]

Only pypdfium2 and Pillow (both come with pdfplumber) are needed.
"""
from __future__ import annotations

import argparse
import io
from pathlib import Path

import pypdfium2 as pdfium

HERE = Path(__file__).resolve().parent
NOTICES = HERE / "notices"


def _jpeg(page, dpi: int, quality: int) -> bytes:
    img = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, optimize=True, progressive=True)
    return buf.getvalue()


def _image_page(out: pdfium.PdfDocument, index: int, jpeg: bytes, width: float, height: float) -> None:
    page = out.new_page(width, height, index=index)
    img = pdfium.PdfImage.new(out)
    img.load_jpeg(io.BytesIO(jpeg), inline=False, autoclose=True)
    img.set_matrix(pdfium.PdfMatrix().scale(width, height))
    page.insert_obj(img)
    page.gen_content()
    page.close()


def build(src: Path, dest: Path, scanned, dpi: int, quality: int) -> None:
    """Write dest: src's pages, those for which scanned(page number) is true as images."""
    pdf = pdfium.PdfDocument(src)
    out = pdfium.PdfDocument.new()
    try:
        kept = [i for i in range(len(pdf)) if not scanned(i + 1)]
        if kept:  # in one call, so the fonts the pages share are copied once
            out.import_pages(pdf, kept)
        for i in range(len(pdf)):
            if i not in kept:
                page = pdf[i]
                width, height = page.get_size()
                jpeg = _jpeg(page, dpi, quality)
                page.close()
                _image_page(out, i, jpeg, width, height)
        dest.parent.mkdir(parents=True, exist_ok=True)
        out.save(dest)
    finally:
        out.close()
        pdf.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dpi", type=int, default=150)
    ap.add_argument("--quality", type=int, default=40)
    args = ap.parse_args()
    total = 0
    for src in sorted(NOTICES.glob("*.pdf")):
        for folder, scanned in (("scans", lambda n: True), ("mixed", lambda n: n % 2 == 0)):
            dest = HERE / folder / src.name
            build(src, dest, scanned, args.dpi, args.quality)
            total += dest.stat().st_size
            print(f"{dest.relative_to(HERE.parent)}: {dest.stat().st_size / 1024:.0f} KiB")
    print(f"total {total / 1024 / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
