"""The `notices` command: a thin typer layer over the Python API.

Every command has a Python equivalent (named in its help) and never shows a
traceback for a bad input: errors are one line naming the file and the reason.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table as RichTable

from schemas.errors import NoticeError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Turn Chinese government notices (PDF, DOCX, text) into typed, versioned datasets.",
)
console = Console()
err_console = Console(stderr=True)

EXIT_BAD_INPUT = 2


@app.callback()
def _root() -> None:
    """Turn Chinese government notices (PDF, DOCX, text) into typed, versioned datasets."""


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    err_console.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


def _dump_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


@app.command()
def parse(
    file: Path = typer.Argument(..., help="A notice file: PDF, DOCX or text."),
    as_json: bool = typer.Option(False, "--json", help="Print the document model as JSON (stable shape, see README)."),
) -> None:
    """Show what the reader saw: paragraphs and tables (as grids) with pages.

    Python: extractors.readers.read_document(path) -> schemas.document.Document
    """
    from extractors.readers import read_document

    try:
        doc = read_document(file)
    except NoticeError as e:
        _fail(f"{file}: {e.message} [{e.code}]")
    if as_json:
        _dump_json(doc.to_json())
        return
    console.print(
        f"[bold]{doc.source_path}[/bold]  format={doc.format}  pages={doc.page_count}  sha256={doc.sha256[:16]}…",
        highlight=False,
    )
    for w in doc.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}", highlight=False)
    for block in doc.blocks:
        if block.kind == "table":
            title = f"table {block.index}: pages {block.page_start}-{block.page_end}, {len(block.rows)} rows x {block.n_cols} columns"
            grid = RichTable(title=title, show_lines=True, title_justify="left")
            for h in block.header_texts():
                grid.add_column(h if h is not None else "←", overflow="fold")
            if not block.header:
                for _ in range(block.n_cols - len(grid.columns)):
                    grid.add_column("")
            for r in range(len(block.rows)):
                grid.add_row(*[t if t is not None else "↑" for t in block.row_texts(r)])
            console.print(grid)
        else:
            page = f"p{block.page}" if block.page is not None else "  "
            console.print(f"[dim]{page:>4}[/dim] {block.text}", highlight=False)
    if doc.furniture:
        console.print(f"[dim]page furniture (removed from the body): {len(doc.furniture)} lines, e.g. {doc.furniture[0].text!r}[/dim]")


@app.command()
def dates(
    expressions: list[str] = typer.Argument(..., help="Date expressions, e.g. 9月中旬 10月30日前 每月坚持."),
    year: Optional[int] = typer.Option(None, "--year", "-y", help="Reference year for dates without one."),
    anchor: Optional[str] = typer.Option(None, "--anchor", help="Anchor date (YYYY-MM-DD) for relative expressions."),
    find: bool = typer.Option(False, "--find", help="Find every date expression inside running text instead."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Normalise Chinese date expressions into typed ranges.

    Python: extractors.dates.normalize(text, ref_year, ref_date) / find_dates(text, ref_year)
    """
    import datetime as dt

    from extractors.dates import find_dates, normalize

    ref_date = None
    if anchor:
        try:
            ref_date = dt.date.fromisoformat(anchor)
        except ValueError:
            _fail(f"--anchor {anchor!r} is not a date (YYYY-MM-DD)")
    if find:
        found = [
            {
                "text": text,
                "matches": [
                    {"start": m.start, "end": m.end, "text": m.text, "span": m.span.to_json()}
                    for m in find_dates(text, year, ref_date)
                ],
            }
            for text in expressions
        ]
        if as_json:
            _dump_json(found)
        else:
            for item in found:
                for m in item["matches"]:
                    console.print(f"[{m['start']}:{m['end']}] {m['text']}  {m['span']['kind']}  {_fmt_span(m)}", highlight=False)
        return
    spans = [normalize(text, ref_year=year, ref_date=ref_date) for text in expressions]
    if as_json:
        _dump_json([s.to_json() for s in spans])
        return
    table = RichTable(show_header=True, header_style="bold")
    for col in ("text", "kind", "start", "end", "precision", "details", "warnings"):
        table.add_column(col, overflow="fold", no_wrap=col in ("kind", "start", "end", "precision"))
    for s in spans:
        d = s.to_json()
        table.add_row(s.text, s.kind, d["start"] or "", d["end"] or "", s.precision or "", _details(d), "; ".join(s.warnings))
    console.print(table)


def _details(d: dict) -> str:
    parts = []
    if d["time_start"] or d["time_end"]:
        parts.append(f"time {d['time_start'] or ''}-{d['time_end'] or ''}")
    if d["recurrence"]:
        r = d["recurrence"]
        parts.append(f"every {r['every']}" + (f" day {r['day']}" if r["day"] is not None else "") + (" (by)" if r["deadline"] else ""))
    if d["offset"]:
        o = d["offset"]
        parts.append(f"{o['direction']} {o['number']} {o['unit']}" + (f" ({o['anchor']})" if o["anchor"] else ""))
    return ", ".join(parts)


def _fmt_span(m: dict) -> str:
    span = m["span"]
    return f"{span['start'] or ''}..{span['end'] or ''} {_details(span)}".strip()


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
