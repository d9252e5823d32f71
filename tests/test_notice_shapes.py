"""Real notices' shapes, one fixture each (written for these tests, after what portals
publish): traditional script, web-page furniture and information blocks, signatures,
titles, document numbers, recipients, rows outside tables, lost characters.

The cases are data (tests/data/notice_shapes.toml): a notice's text and the fields its
extraction must give, as the rows of the output tables (pipeline.records.result_rows).
A field a case does not name is not checked; `items` lists every row, in order."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from extractors import vocab
from extractors.notice import extract_notice
from extractors.readers.registry import read_bytes
from pipeline.records import result_rows

CASES = vocab.tomllib.loads((Path(__file__).parent / "data" / "notice_shapes.toml").read_text(encoding="utf-8"))["case"]


def _plain(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def _expected(fields: dict) -> dict:
    """TOML has no null: the cases write "null"."""
    def plain(v):
        return None if v == "null" else [plain(x) for x in v] if isinstance(v, list) else v

    return {k: plain(v) for k, v in fields.items()}


def extracted(text: str) -> dict:
    rows = result_rows(extract_notice(read_bytes(text.encode("utf-8"), "notice.txt")))
    notice = {k: _plain(v) for k, v in rows["notices"][0].items()}
    items = [{k: _plain(v) for k, v in r.items()} for r in rows["items"]]
    roles: dict[int, list] = {}
    for u in rows["item_units"]:
        roles.setdefault(u["item_no"], []).append(u.get("role"))
    for it in items:
        it["roles"] = roles.get(it["item_no"], [])
    return {"notice": notice, "items": items}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_shape(case):
    got = extracted(case["text"])
    want_notice = _expected(case.get("notice", {}))
    assert {k: got["notice"][k] for k in want_notice} == want_notice
    if "items" in case:
        want = case["items"]
        assert len(got["items"]) == len(want), [(i["units"], i["task"] or i["theme"]) for i in got["items"]]
        for g, w in zip(got["items"], map(_expected, want)):
            assert {k: g[k] for k in w} == w
    for warning in case.get("warnings", []):
        assert any(warning in w for w in got["notice"]["warnings"]), got["notice"]["warnings"]
