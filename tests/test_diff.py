"""The audit diff on the samples and next year's versions of them."""
from __future__ import annotations

import datetime as dt
import html.parser
import json
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from helpers import ROOT
from pipeline.diff import DiffItem, counts, diff, diff_tasks, load_dataset, load_file, save, to_html
from pipeline.ingest import ingest

sys.path.insert(0, str(ROOT / "samples"))
from build_samples import NEXT_YEAR_CHANGES  # noqa: E402  (what the samples script changed)

SAMPLES = ROOT / "samples" / "notices"
NEXT = ROOT / "samples" / "next_year"
FORMATS = ("txt", "docx", "pdf")


def path(folder: Path, prefix: str, fmt: str) -> Path:
    return next(folder.glob(f"{prefix}_*.{fmt}"))


@lru_cache(maxsize=None)
def items(folder: Path, prefix: str, fmt: str) -> tuple[DiffItem, ...]:
    return tuple(load_file(path(folder, prefix, fmt)))


def observed(changes) -> list[tuple]:
    out = []
    for c in changes:
        key = c.unit if c.change_type in ("unit_added", "unit_removed", "date_moved", "theme_changed",
                                          "date_kind_changed") and c.item_type != "task" else None
        if key is None:
            key = c.task
        out.append((c.change_type, key, c.old_value, c.new_value))
    return out


def expected(prefix: str) -> list[tuple]:
    return NEXT_YEAR_CHANGES[prefix]


def matches(got: tuple, want: tuple) -> bool:
    kind, key, old, new = want
    if got[0] != kind or not (got[1] or "").startswith(key):
        return False
    if kind in ("task_removed", "task_added"):
        return True  # old/new carry the date text there
    return got[2] == old and got[3] == new


@pytest.mark.parametrize("prefix", ["000", "001", "002"])
@pytest.mark.parametrize("old_fmt,new_fmt", [(f, f) for f in FORMATS] + [("txt", "pdf"), ("pdf", "docx")])
def test_the_diff_reports_exactly_the_known_changes(prefix, old_fmt, new_fmt):
    changes = diff(list(items(SAMPLES, prefix, old_fmt)), list(items(NEXT, prefix, new_fmt)))
    got = observed(changes)
    want = expected(prefix)
    assert len(got) == len(want), got
    for w in want:
        assert sum(matches(g, w) for g in got) == 1, (w, got)


@pytest.mark.parametrize("prefix", ["000", "001", "002"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_notice_against_itself_has_no_change(prefix, fmt):
    assert diff(list(items(SAMPLES, prefix, fmt)), list(items(SAMPLES, prefix, fmt))) == []


def test_shifts_compare_by_day_of_year_and_keep_provenance():
    changes = diff(list(items(SAMPLES, "000", "pdf")), list(items(NEXT, "000", "pdf")))
    moved = {c.unit: c for c in changes if c.change_type == "date_moved"}
    assert {u: c.shift_days for u, c in moved.items()} == {"达州市教育局": 5, "达州市公安局": -5, "达州市审计局": 7}
    c = moved["达州市教育局"]
    assert c.old_source_path.endswith("000_667d92ae8c820e6e.pdf") and c.new_source_path.endswith("_2023.pdf")
    assert (c.old_page, c.old_row) == (4, 3) and c.new_row == 3
    # 市发展改革委 is written 市发展和改革委员会 next year: one unit, no change
    assert not any("发展和改革" in (c.unit or "") for c in changes)


def test_deadline_shifts_and_task_similarity():
    changes = diff(list(items(SAMPLES, "002", "docx")), list(items(NEXT, "002", "docx")))
    by_kind = {c.change_type: c for c in changes}
    assert by_kind["deadline_earlier"].shift_days == -30
    assert by_kind["deadline_later"].shift_days == 31
    assert 0.9 < by_kind["task_reworded"].similarity < 1
    # a stricter threshold than the rewording's similarity makes it a removal and an addition
    strict = diff(list(items(SAMPLES, "002", "docx")), list(items(NEXT, "002", "docx")), threshold=0.95)
    assert counts(strict)["task_reworded"] == 0
    assert counts(strict)["task_removed"] == 2 and counts(strict)["task_added"] == 2


def test_units_that_cannot_be_matched_are_added_and_removed_not_merged():
    old = [DiffItem("schedule", ["市文体旅游局"], ["达州市文体旅游局"], None, None, "5月27日", "day",
                    dt.date(2022, 5, 27), dt.date(2022, 5, 27), 2022, "a", "a.txt", None, 1)]
    new = [DiffItem("schedule", ["市文化体育和旅游局"], ["达州市文化体育和旅游局"], None, None, "5月27日", "day",
                    dt.date(2023, 5, 27), dt.date(2023, 5, 27), 2023, "b", "b.txt", None, 1)]
    assert sorted(c.change_type for c in diff(old, new)) == ["unit_added", "unit_removed"]


def test_a_task_moved_between_units_is_one_task():
    mk = lambda units, y: DiffItem("task", units, units, None, "公开预算信息。", "10月30日前", "deadline", None,  # noqa: E731
                                   dt.date(y, 10, 30), y, str(y), f"{y}.txt", None, 1)
    changes = diff_tasks([mk(["达州市财政局"], 2022)], [mk(["达州市审计局"], 2023)])
    assert sorted((c.change_type, c.unit) for c in changes) == [
        ("units_added_to_task", "达州市审计局"), ("units_removed_from_task", "达州市财政局")]


def test_output_files(tmp_path):
    changes = diff(list(items(SAMPLES, "001", "txt")), list(items(NEXT, "001", "txt")))
    save(changes, tmp_path / "d.csv")
    save(changes, tmp_path / "d.parquet")
    save(changes, tmp_path / "d.json")
    assert (tmp_path / "d.csv").read_bytes().startswith(b"\xef\xbb\xbf\"change_type\"")
    assert pq.read_table(tmp_path / "d.parquet").num_rows == len(changes) == 7
    assert {r["change_type"] for r in json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))} == {
        "theme_changed", "date_moved", "date_kind_changed", "unit_removed", "unit_added"}
    with pytest.raises(ValueError):
        save(changes, tmp_path / "d.txt")


def test_diff_from_the_dataset_by_issuer_and_years(tmp_path):
    ingest([path(SAMPLES, "000", "txt"), path(NEXT, "000", "txt")], out=tmp_path, jobs=1)
    old = load_dataset(tmp_path, issuer="达州市人民政府办公室", year=2022)
    new = load_dataset(tmp_path, issuer="达州市人民政府办公室", year=2023)
    assert sorted(counts(diff(old, new)).items()) == [("date_moved", 3), ("unit_added", 2), ("unit_removed", 2)]


# --------------------------------------------------------------------------- HTML in a real browser


class _Cells(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(chromium() is None, reason="no headless Chromium here (Debian: apt-get install chromium)")
def test_html_report_renders_in_headless_chromium(tmp_path):
    changes = diff(list(items(SAMPLES, "002", "docx")), list(items(NEXT, "002", "docx")))
    report = tmp_path / "report.html"
    report.write_text(to_html(changes, "2022", "2023", title="达州 2022 → 2023"), encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=2000", "--dump-dom"]
    dom = subprocess.run([chromium(), *flags, report.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    cells = _Cells()
    cells.feed(dom.stdout)
    summary, table = cells.tables
    assert ["total", "8"] in summary
    assert table[0][0] == "change_type" and len(table) - 1 == len(changes) == 8
    assert {row[0] for row in table[1:]} == {c.change_type for c in changes}
    assert "达州 2022 → 2023" in dom.stdout


# --------------------------------------------------------------------------- the dataset side


@pytest.fixture(scope="module")
def three_formats(tmp_path_factory):
    """000 of 2022 and 2023, each ingested as TXT, DOCX and PDF."""
    out = tmp_path_factory.mktemp("three_formats")
    files = [path(folder, "000", fmt) for folder in (SAMPLES, NEXT) for fmt in ("txt", "docx", "pdf")]
    ingest(files, out=out, jobs=1)
    return out


def test_a_notice_ingested_in_three_formats_is_compared_once(three_formats):
    said: list[str] = []
    old = load_dataset(three_formats, issuer="达州市人民政府办公室", year=2022, said=said)
    new = load_dataset(three_formats, issuer="达州市人民政府办公室", year=2023, said=said)
    assert sorted(counts(diff(old, new)).items()) == [("date_moved", 3), ("unit_added", 2), ("unit_removed", 2)]
    assert {Path(i.source_path).suffix for i in old + new} == {".docx"}
    assert len(said) == 2 and all("one notice in 3 copies; compared from its docx" in line for line in said)


ONE_COPY_CASES = [
    # (notices as the table holds them, the paths chosen)
    ([{"doc_id": "a", "source_path": "x.txt", "source_format": "txt", "issuer": "甲", "title": "关于A的通知", "doc_number": "甲发〔2022〕1号"},
      {"doc_id": "b", "source_path": "x.pdf", "source_format": "pdf", "issuer": "甲", "title": "关于A的通知", "doc_number": "甲发〔2022〕1号"}],
     ["x.pdf"]),
    # the same title under two document numbers: two notices
    ([{"doc_id": "a", "source_path": "x.docx", "source_format": "docx", "issuer": "甲", "title": "关于A的通知", "doc_number": "甲发〔2022〕1号"},
      {"doc_id": "b", "source_path": "y.docx", "source_format": "docx", "issuer": "甲", "title": "关于A的通知", "doc_number": "甲发〔2022〕2号"}],
     ["x.docx", "y.docx"]),
    # no document number: issuer and title; spaces and punctuation do not matter
    ([{"doc_id": "a", "source_path": "x.html", "source_format": "html", "issuer": "甲", "title": "关于A的 通知", "doc_number": None},
      {"doc_id": "b", "source_path": "x.ofd", "source_format": "ofd", "issuer": "甲", "title": "关于A的通知", "doc_number": None}],
     ["x.ofd"]),
    # no title and no number: never merged
    ([{"doc_id": "a", "source_path": "x.txt", "source_format": "txt", "issuer": "甲", "title": None, "doc_number": None},
      {"doc_id": "b", "source_path": "y.txt", "source_format": "txt", "issuer": "甲", "title": None, "doc_number": None}],
     ["x.txt", "y.txt"]),
]


@pytest.mark.parametrize("notices,chosen", ONE_COPY_CASES)
def test_one_copy_of_each_notice_is_chosen(notices, chosen):
    from pipeline.diff import one_copy_each

    picked, _ = one_copy_each(notices)
    assert sorted(n["source_path"] for n in picked) == chosen


def test_diff_exit_code_and_doc_id_prefixes(three_formats):
    from helpers import run_cli
    from pipeline.writer import read_table

    ids = {Path(n["source_path"]).name: n["doc_id"] for n in read_table(three_formats, "notices").to_pylist()}
    old, new = ids["000_667d92ae8c820e6e.docx"], ids["000_667d92ae8c820e6e_2023.docx"]
    changed = run_cli("diff", old[:4], new[:5], "--data", str(three_formats), "--exit-code", "--json")
    assert changed.returncode == 1, changed.stderr
    assert len(json.loads(changed.stdout)) == 7
    same = run_cli("diff", old[:8], ids["000_667d92ae8c820e6e.pdf"], "--data", str(three_formats), "--exit-code")
    assert same.returncode == 0, same.stderr
    without = run_cli("diff", old, new, "--data", str(three_formats))
    assert without.returncode == 0
    short = run_cli("diff", old[:3], new, "--data", str(three_formats))
    assert short.returncode == 2 and "not a file, nor a doc_id" in short.stderr
    by_issuer = run_cli("diff", "--issuer", "达州市人民政府办公室", "--years", "2022", "2023", "--data", str(three_formats),
                        "--exit-code")
    assert by_issuer.returncode == 1 and "compared from its docx" in by_issuer.stderr
