"""Render the sample PDFs (samples/notices/*.pdf) to OFD files in samples/formats/.

OFD (GB/T 33190) is what many offices publish next to, or instead of, a PDF.
Each page's glyphs (pdfplumber: character, font, size, baseline origin) become
TextObjects, one per run of glyphs on a baseline in one font, with the glyph
steps in DeltaX (repeated steps written "g N v" as producers do); the lines that
draw table borders become PathObjects; fonts are listed in PublicRes.xml. The
last page carries a seal: an ImageObject over a small PNG in Res/, which the
reader must ignore and report.

The OFD reader never sees this script's knowledge: it reads the XML as it would
read any producer's.

    python samples/build_ofd.py            # every sample PDF
    python samples/build_ofd.py 000_667d92ae8c820e6e

The generated files are committed (and byte-for-byte reproducible: fixed zip
dates), so tests never run this.
"""
from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import pdfplumber
from lxml import etree
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent
NS = "http://www.ofdspec.org/2016"
MM_PER_PT = 25.4 / 72
ZIP_DATE = (2024, 1, 1, 0, 0, 0)


def E(tag: str, attrs: dict | None = None, text: str | None = None, *children):
    el = etree.Element(f"{{{NS}}}{tag}", nsmap={"ofd": NS})
    for k, v in (attrs or {}).items():
        el.set(k, str(v))
    if text is not None:
        el.text = text
    for c in children:
        el.append(c)
    return el


def mm(pt: float) -> str:
    return f"{pt * MM_PER_PT:.3f}".rstrip("0").rstrip(".")


def num(v: float) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".") or "0"


def delta_list(steps: list[float]) -> str:
    """Steps in mm, runs of one value written "g N v" (the OFD shorthand)."""
    vals = [num(s * MM_PER_PT) for s in steps]
    out: list[str] = []
    i = 0
    while i < len(vals):
        j = i
        while j < len(vals) and vals[j] == vals[i]:
            j += 1
        out.extend(["g", str(j - i), vals[i]] if j - i >= 3 else vals[i:j])
        i = j
    return " ".join(out)


def font_name(pdf_font: str) -> str:
    return pdf_font.split("+", 1)[-1]  # drop the subset tag (BAAAAA+)


def runs(chars: list[dict]) -> list[list[dict]]:
    """Runs of glyphs in content order that share a baseline, font and size and
    move left to right without a wide jump (a table cell's text ends a run)."""
    out: list[list[dict]] = []
    for c in chars:
        if not c.get("upright", True):
            continue
        if out:
            last = out[-1][-1]
            same_line = abs(c["matrix"][5] - last["matrix"][5]) < 0.1
            same_font = c["fontname"] == last["fontname"] and abs(c["size"] - last["size"]) < 0.01
            step = c["matrix"][4] - last["matrix"][4]
            if same_line and same_font and 0 <= step <= 3 * c["size"]:
                out[-1].append(c)
                continue
        out.append([c])
    return out


def text_object(run: list[dict], page_h: float, font_id: int, obj_id: int):
    """One run -> a TextObject: Boundary is the run's box, the TextCode's X/Y
    the first glyph's origin inside it, DeltaX the steps between origins."""
    x0 = min(c["x0"] for c in run)
    top = min(c["top"] for c in run)
    x1 = max(c["x1"] for c in run)
    bottom = max(c["bottom"] for c in run)
    base = page_h - run[0]["matrix"][5]  # baseline from the top (pdfplumber's matrix is bottom-up)
    origin_x = run[0]["matrix"][4]
    steps = [b["matrix"][4] - a["matrix"][4] for a, b in zip(run, run[1:])]
    code = E("TextCode", {"X": mm(origin_x - x0), "Y": mm(base - top)}, "".join(c["text"] for c in run))
    if steps:
        code.set("DeltaX", delta_list(steps))
    attrs = {"ID": obj_id, "Boundary": f"{mm(x0)} {mm(top)} {mm(x1 - x0)} {mm(bottom - top)}",
             "Font": font_id, "Size": mm(run[0]["size"])}
    return E("TextObject", attrs, None, E("FillColor", {"Value": "0 0 0"}), code)


def path_object(pts: list[tuple[float, float]], width: float, closed: bool, obj_id: int):
    """A stroked polyline (points, top-left origin) -> a PathObject whose
    AbbreviatedData is relative to its Boundary."""
    pad = max(width, 0.5)
    x0, top = min(p[0] for p in pts) - pad, min(p[1] for p in pts) - pad
    x1, bottom = max(p[0] for p in pts) + pad, max(p[1] for p in pts) + pad
    ops = [f"{'M' if i == 0 else 'L'} {mm(p[0] - x0)} {mm(p[1] - top)}" for i, p in enumerate(pts)]
    if closed:
        ops.append("C")
    attrs = {"ID": obj_id, "Boundary": f"{mm(x0)} {mm(top)} {mm(x1 - x0)} {mm(bottom - top)}",
             "LineWidth": mm(width)}
    return E("PathObject", attrs, None, E("StrokeColor", {"Value": "0 0 0"}), E("AbbreviatedData", None, " ".join(ops)))


def seal_png() -> bytes:
    img = Image.new("RGBA", (96, 96), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.ellipse((4, 4, 91, 91), outline=(220, 0, 0, 255), width=6)
    d.regular_polygon((48, 48, 16), 5, fill=(220, 0, 0, 255))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


class Ids:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> int:
        self.n += 1
        return self.n


def build(pdf_path: Path) -> dict[str, bytes]:
    """A sample PDF -> the OFD package's parts (name -> bytes)."""
    ids = Ids()
    fonts: dict[str, int] = {}
    pages: list[tuple[int, bytes]] = []
    with pdfplumber.open(pdf_path) as doc:
        width, height = doc.pages[0].width, doc.pages[0].height
        last = len(doc.pages) - 1
        for k, page in enumerate(doc.pages):
            layer = E("Layer", {"ID": ids(), "Type": "Body"})
            for run in runs(page.chars):
                name = run[0]["fontname"]
                if name not in fonts:
                    fonts[name] = ids()
                layer.append(text_object(run, page.height, fonts[name], ids()))
            for ln in page.lines:
                # pdfplumber's pts are already top-left origin
                layer.append(path_object([tuple(p) for p in ln["pts"]], ln.get("linewidth", 0.5), False, ids()))
            for r in page.rects:
                pts = [(r["x0"], r["top"]), (r["x1"], r["top"]), (r["x1"], r["bottom"]), (r["x0"], r["bottom"])]
                layer.append(path_object(pts, r.get("linewidth", 0.5), True, ids()))
            if k == last:
                # the issuer's seal over the signature block, as offices stamp it
                layer.append(E("ImageObject", {"ID": ids(), "ResourceID": 1000, "CTM": "40 0 0 40 0 0",
                                               "Boundary": f"{mm(width * 0.6)} {mm(height * 0.55)} 40 40"}))
            area = E("Area", None, None, E("PhysicalBox", None, f"0 0 {mm(page.width)} {mm(page.height)}"))
            content = E("Page", None, None, area, E("Content", None, None, layer))
            pages.append((ids(), etree.tostring(content, xml_declaration=True, encoding="UTF-8")))
    font_els = [E("Font", {"ID": fid, "FontName": font_name(n), "FamilyName": font_name(n).split("-")[0],
                           **({"Bold": "true"} if "Bold" in n else {})}) for n, fid in fonts.items()]
    public_res = E("Res", {"BaseLoc": "Res"}, None, E("Fonts", None, None, *font_els))
    document_res = E("Res", {"BaseLoc": "Res"}, None, E("MultiMedias", None, None,
                     E("MultiMedia", {"ID": 1000, "Type": "Image"}, None, E("MediaFile", None, "seal.png"))))
    common = E("CommonData", None, None,
               E("MaxUnitID", None, str(max(ids.n, 1000))),
               E("PageArea", None, None, E("PhysicalBox", None, f"0 0 {mm(width)} {mm(height)}")),
               E("PublicRes", None, "PublicRes.xml"),
               E("DocumentRes", None, "DocumentRes.xml"))
    page_list = E("Pages", None, None, *[E("Page", {"ID": pid, "BaseLoc": f"Pages/Page_{i}/Content.xml"})
                                         for i, (pid, _) in enumerate(pages)])
    document = E("Document", None, None, common, page_list)
    info = E("DocInfo", None, None, E("DocID", None, pdf_path.stem.split("_")[-1]),
             E("Title", None, pdf_path.stem), E("Creator", None, "samples/build_ofd.py"))
    ofd = E("OFD", {"Version": "1.0", "DocType": "OFD"}, None,
            E("DocBody", None, None, info, E("DocRoot", None, "Doc_0/Document.xml")))
    xml = lambda el: etree.tostring(el, xml_declaration=True, encoding="UTF-8")  # noqa: E731
    parts = {"OFD.xml": xml(ofd), "Doc_0/Document.xml": xml(document),
             "Doc_0/PublicRes.xml": xml(public_res), "Doc_0/DocumentRes.xml": xml(document_res)}
    for i, (_, content) in enumerate(pages):
        parts[f"Doc_0/Pages/Page_{i}/Content.xml"] = content
    parts["Doc_0/Res/seal.png"] = seal_png()
    return parts


def write_zip(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in parts.items():  # OFD.xml first, where readers look for it
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


def main(stems: list[str]) -> None:
    out_dir = ROOT / "formats"
    out_dir.mkdir(exist_ok=True)
    for pdf_path in sorted((ROOT / "notices").glob("*.pdf")):
        if stems and pdf_path.stem not in stems:
            continue
        target = out_dir / f"{pdf_path.stem}.ofd"
        target.write_bytes(write_zip(build(pdf_path)))
        print(target.relative_to(ROOT.parent))


if __name__ == "__main__":
    main(sys.argv[1:])
