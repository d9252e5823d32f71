"""A portal's labelled information block: 索引号：… 发布机构：… 发文字号：… 成文日期：…

Saved web pages carry it above or below the notice, one label per line or several
on a line, the value after the label or on the next line. The labels are data
(data/info_block.toml); they are matched on the simplified form of the text, and
the values are returned as written.
"""
from __future__ import annotations

from functools import lru_cache

import regex

from extractors import vocab
from extractors.script import to_simplified

_FIELDS = ("index", "issuer", "doc_number", "written", "published", "title", "topic", "source", "validity")


@lru_cache(maxsize=1)
def _labels() -> dict[str, str]:
    return {label: field for field in _FIELDS for label in vocab.words("info_block.toml", field)}


@lru_cache(maxsize=1)
def _label_pattern() -> regex.Pattern:
    # a label stands at the start of the line or after a space or separator (单位名称： is not 名称：),
    # may be letter-spaced (索 引 号), and is followed by a colon
    labels = sorted(_labels(), key=len, reverse=True)
    alt = "|".join(r"\s*".join(regex.escape(ch) for ch in label) for label in labels)
    return regex.compile(rf"(?:^|(?<=[\s|•·●▪、，,;；【\[]))(?P<label>{alt})\s*[：:]")


_OTHER_LABEL = regex.compile(r"\s+[\p{Han}]{2,6}\s*[：:]")


def labelled_fields(text: str) -> list[tuple[str, str, str]]:
    """(field, label, value) for every label in the line, in order; a value runs
    to the next label (or the end) and may be empty (its value is on the next line)."""
    simple = to_simplified(text)
    matches = list(_label_pattern().finditer(simple))
    out = []
    for k, m in enumerate(matches):
        end = matches[k + 1].start() if k + 1 < len(matches) else len(text)
        label = regex.sub(r"\s+", "", m.group("label"))
        value = text[m.end():end]
        other = _OTHER_LABEL.search(value)  # 2022-04-18 09:30 浏览次数：268: the value stops at any label
        if other:
            value = value[: other.start()]
        value = value.strip(" \t|•·●▪;；，,【】[]")
        out.append((_labels()[label], label, value))
    return out


@lru_cache(maxsize=1)
def _no_value() -> frozenset[str]:
    return frozenset(vocab.words("info_block.toml", "no_value.words"))


def is_no_value(value: str) -> bool:
    """A placeholder where the field has no value: 无, 暂无, —."""
    return value.strip() in _no_value()


def is_info_line(text: str) -> bool:
    """Does the line hold a label of the information block?"""
    return bool(_label_pattern().search(to_simplified(text)))
