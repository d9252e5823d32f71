"""Build DOCX and PDF renderings of the seed notices in samples/notices/.

The seeds are plain-text renderings of real notices (see ../shared/seeds/README.md).
This script rebuilds what the originals looked like, so the real readers are
tested on real files:

* DOCX with python-docx: real Word tables (001's 39-row schedule; 002's 71-row
  responsibility table with its 工作任务 header spanning two columns, category
  columns vertically merged, one row's units and deadline merged with the row
  above, header row marked to repeat), a `_GoBack` bookmark and hidden
  窗体顶端/窗体底端 form markers as Word leaves them, and "— N —" page numbers in
  the footer.
* PDF from that DOCX with LibreOffice headless and a CJK font, so the PDFs have
  multi-page tables with repeated headers, rows broken by page breaks, digits
  in a Western font next to CJK text, and page-number footers.

The seed-specific knowledge here (which lines form the table, the 002 task
groups) is rendering knowledge, not extraction code: the readers and extractors
never see it.

It also builds next year's (2023) versions of 000, 001 and 002 in samples/next_year/
(TXT, DOCX, PDF) with the changes listed in NEXT_YEAR_CHANGES, for the audit diff.

Rebuild (needs LibreOffice and a CJK font; Debian: libreoffice-writer-nogui
fonts-noto-cjk):

    python samples/build_samples.py            # all seeds, DOCX + PDF
    python samples/build_samples.py --docx-only

The generated files are committed, so tests never need LibreOffice.
"""
from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

HERE = Path(__file__).resolve().parent
NOTICES = HERE / "notices"

CJK_SERIF = "Noto Serif CJK SC"  # stands in for 仿宋_GB2312 / 方正小标宋
CJK_SANS = "Noto Sans CJK SC"    # stands in for 黑体
LATIN = "Times New Roman"         # digits in another font: what makes PDF extractors add spaces

# --------------------------------------------------------------------------- spec


@dataclass
class Para:
    text: str
    align: str = "justify"  # justify | center | right | left
    size: float = 16
    bold: bool = False
    font: str = CJK_SERIF
    indent: bool = True  # first-line indent of two characters
    hidden: bool = False  # Word's hidden text (w:vanish), e.g. 窗体顶端
    bookmark: str | None = None  # a bookmark at the start, e.g. _GoBack
    page_break_before: bool = False


@dataclass
class TableSpec:
    header: list[list[tuple[str, int]]]  # header rows: (text, grid columns spanned)
    rows: list[list[str]]  # data rows, one text per grid column
    widths_cm: list[float]
    vmerge: list[tuple[int, int, int]] = field(default_factory=list)  # (col, first row, last row)
    center_cols: set[int] = field(default_factory=set)
    repeat_header: bool = True
    size: float = 12


Element = Para | TableSpec

# --------------------------------------------------------------------------- seed text helpers

CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’"
_ARTIFACT_SPACE = [
    re.compile(rf"(?<=[{CJK}]) +(?=[0-9A-Za-z%])"),
    re.compile(rf"(?<=[0-9A-Za-z%]) +(?=[{CJK}])"),
]


def despace(text: str) -> str:
    """Remove the spaces a PDF extractor put between digits and CJK text; the
    original documents did not have them."""
    for pat in _ARTIFACT_SPACE:
        text = pat.sub("", text)
    return text


HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\([一二三四五六七八九十]+\)|\d+[.．、]|附件)")
PARA_END = "。：；！？”）)"


def reflow(lines: list[str], full: int) -> list[str]:
    """Join printed lines (PDF-derived seeds) back into paragraphs: a line ends
    its paragraph when it ends in closing punctuation and is shorter than a
    full line, or when the next line starts a heading."""
    paras: list[str] = []
    cur = ""
    for i, line in enumerate(lines):
        cur += line
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        short = len(line) < full - 3
        if not nxt or HEADING.match(nxt) or (short and (line[-1] in PARA_END or len(line) < full * 0.6)):
            paras.append(cur)
            cur = ""
    if cur:
        paras.append(cur)
    return paras


def body(text: str, full: int = 26) -> list[Para]:
    return [Para(p) for p in reflow([ln for ln in text.split("\n") if ln], full)]


def heading_style(paras: list[Para]) -> list[Para]:
    """Top-level headings (一、...) in 黑体, as official documents set them."""
    for p in paras:
        if re.match(r"^[一二三四五六七八九十]+、", p.text) and len(p.text) < 30:
            p.font = CJK_SANS
    return paras


def title(*lines: str) -> list[Para]:
    return [Para(t, align="center", size=22, bold=True, indent=False) for t in lines]


def signature(issuer: str, date: str | None) -> list[Para]:
    out = [Para(issuer, align="right", indent=False)]
    if date:
        out.append(Para(date, align="right", indent=False))
    return out


def read_seed(stem: str) -> str:
    return (NOTICES / f"{stem}.txt").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- seeds


def seed_000() -> list[Element]:
    """达州 2022 政务开放日: body, then a 35-row schedule (序号, 市级部门, 时间安排)."""
    raw = read_seed("000_667d92ae8c820e6e")
    lines = [despace(ln.strip()) for ln in raw.split("\n")]
    lines = [ln for ln in lines if ln and not ln.startswith(("http://", "https://", "mailto:"))]
    i_recip = next(i for i, ln in enumerate(lines) if ln.startswith("各县"))
    i_attach = next(i for i, ln in enumerate(lines) if ln.startswith("附件："))
    i_annex = next(i for i, ln in enumerate(lines) if ln == "附件")
    i_head = next(i for i, ln in enumerate(lines) if ln.startswith("序号"))
    out: list[Element] = []
    out += title(lines[0], lines[1])
    out.append(Para(lines[2], align="center", indent=False))  # 〔2022〕19号
    out += [Para(p, indent=False) for p in reflow(lines[i_recip : i_recip + 2], 26)]
    out += heading_style(body("\n".join(lines[i_recip + 2 : i_attach])))
    out.append(Para(lines[i_attach]))
    out += signature(lines[i_attach + 1], lines[i_attach + 2])
    out.append(Para("附件", align="left", indent=False, font=CJK_SANS, page_break_before=True))
    out += title(lines[i_annex + 1])
    out.append(Para(lines[i_annex + 2], align="center", indent=False))  # （35个）
    rows = []
    for ln in lines[i_head + 1 :]:
        m = re.match(r"^(\d+)\s*(\D+?)\s*(\d+月\s*\d+日)$", ln)
        if m:
            rows.append([m.group(1), m.group(2), m.group(3).replace(" ", "")])
    assert len(rows) == 35, len(rows)
    out.append(
        TableSpec(
            header=[[(h, 1) for h in lines[i_head].split()]],
            rows=rows,
            widths_cm=[2.0, 7.5, 5.0],
            center_cols={0, 1, 2},
            size=14,
        )
    )
    return out


def seed_001() -> list[Element]:
    """资阳雁江 2022 政府开放日 (from a DOCX): Word noise, 39-row schedule."""
    raw = read_seed("001_cbaf9ffe1ea5b1b9")
    lines = raw.split("\n")
    out: list[Element] = []
    table_rows: list[list[str]] = []
    cur: list[str] = []
    header: list[str] = []
    in_table = False
    for ln in lines:
        if ln.startswith("\t"):
            in_table = True
            cur.append(ln[1:])
            continue
        if in_table:
            if cur:
                if not header:
                    header = cur
                else:
                    table_rows.append(cur)
                cur = []
            continue
        text = ln.strip(" ")
        if not text:
            continue
        if text == "窗体顶端":
            out.append(Para("窗体顶端", hidden=True, indent=False))
            continue
        bookmark = None
        if text.startswith("[bookmark: _GoBack]"):
            bookmark, text = "_GoBack", text[len("[bookmark: _GoBack]") :]
        out.append(Para(text, bookmark=bookmark))
    if cur:
        table_rows.append(cur)
    assert len(table_rows) == 39 and header == ["序号", "单位名称", "活动主题", "开展时间"], (len(table_rows), header)
    # shape the front matter like the original: number, title block, recipients
    doc_no, issuer, title_line = out[0], out[1], out[2]
    doc_no.align, doc_no.indent = "center", False
    front: list[Element] = [doc_no]
    t1, t2 = title(issuer.text, title_line.text)
    t1.bookmark = issuer.bookmark
    front += [t1, t2]
    rest = out[3:]
    rest[0].indent = False  # recipients
    for p in rest:
        if p.text in ("资阳市雁江区人民政府办公室", "2022年8月22日"):
            p.align, p.indent = "right", False
        if p.text == "附件":
            p.page_break_before, p.indent, p.font = True, False, CJK_SANS
        if p.text.startswith("雁江区“政府开放月”活动安排一览表"):
            p.align, p.indent, p.size, p.bold = "center", False, 18, True
        if re.match(r"^[一二三四五六七八九十]+、", p.text):
            p.font = CJK_SANS
    # the trailing spaces after the signature lines are layout, not text
    for p in rest:
        p.text = p.text.rstrip(" ")
    # Word closes each form region with a hidden 窗体底端 marker (the seed lost them)
    closed: list[Element] = []
    pending = False
    for p in rest:
        closed.append(p)
        if p.hidden:
            pending = True
        elif pending:
            closed.append(Para("窗体底端", hidden=True, indent=False))
            pending = False
    table = TableSpec(
        header=[[(h, 1) for h in header]],
        rows=table_rows,
        widths_cm=[1.5, 4.5, 7.5, 2.8],
        center_cols={0, 1, 3},
        size=12,
    )
    return front + closed + [table]


CATEGORIES_002 = {
    "1": "加强重点领域信息公开，增强政策公开透明度",
    "2": "加强政府信息资源公开，提升信息公开服务质量效",
    "3": "加强基层政务公开，促进政府治理能力提升",
    "4": "加强公开平台载体建设，推动创新融合发展",
    "5": "加强完善机制创新建设，确保工作落地落实",
}
# (task group, number of rows): the groups of the body text's sections, in table
# order; where the seed table shows a group's name it is used as written.
GROUPS_002 = [
    ("加强稳增长信息公开", 5), ("加强促改革信息公开", 3), ("加强惠民惠企惠农政策信息公开", 7),
    ("加强风险隐患信息公开", 4), ("加强政府自身信息公开", 7),
    ("规范发布法定主动公开内容", 5), ("加强政府信息公开专栏建设", 3), ("依法办理政府信息公开申请", 4),
    ("加大政策解读回应关切", 2),
    ("以先行县为重点深化基层政务公开", 4), ("持续推进政务公开力度", 3), ("加强工作督促指导", 2),
    ("强化总结推广经验", 2),
    ("大力提升政府网站建管水平", 3), ("大力提高政务新媒体运维管理水平", 5), ("持续提高政府公报便民性", 2),
    ("创新推进各平台载体融合发展", 2),
    ("严格落实主体责任制", 2), ("不断健全能力建设机制", 2), ("完善工作促进机制", 4),
]
GROUP_CATEGORY_002 = [1] * 5 + [2] * 4 + [3] * 4 + [4] * 4 + [5] * 3


def seed_002() -> list[Element]:
    """达州 2022 政务公开重点工作安排: long plan, 71-row responsibility table."""
    raw = read_seed("002_f368b6cade0a67ca")
    lines = [ln for ln in raw.split("\n")]
    i_annex = next(i for i, ln in enumerate(lines) if ln.strip() == "附件")
    front = [despace(ln.strip()) for ln in lines[:i_annex] if ln.strip()]
    out: list[Element] = []
    t = front[0]  # "达州市人民政府办公室 关于印发2022年全市政务公开重点 工作安排的通知"
    out += title(*t.split(" "))
    out.append(Para(front[1], align="center", indent=False))
    out.append(Para(front[2], indent=False))
    out.append(Para(front[3]))
    out += signature(front[4], front[5])
    out += title(front[6])[:1]
    out[-1].page_break_before = True
    # paragraphs broken by a page in the seed continue on the next line
    paras: list[str] = []
    for ln in front[7:]:
        if paras and paras[-1][-1] not in PARA_END and not HEADING.match(ln):
            paras[-1] += ln
        else:
            paras.append(ln)
    out += heading_style([Para(p) for p in paras])
    out.append(Para("附件", align="left", indent=False, font=CJK_SANS, page_break_before=True))
    out += title(lines[i_annex + 2].strip())
    data = [ln.split("\t") for ln in lines[i_annex + 3 :] if "\t" in ln and not ln.startswith("序号")]
    assert len(data) == 71 and sum(n for _, n in GROUPS_002) == 71, len(data)
    rows: list[list[str]] = []
    vmerge: list[tuple[int, int, int]] = []
    r = 0
    for (group, n), cat in zip(GROUPS_002, GROUP_CATEGORY_002):
        for k in range(n):
            task, units, deadline = data[r + k][-3:]
            first_of_cat = r + k == 0 or GROUP_CATEGORY_002[_group_of(r + k - 1)] != cat
            rows.append([
                str(cat) if first_of_cat else "",
                CATEGORIES_002[str(cat)] if first_of_cat else "",
                group if k == 0 else "",
                task.strip(),
                units.strip(),
                deadline.strip(),
            ])
        if n > 1:
            vmerge.append((2, r, r + n - 1))
        r += n
    for cat in CATEGORIES_002:
        idx = [i for i in range(71) if GROUP_CATEGORY_002[_group_of(i)] == int(cat)]
        vmerge += [(0, idx[0], idx[-1]), (1, idx[0], idx[-1])]
    # the seed's "完善市政府公报数据库" row shares its units and deadline with the row
    # above; the "规范公布并动态更新权责清单" row shares its deadline (empty cells in
    # the seed's dense columns are vertically merged cells, see its README)
    shared = next(i for i, row in enumerate(rows) if row[3].startswith("完善市政府公报数据库"))
    assert rows[shared][4] == rows[shared][5] == "", rows[shared]
    vmerge += [(4, shared - 1, shared), (5, shared - 1, shared)]
    shared_deadline = next(i for i, row in enumerate(rows) if row[3].startswith("规范公布并动态更新权责清单"))
    assert rows[shared_deadline][5] == "", rows[shared_deadline]
    vmerge.append((5, shared_deadline - 1, shared_deadline))
    out.append(
        TableSpec(
            header=[[("序号", 1), ("工作任务", 2), ("重点工作任务", 1), ("责任单位", 1), ("完成时限", 1)]],
            rows=rows,
            widths_cm=[1.0, 2.6, 2.6, 6.2, 4.6, 2.0],
            vmerge=vmerge,
            center_cols={0, 1, 2, 5},
            size=10.5,
        )
    )
    tail = lines[-1].strip() or lines[-2].strip()
    out.append(Para(tail, size=12))
    return out


def _group_of(row: int) -> int:
    acc = 0
    for g, (_, n) in enumerate(GROUPS_002):
        acc += n
        if row < acc:
            return g
    raise IndexError(row)


def seed_003() -> list[Element]:
    """西吉 2022 政府开放日实施方案: no number, no date, inline schedule."""
    raw = read_seed("003_fe15d2c5fde5f51a")
    lines = [ln.strip() for ln in raw.split("\n") if ln.strip()]
    out: list[Element] = []
    out += title(lines[0], lines[1], lines[2])
    out.append(Para(lines[3], indent=False))
    out.append(Para(lines[4]))
    out += signature(lines[5], None)
    plan_title = title(lines[6], lines[7])
    plan_title[0].page_break_before = True
    out += plan_title
    out += heading_style([Para(ln) for ln in lines[8:]])
    return out


def seed_004() -> list[Element]:
    """丹东 2021 政务公开日 (telegram): 发电 header as a form table, unit list annex."""
    raw = read_seed("004_55053ed01a992ddd")
    lines = [despace(ln.strip()) for ln in raw.split("\n") if ln.strip()]
    out: list[Element] = [Para(lines[0], align="center", size=26, bold=True, indent=False)]  # 丹东市发电
    issuer = lines[1].split(" ", 1)[1]
    parts = lines[2].split(" ")  # 等级 密级 明电 丹政办明电〔2021〕7号
    out.append(
        TableSpec(
            header=[],
            rows=[["发电单位", issuer, "", ""], [parts[0], "", parts[1], parts[2] + " " + parts[3]]],
            widths_cm=[2.5, 6.0, 2.5, 5.0],
            repeat_header=False,
            size=14,
        )
    )
    t = lines[3]
    split_at = t.index("开展") + 2
    out += title(t[:split_at], t[split_at:].strip())
    out.append(Para(lines[4], indent=False))
    i_sig = next(i for i, ln in enumerate(lines) if ln.startswith("附件："))
    out += heading_style([Para(ln) for ln in lines[5:i_sig]])
    # "...等\n形式，积极参加活动" was broken by a page in the seed
    merged: list[Element] = []
    for p in out:
        if merged and isinstance(p, Para) and isinstance(merged[-1], Para) and merged[-1].text.endswith("等"):
            merged[-1].text += p.text
        else:
            merged.append(p)
    out = merged
    out.append(Para(lines[i_sig]))
    out += signature(lines[i_sig + 1], lines[i_sig + 2])
    out.append(Para(lines[i_sig + 3], align="center", indent=False))  # （此件公开发布）
    out.append(Para("附件", align="left", indent=False, font=CJK_SANS, page_break_before=True))
    out += title(lines[i_sig + 5])
    out.append(Para(lines[i_sig + 6]))
    return out


SEEDS = {
    "000_667d92ae8c820e6e": seed_000,
    "001_cbaf9ffe1ea5b1b9": seed_001,
    "002_f368b6cade0a67ca": seed_002,
    "003_fe15d2c5fde5f51a": seed_003,
    "004_55053ed01a992ddd": seed_004,
}

# --------------------------------------------------------------------------- next year's notices
#
# 2023 versions of 000, 001 and 002 for the audit diff (pipeline/diff.py). Each is
# the 2022 notice with the years moved on and exactly the changes listed in
# NEXT_YEAR_CHANGES; tests/test_diff.py asserts that the diff reports those and
# nothing else. Dates that keep their month and day are "the same day next year".

NEXT_YEAR = HERE / "next_year"

# what changed, in the diff's vocabulary: (change type, unit or task start, old, new)
NEXT_YEAR_CHANGES = {
    "000": [
        ("date_moved", "达州市教育局", "4月14日", "4月19日"),
        ("date_moved", "达州市公安局", "4月20日", "4月15日"),
        ("date_moved", "达州市审计局", "6月13日", "6月20日"),
        ("unit_removed", "达州市林业局", "7月11日", None),
        ("unit_removed", "达州市中医药管理局", "7月22日", None),
        ("unit_added", "达州市档案局", None, "7月25日"),
        ("unit_added", "达州市气象局", None, "7月27日"),
    ],
    "001": [
        ("theme_changed", "雁江区应急管理局", "科学防汛减灾 走进应急管理", "防汛减灾进社区 走进应急管理"),
        ("theme_changed", "雁江区商务局", "以公开保服务 以服务惠民众", "以公开促服务 以服务惠民众"),
        ("date_moved", "雁江区水务局", "9月14日", "9月21日"),
        ("date_moved", "老君镇", "8月19日", "8月23日"),
        ("date_kind_changed", "丹山镇", "9月20日", "9月下旬"),
        ("unit_removed", "雁江区审计局", "9月15日", None),
        ("unit_added", "雁江区统计局", None, "9月12日"),
    ],
    "002": [
        ("deadline_earlier", "围绕优化投资环境", "10月30日前", "9月30日前"),
        ("deadline_later", "严格执行国务院有关主管部门", "8月30日前", "9月30日前"),
        ("date_kind_changed", "深入推进面向高校职校毕业生", "及时公开", "12月31日前"),
        ("task_reworded", "落实教育“双规范”“双减”政策", "落实教育“双规范”“双减”政策信息公开",
         "落实教育“双规范”“双减”政策相关信息公开"),
        ("task_removed", "依托省政府信息公开目录管理系统", None, None),
        ("task_added", "做好统计数据发布解读", None, None),
        ("units_added_to_task", "多渠道、多维度推动减税降费", None, "达州市人力资源和社会保障局"),
        ("units_removed_from_task", "严格执行疫情信息公开各项制度", "达州市新冠疫情防控指挥部办公室", None),
    ],
}


def _next_year_text(text: str) -> str:
    return text.replace("2022", "2023").replace("2021", "2022")


def _move_years(elements: list[Element]) -> list[Element]:
    for el in elements:
        if isinstance(el, Para):
            el.text = _next_year_text(el.text)
        else:
            el.header = [[(_next_year_text(t), n) for t, n in row] for row in el.header]
            el.rows = [[_next_year_text(t) for t in row] for row in el.rows]
    return elements


def _restamp(elements: list[Element], number_prefix: str, number: str, old_date: str, new_date: str) -> None:
    """Next year's document number and issue date in the front matter."""
    for p in elements:
        if isinstance(p, Para) and p.text.startswith(number_prefix):
            p.text = number
        elif isinstance(p, Para) and p.text == old_date:
            p.text = new_date


def _renumber(rows: list[list[str]]) -> None:
    for k, row in enumerate(rows, 1):
        row[0] = str(k)


def _table(elements: list[Element]) -> TableSpec:
    return max((el for el in elements if isinstance(el, TableSpec)), key=lambda t: len(t.rows))


def _edit_row(rows: list[list[str]], col: int, match_col: int, match: str, value: str) -> None:
    hits = [r for r in rows if r[match_col].startswith(match)]
    assert len(hits) == 1, (match, len(hits))
    hits[0][col] = value


def seed_000_next() -> list[Element]:
    els = _move_years(seed_000())
    _restamp(els, "〔2023〕", "〔2023〕11号", "2023年3月14日", "2023年3月10日")
    t = _table(els)
    _edit_row(t.rows, 2, 1, "市教育局", "4月19日")
    _edit_row(t.rows, 2, 1, "市公安局", "4月15日")
    _edit_row(t.rows, 2, 1, "市审计局", "6月20日")
    _edit_row(t.rows, 1, 1, "市发展改革委", "市发展和改革委员会")  # the long form: the same unit, no change
    t.rows = [r for r in t.rows if r[1] not in ("市林业局", "市中医药局")]
    t.rows += [["", "市档案局", "7月25日"], ["", "市气象局", "7月27日"]]
    _renumber(t.rows)
    return els


def seed_001_next() -> list[Element]:
    els = _move_years(seed_001())
    _restamp(els, "资雁府办发〔2023〕", "资雁府办发〔2023〕61号", "2023年8月22日", "2023年8月21日")
    t = _table(els)
    _edit_row(t.rows, 2, 1, "区应急局", "防汛减灾进社区  走进应急管理")
    _edit_row(t.rows, 2, 1, "区商务局", "以公开促服务  以服务惠民众")
    _edit_row(t.rows, 3, 1, "区水务局", "9月21日")
    _edit_row(t.rows, 3, 1, "老君镇", "8月23日")
    _edit_row(t.rows, 3, 1, "丹山镇", "9月下旬")
    _edit_row(t.rows, 1, 1, "区人社局", "区人力资源和社会保障局")  # the long form: no change
    t.rows = [r for r in t.rows if r[1] != "区审计局"]
    t.rows.append(["", "区统计局", "数据开放  统计惠民", "9月12日"])
    _renumber(t.rows)
    return els


def seed_002_next() -> list[Element]:
    els = _move_years(seed_002())
    _restamp(els, "达市府办发〔2023〕", "达市府办发〔2023〕29号", "2023年5月26日", "2023年5月18日")
    t = _table(els)
    _edit_row(t.rows, 5, 3, "围绕优化投资环境", "9月30日前")
    _edit_row(t.rows, 5, 3, "严格执行国务院有关主管部门", "9月30日前")
    _edit_row(t.rows, 5, 3, "深入推进面向高校职校毕业生", "12月31日前")
    _edit_row(t.rows, 3, 3, "落实教育“双规范”“双减”政策", "落实教育“双规范”“双减”政策相关信息公开")
    row = next(r for r in t.rows if r[3].startswith("多渠道、多维度推动减税降费"))
    row[4] = row[4].replace("市市场监管局等部门", "市市场监管局、市人力资源社会保障局等部门")
    row = next(r for r in t.rows if r[3].startswith("严格执行疫情信息公开各项制度"))
    row[4] = row[4].replace("市新冠疫情防控指挥部办公室、", "")
    row = next(r for r in t.rows if r[3].startswith("主动公开成渝地区"))
    row[4] = row[4].replace("市发展改革委", "市发展和改革委员会")  # the long form: no change
    # remove one task and add one, keeping the merged group columns consistent
    gone = next(i for i, r in enumerate(t.rows) if r[3].startswith("依托省政府信息公开目录管理系统"))
    added_after = next(i for i, r in enumerate(t.rows) if r[3].startswith("按规定向社会公开各级政府及其部门政务失信信息"))
    t.rows = _move_row(t, gone, added_after, ["", "", "", "做好统计数据发布解读，及时公开重要统计信息。",
                                              "市统计局，各县（市、区）人民政府、达州高新区管委会、达州东部经开区管委会。", "及时公开"])
    return els


def _move_row(t: TableSpec, remove: int, insert_after: int, new_row: list[str]) -> list[list[str]]:
    """Remove row `remove` and insert `new_row` after row `insert_after`, moving the
    vertical merges with them (the new row joins the merges of the row above)."""
    rows = [list(r) for r in t.rows]
    merges = []
    for col, first, last in t.vmerge:
        first2, last2 = first, last
        # removal
        if first <= remove <= last:
            last2 -= 1
        elif remove < first:
            first2, last2 = first - 1, last - 1
        merges.append([col, first2, last2])
    del rows[remove]
    at = insert_after if insert_after < remove else insert_after - 1
    rows.insert(at + 1, new_row)
    for m in merges:
        col, first, last = m
        if first <= at <= last and col in (0, 1, 2):
            m[2] = last + 1  # the new row belongs to the same category and group
        elif at < first:
            m[1], m[2] = first + 1, last + 1
        elif at < last:
            m[2] = last + 1
    t.vmerge = [tuple(m) for m in merges if m[2] > m[1]]
    for col, first, last in t.vmerge:  # the top cell keeps the text, the others must be empty
        for r in range(first + 1, last + 1):
            rows[r][col] = ""
    return rows


NEXT_YEAR_SEEDS = {
    "000_667d92ae8c820e6e_2023": seed_000_next,
    "001_cbaf9ffe1ea5b1b9_2023": seed_001_next,
    "002_f368b6cade0a67ca_2023": seed_002_next,
}


def render_text(elements: list[Element], path: Path) -> None:
    """A plain-text rendering as extraction tools dump a document: one paragraph
    per line, tables as tab-separated rows, a merged cell's text in its first row."""
    lines = []
    for el in elements:
        if isinstance(el, Para):
            if not el.hidden:
                lines.append(el.text)
        else:
            lines.append("")
            for header_row in el.header:
                cells = []
                for text, span in header_row:
                    cells += [text] + [""] * (span - 1)  # a spanned header dumps as its text and empty cells
                lines.append("\t".join(cells))
            for row in el.rows:
                lines.append("\t".join(row))
            lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- DOCX rendering

_ALIGN = {
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "left": WD_ALIGN_PARAGRAPH.LEFT,
}


def _fonts(run, cjk: str, size: float, bold: bool = False) -> None:
    run.font.name = LATIN
    run.font.size = Pt(size)
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    rpr.rFonts.set(qn("w:eastAsia"), cjk)


def _add_bookmark(paragraph, name: str) -> None:
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), "0")
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), "0")
    paragraph._p.insert(0 if paragraph._p.pPr is None else 1, start)
    paragraph._p.insert(1 if paragraph._p.pPr is None else 2, end)


def _page_number_footer(section) -> None:
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(p.add_run("— "), CJK_SERIF, 14)
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    r = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = "1"
    r.append(t)
    fld.append(r)
    p._p.append(fld)
    _fonts(p.add_run(" —"), CJK_SERIF, 14)


def _write_para(doc, spec: Para) -> None:
    p = doc.add_paragraph()
    p.alignment = _ALIGN[spec.align]
    fmt = p.paragraph_format
    fmt.space_after = Pt(0)
    fmt.space_before = Pt(0)
    fmt.line_spacing = Pt(28) if spec.size <= 16 else None
    if spec.indent:
        fmt.first_line_indent = Pt(spec.size * 2)
    if spec.page_break_before:
        fmt.page_break_before = True
    run = p.add_run(spec.text)
    _fonts(run, spec.font, spec.size, spec.bold)
    if spec.hidden:
        run.font.hidden = True
    if spec.bookmark:
        _add_bookmark(p, spec.bookmark)


def _set_cell(cell, text: str, size: float, center: bool, bold: bool = False) -> None:
    para = cell.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER if center else WD_ALIGN_PARAGRAPH.JUSTIFY
    if text:
        _fonts(para.add_run(text), CJK_SERIF if not bold else CJK_SANS, size, bold)


def _write_table(doc, spec: TableSpec) -> None:
    n_cols = len(spec.widths_cm)
    n_head = len(spec.header)
    table = doc.add_table(rows=n_head + len(spec.rows), cols=n_cols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for r, header_row in enumerate(spec.header):
        c = 0
        for text, span in header_row:
            cell = table.cell(r, c)
            if span > 1:
                cell = cell.merge(table.cell(r, c + span - 1))
            _set_cell(cell, text, spec.size, center=True, bold=True)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            c += span
        if spec.repeat_header:
            tr_pr = table.rows[r]._tr.get_or_add_trPr()
            el = OxmlElement("w:tblHeader")
            el.set(qn("w:val"), "true")
            tr_pr.append(el)
    for r, row in enumerate(spec.rows):
        assert len(row) == n_cols, (r, row)
        for c, text in enumerate(row):
            cell = table.cell(n_head + r, c)
            _set_cell(cell, text, spec.size, center=c in spec.center_cols)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    for col, first, last in spec.vmerge:
        top = table.cell(n_head + first, col)
        for r in range(first + 1, last + 1):
            assert not spec.rows[r][col], ("merged cell below the top must be empty", r, col)
        top.merge(table.cell(n_head + last, col))
    # LibreOffice lays the table out from the grid (w:gridCol), Word from the cells
    table.autofit = False
    for c, column in enumerate(table.columns):
        column.width = Cm(spec.widths_cm[c])
    for row in table.rows:
        for c, cell in enumerate(row.cells):
            cell.width = Cm(spec.widths_cm[c])


def render_docx(elements: list[Element], path: Path) -> None:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    _page_number_footer(section)
    # fixed metadata so the DOCX bytes (and so the doc_id) are reproducible
    props = doc.core_properties
    props.author = props.last_modified_by = "samples/build_samples.py"
    props.created = props.modified = dt.datetime(2022, 1, 1)
    props.revision = 1
    for el in elements:
        if isinstance(el, Para):
            _write_para(doc, el)
        else:
            _write_table(doc, el)
            doc.add_paragraph()  # Word always has a paragraph after a table
    doc.save(path)


def convert_pdf(docx_paths: list[Path], outdir: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        sys.exit("LibreOffice (soffice) is needed for the PDF renderings: apt-get install libreoffice-writer-nogui fonts-noto-cjk")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
             "--outdir", str(outdir), *map(str, docx_paths)],
            check=True, capture_output=True, timeout=600,
        )


def record_page_count(docx_path: Path, pdf_path: Path) -> None:
    """Word records the page count in docProps/app.xml when it saves; python-docx's
    template says 1. Write the count of the PDF rendering, as Word would."""
    import zipfile

    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(pdf_path))
    pages = len(pdf)
    pdf.close()
    with zipfile.ZipFile(docx_path) as zf:
        items = [(info, zf.read(info.filename)) for info in zf.infolist()]
    with zipfile.ZipFile(docx_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            if info.filename == "docProps/app.xml":
                data = re.sub(rb"<Pages>\d+</Pages>", b"<Pages>%d</Pages>" % pages, data)
            zf.writestr(info, data)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docx-only", action="store_true")
    ap.add_argument("seeds", nargs="*", help="seed stems (default: all, and next year's)")
    args = ap.parse_args()
    jobs = [(stem, SEEDS[stem], NOTICES) for stem in SEEDS] + [(stem, fn, NEXT_YEAR) for stem, fn in NEXT_YEAR_SEEDS.items()]
    if args.seeds:
        jobs = [j for j in jobs if j[0] in args.seeds]
    NEXT_YEAR.mkdir(exist_ok=True)
    built = []
    for stem, build, folder in jobs:
        elements = build()
        path = folder / f"{stem}.docx"
        render_docx(elements, path)
        built.append(path)
        print("wrote", path.relative_to(HERE.parent))
        if folder is NEXT_YEAR:  # the seeds' text forms are the real dumps; next year's are made here
            render_text(elements, path.with_suffix(".txt"))
            print("wrote", path.with_suffix(".txt").relative_to(HERE.parent))
    if not args.docx_only:
        for folder in (NOTICES, NEXT_YEAR):
            paths = [p for p in built if p.parent == folder]
            if paths:
                convert_pdf(paths, folder)
            for p in paths:
                record_page_count(p, p.with_suffix(".pdf"))
                print("wrote", p.with_suffix(".pdf").relative_to(HERE.parent))


if __name__ == "__main__":
    main()
