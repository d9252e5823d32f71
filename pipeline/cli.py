"""The `notices` command: a thin typer layer over the Python API.

Every command has a Python equivalent (named in its help) and never shows a
traceback: a failure is one line naming the file (or the output) and the
reason, with its stable code, and an exit status a script can tell apart:

    0 done; 1 some files quarantined; 2 bad usage, input or setting;
    3 another ingest holds the output; 4 the output cannot be written;
    5 the engine cannot run (Ray missing, its cluster out of reach);
    130 interrupted (Ctrl-C)

When stdout or stderr is not a terminal nothing is wrapped to 80 columns and
ingest's progress becomes plain log lines.
"""
from __future__ import annotations

import contextlib
import enum
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Iterator, Optional, Tuple

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable
from typer.core import TyperGroup

from pipeline.paths import display_path, safe_text
from schemas.errors import ConfigError, NoticeError, OutputError

EXIT_OK = 0
EXIT_QUARANTINED = 1
EXIT_BAD_INPUT = 2
EXIT_LOCKED = 3
EXIT_OUTPUT = 4
EXIT_ENGINE = 5
EXIT_INTERRUPTED = 130


class Engine(str, enum.Enum):
    # ingest.ENGINES, spelled out so the command's help loads without pyarrow (a test keeps them equal)
    pool = "pool"
    ray = "ray"


def _is_tty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _make_console(stderr: bool) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    # not a terminal (a pipe, a log file): no wrapping at 80 columns
    return Console(stderr=stderr, width=None if _is_tty(stream) else 100_000, soft_wrap=not _is_tty(stream))


class _Consoles:
    """Consoles made on first use, so that they write to the streams of the moment
    (a test runner swaps them)."""

    @property
    def out(self) -> Console:
        return _make_console(stderr=False)

    @property
    def err(self) -> Console:
        return _make_console(stderr=True)


_c = _Consoles()


class _OneLineErrors(TyperGroup):
    """Usage errors (a bad option, a bad NOTICES_* value read through an option's
    envvar) as one line, `error: ...`, instead of a usage box."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        # click's exception classes, wherever this typer keeps them (click itself, or vendored)
        ClickException = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
        NoArgsIsHelpError = getattr(sys.modules[ClickException.__module__], "NoArgsIsHelpError", ())
        Abort = typer.Abort

        for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 prints as \udcXX, never a traceback
            if hasattr(stream, "reconfigure"):
                try:
                    stream.reconfigure(errors="backslashreplace")
                except (ValueError, OSError):
                    pass
        try:
            rv = super().main(args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False, **extra)
        except NoArgsIsHelpError as e:
            e.show()
            rv = e.exit_code
        except ClickException as e:
            _c.err.print(f"[red]error:[/red] {escape(safe_text(e.format_message()))}", highlight=False)
            rv = e.exit_code
        except Abort:
            _c.err.print("[red]error:[/red] aborted", highlight=False)
            rv = EXIT_INTERRUPTED
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)


app = typer.Typer(
    cls=_OneLineErrors,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Turn Chinese government notices (PDF, DOCX, text) into typed, versioned datasets.",
)


def _version(value: bool) -> None:
    if value:
        from pipeline.records import PIPELINE_VERSION
        from schemas.arrow import SCHEMA_VERSION

        print(f"notices {PIPELINE_VERSION} (output schema {SCHEMA_VERSION})")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """Turn Chinese government notices (PDF, DOCX, text) into typed, versioned datasets."""


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    _c.err.print(f"[red]error:[/red] {escape(safe_text(message))}", highlight=False)
    raise typer.Exit(code)


def _json_value(value):
    return value.hex() if isinstance(value, bytes) else str(value)  # dates as YYYY-MM-DD, raw bytes as hex


def _dump_json(obj) -> None:
    sys.stdout.write(safe_text(json.dumps(obj, ensure_ascii=False, indent=2, default=_json_value)) + "\n")


def _check_environment() -> None:
    from schemas.settings import check_environment

    try:
        check_environment()
    except ConfigError as e:
        _fail(str(e))


def _one_file(file: Path, command: str) -> None:
    """`parse` and `extract` read one file: say so plainly when it is not one."""
    if file.is_dir():
        _fail(f"{display_path(file)} is a folder: `notices {command}` reads one notice file; "
              f"to read every notice in a folder, run `notices ingest {display_path(file)}`")
    if not os.path.lexists(file):
        _fail(f"{display_path(file)}: no such file")


def _run_capped(file: Path, job: str, timeout: float, memory_mb: int):
    """Read or extract one file in a worker, under ingest's time and memory limits."""
    from pipeline.workers import run_one

    outcome = run_one(str(file), job, timeout=timeout, memory_mb=memory_mb)
    if outcome.status != "ok":
        _fail(f"{display_path(file)}: {outcome.message} [{outcome.code}]")
    return outcome.value


TIMEOUT_OPTION = typer.Option(120.0, "--timeout", envvar="NOTICES_TIMEOUT_S", min=0.001,
                              help="Per-file time limit in seconds (quarantined as `timeout`).")
NO_OCR_OPTION = typer.Option(False, "--no-ocr", help="Do not OCR PDF pages without a text layer (a scan is then `no_text_layer`).")


def _no_ocr(no_ocr: bool) -> None:
    """The workers are other processes: they read the setting from the environment they inherit."""
    if no_ocr:
        os.environ["NOTICES_OCR"] = "0"


MEMORY_OPTION = typer.Option(3072, "--memory-mb", envvar="NOTICES_MEMORY_MB", min=0,
                             help="Per-worker memory cap in MiB, 0 for none (quarantined as `memory_limit`).")


@app.command()
def parse(
    file: Path = typer.Argument(..., help="A notice file: PDF, DOCX or text."),
    as_json: bool = typer.Option(False, "--json", help="Print the document model as JSON (stable shape, see README)."),
    timeout: float = TIMEOUT_OPTION,
    memory_mb: int = MEMORY_OPTION,
    no_ocr: bool = NO_OCR_OPTION,
) -> None:
    """Show what the reader saw: paragraphs and tables (as grids) with pages.

    Python: extractors.readers.read_document(path) -> schemas.document.Document
    """
    _one_file(file, "parse")
    _check_environment()
    _no_ocr(no_ocr)
    doc = _run_capped(file, "parse", timeout, memory_mb)
    if as_json:
        _dump_json({**doc.to_json(), "source_path": display_path(doc.source_path)})
        return
    console = _c.out
    console.print(f"[bold]{escape(display_path(doc.source_path))}[/bold]  format={doc.format}  pages={doc.page_count}  "
                  f"sha256={doc.sha256[:16]}…", highlight=False)
    for w in doc.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(w)}", highlight=False)
    for block in doc.blocks:
        if block.kind == "table":
            title = f"table {block.index}: pages {block.page_start}-{block.page_end}, {len(block.rows)} rows x {block.n_cols} columns"
            grid = RichTable(title=title, show_lines=True, title_justify="left")
            for h in block.header_texts():
                grid.add_column(escape(h) if h is not None else "←", overflow="fold")
            if not block.header:
                for _ in range(block.n_cols - len(grid.columns)):
                    grid.add_column("")
            for r in range(len(block.rows)):
                grid.add_row(*[escape(t) if t is not None else "↑" for t in block.row_texts(r)])
            console.print(grid)
        else:
            page = f"p{block.page}" if block.page is not None else "  "
            console.print(f"[dim]{page:>4}[/dim] {escape(block.text)}", highlight=False)
    if doc.furniture:
        console.print(f"[dim]page furniture (removed from the body): {len(doc.furniture)} lines, "
                      f"e.g. {escape(repr(doc.furniture[0].text))}[/dim]", highlight=False)


# --------------------------------------------------------------------------- ingest


@contextlib.contextmanager
def _logging(quiet: bool, verbose: bool, log_file: Path | None) -> Iterator[logging.Logger]:
    """The `notices` loggers for one command: stderr at WARNING on a terminal (the
    progress bar shows the rest), INFO otherwise (plain progress lines); --verbose
    adds every file, --quiet keeps only errors; --log-file gets everything, with
    times. The handlers go when the command ends (they hold its streams)."""
    logger = logging.getLogger("notices")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    for h in saved[0]:
        logger.removeHandler(h)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    tty = _is_tty(sys.stderr)
    level = logging.ERROR if quiet else logging.DEBUG if verbose else logging.WARNING if tty else logging.INFO
    if tty:
        from rich.logging import RichHandler

        handler: logging.Handler = RichHandler(console=_c.err, show_path=False, markup=False, show_time=False)
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S"))
    handler.setLevel(level)
    logger.addHandler(handler)
    if log_file is not None:
        try:
            fh = logging.FileHandler(log_file, encoding="utf-8", errors="backslashreplace")
        except OSError as e:
            _fail(f"{display_path(log_file)}: cannot write the log file: {e.strerror or e}")
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%S"))
        fh.setLevel(logging.DEBUG)
        logger.addHandler(fh)
    try:
        yield logger
    finally:
        for h in list(logger.handlers):
            logger.removeHandler(h)
            h.close()
        for h in saved[0]:
            logger.addHandler(h)
        logger.setLevel(saved[1])
        logger.propagate = saved[2]


class _ProgressLines:
    """Progress as log lines, every `files` files or `seconds` seconds, for runs
    nobody watches (a pipe, cron, CI): they show the run is alive."""

    def __init__(self, logger: logging.Logger, files: int = 100, seconds: float = 10.0):
        self.logger, self.files, self.seconds = logger, files, seconds
        self.t0 = self.last_t = time.monotonic()
        self.last_done = 0

    def __call__(self, event: str, s) -> None:
        now = time.monotonic()
        if s.done - self.last_done >= self.files or (now - self.last_t >= self.seconds and s.done > self.last_done):
            self.last_done, self.last_t = s.done, now
            self.logger.info("progress: %d of %d files found so far done (%d in, %d skipped, %d quarantined), %.0f s",
                             s.done, s.files_seen, s.ingested, s.skipped_duplicates + s.skipped_known_errors,
                             s.quarantined, now - self.t0)


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders of notices (searched recursively)."),
    out: str = typer.Option("output", "--out", "-o",
                            help="Output root: one Delta Lake table per name; a folder, or s3://BUCKET/PREFIX "
                                 "(gs://, az://) with deltalake's settings in the environment."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="Worker processes (default: the machine's cores)."),
    force: bool = typer.Option(False, "--force", help="Re-extract files already ingested (replaces their rows)."),
    retry_errors: bool = typer.Option(False, "--retry-errors",
                                      help="Also retry files quarantined for a reason in their bytes (corrupt, encrypted...)."),
    chunk_size: int = typer.Option(200, "--chunk-size", min=1, help="Files per commit."),
    timeout: float = TIMEOUT_OPTION,
    memory_mb: int = MEMORY_OPTION,
    no_ocr: bool = NO_OCR_OPTION,
    wait: bool = typer.Option(False, "--wait", help="If another ingest holds the output, wait for it instead of stopping."),
    follow_symlinks: bool = typer.Option(False, "--follow-symlinks",
                                         help="Follow links to files and folders outside the input folders."),
    engine: Engine = typer.Option(Engine.pool, "--engine",
                                  help="pool: worker processes on this machine; ray: actors on a Ray cluster "
                                       "(pip install 'notices[ray]')."),
    ray_address: Optional[str] = typer.Option(
        None, "--ray-address",
        help="With --engine ray: 'auto' or HOST:PORT joins a running cluster; unset (and no RAY_ADDRESS), a Ray "
             "instance on this machine is started for the run."),
    as_json: bool = typer.Option(False, "--json", help="Print the run summary as JSON."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress and no per-file lines on stderr: errors only."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="A line for every file on stderr."),
    log_file: Optional[Path] = typer.Option(None, "--log-file", help="Also log everything, with times, to FILE."),
) -> None:
    """Ingest notices into Delta Lake tables (notices, items, item_units, dates, errors, runs).

    Exit status: 0 when every file is ingested or already was; 1 when some files
    are quarantined (see the `errors` table); 2 when a path does not exist or a
    setting is bad; 3 when another ingest holds OUT; 4 when OUT cannot be
    written; 5 when --engine ray cannot run (Ray missing, the cluster out of
    reach); 130 when interrupted (what was committed stays; run again to resume).

    Python: pipeline.ingest.ingest(paths, out, jobs, force, chunk_size, timeout, memory_mb, wait, ...,
    engine, ray_address)
    """
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        _fail(f"{display_path(missing[0])}: no such file or folder")
    if engine is Engine.pool and ray_address:
        _fail("--ray-address is for --engine ray")
    _check_environment()
    _no_ocr(no_ocr)
    with _logging(quiet, verbose, log_file) as logger:
        _ingest(paths, out, jobs, force, retry_errors, chunk_size, timeout, memory_mb, wait, follow_symlinks, as_json,
                quiet, logger, engine.value, ray_address)


def _ingest(paths, out, jobs, force, retry_errors, chunk_size, timeout, memory_mb, wait, follow_symlinks, as_json, quiet,
            logger, engine, ray_address) -> None:
    from pipeline.ingest import IngestInterrupted
    from pipeline.ingest import ingest as run_ingest
    from pipeline.ray_engine import RayEngineError
    from pipeline.writer import OutputLocked

    err = _c.err
    show_bar = not (as_json or quiet) and err.is_terminal
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("[bold]ingest[/bold]"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                   TimeElapsedColumn(), console=err, transient=True, disable=not show_bar)
    task = bar.add_task("ingest", total=None, info="")
    lines = _ProgressLines(logger)

    def progress(event: str, s) -> None:
        if show_bar:
            bar.update(task, completed=s.done, total=s.files_seen,
                       info=f"{s.ingested} in, {s.skipped_duplicates + s.skipped_known_errors} skipped, {s.quarantined} quarantined")
        else:
            lines(event, s)

    try:
        with bar:
            s = run_ingest([str(p) for p in paths], out, jobs=jobs, force=force, chunk_size=chunk_size, timeout=timeout,
                           memory_mb=memory_mb, wait=wait, progress=progress, retry_errors=retry_errors,
                           follow_symlinks=follow_symlinks, engine=engine, ray_address=ray_address)
    except RayEngineError as e:
        _fail(str(e), EXIT_ENGINE)
    except OutputLocked as e:
        _fail(str(e), EXIT_LOCKED)
    except OutputError as e:
        _fail(str(e), EXIT_OUTPUT)
    except ConfigError as e:
        _fail(str(e))
    except IngestInterrupted as e:
        s = e.summary
        err.print(f"[red]interrupted:[/red] this run committed {s.committed} of the {s.done} files it had finished "
                  f"(run {s.run_id}; the tables in {escape(display_path(out))} are at their last commit). "
                  "Run the same command again to resume: files already in are skipped.", highlight=False)
        raise typer.Exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        err.print("[red]interrupted:[/red] before any file was committed; run the same command again.", highlight=False)
        raise typer.Exit(EXIT_INTERRUPTED)
    if as_json:
        _dump_json({
            "run_id": s.run_id, "out": display_path(s.out), "files_seen": s.files_seen, "ingested": s.ingested,
            "skipped_duplicates": s.skipped_duplicates, "skipped_known_errors": s.skipped_known_errors,
            "quarantined": s.quarantined, "items": s.items, "warnings": s.warnings, "pages": s.pages,
            "errors": [vars(e) for e in s.errors], "versions": s.versions, "exit_code": s.exit_code,
            "seconds": (s.finished_at - s.started_at).total_seconds(), "commit_seconds": s.commit_seconds,
            "engine": s.engine, "workers": s.workers, "cluster_nodes": s.cluster_nodes, "cluster_cpus": s.cluster_cpus,
        })
    elif not quiet:
        _print_summary(s)
    raise typer.Exit(EXIT_QUARANTINED if s.exit_code else EXIT_OK)


def _print_summary(s) -> None:
    console = _c.out
    seconds = (s.finished_at - s.started_at).total_seconds()
    t = RichTable(title=f"run {s.run_id} → {escape(display_path(s.out))} ({seconds:.1f} s)", show_header=False,
                  title_justify="left")
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
    t.add_row("engine", f"{s.engine}: {s.workers} workers" + (
        f" on {s.cluster_nodes} node{'s' if s.cluster_nodes != 1 else ''} ({s.cluster_cpus} CPUs)" if s.engine == "ray" else ""))
    console.print(t)
    if s.errors:
        e = RichTable(title="quarantined files", title_justify="left")
        for col in ("code", "file", "reason"):
            e.add_column(col, overflow="fold")
        for err in s.errors[:50]:
            e.add_row(err.code, escape(err.path), escape(err.message))
        console.print(e)
        if len(s.errors) > 50:
            console.print(f"... and {len(s.errors) - 50} more: see the errors table", highlight=False)
        console.print("by code: " + ", ".join(f"{c} {n}" for c, n in s.error_counts().most_common()), highlight=False)
    if s.skipped_known_errors:
        console.print(f"{s.skipped_known_errors} files were quarantined by an earlier run of this version for a reason "
                      "in their bytes (errors table); --retry-errors retries them", highlight=False)


AS_OF_HELP = "The table as an earlier run left it: a Delta version number, a run_id, or a time (ISO 8601, UTC)."


def _output_folder(out: str) -> None:
    from pipeline.writer import is_object_store

    if is_object_store(out):
        return  # a missing table there reads as empty, as a new folder's does
    out = Path(out)
    if not out.is_dir():
        _fail(f"{display_path(out)}: no such output folder" if not out.exists() else f"{display_path(out)}: not a folder")


def _load_table(out: str, name: str, as_of: Optional[str], where: Optional[list[str]] = None):
    from pipeline.export import load, select_rows
    from pipeline.writer import VersionGone

    try:
        return select_rows(load(out, name, as_of), where)
    except VersionGone as e:
        _fail(str(e))
    except (KeyError, ValueError) as e:
        _fail(str(e).strip("'\""))


@app.command()
def export(
    table: str = typer.Argument(..., help="notices, items, item_units, dates, errors, runs, or flat (items with their notice)."),
    out_file: Optional[Path] = typer.Option(None, "--out", help="FILE.xlsx, .csv (with a BOM), .jsonl or .parquet; default TABLE.xlsx."),
    data: str = typer.Option("output", "--data", help="Ingest output to read (a folder or s3://... URI)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help=AS_OF_HELP),
    where: Optional[list[str]] = typer.Option(None, "--where", help="COLUMN=VALUE, COLUMN!=VALUE or COLUMN~TEXT; repeat to AND."),
) -> None:
    """Write a table of the output (or the flat join staff want) to a file Excel opens.

    Python: pipeline.export.export(out, table, path, as_of=None, where=None) -> rows
    """
    from pipeline.export import SUFFIXES, docs_for, write

    _output_folder(data)
    target = out_file or Path(f"{table}.xlsx")
    if target.suffix.lower() not in SUFFIXES:
        _fail(f"{display_path(target)}: write {', '.join(SUFFIXES)}")
    rows = _load_table(data, table, as_of, where)
    try:
        n = write(rows, target, sheet=table, docs=docs_for(table))
    except OSError as e:
        _fail(f"{display_path(target)}: cannot write it: {e.strerror or e}", code=4)
    _c.out.print(f"wrote {n} rows of {escape(table)} to {escape(display_path(target))}", highlight=False)


@app.command()
def history(
    out: str = typer.Option("output", "--out", "-o", help="Output root (a folder or s3://... URI)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help=AS_OF_HELP + " With --table."),
    table: Optional[str] = typer.Option(None, "--table", help="Show this table (as of --as-of) instead of the runs."),
) -> None:
    """List the ingest runs with the table versions each left, or show a table as
    an earlier run left it (--table NAME --as-of RUN_ID|VERSION|TIME).

    Python: pipeline.writer.read_table(out, "runs"); read_table(out, name, as_of=run_id or version)
    """
    from pipeline.writer import read_table

    _output_folder(out)
    if table or as_of:
        rows = _load_table(out, table or "notices", as_of)
        if as_json:
            _dump_json(rows.to_pylist())
            return
        _print_rows(rows, f"{table or 'notices'}{f' as of {as_of}' if as_of else ''}: {rows.num_rows} rows")
        return
    runs = sorted(read_table(out, "runs").to_pylist(), key=lambda r: r["started_at"])
    if as_json:
        _dump_json(runs)
        return
    console = _c.out
    if not runs:
        console.print(f"no runs in {escape(display_path(out))}", highlight=False)
        return
    t = RichTable(title=f"runs in {escape(display_path(out))}")
    for col in ("run_id", "finished (UTC)", "in", "skipped", "quarantined", "items", "versions n/i/u/d/e"):
        t.add_column(col, no_wrap=True)
    for r in runs:
        versions = "/".join(str(r[f"{n}_version"]) if r[f"{n}_version"] is not None else "-"
                            for n in ("notices", "items", "item_units", "dates", "errors"))
        t.add_row(r["run_id"], r["finished_at"].strftime("%Y-%m-%d %H:%M"), str(r["ingested"]),
                  str(r["skipped_duplicates"] + r["skipped_known_errors"]), str(r["quarantined"]), str(r["items"]), versions)
    console.print(t)


def _print_rows(rows, title: str, limit: int = 20) -> None:
    """The first rows of a table, its widest columns cut, for a terminal."""
    from pipeline.export import cell_value

    console = _c.out
    console.print(escape(title), highlight=False)
    if not rows.num_rows:
        return
    t = RichTable()
    names = rows.column_names[:8]
    for name in names:
        t.add_column(name, overflow="fold", max_width=30)
    for row in rows.slice(0, limit).to_pylist():
        t.add_row(*(escape(str(cell_value(row[n]) if row[n] is not None else ""))[:120] for n in names))
    console.print(t)
    if rows.num_rows > limit or len(rows.column_names) > len(names):
        console.print(f"(first {min(limit, rows.num_rows)} rows, {len(names)} of {len(rows.column_names)} columns: "
                      "--json or `notices export` for all)", highlight=False)


@app.command()
def diff(
    old: Optional[str] = typer.Argument(None, help="Old side: a notice file, or a doc_id (or unique prefix) in --data."),
    new: Optional[str] = typer.Argument(None, help="New side: a notice file, or a doc_id in --data."),
    data: str = typer.Option("output", "--data", help="Ingest output to look doc_ids and issuers up in (a folder or URI)."),
    issuer: Optional[str] = typer.Option(None, "--issuer", help="Compare this issuer's notices of two years (with --years)."),
    years: Optional[Tuple[int, int]] = typer.Option(None, "--years", help="OLD_YEAR NEW_YEAR, with --issuer."),
    item_type: Optional[str] = typer.Option(None, "--type", help="Only schedule, task or list items."),
    threshold: float = typer.Option(0.8, "--threshold", help="Task text similarity (0-1) to count as the same task."),
    out_file: Optional[Path] = typer.Option(None, "--out", help="Write the changes to FILE: .csv, .xlsx, .parquet, .json or .jsonl."),
    html_file: Optional[Path] = typer.Option(None, "--html", help="Write a self-contained HTML report to FILE."),
    as_json: bool = typer.Option(False, "--json", help="Print the changes as JSON."),
    exit_code: bool = typer.Option(False, "--exit-code", help="Exit 1 when there are changes, 0 when none (as git diff)."),
) -> None:
    """What changed between two notices: units added or dropped, dates moved,
    deadlines earlier or later, tasks reworded, added, removed or moved between units.

    Python: pipeline.diff.diff(load_side(old), load_side(new), threshold, item_type)
    """
    from dataclasses import asdict

    from pipeline import diff as d

    if not 0 < threshold <= 1:
        _fail("--threshold is a similarity between 0 and 1")
    try:
        if issuer:
            if not years:
                _fail("--issuer needs --years OLD_YEAR NEW_YEAR")
            said: list[str] = []
            old_items = d.load_dataset(data, issuer=issuer, year=years[0], said=said)
            new_items = d.load_dataset(data, issuer=issuer, year=years[1], said=said)
            for line in said:
                _c.err.print(escape(line), highlight=False)
            old_label, new_label = f"{issuer} {years[0]}", f"{issuer} {years[1]}"
        else:
            if not (old and new):
                _fail("give OLD and NEW (files or doc_ids), or --issuer with --years")
            old_items, new_items = d.load_side(old, data), d.load_side(new, data)
            old_label, new_label = old, new
    except NoticeError as e:
        _fail(f"{display_path(e.path or '')}: {e.message} [{e.code}]")
    except (LookupError, FileNotFoundError) as e:
        _fail(str(e).strip("'\""))
    changes = d.diff(old_items, new_items, threshold=threshold, item_type=item_type)
    if out_file:
        try:
            d.save(changes, out_file)
        except ValueError as e:
            _fail(str(e))
    if html_file:
        import datetime as dt

        from pipeline.records import PIPELINE_VERSION
        from pipeline.report import Side, render_report

        page = render_report(changes, Side.from_items(old_label, old_items), Side.from_items(new_label, new_items),
                             threshold, dt.datetime.now().astimezone(), PIPELINE_VERSION)
        try:
            html_file.write_text(page, encoding="utf-8")
        except OSError as e:
            _fail(f"{display_path(html_file)}: cannot write it: {e.strerror or e}", code=4)
    if as_json:
        _dump_json([asdict(c) for c in changes])
    else:
        _print_changes(changes, old_label, new_label)
    if exit_code and changes:
        raise typer.Exit(1)


def _print_changes(changes, old_label: str, new_label: str) -> None:
    from pipeline import diff as d

    c = d.counts(changes)
    console = _c.out
    console.print(f"[bold]{len(changes)} changes[/bold] from {escape(old_label)} to {escape(new_label)}", highlight=False)
    for kind in d.CHANGE_TYPES:
        group = [ch for ch in changes if ch.change_type == kind]
        if not group:
            continue
        t = RichTable(title=f"{kind} ({c[kind]})", title_justify="left")
        for col in ("unit / task", "old", "new", "shift", "sim", "old at", "new at"):
            t.add_column(col, overflow="fold")
        for ch in group:
            at = lambda p, r: f"p{p or '-'} r{r or '-'}"  # noqa: E731
            t.add_row(escape(ch.unit or (ch.task or "")[:40]), escape(ch.old_value or ""), escape(ch.new_value or ""),
                      "" if ch.shift_days is None else f"{ch.shift_days:+d}",
                      "" if ch.similarity is None else f"{ch.similarity:.2f}",
                      at(ch.old_page, ch.old_row) if ch.old_source_path else "",
                      at(ch.new_page, ch.new_row) if ch.new_source_path else "")
        console.print(t)


@app.command()
def extract(
    file: Path = typer.Argument(..., help="A notice file: PDF, DOCX or text."),
    as_json: bool = typer.Option(False, "--json", help="Print the extraction as JSON."),
    timeout: float = TIMEOUT_OPTION,
    memory_mb: int = MEMORY_OPTION,
    no_ocr: bool = NO_OCR_OPTION,
) -> None:
    """Show what the extractors find in one notice: metadata, rows, body dates.

    --json prints the rows ingest would write for it: {"notice": ..., "items": [...],
    "item_units": [...], "dates": [...]}, with the columns of the tables.

    Python: extractors.notice.extract_file(path) -> ExtractionResult; pipeline.records.result_rows(result)
    """
    from pipeline.records import result_rows

    _one_file(file, "extract")
    _check_environment()
    _no_ocr(no_ocr)
    r = _run_capped(file, "extract", timeout, memory_mb)
    if as_json:
        rows = result_rows(r)
        _dump_json({"notice": rows["notices"][0], **{name: rows[name] for name in ("items", "item_units", "dates")}})
        return
    console = _c.out
    m = r.meta
    rows = [("title", m.title), ("issuer", m.issuer), ("doc_number", m.doc_number.text if m.doc_number else None),
            ("recipients", "；".join(m.recipients)), ("issue_date", m.issue_date), ("year", f"{m.year} (from {m.year_source})"),
            ("attachments", "；".join(m.attachments)),
            ("contacts", " ".join(m.contact_names + m.contact_phones + m.contact_emails))]
    for k, v in rows:
        console.print(f"[bold]{k:>11}[/bold] {escape(str(v)) if v not in (None, '') else '—'}", highlight=False)
    table = RichTable(title=f"{len(r.items)} items", show_lines=False)
    for col in ("#", "type", "page/table/row", "units", "theme/task", "date", "kind", "start", "end", "warnings"):
        table.add_column(col, overflow="fold")
    for it in r.items:
        d = it.date
        table.add_row(str(it.item_no), it.item_type, f"{it.source_page or '-'}/{it.source_table or '-'}/{it.source_row or '-'}",
                      escape("、".join(it.units_canonical)), escape((it.theme or it.task or it.category or "")[:40]),
                      escape(it.date_text or ""), d.kind if d else "", str(d.start or "") if d else "",
                      str(d.end or "") if d else "", escape("; ".join(it.warnings)))
    console.print(table)
    for bd in r.dates:
        console.print(f"[dim]date in text:[/dim] {escape(bd.date.text)} ({bd.date.kind} {bd.date.start or ''}.."
                      f"{bd.date.end or ''}) — {escape(bd.sentence[:60])}", highlight=False)
    if r.unknown_units:
        console.print(f"[yellow]units not in the alias table or dictionary ({len(r.unknown_units)}):[/yellow] "
                      f"{escape('、'.join(r.unknown_units))}", highlight=False)
    for w in r.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(w)}", highlight=False)


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
            console = _c.out
            for item in found:
                for m in item["matches"]:
                    console.print(f"\\[{m['start']}:{m['end']}] {escape(m['text'])}  {m['span']['kind']}  {_fmt_span(m)}",
                                  highlight=False)
        return
    spans = [normalize(text, ref_year=year, ref_date=ref_date) for text in expressions]
    if as_json:
        _dump_json([s.to_json() for s in spans])
        return
    console = _c.out
    table = RichTable(show_header=True, header_style="bold")
    for col in ("text", "kind", "start", "end", "precision", "details", "warnings"):
        table.add_column(col, overflow="fold", no_wrap=col in ("kind", "start", "end", "precision"))
    for s in spans:
        d = s.to_json()
        table.add_row(escape(s.text), s.kind, d["start"] or "", d["end"] or "", s.precision or "", _details(d),
                      escape("; ".join(s.warnings)))
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
        console = _c.out
        table = RichTable(title="F1 per field (— = nothing to find)", show_lines=False)
        table.add_column("file", no_wrap=True)
        short = {"doc_number_prefix": "dn_prefix", "doc_number_year": "dn_year", "doc_number_seq": "dn_seq",
                 "contact_names": "c_names", "contact_phones": "c_phones", "contact_emails": "c_emails",
                 "units_canonical": "units_canon", "subcategory": "subcat"}
        for name in fields:
            table.add_column(short.get(name, name) + ("" if name in GATED else "*"), justify="right")
        for f in report.files:
            row = [escape(f"{f.source[:3]}.{f.format}")]
            for name in fields:
                s = f.scores.get(name)
                row.append("ERR" if f.error else ("—" if s is None or not s.counted else f"{s.f1:.2f}"))
            table.add_row(*row)
        overall = report.overall()
        table.add_row("[bold]overall[/bold]", *[f"{overall[n].f1:.3f}" if n in overall and overall[n].counted else "—" for n in fields])
        console.print(table)
        console.print("* not gated: reported only (text dumps cannot show 工作任务 groups exactly)")
        for src, fmt, name, f1 in failures:
            console.print(f"[red]below {threshold}:[/red] {escape(f'{src}.{fmt}')} {name} F1={f1:.3f}", highlight=False)
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
