"""Ingest throughput and memory: prints figures, asserts nothing.

Builds a corpus of N notices from the samples (mixed PDF/DOCX/TXT, one third
each): TXT and DOCX copies get their days and a unit name varied, so every
file's bytes (and doc_id) differ and the extraction does real work; PDF copies
differ by a metadata field (their text would need LibreOffice to change).
Then, for N = 200 and 2,000 and --jobs 1 and 2, runs `notices ingest` in a
fresh process into an empty output and prints files/s, pages/s, items/s, the
time spent committing, and the peak RSS of the whole process tree (parent and
workers, sampled every 50 ms). Runs with N <= 500 are repeated (jobs settings
interleaved) and the median run is reported. Last, end-to-end PDF pages/s
(--jobs 1, 200 PDFs) against the raw PDF reader on the same files in one process.

With --engine ray, every setting runs twice, on the pool and on a Ray instance
the run starts on this machine (`--engine ray`, start-up included: it is paid
once per run), interleaved, and the ratio of Ray to the pool is printed.

    python bench/ingest.py [--sizes 200 2000] [--jobs 1 2] [--engine ray]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "notices"
sys.path.insert(0, str(ROOT))

UNITS = ["市教育局", "市民政局", "市财政局", "市司法局", "市商务局", "市审计局", "市统计局", "市林业局"]


def vary_text(text: str, i: int) -> str:
    rng = random.Random(i)
    text = re.sub(r"(?<=月)(\d{1,2})(?=日)", lambda m: str((int(m.group(1)) + i) % 28 + 1), text)
    return text.replace("市教育局", rng.choice(UNITS), 1)


def make_copy(src: Path, dst: Path, i: int) -> None:
    # a blank line of i-dependent whitespace (TXT) or the document title (DOCX) makes every copy's bytes unique
    if src.suffix == ".txt":
        marker = "\n" + "\u3000" * (i % 64) + " " * (i // 64) + "\n"
        dst.write_text(vary_text(src.read_text(encoding="utf-8"), i) + marker, encoding="utf-8")
    elif src.suffix == ".docx":
        with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info.filename)
                if info.filename == "word/document.xml":
                    data = vary_text(data.decode("utf-8"), i).encode("utf-8")
                elif info.filename == "docProps/core.xml":
                    data = re.sub(rb"<dc:title>.*?</dc:title>|<dc:title/>", b"", data)
                    data = data.replace(b"</cp:coreProperties>", f"<dc:title>copy {i}</dc:title></cp:coreProperties>".encode())
                zout.writestr(info, data)
    else:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(str(src)))
        writer.add_metadata({"/Subject": f"benchmark copy {i}"})
        with open(dst, "wb") as f:
            writer.write(f)


def build_corpus(folder: Path, n: int, formats=("txt", "docx", "pdf")) -> None:
    sources = [p for p in sorted(SAMPLES.iterdir()) if p.suffix.lstrip(".") in formats]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        src = sources[i % len(sources)]
        make_copy(src, folder / f"{i:05d}_{src.name}", i)


def run_ingest(corpus: Path, jobs: int, engine: str = "pool") -> dict:
    out = Path(tempfile.mkdtemp(prefix="bench-out-"))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "ingest", str(corpus), "--out", str(out),
                             "--jobs", str(jobs), "--json", "--engine", engine], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    root = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            tree = [root] + root.children(recursive=True)
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    summary = json.loads(proc.stdout.read())
    shutil.rmtree(out, ignore_errors=True)
    summary.update(wall=wall, peak_rss_mb=peak / 2**20)
    return summary


def raw_pdf_pages_per_s(corpus: Path) -> float:
    from extractors.readers.registry import read_bytes

    files = [(p.read_bytes(), str(p)) for p in sorted(corpus.glob("*.pdf"))]
    for data, path in files[:3]:
        read_bytes(data, path)  # warm
    t0 = time.perf_counter()
    pages = sum(read_bytes(data, path).page_count for data, path in files)
    return pages / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[200, 2000])
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat-small", type=int, default=3, help="runs per setting for N <= 500 (median reported)")
    ap.add_argument("--engine", choices=("pool", "ray"), default="pool",
                    help="ray: also run every setting on Ray, next to the pool")
    ap.add_argument("--skip-pdf", action="store_true", help="leave out the end-to-end PDF figure")
    args = ap.parse_args()
    engines = ["pool", "ray"] if args.engine == "ray" else ["pool"]
    settings = [(e, j) for j in args.jobs for e in engines]
    work = Path(tempfile.mkdtemp(prefix="bench-corpus-"))
    rows = []
    try:
        for n in args.sizes:
            corpus = work / f"mixed-{n}"
            build_corpus(corpus, n)
            repeats = args.repeat_small if n <= 500 else 1
            runs = {setting: [] for setting in settings}
            for _ in range(repeats):  # interleaved, so drift in machine load hits every setting alike
                for engine, jobs in settings:
                    runs[engine, jobs].append(run_ingest(corpus, jobs, engine))
            for engine, jobs in settings:
                s = sorted(runs[engine, jobs], key=lambda r: r["wall"])[len(runs[engine, jobs]) // 2]  # the median run
                rows.append((n, engine, jobs, s))
                print(f"N={n:5d} {engine:4} jobs={jobs}: {s['wall']:7.1f} s  {s['ingested'] / s['wall']:7.1f} files/s  "
                      f"{s['pages'] / s['wall']:7.1f} pages/s  {s['items'] / s['wall']:8.0f} items/s  "
                      f"commit {s['commit_seconds']:5.1f} s  peak RSS {s['peak_rss_mb']:6.0f} MiB  "
                      f"(ingested {s['ingested']}, quarantined {s['quarantined']}; median of {repeats})", flush=True)
        print()
        for n in args.sizes:
            for jobs in args.jobs if "ray" in engines else ():
                pool, ray = (next(s for nn, e, j, s in rows if (nn, e, j) == (n, engine, jobs)) for engine in engines)
                print(f"N={n} jobs={jobs}: Ray {ray['ingested'] / ray['wall']:.1f} files/s, the pool "
                      f"{pool['ingested'] / pool['wall']:.1f}: Ray is {pool['wall'] / ray['wall']:.2f}x as fast; "
                      f"peak RSS {ray['peak_rss_mb']:.0f} MiB against {pool['peak_rss_mb']:.0f} "
                      f"({ray['peak_rss_mb'] / pool['peak_rss_mb']:.2f}x)")
            by_jobs = {j: s for nn, e, j, s in rows if (nn, e) == (n, "pool")}
            if 1 in by_jobs and 2 in by_jobs:
                print(f"N={n}: 2 jobs are {by_jobs[1]['wall'] / by_jobs[2]['wall']:.2f}x as fast as 1")
        sizes = sorted(args.sizes)
        if len(sizes) >= 2:
            for engine, jobs in settings:
                small, big = (next(s for n, e, j, s in rows if (n, e, j) == (size, engine, jobs))
                              for size in (sizes[0], sizes[-1]))
                print(f"{engine} jobs={jobs}: peak RSS at N={sizes[-1]} is "
                      f"{big['peak_rss_mb'] / small['peak_rss_mb']:.2f}x that at N={sizes[0]}")
        if args.skip_pdf:
            return
        pdfs = work / "pdf-200"
        build_corpus(pdfs, 200, formats=("pdf",))
        raw = raw_pdf_pages_per_s(pdfs)
        e2e = run_ingest(pdfs, 1)
        e2e_pps = e2e["pages"] / e2e["wall"]
        print(f"PDF, 200 files, {e2e['pages']} pages: end-to-end ingest --jobs 1 {e2e_pps:.0f} pages/s, raw reader "
              f"{raw:.0f} pages/s: {e2e_pps / raw:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
