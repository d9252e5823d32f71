"""Unit names: splitting and canonical names, as tables of input -> expected."""
from __future__ import annotations

import pytest

from extractors.units import canonical_units, find_units, is_known, places_of, split_units

DAZHOU = places_of("达州市人民政府办公室")
YANJIANG = places_of("资阳市雁江区人民政府办公室")
XIJI = places_of("西吉县人民政府办公室")


@pytest.mark.parametrize(
    "cell,expected",
    [
        ("市发展改革委、市经信局等部门，各县（市、区）人民政府。",
         ["市发展改革委", "市经信局", "各县（市、区）人民政府"]),
        ("各县（市、区）人民政府、达州高新区管委会", ["各县（市、区）人民政府", "达州高新区管委会"]),
        ("各县(市、区)人民政府", ["各县(市、区)人民政府"]),  # 、 inside brackets does not split
        ("达川区、万源市人民政府。", ["达川区人民政府", "万源市人民政府"]),
        ("通川区、宣汉县、大竹县、渠县、开江县人民政府，达州高新区管委会",
         ["通川区人民政府", "宣汉县人民政府", "大竹县人民政府", "渠县人民政府", "开江县人民政府", "达州高新区管委会"]),
        ("市委编办及具有行政许可权的市级相关部门（单位），市财政局",
         ["市委编办", "具有行政许可权的市级相关部门", "市财政局"]),
        ("市政府办公室及其他市政府工作部门", ["市政府办公室", "其他市政府工作部门"]),
        ("市人力资源和社会保障局", ["市人力资源和社会保障局"]),  # 和 inside a name does not split
        ("区发展和改革局", ["区发展和改革局"]),
        ("市卫生健康委和市医保局", ["市卫生健康委", "市医保局"]),
        ("市生态环境局等相关部门", ["市生态环境局"]),
        ("市民政局等部门（单位）", ["市民政局"]),
        ("市发展改革委等市级相关部门（单位）", ["市发展改革委"]),
        ("市委网信办、市公安局等市级有关部门", ["市委网信办", "市公安局"]),
        ("被审计市级部门（单位）", ["被审计市级部门"]),
        ("县农业农村局、乡村振兴局；", ["县农业农村局", "乡村振兴局"]),
        ("市教育局 市民政局", ["市教育局", "市民政局"]),  # separated only by a space
        ("市委网信办市公安局", ["市委网信办", "市公安局"]),  # run together: split by the unit dictionary
        ("市教育局；市教育局", ["市教育局"]),  # a unit named twice is one unit
        ("", []),
        ("石岭镇", ["石岭镇"]),
        # 各 shared from the front over bare levels: one name, as recipients lines keep it
        ("省直有关部门，各州、市人民政府", ["省直有关部门", "各州、市人民政府"]),
        ("各县、区政府，市直各部门", ["各县、区政府", "市直各部门"]),
        ("各州（市）、县（市、区）人民政府", ["各州（市）、县（市、区）人民政府"]),
        ("各县、市场监管局", ["各县", "市场监管局"]),  # 市场监管局 starts with 市 without being a level
        ("各镇、区财政局", ["各镇", "区财政局"]),  # no shared institution: two names
    ],
)
def test_split_units(cell, expected):
    assert split_units(cell) == expected


@pytest.mark.parametrize(
    "units,places,expected",
    [
        (["市发展改革委"], DAZHOU, ["达州市发展和改革委员会"]),
        (["市发展和改革委员会"], DAZHOU, ["达州市发展和改革委员会"]),  # long and short form: one key
        (["市退役军人局", "市退役军人事务局"], DAZHOU, ["达州市退役军人事务局"] * 2),
        (["区人社局", "区人力资源和社会保障局"], YANJIANG, ["雁江区人力资源和社会保障局"] * 2),
        (["区卫健局"], YANJIANG, ["雁江区卫生健康局"]),
        (["市教育局"], DAZHOU, ["达州市教育局"]),
        (["市市场监管局"], DAZHOU, ["达州市市场监督管理局"]),
        (["市委编办"], DAZHOU, ["达州市委机构编制委员会办公室"]),
        (["市政府办公室"], DAZHOU, ["达州市人民政府办公室"]),
        (["县农业农村局", "乡村振兴局"], XIJI, ["西吉县农业农村局", "西吉县乡村振兴局"]),  # the level carries on
        (["各县(市、区)人民政府"], DAZHOU, ["各县（市、区）人民政府"]),  # brackets normalised, not qualified
        (["达州高新区管委会"], DAZHOU, ["达州高新区管委会"]),
        (["市应急局"], {}, ["市应急管理局"]),  # no issuer place: the level stays
        (["乡村振兴局"], XIJI, ["乡村振兴局"]),  # 乡 here is not a level
    ],
)
def test_canonical_units(units, places, expected):
    assert canonical_units(units, places) == expected


@pytest.mark.parametrize(
    "issuer,expected",
    [
        ("达州市人民政府办公室", {"市": "达州市"}),
        ("资阳市雁江区人民政府办公室", {"市": "资阳市", "区": "雁江区"}),
        ("西吉县人民政府办公室", {"县": "西吉县"}),
        ("恩施州人民政府", {"市": "恩施州"}),
        (None, {}),
    ],
)
def test_places_of(issuer, expected):
    assert places_of(issuer) == expected


def test_known_and_unknown_units():
    assert is_known("达州市教育局") and is_known("各县（市、区）人民政府") and is_known("石岭镇")
    assert not is_known("达州市政管局")


def test_find_units_in_running_text():
    text = "市人力资源和社会保障局、市教育局、市卫生健康委等部门围绕《政府工作报告》重点工作任务"
    assert [u for u, _, _ in find_units(text)] == ["市人力资源和社会保障局", "市教育局", "市卫生健康委"]
    for u, a, b in find_units(text):
        assert text[a:b] == u
