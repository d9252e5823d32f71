"""The document model: what every reader produces and every extractor reads.

A Document is an ordered list of blocks (paragraphs and tables) from the body of
one file, plus the page furniture (running headers and footers) kept apart.
Every block says where it came from, so later stages can report file, page,
table and row. No extractor needs to know which format a document came from.

The objects are frozen: a reader builds each one whole, and a later step that
changes something (stitching a table's page parts, numbering tables) makes new
objects (dataclasses.replace), as pdfplumber's crop and filter do.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Union


@dataclass(frozen=True)
class Cell:
    """One logical cell. A merged cell appears once, at its top-left grid
    position, with its spans; the grid positions it covers hold None."""

    text: str
    row_span: int = 1
    col_span: int = 1
    page: int | None = None


@dataclass(frozen=True)
class RowSource:
    """Which physical rows made one logical row: (page, row index on that page).
    A row broken by a page break has two parts."""

    parts: list[tuple[int | None, int]] = field(default_factory=list)

    @property
    def page(self) -> int | None:
        return self.parts[0][0] if self.parts else None


Grid = list[list[Union[Cell, None]]]


@dataclass(frozen=True)
class Paragraph:
    text: str
    page: int | None = None
    kind: str = "paragraph"


@dataclass(frozen=True)
class Table:
    """A table with its header rows apart from its data rows.

    `header` and `rows` are grids of the same width. `index` numbers the
    tables of a document from 1. `row_sources[i]` is the provenance of
    `rows[i]`.
    """

    header: Grid
    rows: Grid
    page_start: int | None = None
    page_end: int | None = None
    index: int = 0
    row_sources: list[RowSource] = field(default_factory=list)
    kind: str = "table"

    @property
    def n_cols(self) -> int:
        grid = self.rows or self.header
        return len(grid[0]) if grid else 0

    def header_texts(self) -> list[str | None]:
        """Header cell texts per grid column; several header rows are joined
        per column; a column covered by a horizontal span gives None."""
        out: list[str | None] = []
        for c in range(self.n_cols):
            parts = [row[c].text for row in self.header if c < len(row) and row[c] is not None]
            out.append("".join(parts) if parts else None)
        return out

    def row_texts(self, r: int) -> list[str | None]:
        return [cell.text if cell is not None else None for cell in self.rows[r]]

    def merged(self) -> list[tuple[int, int, int, int]]:
        """Merged data cells as (row, col, row_span, col_span)."""
        return [
            (r, c, cell.row_span, cell.col_span)
            for r, row in enumerate(self.rows)
            for c, cell in enumerate(row)
            if cell is not None and (cell.row_span > 1 or cell.col_span > 1)
        ]

    def filled_rows(self) -> list[list[str]]:
        """Data rows with every covered grid position given its merged cell's
        text: what a merged cell means for each row it covers."""
        width = self.n_cols
        out = [[""] * width for _ in self.rows]
        for r, row in enumerate(self.rows):
            for c, cell in enumerate(row):
                if cell is None:
                    continue
                for dr in range(cell.row_span):
                    for dc in range(cell.col_span):
                        if r + dr < len(out) and c + dc < width:
                            out[r + dr][c + dc] = cell.text
        return out


Block = Union[Paragraph, Table]


@dataclass(frozen=True)
class PageInfo:
    """How one page's text was obtained: from the file's text layer, by OCR
    (with the recogniser's mean confidence, 0-1), or not at all."""

    number: int
    text_from: str  # "text_layer" | "ocr" | "none"
    ocr_confidence: float | None = None


@dataclass(frozen=True)
class Source:
    """What the registry knows of a file before a reader sees its bytes."""

    path: str
    sha256: str
    format: str
    warnings: tuple[str, ...] = ()  # e.g. the content's format is not the suffix's


@dataclass(frozen=True)
class Document:
    source_path: str
    sha256: str
    format: str
    page_count: int | None
    blocks: list[Block] = field(default_factory=list)
    furniture: list[Paragraph] = field(default_factory=list)  # running headers/footers
    warnings: list[str] = field(default_factory=list)
    pages: list[PageInfo] = field(default_factory=list)  # paged formats only (PDF, OFD)
    links: list[tuple[str, str]] = field(default_factory=list)  # (text, href): a web page's attachment links

    @classmethod
    def of(cls, source: Source, page_count: int | None, blocks: list[Block], furniture: list[Paragraph] = (),
           warnings: list[str] = (), pages: list[PageInfo] = (), links: list[tuple[str, str]] = ()) -> "Document":
        """A whole document of `source`: its path, hash and format, and its
        warnings before the reader's own."""
        return cls(source.path, source.sha256, source.format, page_count, list(blocks), list(furniture),
                   [*source.warnings, *warnings], list(pages), list(links))

    def paragraphs(self) -> Iterator[Paragraph]:
        return (b for b in self.blocks if isinstance(b, Paragraph))

    def tables(self) -> Iterator[Table]:
        return (b for b in self.blocks if isinstance(b, Table))

    def text(self) -> str:
        """Body text, one block per line; tables as tab-separated rows."""
        lines: list[str] = []
        for b in self.blocks:
            if isinstance(b, Paragraph):
                lines.append(b.text)
            else:
                for grid in (b.header, b.rows):
                    for row in grid:
                        lines.append("\t".join(c.text if c else "" for c in row))
        return "\n".join(lines)

    def to_json(self) -> dict:
        """The documented, stable JSON shape of `notices parse --json`."""
        blocks = []
        for b in self.blocks:
            if isinstance(b, Paragraph):
                blocks.append({"type": "paragraph", "text": b.text, "page": b.page})
            else:
                blocks.append(
                    {
                        "type": "table",
                        "index": b.index,
                        "page_start": b.page_start,
                        "page_end": b.page_end,
                        "header": b.header_texts(),
                        "rows": [b.row_texts(r) for r in range(len(b.rows))],
                        "merged": [list(m) for m in b.merged()],
                        "row_pages": [[p for p, _ in src.parts] for src in b.row_sources],
                    }
                )
        return {
            "source_path": self.source_path,
            "sha256": self.sha256,
            "format": self.format,
            "page_count": self.page_count,
            "blocks": blocks,
            "furniture": [{"text": p.text, "page": p.page} for p in self.furniture],
            "warnings": list(self.warnings),
            "pages": [{"number": p.number, "text_from": p.text_from, "ocr_confidence": p.ocr_confidence}
                      for p in self.pages],
            "links": [{"text": t, "href": h} for t, h in self.links],
        }
