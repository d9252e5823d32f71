"""Reader speed on the bundled samples: prints figures, asserts nothing.

For the PDFs it times, side by side in one run and warm (each method runs once
before timing, so imports and caches are not counted):

* ours: extractors.readers.pdf.read_pdf (text, tables, stitching, repairs);
* pdfplumber: page.extract_text() + page.extract_tables() on every page;
* pypdfium2: textpage.get_text_range() on every page (the practical floor).

Each repetition runs the three methods in turn over all sample PDFs; the
figures are medians over repetitions.

    python bench/readers.py [--repeat 7]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pdfplumber  # noqa: E402
import pypdfium2  # noqa: E402

from extractors.notice import extract_notice  # noqa: E402
from extractors.readers.registry import read_bytes  # noqa: E402

SAMPLES = ROOT / "samples" / "notices"


def ours(data: bytes, path: str) -> None:
    read_bytes(data, path)


def ours_and_extraction(data: bytes, path: str) -> None:
    extract_notice(read_bytes(data, path))


def plumber(data: bytes, path: str) -> None:
    import io

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.extract_tables()
            page.close()


def pdfium_text(data: bytes, path: str) -> None:
    pdf = pypdfium2.PdfDocument(data)
    for i in range(len(pdf)):
        page = pdf[i]
        tp = page.get_textpage()
        tp.get_text_range()
        tp.close()
        page.close()
    pdf.close()


def time_all(fn, files: list[tuple[bytes, str]]) -> float:
    t0 = time.perf_counter()
    for data, path in files:
        fn(data, path)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    os.environ["NOTICES_SOFFICE"] = "none"  # time our Word 97 reader, not a LibreOffice start

    pdfs = [(p.read_bytes(), str(p)) for p in sorted(SAMPLES.glob("*.pdf"))]
    pages = sum(len(pypdfium2.PdfDocument(d)) for d, _ in pdfs)
    methods = {"ours (read_pdf)": ours, "ours read + extraction": ours_and_extraction,
               "pdfplumber text+tables": plumber, "pypdfium2 raw text": pdfium_text}
    for fn in methods.values():  # warm: imports, font caches, dictionaries
        time_all(fn, pdfs)
    runs: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(args.repeat):
        for name, fn in methods.items():
            runs[name].append(time_all(fn, pdfs))
    med = {name: statistics.median(v) for name, v in runs.items()}

    print(f"PDF: {len(pdfs)} files, {pages} pages, median of {args.repeat} warm runs")
    print(f"{'method':26} {'total s':>9} {'ms/page':>8} {'pages/s':>8}")
    for name, t in med.items():
        print(f"{name:26} {t:9.3f} {1000 * t / pages:8.1f} {pages / t:8.0f}")
    base = med["pdfplumber text+tables"]
    print(f"speed-up of ours over pdfplumber text+tables: {base / med['ours (read_pdf)']:.1f}x")
    print(f"ours vs the pypdfium2 floor: {med['ours (read_pdf)'] / med['pypdfium2 raw text']:.1f}x the floor's time")
    extra = med["ours read + extraction"] / med["ours (read_pdf)"] - 1
    print(f"extraction adds {100 * extra:.0f}% to reading (target: at most 20%)")

    print()
    print(f"{'format':8} {'files':>5} {'pages':>6} {'ms/file':>8} {'pages/s':>8}")
    formats = SAMPLES.parent / "formats"  # the same notices as web pages, OFD, Word 97 and repaired DOCX
    borderless = SAMPLES.parent / "borderless"
    for label, folder, fmt in (("pdf", SAMPLES, "pdf"), ("docx", SAMPLES, "docx"), ("txt", SAMPLES, "txt"),
                               ("html", formats, "html"), ("ofd", formats, "ofd"), ("doc", formats, "doc"),
                               ("docx*", formats, "docx"), ("pdf-nb", borderless, "pdf")):
        files = [(p.read_bytes(), str(p)) for p in sorted(folder.glob(f"*.{fmt}"))]
        if not files:
            continue
        fmt = label
        time_all(ours, files)
        t = statistics.median(time_all(ours, files) for _ in range(args.repeat))
        docs = [read_bytes(d, p) for d, p in files]
        n_pages = sum(d.page_count or 0 for d in docs)
        pps = f"{n_pages / t:8.0f}" if n_pages else f"{'n/a':>8}"
        print(f"{fmt:8} {len(files):5d} {n_pages or '-':>6} {1000 * t / len(files):8.1f} {pps}")
    print("docx* = DOCX that need repair (dangling relationships); pdf-nb = PDFs without table borders;"
          " doc = the built-in Word 97 reader with NOTICES_SOFFICE=none")


if __name__ == "__main__":
    main()
