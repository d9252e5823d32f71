"""The audit report (pipeline.report): the rendered HTML, and the page in a real browser."""
from __future__ import annotations

import datetime as dt
import html.parser
import json
import shutil
import subprocess
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import pytest

from helpers import ROOT
from pipeline.diff import Change, diff, load_file, to_html
from pipeline.report import Side, mark_changes, render_report

OLD_002 = ROOT / "samples" / "notices" / "002_f368b6cade0a67ca.docx"
NEW_002 = ROOT / "samples" / "next_year" / "002_f368b6cade0a67ca_2023.docx"
MADE = dt.datetime(2024, 3, 5, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def change(kind: str = "task_added", **kw) -> Change:
    base = dict(change_type=kind, item_type="task", unit=None, task="公开预算信息。", old_value=None, new_value=None,
                shift_days=None, similarity=None, old_source_path=None, old_page=None, old_row=None,
                new_source_path="notices/2023.docx", new_page=None, new_row=1)
    base.update(kw)
    return Change(**base)


def render(changes, old: Side | None = None, new: Side | None = None, **kw) -> str:
    return render_report(changes, old or Side("2022"), new or Side("2023"), kw.pop("threshold", 0.8),
                         kw.pop("made_at", MADE), kw.pop("version", "1.2.3"), **kw)


class Page(html.parser.HTMLParser):
    """Elements with their attributes, and the text of each table's rows (per table id)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.rows: dict[str, list[list[dict]]] = {}
        self._table: list[str] = []
        self._cell: dict | None = None
        self._section = ""
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.elements.append((tag, a))
        if tag == "table":
            self._table.append(a.get("id", "?"))
            self.rows.setdefault(self._table[-1], [])
        elif tag in ("thead", "tbody", "tfoot"):
            self._section = tag
        elif tag == "tr" and self._table:
            self.rows[self._table[-1]].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = {"attrs": a, "text": [], "section": self._section}

    def handle_endtag(self, tag):
        if tag == "table":
            self._table.pop()
        elif tag in ("td", "th") and self._cell is not None:
            self._cell["text"] = "".join(self._cell["text"]).strip()
            self.rows[self._table[-1]][-1].append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"].append(data)

    def body_rows(self, table: str) -> list[list[dict]]:
        return [r for r in self.rows[table] if r and r[0]["section"] == "tbody"]

    def column(self, table: str, name: str) -> list[dict]:
        head = [c["attrs"].get("data-col") for c in self.rows[table][0]]
        return [r[head.index(name)] for r in self.body_rows(table)]


# --------------------------------------------------------------------------- the HTML


HOSTILE = [
    # (field of the change, hostile text)
    ("task", "<script>alert(1)</script>"),
    ("unit", '"><img src=x onerror=alert(1)>'),
    ("new_value", "</td></tr></table><script>alert(2)</script>"),
    ("new_source_path", 'x"onmouseover="alert(3).docx'),
]


@pytest.mark.parametrize("field,text", HOSTILE)
def test_hostile_text_is_shown_as_text_and_never_becomes_markup(field, text):
    page_text = render([change(**{field: text})], new=Side("2023", title="<b>标题</b>"))
    page = Page(page_text)
    assert [t for t, _ in page.elements if t in ("img", "b")] == ["b"]  # only the template's own <b> (threshold)
    assert sum(t == "script" for t, _ in page.elements) == 1  # the template's own
    assert not any(k.startswith("on") for _, a in page.elements for k in a)
    assert len(page.body_rows("changes")) == 1
    shown = " ".join(c["text"] + " " + " ".join(v or "" for v in c["attrs"].values())
                     for r in page.body_rows("changes") for c in r)
    assert (Path(text).name if field.endswith("path") else text) in shown
    assert "&lt;b&gt;标题&lt;/b&gt;" in page_text


LINKS = [
    # (path, page, the href's ending); a PDF opens at the page, other files at their start
    ("notices/2022年/关于印发.pdf", 12, "%E5%85%B3%E4%BA%8E%E5%8D%B0%E5%8F%91.pdf#page=12"),
    ("notices/a.docx", None, "/notices/a.docx"),
    ("notices/a.PDF", 3, "/notices/a.PDF#page=3"),
    ("notices/a.pdf", None, "/notices/a.pdf"),
]


@pytest.mark.parametrize("path,page_no,ending", LINKS)
def test_provenance_links_open_the_source_file(path, page_no, ending):
    page = Page(render([change("task_removed", old_source_path=path, old_page=page_no, old_row=7,
                               new_source_path=None, new_row=None)]))
    links = [a for t, a in page.elements if t == "a"]
    assert len(links) == 1
    assert links[0]["href"].startswith("file:///") and links[0]["href"].endswith(ending)
    assert links[0]["title"] == path  # the full path in the tooltip; the cell shows the name
    where = page.column("changes", "old_at")[0]["text"]
    assert where.startswith(Path(path).name) and "row 7" in where
    assert (f"p.{page_no}" in where) == bool(page_no)
    assert page.column("changes", "new_at")[0]["text"] == ""


REWORDINGS = [
    # (old, new, marked old, marked new)
    ("落实教育政策信息公开", "落实教育政策相关信息公开", "落实教育政策信息公开", "落实教育政策<ins>相关</ins>信息公开"),
    ("及时公开地方债务限额", "依法公开地方债务余额", "<del>及时</del>公开地方债务<del>限</del>额",
     "<ins>依法</ins>公开地方债务<ins>余</ins>额"),
    ("公开<预算>", "公开<决算>", "公开&lt;<del>预</del>算&gt;", "公开&lt;<ins>决</ins>算&gt;"),
]


@pytest.mark.parametrize("old,new,want_old,want_new", REWORDINGS)
def test_rewordings_mark_the_changed_characters(old, new, want_old, want_new):
    assert tuple(map(str, mark_changes(old, new))) == (want_old, want_new)
    text = render([change("task_reworded", task=new, old_value=old, new_value=new, similarity=0.9,
                          old_source_path="a.docx", old_row=1)])
    assert f">{want_old}</td>" in text and f">{want_new}</td>" in text


def test_only_rewordings_are_marked():
    text = render([change("deadline_later", old_value="8月30日前", new_value="9月30日前", shift_days=31)])
    assert "<ins>" not in text and "<del>" not in text


def test_the_header_names_both_notices_the_time_the_threshold_and_the_version():
    old = Side("2022", "关于印发2022年工作安排的通知", "达市府办发〔2022〕37号", dt.date(2022, 5, 26), ("a/2022.docx",))
    new = Side("2023", "关于印发2023年工作安排的通知", None, None, ("b/2023.pdf", "b/2023b.pdf"))
    text = render([], old, new, threshold=0.75, version="7.8.9")
    for want in ("关于印发2022年工作安排的通知", "达市府办发〔2022〕37号", "2022-05-26", "a/2022.docx",
                 "关于印发2023年工作安排的通知", "b/2023.pdf", "b/2023b.pdf", "2024-03-05T09:30:00+08:00",
                 '<b id="threshold">0.75</b>', '<span id="version">7.8.9</span>', "<title>2022 → 2023</title>"):
        assert want in text, want
    assert "not recorded" in render([], threshold=None)


def test_the_summary_is_its_own_table_and_never_a_row_among_the_changes():
    changes = [change("task_added"), change("task_added", task="乙"), change("unit_removed", unit="市统计局")]
    page = Page(render(changes))
    summary = [[c["text"] for c in r] for r in page.rows["summary"][1:]]
    assert summary == [["unit_removed", "1"], ["task_added", "2"], ["total", "3"]]
    rows = page.body_rows("changes")
    assert [r[0]["text"] for r in rows] == ["task_added", "task_added", "unit_removed"]
    options = [a.get("value") for t, a in page.elements if t == "option"]
    assert options[:3] == ["", "unit_removed", "task_added"]  # the type filter: what the report has


def test_sort_keys_are_blank_for_missing_values_and_numbers_otherwise():
    changes = [change("date_moved", shift_days=-30), change("task_added"), change("task_reworded", similarity=0.9375,
                                                                                      old_value="甲", new_value="乙")]
    page = Page(render(changes))
    assert [c["attrs"]["data-v"] for c in page.column("changes", "shift_days")] == ["-30", "", ""]
    assert [c["attrs"]["data-v"] for c in page.column("changes", "similarity")] == ["", "", "0.938"]
    # provenance sorts by file name, then page, table and row as numbers
    keys = [c["attrs"]["data-v"] for c in page.column("changes", "new_at")]
    assert keys[0] == "2023.docx\x1f000000\x1f000000\x1f000001"


@lru_cache(maxsize=None)
def items_002() -> tuple[tuple, tuple]:
    return tuple(load_file(OLD_002)), tuple(load_file(NEW_002))


def report_002() -> tuple[str, list[Change]]:
    old, new = items_002()
    changes = diff(list(old), list(new))
    return render(changes, Side.from_items("2022", old), Side.from_items("2023", new)), changes


def test_sides_from_real_items_carry_the_notices_and_the_table_numbers():
    old, new = items_002()
    side = Side.from_items("2022", old)
    assert (side.title, side.doc_number, side.issue_date) == (
        "达州市人民政府办公室关于印发2022年全市政务公开重点工作安排的通知", "达市府办发〔2022〕37号", dt.date(2022, 5, 26))
    assert len(side.paths) == 1 and Path(side.paths[0]).name == OLD_002.name
    text, changes = report_002()
    page = Page(text)
    where = [c["text"] for c in page.column("changes", "old_at")]
    assert where[0].endswith("table 1 row 1") and where[0].startswith(OLD_002.name)
    # a task change's units come from the task, so the unit filter finds it
    rows = [a for t, a in page.elements if t == "tr" and "data-units" in a]
    assert "达州市发展和改革委员会" in json.loads(rows[0]["data-units"])


def test_a_side_of_several_notices_joins_titles_and_numbers():
    old, _ = items_002()
    other = [replace(i, source_path="b.pdf", title="另一个通知", doc_number="甲〔2022〕1号", issue_date=dt.date(2022, 1, 1))
             for i in old[:2]]
    side = Side.from_items("2022", list(old) + other)
    assert side.title.endswith("；另一个通知") and side.doc_number == "达市府办发〔2022〕37号、甲〔2022〕1号"
    assert side.issue_date is None and len(side.paths) == 2


def test_to_html_is_a_thin_wrapper_that_still_renders_the_report():
    text = to_html([change()], "old.docx", "new.docx", title="达州 2022 → 2023")
    assert "<title>达州 2022 → 2023</title>" in text and "not recorded" in text
    assert "notices/2023.docx" in text  # the side's file, from the changes


# --------------------------------------------------------------------------- in a real browser

# Measures the page as laid out at 1280x800, then uses its controls, and writes what it saw
# into <pre id="measure"> for --dump-dom to return. Injected into a copy: the report itself
# carries no test code.
SELF_TEST = """
<script>
window.addEventListener("load", function () {
  var out = {}, table = document.getElementById("changes");
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var visible = function () { return rows.filter(function (r) { return r.getClientRects().length > 0; }).length; };
  out.widths = {};
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    out.widths[th.dataset.col] = th.getBoundingClientRect().width; });
  out.rowHeights = rows.map(function (r) { return r.getBoundingClientRect().height; });
  out.viewport = [window.innerWidth, window.innerHeight];
  out.scroll = [document.documentElement.scrollWidth, document.documentElement.clientWidth];
  out.fonts = getComputedStyle(document.body).fontFamily;
  out.rows = visible();
  var set = function (id, value, ev) { var e = document.getElementById(id); e.value = value; e.dispatchEvent(new Event(ev)); };
  set("f-type", "task_added", "change"); out.byType = visible();
  set("f-type", "", "change"); set("f-unit", "达州市人力资源和社会保障局", "change"); out.byUnit = visible();
  set("f-unit", "", "change"); set("f-text", "统计数据", "input"); out.bySearch = visible();
  out.shownText = document.getElementById("shown").textContent;
  set("f-text", "", "input"); out.afterReset = visible();
  var th = table.querySelector("th[data-col=shift_days]"), col = th.cellIndex;
  var order = function () { return Array.prototype.map.call(table.tBodies[0].rows, function (r) {
    return r.cells[col].getAttribute("data-v"); }); };
  th.click(); out.ascending = order(); th.click(); out.descending = order();
  var pre = document.createElement("pre"); pre.id = "measure"; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(chromium() is None, reason="no headless Chromium here (Debian: apt-get install chromium fonts-noto-cjk)")
def test_the_002_report_laid_out_in_headless_chromium(tmp_path):
    text, changes = report_002()
    page = tmp_path / "report.html"
    assert text.count("</body>") == 1
    page.write_text(text.replace("</body>", SELF_TEST + "</body>"), encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--hide-scrollbars",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,800", "--virtual-time-budget=3000",
             "--dump-dom"]
    dom = subprocess.run([chromium(), *flags, page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    start = dom.stdout.find('<pre id="measure">')
    assert start >= 0, dom.stdout[-2000:]
    m = json.loads(html.unescape(dom.stdout[start + len('<pre id="measure">'):dom.stdout.index("</pre>", start)]))
    # the window is 1280x800; headless Chromium keeps some of its height for itself (657 px
    # here), and a row must fit what is left
    assert m["viewport"][0] == 1280 and m["viewport"][1] <= 800
    w = m["widths"]
    # the task column is the widest; dates (old/new, the shift) and units are narrower
    assert all(w["task"] > w[col] for col in w if col != "task"), w
    assert max(m["rowHeights"]) <= m["viewport"][1], m["rowHeights"]
    assert m["scroll"][0] <= m["scroll"][1], m["scroll"]  # no horizontal scroll
    assert m["fonts"].startswith('"Noto Sans CJK SC"')
    kinds = [c.change_type for c in changes]
    assert m["rows"] == m["afterReset"] == len(changes) == 8
    assert m["byType"] == kinds.count("task_added") == 1
    # the unit the 2023 notice added to a task: that change, and the tasks it already shared
    assert 1 <= m["byUnit"] < len(changes)
    assert m["bySearch"] == 1 and m["shownText"] == "1 of 8 changes shown"
    shifts = sorted(c.shift_days for c in changes if c.shift_days is not None)
    blanks = [""] * (len(changes) - len(shifts))
    assert m["ascending"] == [str(s) for s in shifts] + blanks
    assert m["descending"] == [str(s) for s in reversed(shifts)] + blanks
