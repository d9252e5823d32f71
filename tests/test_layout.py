"""Text cleanup rules, as tables of input -> expected."""
from __future__ import annotations

import pytest

from extractors.readers.layout import (
    clean_text,
    fix_radicals,
    is_noise_line,
    is_page_number,
    join_wrapped,
    remove_artifact_spaces,
    strip_inline_noise,
)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("— 3 —", True), ("-3-", True), ("– 12 –", True), ("－ 4 －", True), ("第3页", True),
        ("第 3 页 共 12 页", True), ("3 / 12", True), ("Page 2 of 9", True), ("7", True),
        ("2022年3月14日", False), ("一、活动主体", False), ("（35个）", False), ("3—4名", False),
    ],
)
def test_page_numbers(text, expected):
    assert is_page_number(text) is expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2022年 3月 14日", "2022年3月14日"),
        ("4月 7日", "4月7日"),
        ("关于开展 2022年“政务开放日”活动的通知", "关于开展2022年“政务开放日”活动的通知"),
        ("活动结束后 3个工作日内", "活动结束后3个工作日内"),
        ("科学防汛减灾 走进应急管理", "科学防汛减灾 走进应急管理"),  # a space between words stays
        ("Open Day 2022", "Open Day 2022"),
    ],
)
def test_artifact_spaces(text, expected):
    assert remove_artifact_spaces(text) == expected


@pytest.mark.parametrize(
    "left,right,expected",
    [
        ("10月30", "日前", "10月30日前"),
        ("加强重点领", "域信息公开", "加强重点领域信息公开"),
        ("Open", "Day", "Open Day"),
        ("2022", "年", "2022年"),
        ("", "日前", "日前"),
    ],
)
def test_join_wrapped(left, right, expected):
    assert join_wrapped(left, right) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("\u2f47", "日"),  # KANGXI RADICAL SUN
        ("\u2f49\u2f47", "月日"),
        ("2022年5\u2f49\u2f47", "2022年5月日"),
        ("\u2ed8", "青"),  # CJK RADICAL SIMPLIFIED... from data/radicals.tsv
        ("\uf907", "龜"),  # CJK COMPATIBILITY IDEOGRAPH-F907
        ("各县（市、区）：", "各县（市、区）："),  # full-width brackets and colon are left alone
    ],
)
def test_radicals(text, expected):
    assert fix_radicals(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("科学防汛减灾\u3000\u3000走进应急管理", "科学防汛减灾 走进应急管理"),
        ("走进雁江粮仓\u2002\u2002体验收储之道", "走进雁江粮仓 体验收储之道"),
        ("  以公开保服务\u00a0 以服务惠民众 ", "以公开保服务 以服务惠民众"),
        ("零\u200b宽", "零宽"),
    ],
)
def test_clean_text_spaces(text, expected):
    assert clean_text(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("http://www.dazhou.gov.cn/articview_20190509102705960.html", True),
        ("mailto:1048344018@qq.com", True),
        ("窗体顶端", True),
        ("窗体底端", True),
        ("联系电话：2535205，邮箱：357750952@qq.com", False),
    ],
)
def test_noise_lines(text, expected):
    assert is_noise_line(text) is expected


def test_inline_bookmark_noise():
    assert strip_inline_noise("[bookmark: _GoBack]资阳市雁江区人民政府办公室") == "资阳市雁江区人民政府办公室"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("市发展改革委 4月 7日", "市发展改革委 4月7日"),
        ("2022 年 3 月 14 日", "2022年3月14日"),
        ("9月 中旬", "9月中旬"),
        ("市政府 35个工作部门", "市政府 35个工作部门"),
    ],
)
def test_compact_date_spaces(text, expected):
    from extractors.readers.layout import compact_date_spaces

    assert compact_date_spaces(text) == expected
