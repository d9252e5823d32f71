"""The `notices` command: a thin typer layer over the Python API.

Every command has a Python equivalent (named in its help) and never shows a
traceback for a bad input: errors are one line naming the file and the reason.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional, Tuple

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


EXIT_QUARANTINED = 1
EXIT_LOCKED = 3


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders of notices (searched recursively)."),
    out: Path = typer.Option(Path("output"), "--out", "-o", help="Output root: one Delta Lake table per name."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="Worker processes (default: the machine's cores)."),
    force: bool = typer.Option(False, "--force", help="Re-extract files already ingested (replaces their rows)."),
    chunk_size: int = typer.Option(200, "--chunk-size", help="Files per commit."),
    timeout: float = typer.Option(120.0, "--timeout", help="Per-file time limit in seconds (quarantined as `timeout`)."),
    memory_mb: int = typer.Option(3072, "--memory-mb", help="Per-worker memory cap in MiB (quarantined as `memory_limit`)."),
    wait: bool = typer.Option(False, "--wait", help="If another ingest holds the output, wait for it instead of stopping."),
    as_json: bool = typer.Option(False, "--json", help="Print the run summary as JSON."),
) -> None:
    """Ingest notices into Delta Lake tables (notices, items, item_units, dates, errors, runs).

    Exit status: 0 when every file is ingested or already was; 1 when some files
    are quarantined (see the `errors` table); 3 when another ingest holds OUT.

    Python: pipeline.ingest.ingest(paths, out, jobs, force, chunk_size, timeout, memory_mb, wait)
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pipeline.ingest import ingest as run_ingest
    from pipeline.writer import OutputLocked

    if chunk_size < 1 or timeout <= 0 or (jobs is not None and jobs < 1):
        _fail("--chunk-size, --timeout and --jobs must be positive")
    bar = Progress(TextColumn("[bold]ingest[/bold]"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                   TimeElapsedColumn(), console=err_console, transient=True, disable=as_json or not err_console.is_terminal)
    task = bar.add_task("ingest", total=None, info="")

    def progress(event: str, s) -> None:
        done = s.ingested + s.quarantined + s.skipped_duplicates + s.skipped_known_errors
        bar.update(task, completed=done, total=s.files_seen,
                   info=f"{s.ingested} in, {s.skipped_duplicates + s.skipped_known_errors} skipped, {s.quarantined} quarantined")

    try:
        with bar:
            s = run_ingest([str(p) for p in paths], out, jobs=jobs, force=force, chunk_size=chunk_size, timeout=timeout,
                           memory_mb=memory_mb, wait=wait, progress=progress)
    except OutputLocked as e:
        _fail(str(e), EXIT_LOCKED)
    if as_json:
        _dump_json({
            "run_id": s.run_id, "out": s.out, "files_seen": s.files_seen, "ingested": s.ingested,
            "skipped_duplicates": s.skipped_duplicates, "skipped_known_errors": s.skipped_known_errors,
            "quarantined": s.quarantined, "items": s.items, "warnings": s.warnings, "pages": s.pages,
            "errors": [vars(e) for e in s.errors], "versions": s.versions, "exit_code": s.exit_code,
            "seconds": (s.finished_at - s.started_at).total_seconds(), "commit_seconds": s.commit_seconds,
        })
    else:
        _print_summary(s)
    raise typer.Exit(s.exit_code)


def _print_summary(s) -> None:
    seconds = (s.finished_at - s.started_at).total_seconds()
    t = RichTable(title=f"run {s.run_id} → {s.out} ({seconds:.1f} s)", show_header=False, title_justify="left")
    t.add_column(justify="left")
    t.add_column(justify="right")
    t.add_row("files seen", str(s.files_seen))
    t.add_row("ingested", f"{s.ingested}  ({', '.join(f'{n} {k}' for k, n in sorted(s.by_format.items())) or '-'})")
    t.add_row("skipped: already ingested or repeated", str(s.skipped_duplicates))
    if s.skipped_known_errors:
        t.add_row("skipped: quarantined by an earlier run", str(s.skipped_known_errors))
    t.add_row("quarantined", str(s.quarantined))
    t.add_row("items written", str(s.items))
    t.add_row("warnings (notices and rows)", str(s.warnings))
    console.print(t)
    if s.errors:
        e = RichTable(title="quarantined files", title_justify="left")
        for col in ("code", "file", "reason"):
            e.add_column(col, overflow="fold")
        for err in s.errors[:50]:
            e.add_row(err.code, err.path, err.message)
        console.print(e)
        if len(s.errors) > 50:
            console.print(f"... and {len(s.errors) - 50} more: see the errors table")
        console.print("by code: " + ", ".join(f"{c} {n}" for c, n in s.error_counts().most_common()), highlight=False)
    if s.skipped_known_errors:
        console.print(f"{s.skipped_known_errors} files were quarantined by an earlier run with this version "
                      "(errors table); --force retries them", highlight=False)


@app.command()
def history(
    out: Path = typer.Option(Path("output"), "--out", "-o", help="Output root."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the ingest runs with the table versions each left.

    Python: pipeline.writer.read_table(out, "runs"); read_table(out, name, as_of=run_id or version)
    """
    from pipeline.writer import read_table

    runs = sorted(read_table(out, "runs").to_pylist(), key=lambda r: r["started_at"])
    if as_json:
        _dump_json(runs)
        return
    if not runs:
        console.print(f"no runs in {out}")
        return
    t = RichTable(title=f"runs in {out}")
    for col in ("run_id", "finished (UTC)", "in", "skipped", "quarantined", "items", "versions n/i/u/d/e"):
        t.add_column(col, no_wrap=True)
    for r in runs:
        versions = "/".join(str(r[f"{n}_version"]) if r[f"{n}_version"] is not None else "-"
                            for n in ("notices", "items", "item_units", "dates", "errors"))
        t.add_row(r["run_id"], r["finished_at"].strftime("%Y-%m-%d %H:%M"), str(r["ingested"]),
                  str(r["skipped_duplicates"] + r["skipped_known_errors"]), str(r["quarantined"]), str(r["items"]), versions)
    console.print(t)


@app.command()
def diff(
    old: Optional[str] = typer.Argument(None, help="Old side: a notice file, or a doc_id (or unique prefix) in --data."),
    new: Optional[str] = typer.Argument(None, help="New side: a notice file, or a doc_id in --data."),
    data: Path = typer.Option(Path("output"), "--data", help="Ingest output to look doc_ids and issuers up in."),
    issuer: Optional[str] = typer.Option(None, "--issuer", help="Compare this issuer's notices of two years (with --years)."),
    years: Optional[Tuple[int, int]] = typer.Option(None, "--years", help="OLD_YEAR NEW_YEAR, with --issuer."),
    item_type: Optional[str] = typer.Option(None, "--type", help="Only schedule, task or list items."),
    threshold: float = typer.Option(0.8, "--threshold", help="Task text similarity (0-1) to count as the same task."),
    out_file: Optional[Path] = typer.Option(None, "--out", help="Write the changes to FILE: .csv, .parquet or .json."),
    html_file: Optional[Path] = typer.Option(None, "--html", help="Write a self-contained HTML report to FILE."),
    as_json: bool = typer.Option(False, "--json", help="Print the changes as JSON."),
) -> None:
    """What changed between two notices: units added or dropped, dates moved,
    deadlines earlier or later, tasks reworded, added, removed or moved between units.

    Python: pipeline.diff.diff(load_side(old), load_side(new), threshold, item_type)
    """
    from dataclasses import asdict

    from pipeline import diff as d

    try:
        if issuer:
            if not years:
                _fail("--issuer needs --years OLD_YEAR NEW_YEAR")
            old_items = d.load_dataset(data, issuer=issuer, year=years[0])
            new_items = d.load_dataset(data, issuer=issuer, year=years[1])
            old_label, new_label = f"{issuer} {years[0]}", f"{issuer} {years[1]}"
        else:
            if not (old and new):
                _fail("give OLD and NEW (files or doc_ids), or --issuer with --years")
            old_items, new_items = d.load_side(old, data), d.load_side(new, data)
            old_label, new_label = old, new
    except NoticeError as e:
        _fail(f"{e.path or ''}: {e.message} [{e.code}]")
    except (LookupError, FileNotFoundError) as e:
        _fail(str(e).strip("'\""))
    if not 0 < threshold <= 1:
        _fail("--threshold is a similarity between 0 and 1")
    changes = d.diff(old_items, new_items, threshold=threshold, item_type=item_type)
    if out_file:
        try:
            d.save(changes, out_file)
        except ValueError as e:
            _fail(str(e))
    if html_file:
        html_file.write_text(d.to_html(changes, old_label, new_label), encoding="utf-8")
    if as_json:
        _dump_json([asdict(c) for c in changes])
        return
    c = d.counts(changes)
    console.print(f"[bold]{len(changes)} changes[/bold] from {old_label} to {new_label}", highlight=False)
    for kind in d.CHANGE_TYPES:
        group = [ch for ch in changes if ch.change_type == kind]
        if not group:
            continue
        t = RichTable(title=f"{kind} ({c[kind]})", title_justify="left")
        for col in ("unit / task", "old", "new", "shift", "sim", "old at", "new at"):
            t.add_column(col, overflow="fold")
        for ch in group:
            at = lambda p, r: f"p{p or '-'} r{r or '-'}"  # noqa: E731
            t.add_row(ch.unit or (ch.task or "")[:40], ch.old_value or "", ch.new_value or "",
                      "" if ch.shift_days is None else f"{ch.shift_days:+d}",
                      "" if ch.similarity is None else f"{ch.similarity:.2f}",
                      at(ch.old_page, ch.old_row) if ch.old_source_path else "",
                      at(ch.new_page, ch.new_row) if ch.new_source_path else "")
        console.print(t)


@app.command()
def extract(
    file: Path = typer.Argument(..., help="A notice file: PDF, DOCX or text."),
    as_json: bool = typer.Option(False, "--json", help="Print the extraction as JSON."),
) -> None:
    """Show what the extractors find in one notice: metadata, rows, body dates.

    Python: extractors.notice.extract_file(path) -> ExtractionResult
    """
    from dataclasses import asdict

    from extractors.notice import extract_file

    try:
        r = extract_file(file)
    except NoticeError as e:
        _fail(f"{file}: {e.message} [{e.code}]")
    if as_json:
        _dump_json(asdict(r))
        return
    m = r.meta
    rows = [("title", m.title), ("issuer", m.issuer), ("doc_number", m.doc_number.text if m.doc_number else None),
            ("recipients", "；".join(m.recipients)), ("issue_date", m.issue_date), ("year", f"{m.year} (from {m.year_source})"),
            ("attachments", "；".join(m.attachments)),
            ("contacts", " ".join(m.contact_names + m.contact_phones + m.contact_emails))]
    for k, v in rows:
        console.print(f"[bold]{k:>11}[/bold] {v if v not in (None, '') else '—'}", highlight=False)
    table = RichTable(title=f"{len(r.items)} items", show_lines=False)
    for col in ("#", "type", "page/table/row", "units", "theme/task", "date", "kind", "start", "end", "warnings"):
        table.add_column(col, overflow="fold")
    for it in r.items:
        d = it.date
        table.add_row(str(it.item_no), it.item_type, f"{it.source_page or '-'}/{it.source_table or '-'}/{it.source_row or '-'}",
                      "、".join(it.units_canonical), (it.theme or it.task or it.category or "")[:40], it.date_text or "",
                      d.kind if d else "", str(d.start or "") if d else "", str(d.end or "") if d else "", "; ".join(it.warnings))
    console.print(table)
    for bd in r.dates:
        console.print(f"[dim]date in text:[/dim] {bd.date.text} ({bd.date.kind} {bd.date.start or ''}..{bd.date.end or ''}) — {bd.sentence[:60]}", highlight=False)
    if r.unknown_units:
        console.print(f"[yellow]units not in the alias table or dictionary ({len(r.unknown_units)}):[/yellow] {'、'.join(r.unknown_units)}", highlight=False)
    for w in r.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}", highlight=False)


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


@app.command("eval")
def eval_(
    gold: Path = typer.Option(Path("samples/gold"), "--gold", help="Folder of gold JSON files."),
    samples: Path = typer.Option(Path("samples/notices"), "--samples", help="Folder with the notices the gold describes."),
    formats: str = typer.Option("txt,docx,pdf", "--formats", help="Comma-separated formats to evaluate."),
    threshold: float = typer.Option(0.98, "--threshold", help="F1 a gated field must reach on every file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Precision, recall and F1 per field, per file and overall, against the gold.

    Python: pipeline.evaluate.evaluate(gold_dir, samples_dir, formats) -> Report
    """
    from pipeline.evaluate import GATED, ITEM_FIELDS, META_FIELDS, evaluate

    if not gold.is_dir():
        _fail(f"{gold}: no such folder of gold files")
    report = evaluate(gold, samples, tuple(f.strip() for f in formats.split(",") if f.strip()))
    fields = list(META_FIELDS) + list(ITEM_FIELDS)
    failures = report.failures(threshold)
    if as_json:
        _dump_json({
            "files": [{"source": f.source, "format": f.format, "error": f.error,
                       "fields": {n: {"precision": s.precision, "recall": s.recall, "f1": s.f1, "tp": s.tp, "fp": s.fp, "fn": s.fn}
                                  for n, s in f.scores.items() if s.counted}} for f in report.files],
            "overall": {n: {"precision": s.precision, "recall": s.recall, "f1": s.f1} for n, s in report.overall().items() if s.counted},
            "failures": [list(x) for x in failures],
        })
    else:
        table = RichTable(title="F1 per field (— = nothing to find)", show_lines=False)
        table.add_column("file", no_wrap=True)
        short = {"doc_number_prefix": "dn_prefix", "doc_number_year": "dn_year", "doc_number_seq": "dn_seq",
                 "contact_names": "c_names", "contact_phones": "c_phones", "contact_emails": "c_emails",
                 "units_canonical": "units_canon", "subcategory": "subcat"}
        for name in fields:
            table.add_column(short.get(name, name) + ("" if name in GATED else "*"), justify="right")
        for f in report.files:
            row = [f"{f.source[:3]}.{f.format}"]
            for name in fields:
                s = f.scores.get(name)
                row.append("ERR" if f.error else ("—" if s is None or not s.counted else f"{s.f1:.2f}"))
            table.add_row(*row)
        overall = report.overall()
        table.add_row("[bold]overall[/bold]", *[f"{overall[n].f1:.3f}" if n in overall and overall[n].counted else "—" for n in fields])
        console.print(table)
        console.print("* not gated: reported only (text dumps cannot show 工作任务 groups exactly)")
        for src, fmt, name, f1 in failures:
            console.print(f"[red]below {threshold}:[/red] {src}.{fmt} {name} F1={f1:.3f}", highlight=False)
        if not failures:
            console.print(f"[green]every gated field has F1 >= {threshold} on every file[/green]")
    if failures:
        raise typer.Exit(1)


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
