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


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
