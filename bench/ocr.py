"""OCR accuracy and speed on the scanned samples: prints figures, asserts nothing.

For each page of samples/scans/*.pdf (image-only renderings of samples/notices/*.pdf,
made by samples/build_scans.py) it compares the OCR reader's text with the text
layer of the same page of the original PDF:

* truth: the original page read by the PDF reader (extractors.readers.pdf.read_page),
  OCR: the scanned page read by extractors.readers.ocr.ocr_page; both go through
  the same line grouping and table filling, so reading order is the same;
* both texts NFKC-normalised (full- and half-width punctuation are one) and
  without whitespace (spacing is layout, not recognition);
* characters correct = 1 - Levenshtein distance / characters of the truth,
  over all pages (errors summed), with the worst pages listed;
* pages per second = 1 / median seconds per page (render, OCR, rulings, layout),
  warm: one page is read before timing, so model loading is not counted; and
  the median CPU seconds per page, which other load on the machine does not
  stretch (onnxruntime runs on one thread: see extractors/readers/ocr.py).

    python bench/ocr.py [--files 002,004] [--pages 10]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pypdfium2  # noqa: E402
from rapidfuzz.distance import Levenshtein  # noqa: E402

from extractors.readers import ocr  # noqa: E402
from extractors.readers.pdf import PageContent, read_page  # noqa: E402

SAMPLES = ROOT / "samples" / "notices"
SCANS = ROOT / "samples" / "scans"


def page_text(content: PageContent) -> str:
    parts = [ln.text for ln in content.lines]
    for t in content.tables:
        parts.extend(c.text for row in t.part.grid for c in row if c is not None)
    text = unicodedata.normalize("NFKC", "".join(parts))
    return "".join(text.split())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", help="comma-separated name prefixes (default: every scan)")
    ap.add_argument("--pages", type=int, default=0, help="at most this many pages per file (default: all)")
    args = ap.parse_args()
    scans = sorted(SCANS.glob("*.pdf"))
    if args.files:
        scans = [s for s in scans if any(s.name.startswith(f) for f in args.files.split(","))]
    if not scans:
        sys.exit("no scans: run python samples/build_scans.py")

    warm = pypdfium2.PdfDocument(scans[0])
    ocr.ocr_page(warm[0], 1)
    warm.close()

    errors = truth_chars = 0
    seconds: list[float] = []
    cpu: list[float] = []
    per_page: list[tuple[float, str]] = []
    for scan in scans:
        original = pypdfium2.PdfDocument(SAMPLES / scan.name)
        scanned = pypdfium2.PdfDocument(scan)
        n = len(scanned) if not args.pages else min(args.pages, len(scanned))
        for i in range(n):
            truth = page_text(read_page(original[i], i + 1))
            t0, c0 = time.perf_counter(), time.process_time()
            done = ocr.ocr_page(scanned[i], i + 1)
            seconds.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            got = page_text(done.content)
            dist = Levenshtein.distance(truth, got)
            errors += dist
            truth_chars += len(truth)
            per_page.append((1 - dist / max(len(truth), 1), f"{scan.stem} p{i + 1}"))
        original.close()
        scanned.close()

    median = statistics.median(seconds)
    print(f"OCR on {len(seconds)} scanned pages of {len(scans)} files ({ocr.RENDER_DPI} dpi, "
          f"detector at {ocr.DET_SIDE} px)")
    print(f"characters correct: {1 - errors / truth_chars:.2%} ({truth_chars - errors:,} of {truth_chars:,}; "
          f"{errors:,} edits)")
    print("worst pages: " + ", ".join(f"{name} {acc:.1%}" for acc, name in sorted(per_page)[:5]))
    print(f"speed: {1 / median:.2f} pages/s (median {median:.2f} s a page, "
          f"min {min(seconds):.2f}, max {max(seconds):.2f}); CPU {statistics.median(cpu):.2f} s a page "
          f"(median; what a busy machine cannot stretch)")


if __name__ == "__main__":
    main()
