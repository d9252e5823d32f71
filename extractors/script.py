"""Traditional script: match on a simplified form, keep the text as written.

Some portals serve a whole notice in traditional characters (錦州市人民政府辦公室,
錦政辦發〔2021〕3號). The extractors and their vocabularies speak simplified
Chinese, so a notice in traditional script is read through a simplified *view*
of its document (OpenCC's t2s, which keeps every string's length), and what the
extractors find is given back as written (`Restorer`): a title found in the view
at some place in a block is the original block's text at the same place.
Canonical unit names stay simplified, so 財政局 and 财政局 are one unit.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from functools import lru_cache

from schemas.document import Cell, Document, Paragraph


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=65536)
def to_simplified(text: str) -> str:
    """The text in simplified characters, of the same length (character by
    character where a phrase conversion would change the length)."""
    if not text or text.isascii():
        return text
    out = _converter().convert(text)
    if len(out) != len(text):
        out = "".join(c if len(c) == 1 else ch for ch, c in ((ch, _converter().convert(ch)) for ch in text))
    return out


class Restorer:
    """Maps text found in the simplified view back to the document as written."""

    def __init__(self, originals: list[str], simplified: list[str]):
        self.original = "\n".join(originals)
        self.simple = "\n".join(simplified)
        votes: dict[str, Counter] = {}
        for o, s in zip(self.original, self.simple):
            if o != s:
                votes.setdefault(s, Counter())[o] += 1
        # a character the view changed, back to what the document writes most often
        self.chars = {s: c.most_common(1)[0][0] for s, c in votes.items()}

    def __call__(self, text):
        if text is None or not isinstance(text, str) or not text:
            return text
        at = self.simple.find(text)
        if at >= 0:
            return self.original[at:at + len(text)]
        # joined across lines or rebuilt (a shared suffix expanded): character by character
        return "".join(self.chars.get(ch, ch) for ch in text)

    def all(self, texts: list[str]) -> list[str]:
        return [self(t) for t in texts]


def _cell(c: Cell | None) -> Cell | None:
    return c if c is None else replace(c, text=to_simplified(c.text))


def simplified_view(doc: Document) -> tuple[Document, Restorer | None]:
    """(the document in simplified script, how to restore what is found in it),
    or (doc, None) when it holds no traditional characters."""
    originals: list[str] = []
    simplified: list[str] = []
    blocks = []
    for b in doc.blocks:
        if isinstance(b, Paragraph):
            s = to_simplified(b.text)
            originals.append(b.text)
            simplified.append(s)
            blocks.append(replace(b, text=s) if s != b.text else b)
        else:
            header = [[_cell(c) for c in row] for row in b.header]
            rows = [[_cell(c) for c in row] for row in b.rows]
            for grid_o, grid_s in ((b.header, header), (b.rows, rows)):
                for ro, rs in zip(grid_o, grid_s):
                    for co, cs in zip(ro, rs):
                        if co is not None:
                            originals.append(co.text)
                            simplified.append(cs.text)
            blocks.append(replace(b, header=header, rows=rows))
    if originals == simplified:
        return doc, None
    return replace(doc, blocks=blocks), Restorer(originals, simplified)
