"""Scanned pages: render with pdfium, recognise with RapidOCR, rebuild like text.

Why RapidOCR: its PyPI wheel ships the PP-OCR detection and recognition models
(onnx, ~30 MB) and runs them on onnxruntime's CPU wheel, so nothing is
downloaded at run time and no system package is needed. We point it at the
bundled model files explicitly: with `model_path` set it never reaches its
download code (it would otherwise re-fetch a model whose checksum differs).

A page is rendered in grayscale at RENDER_DPI; each recognised line comes with a
box per character (RapidOCR's word boxes, from the recogniser's CTC positions),
which become `Char`s in PDF points; a line without them has its box split
evenly over its characters. Ruling lines are found in the same image (long
thin runs of dark pixels), so a scanned table goes through the same table
finder and cell filling as a ruled text-layer table, and the text lines through
the same line grouping and paragraph rebuilding (pdf.build_page).
"""
from __future__ import annotations

import re
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from extractors.readers import pdf as pdf_reader
from extractors.readers.layout import is_cjk
from extractors.readers.pdf import Char

# 150 dpi is what office scanners default to: 10.5 pt table text is ~22 px high,
# plenty for the recogniser (it scales each line to 48 px); a higher DPI only
# makes detection slower, since the detector works on a downscaled page anyway
RENDER_DPI = 150
# the detector sees the page at most this many pixels on its longer side: 960 is
# ~3x faster than the page's full 150 dpi size and finds the same lines on A4
DET_SIDE = 960
MAX_CLOSED_GAP = 0.8  # in character heights: see _line_chars
MIN_SPACE_GAP = 0.33  # in character heights: see _spaced
MIN_TEXT_SCORE = 0.5  # lines the recogniser is less sure of are noise (stamps, specks)
DARK = 160  # grey level below which a pixel is ink, for ruling lines (JPEG blurs thin lines)
MIN_RULE_PT = 30.0  # a ruling is longer than any character stroke (a CJK character is ~10-16 pt)
MAX_RULE_THICK_PT = 3.0  # and thinner than a stroke of bold text

# misreadings with one sure reading, fixed character for character (boxes stay):
# the dashes of a "— 3 —" page number read as 一 or -, so it would not be taken for
# page furniture; the closing bracket of a document number 〔2022〕 read as ] or 】
_PAGE_NUMBER = re.compile(r"[-—一–_~]{1,2}\s*\d{1,4}\s*[-—一–_~]{1,2}")
_DOC_NUMBER_CLOSE = re.compile(r"〔(?:19|20)\d\d([\]】)）])")
_DOC_NUMBER_OPEN = re.compile(r"([\[【(（])(?:19|20)\d\d〕")

# the recogniser often gives ASCII punctuation where Chinese text has full-width
# forms ("各县(市、区）", "部门:"); next to a CJK character the full-width form is
# the one meant (an ASCII one stays between digits or Latin: "16:00", "a.b")
_FULL_WIDTH = {"(": "（", ")": "）", ":": "：", ";": "；", ",": "，", "?": "？", "!": "！"}

_IDEOGRAPH = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

_engine = None


class OcrUnavailable(Exception):
    """rapidocr or onnxruntime is not installed (or cannot load)."""


@dataclass
class OcrPage:
    content: pdf_reader.PageContent
    confidence: float | None  # mean recogniser score over the page's characters; None when it found no text
    seconds: float


def engine():
    """The RapidOCR engine, built once per process (its onnx sessions load on first use)."""
    global _engine
    if _engine is None:
        try:
            import onnxruntime  # noqa: F401  rapidocr imports its engine only on the first page
            import rapidocr
            from rapidocr import RapidOCR
        except Exception as e:  # ImportError, or a broken native library (cv2, onnxruntime)
            raise OcrUnavailable(f"{type(e).__name__}: {e}") from None
        models = Path(rapidocr.__file__).resolve().parent / "models"
        paths = {"Det": "PP-OCRv6_det_small.onnx", "Rec": "PP-OCRv6_rec_small.onnx",
                 "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx"}
        missing = [name for name in paths.values() if not (models / name).is_file()]
        if missing:
            raise OcrUnavailable(f"rapidocr's bundled models are missing ({', '.join(missing)}): "
                                 "a rapidocr version this pipeline does not know?")
        params = {f"{task}.model_path": str(models / name) for task, name in paths.items()}
        params.update({
            "Global.log_level": "critical",  # it logs "content is empty" for a blank page
            "Global.model_root_dir": str(models),
            "Global.use_cls": False,  # scans are upright; the 180-degree classifier costs time per line
            "Global.return_word_box": True,
            "Global.text_score": MIN_TEXT_SCORE,
            # one thread: ingest runs a worker per core, and onnxruntime's own pool on top
            # oversubscribes them (measured: 2.9 CPU-s a page on one thread, 4.0 on two)
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            "Det.limit_type": "max",
            "Det.limit_side_len": DET_SIDE,
        })
        _engine = RapidOCR(params=params)
    return _engine


def render(page, dpi: int = RENDER_DPI) -> np.ndarray:
    """The page as a grayscale image (rows x columns, uint8)."""
    bitmap = page.render(scale=dpi / 72, grayscale=True)
    img = bitmap.to_numpy()
    if img.ndim == 3:  # pdfium may hand back one channel as a third axis
        img = img[:, :, 0]
    return np.ascontiguousarray(img)


def _line_chars(text: str, box, words, scale: float) -> list[Char]:
    """One recognised line -> Chars in points. `words` are (text, score, box)
    per character (CJK) or word (Latin, digits), when the recogniser gave them
    and they spell the line's text; else the line's box is split evenly.

    The recogniser's character boxes are loose (a gap here, an overlap there),
    and a gap between two CJK characters would read as a space: within one
    recognised line, spacing is the recogniser's (its text has a space where it
    saw one), so each character's box is stretched to the next one's (unless
    the gap is wide) and a space in the text becomes a space Char."""
    compact = "".join(text.split())
    if not words or any(w[2] is None for w in words) or "".join(w[0] for w in words) != compact:
        xs, ys = [p[0] for p in box], [p[1] for p in box]
        words = [(text, 1.0, [[min(xs), min(ys)], [max(xs), max(ys)]])]
    chars: list[Char] = []
    for wtext, _, wbox in words:
        xs, ys = [p[0] for p in wbox], [p[1] for p in wbox]
        chars.extend(_split(wtext, min(xs), min(ys), max(xs), max(ys), scale))
    text = _spaced(text, chars)
    for a, b in zip(chars, chars[1:]):
        # a gap wider than most of a character is layout (two cells' text in one
        # detected box, a tab stop): it stays, for the line's spacing rules to see
        if a.x1 < b.x0 < a.x1 + MAX_CLOSED_GAP * (a.bottom - a.top):
            a.x1 = b.x0
    # a space in the recognised text sits between the characters it separates
    out: list[Char] = []
    i = 0
    for pos, ch in enumerate(text.strip()):
        if ch.isspace():
            if out and i < len(chars) and out[-1].text != " ":
                out.append(Char(" ", out[-1].x1, out[-1].top, out[-1].x1, out[-1].bottom))
            continue
        if i < len(chars):
            out.append(chars[i])
            i += 1
    return out + chars[i:]


def is_ideograph(ch: str) -> bool:
    """A Han character, not CJK punctuation (whose box is half blank)."""
    return bool(_IDEOGRAPH.fullmatch(ch))


def _spaced(text: str, chars: list[Char]) -> str:
    """The recognised text with a space where the recogniser left out the one
    printed between two CJK characters ("走进校园 共话教育" in a table cell): a
    gap wider than a third of the line's height and four times the line's usual
    gap between Han characters.
    Gaps next to punctuation are the punctuation's own blank half; a justified
    body line's gaps are all wide, so its usual gap keeps them from counting."""
    if len(chars) < 5 or len(chars) != len("".join(text.split())):
        return text
    height = statistics.median(c.bottom - c.top for c in chars)
    # usual among Han pairs only: a digit run's boxes are split evenly (no gaps) and
    # would make a letter-spaced label ("联 系 电 话：2173053") look spaced
    gaps = [b.x0 - a.x1 for a, b in zip(chars, chars[1:]) if is_ideograph(a.text) and is_ideograph(b.text)]
    if len(gaps) < 4:
        return text
    usual = max(statistics.median(gaps), 0.0)
    out, k = [], 0  # k: index of the next non-space character of text
    for ch in text.strip():
        if ch.isspace():
            out.append(ch)
            continue
        if 0 < k < len(chars) and out and not out[-1].isspace():
            a, b = chars[k - 1], chars[k]
            if (is_ideograph(a.text) and is_ideograph(b.text)
                    and b.x0 - a.x1 > max(MIN_SPACE_GAP * height, 4 * usual + 0.1 * height)):
                out.append(" ")
        out.append(ch)
        k += 1
    return "".join(out)


def _split(text: str, x0: float, top: float, x1: float, bottom: float, scale: float) -> list[Char]:
    """The non-space characters of one box, each an equal share of its width (a
    Latin word recognised as one box, or a line without character boxes)."""
    glyphs = [ch for ch in text if not ch.isspace()]
    if not glyphs:
        return []
    step = (x1 - x0) / len(glyphs)
    return [Char(ch, (x0 + i * step) / scale, top / scale, (x0 + (i + 1) * step) / scale, bottom / scale)
            for i, ch in enumerate(glyphs)]


def _repair(line: list[Char]) -> None:
    for i, c in enumerate(line):
        if c.text in _FULL_WIDTH:
            before = line[i - 1].text if i else ""
            after = line[i + 1].text if i + 1 < len(line) else ""
            if is_cjk(before) or is_cjk(after):
                c.text = _FULL_WIDTH[c.text]
    text = "".join(c.text for c in line)
    if _PAGE_NUMBER.fullmatch(text):
        for c in line:
            if not c.text.isdigit() and not c.text.isspace():
                c.text = "—"
        return
    for m in _DOC_NUMBER_CLOSE.finditer(text):
        line[m.start(1)].text = "〕"
    for m in _DOC_NUMBER_OPEN.finditer(text):
        line[m.start(1)].text = "〔"


def _even_heights(lines: list[list[Char]]) -> None:
    """Give lines of about the page's usual height exactly that height, about
    their centre. The detector's boxes of lines in one font size differ by up to
    a fifth, and paragraph rebuilding reads a change of height as a change of
    font size (a title after body text); a title's lines stay as they are."""
    heights = [ln[0].bottom - ln[0].top for ln in lines]
    if len(heights) < 3:
        return
    usual = statistics.median(heights)
    for ln, h in zip(lines, heights):
        if abs(h - usual) <= 0.2 * usual:
            mid = (ln[0].top + ln[0].bottom) / 2
            for c in ln:
                c.top, c.bottom = mid - usual / 2, mid + usual / 2


def rulings(img: np.ndarray, scale: float) -> list[dict]:
    """Horizontal and vertical ruling lines in a grayscale page image, as edges in
    points: runs of ink at least MIN_RULE_PT long and at most MAX_RULE_THICK_PT
    thick. A morphological opening with a long thin kernel keeps only such runs
    (text strokes are shorter), then each connected run is one edge."""
    import cv2

    ink = (img < DARK).astype(np.uint8)
    length = max(int(MIN_RULE_PT * scale), 3)
    thick = MAX_RULE_THICK_PT * scale
    edges: list[dict] = []
    for horizontal in (True, False):
        kernel = np.ones((1, length) if horizontal else (length, 1), np.uint8)
        runs = cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)
        n, _, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
        for x, y, w, h, _area in stats[1:n]:
            if horizontal and h <= thick:
                ym = (y + h / 2) / scale
                edges.append(pdf_reader.edge(x / scale, ym, (x + w) / scale, ym))
            elif not horizontal and w <= thick:
                xm = (x + w / 2) / scale
                edges.append(pdf_reader.edge(xm, y / scale, xm, (y + h) / scale))
    return edges


def ocr_page(page, number: int, dpi: int = RENDER_DPI) -> OcrPage:
    """Recognise one pdfium page -> its lines and tables, as build_page makes them."""
    t0 = time.perf_counter()
    width, height = page.get_width(), page.get_height()
    img = render(page, dpi)
    scale = img.shape[1] / width  # pixels per point, from the bitmap actually rendered
    result = engine()(img)
    lines: list[list[Char]] = []
    scores: list[tuple[float, int]] = []
    if result.txts:
        words = result.word_results if len(result.word_results) == len(result.txts) else [None] * len(result.txts)
        for text, box, score, wds in zip(result.txts, result.boxes, result.scores, words):
            line = _line_chars(text, box.tolist(), wds, scale)
            if line:
                _repair(line)
                lines.append(line)
                scores.append((float(score), len(line)))
    _even_heights(lines)
    chars = [c for line in lines for c in line]
    content = pdf_reader.build_page(number, width, height, chars, rulings(img, scale))
    total = sum(n for _, n in scores)
    confidence = sum(s * n for s, n in scores) / total if total else None
    return OcrPage(content, confidence, time.perf_counter() - t0)


def mean_confidence(pages: list[OcrPage]) -> float | None:
    values = [p.confidence for p in pages if p.confidence is not None]
    return statistics.fmean(values) if values else None
