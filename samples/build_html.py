"""Build web-page renderings of the sample notices in samples/formats/*.html.

A notice is most often read on its government portal's page. These pages are
written here, from the same element specs as the DOCX and PDF samples
(samples/build_samples.py), in the three shapes portal CMS templates use:

* "article": an HTML5 page, UTF-8; navigation, breadcrumb, a 信息公开 table of
  label/value cells above the title, the title in an <h1> outside the article
  box (div.TRS_Editor), paragraphs indented with &nbsp;, bordered tables, share
  widget, related links and a footer;
* "gbk_list": a GB2312-declared page in GBK bytes; the information block as a
  <ul> of <strong>label：</strong>value items, the title in a div (and the CMS's
  ArticleTitle meta), the body in div#zoom, table cells laid out with <p>
  inside, the signature lines split by <br>;
* "layout_table": an old portal whose whole body is one big layout table:
  banner, menu and footer rows, the information block as label and value
  cells without colons, the notice inside one cell, its tables nested there
  with rowspan and colspan.

The information block holds what a portal prints: the notice's issuer, number
and date (from samples/gold), an index number and a topic. Run:

    python samples/build_html.py
"""
from __future__ import annotations

import html
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from build_samples import SEEDS, TableSpec  # noqa: E402

OUT = HERE / "formats"
GOLD = HERE / "gold"
SHAPES = {
    "000_667d92ae8c820e6e": "article",
    "001_cbaf9ffe1ea5b1b9": "gbk_list",
    "002_f368b6cade0a67ca": "layout_table",
    "003_fe15d2c5fde5f51a": "article",
    "004_55053ed01a992ddd": "gbk_list",
}
MENU = ["首页", "政务公开", "政务服务", "互动交流", "走进本市", "专题专栏"]
RELATED = ["关于做好2022年政务公开工作的通知", "本市召开政务公开工作推进会", "政务公开工作年度报告"]


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def info_fields(stem: str) -> list[tuple[str, str]]:
    meta = json.loads((GOLD / f"{stem}.json").read_text(encoding="utf-8"))["metadata"]
    year = meta.get("year") or 2022
    fields = [("索引号", f"11511700MB1{stem[:3]}/{year}-00{stem[2]}"), ("发布机构", meta["issuer"]),
              ("发文字号", meta["doc_number"] or "无"), ("主题分类", "政务公开")]
    if meta.get("issue_date"):
        fields.append(("成文日期", meta["issue_date"]))
    return fields


def table_html(spec: TableSpec, cell_p: bool) -> str:
    """A bordered table; vertical merges as rowspan, spanned header cells as colspan."""
    wrap = (lambda t: f"<p>{esc(t)}</p>") if cell_p else esc
    out = ['<table border="1" cellspacing="0" cellpadding="4" style="border-collapse:collapse">']
    for row in spec.header:
        out.append("<tr>" + "".join(f'<th{f" colspan={span}" if span > 1 else ""}>{wrap(t)}</th>' for t, span in row)
                   + "</tr>")
    covered = {(r, col) for col, first, last in spec.vmerge for r in range(first + 1, last + 1)}
    spans = {(first, col): last - first + 1 for col, first, last in spec.vmerge}
    for r, row in enumerate(spec.rows):
        cells = []
        for c, text in enumerate(row):
            if (r, c) in covered:
                continue
            rs = spans.get((r, c), 1)
            cells.append(f'<td{f" rowspan={rs}" if rs > 1 else ""}>{wrap(text)}</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def body_html(elements, shape: str) -> tuple[str, str]:
    """(title, the notice's body) in the shape's markup."""
    title_parts, parts = [], []
    in_title = True
    for el in elements:
        if isinstance(el, TableSpec):
            in_title = False
            parts.append(table_html(el, cell_p=shape == "gbk_list"))
            continue
        if el.hidden:
            continue
        if in_title and el.align == "center" and el.size >= 20:
            title_parts.append(el.text)
            continue
        in_title = False
        if shape == "gbk_list" and el.align == "right" and parts and parts[-1].startswith('<p style="text-align:right">'):
            parts[-1] = parts[-1][: -len("</p>")] + f"<br>{esc(el.text)}</p>"  # signature lines split by <br>
        elif el.align == "right":
            parts.append(f'<p style="text-align:right">{esc(el.text)}</p>')
        elif el.align == "center":
            parts.append(f'<p style="text-align:center"><strong>{esc(el.text)}</strong></p>')
        else:
            indent = "&nbsp;&nbsp;&nbsp;&nbsp;" if el.indent else ""
            parts.append(f'<p style="text-indent:2em">{indent}{esc(el.text)}</p>')
    return "".join(title_parts), "\n".join(parts)


def nav() -> str:
    return '<div class="nav"><ul>' + "".join(f'<li><a href="/{i}/">{m}</a></li>' for i, m in enumerate(MENU)) + "</ul></div>"


def related() -> str:
    return ('<div class="xgwz"><h3>相关文章</h3><ul>'
            + "".join(f'<li><a href="/art/{i}.html">{t}</a></li>' for i, t in enumerate(RELATED)) + "</ul></div>")


FOOTER = ('<div class="footer"><p>主办：本市人民政府办公室　承办：本市大数据中心</p>'
          '<p>网站标识码：5117000001　备案号：蜀ICP备00000000号</p></div>')


def page_article(title: str, body: str, fields: list[tuple[str, str]]) -> str:
    rows = []
    for k in range(0, len(fields), 2):
        pair = fields[k: k + 2]
        rows.append("<tr>" + "".join(f'<td class="label">{esc(a)}：</td><td>{esc(b)}</td>' for a, b in pair) + "</tr>")
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(title)}_本市人民政府门户网站</title>
<script>var _hmt = _hmt || []; document.write("统计代码");</script>
<style>.TRS_Editor p {{ text-indent: 2em; }}</style></head>
<body>
<div class="header"><div class="logo"><a href="/">本市人民政府门户网站</a></div><div class="search"><input type="text" value="请输入关键字"><button>搜索</button></div></div>
{nav()}
<div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="/zwgk/tzgg/">通知公告</a></div>
<div class="main-wrap">
<table class="xxgk-table">{''.join(rows)}</table>
<div class="article-title"><h1>{esc(title)}</h1></div>
<div class="article-info">来源：本市人民政府办公室　<span class="fontsize">字号：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a></span></div>
<div class="TRS_Editor">
{body}
</div>
<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a></div>
{related()}
</div>
{FOOTER}
</body></html>
"""


def page_gbk_list(title: str, body: str, fields: list[tuple[str, str]]) -> str:
    items = "".join(f"<li><strong>{esc(a)}：</strong><span>{esc(b)}</span></li>" for a, b in fields)
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />
<meta name="ArticleTitle" content="{esc(title)}" />
<title>{esc(title)}-本市人民政府</title></head>
<body>
{nav()}
<div class="position">您当前的位置：<a href="/">首页</a> &gt; <a href="/xxgk/">信息公开</a></div>
<div class="con">
<div class="xxgk-info"><ul>{items}</ul></div>
<div class="bt">{esc(title)}</div>
<div class="tools"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></div>
<div id="zoom">
{body}
</div>
</div>
{related()}
{FOOTER}
</body></html>
"""


def page_layout_table(title: str, body: str, fields: list[tuple[str, str]]) -> str:
    cells = "".join(f'<tr><td class="label">{esc(a)}</td><td>{esc(b)}</td></tr>' for a, b in fields)
    menu = " | ".join(f'<a href="/{i}/">{m}</a>' for i, m in enumerate(MENU))
    return f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"><title>{esc(title)}</title></head>
<body>
<table width="980" align="center" border="0" cellspacing="0" cellpadding="0">
<tr><td colspan="2"><img src="/images/banner.jpg" alt="本市人民政府"></td></tr>
<tr><td colspan="2">{menu}</td></tr>
<tr><td width="200" valign="top"><table><tr><td><a href="/a/">通知公告</a></td></tr><tr><td><a href="/b/">政策文件</a></td></tr><tr><td><a href="/c/">规划计划</a></td></tr></table></td>
<td valign="top">
<table width="100%" border="1" cellspacing="0">{cells}</table>
<table width="100%"><tr><td align="center"><font size="5"><b>{esc(title)}</b></font></td></tr>
<tr><td>
{body}
</td></tr></table>
</td></tr>
<tr><td colspan="2" align="center">版权所有：本市人民政府办公室　技术支持：本市信息中心</td></tr>
</table>
</body></html>
"""


PAGES = {"article": (page_article, "utf-8"), "gbk_list": (page_gbk_list, "gbk"),
         "layout_table": (page_layout_table, "gbk")}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for stem, build in SEEDS.items():
        shape = SHAPES[stem]
        page, encoding = PAGES[shape]
        title, body = body_html(build(), shape)
        path = OUT / f"{stem}.html"
        path.write_bytes(page(title, body, info_fields(stem)).encode(encoding, "xmlcharrefreplace"))  # what GBK lacks, as entities
        print("wrote", path.relative_to(HERE.parent), f"({shape}, {encoding})")


if __name__ == "__main__":
    main()
