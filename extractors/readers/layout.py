"""Text cleanup shared by the readers: CJK spacing, radicals, page numbers, noise.

Rules are small pure functions on strings so each can be tested alone.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache

import regex

from extractors import vocab
from extractors.vocab import alternation

# CJK ideographs, CJK punctuation and full-width forms: text across which a
# line break or an extractor's inter-glyph gap never means a space.
CJK_CLASS = r"\p{Han}\u3000-\u303f\uff00-\uffef\u2e80-\u2fdf“”‘’《》〔〕【】—…·"
_CJK_CHAR = regex.compile(rf"[{CJK_CLASS}]")
_LATIN_WORD_CHAR = regex.compile(r"[A-Za-z0-9]")

# Every space-like character (NBSP, en space, ideographic space, ...) counts as one
# space: the seeds mix U+3000, U+2002 and U+00A0 inside themes.
_SPACES = regex.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH = regex.compile(r"[\u200b-\u200d\u2060\ufeff]")


@lru_cache(maxsize=1)
def _radical_table() -> dict[int, str]:
    """Kangxi radicals and CJK radicals-supplement forms that PDF fonts such as
    仿宋_GB2312 emit instead of the unified ideograph (⽇ U+2F47 for 日).
    NFKC maps the Kangxi block; the supplement needs a table (data/radicals.tsv).
    We never NFKC whole strings: that would turn （） and ： into ASCII."""
    table: dict[int, str] = {}
    for cp in range(0x2F00, 0x2FD6):
        table[cp] = unicodedata.normalize("NFKC", chr(cp))
    for line in vocab.lines("radicals.tsv"):
        src, dst = line.split("\t")[:2]
        table[ord(src)] = dst
    # CJK compatibility ideographs (U+F900-U+FAFF) have canonical mappings
    for cp in range(0xF900, 0xFB00):
        mapped = unicodedata.normalize("NFC", chr(cp))
        if mapped != chr(cp):
            table[cp] = mapped
    return table


def fix_radicals(text: str) -> str:
    """Map Kangxi radicals and compatibility ideographs to unified ideographs."""
    return text.translate(_radical_table())


@lru_cache(maxsize=16384)  # called per glyph by the PDF reader: cache the class of each character
def is_cjk(ch: str) -> bool:
    return bool(ch) and bool(_CJK_CHAR.match(ch))


@lru_cache(maxsize=16384)
def is_latin_word_char(ch: str) -> bool:
    return bool(ch) and bool(_LATIN_WORD_CHAR.match(ch))


def join_wrapped(left: str, right: str) -> str:
    """Join two pieces of one line-wrapped text: nothing between them, except a
    space between two Latin words ("Open" + "Day")."""
    if not left:
        return right
    if not right:
        return left
    if is_latin_word_char(left[-1]) and is_latin_word_char(right[0]):
        return left + " " + right
    return left + right


def normalize_spaces(text: str) -> str:
    """Every run of space-like characters becomes one ASCII space; zero-width
    characters go; the ends are stripped."""
    text = _ZERO_WIDTH.sub("", text)
    return _SPACES.sub(" ", text).strip()


# Pinyin that some portals print after characters (開(kāi)展, 洛陽(yáng)): a syllable with a tone
# mark, in brackets, right after a Han character. Toneless syllables are left alone
# (they could be a real bracketed abbreviation).
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_PINYIN = regex.compile(rf"(?<=\p{{Han}})[(（][a-zü{_TONED}]*[{_TONED}][a-zü{_TONED}]*[)）]")


def strip_pinyin(text: str) -> str:
    """開(kāi)展工作(zuò) -> 開展工作."""
    return _PINYIN.sub("", text) if "(" in text or "（" in text else text


def clean_text(text: str) -> str:
    """The normal form of every text the readers emit."""
    return normalize_spaces(strip_pinyin(fix_radicals(text)))


# A space that a PDF extractor put between a digit run and CJK text ("2022 年
# 3 月"), or inside a date ("4月 7日"). Used on text that came out of some
# extractor (plain-text dumps); the PDF reader knows which spaces are real.
_DIGIT_CJK_SPACE = regex.compile(rf"(?<=[0-9])[ \u00a0]+(?=[{CJK_CLASS}])|(?<=[{CJK_CLASS}])[ \u00a0]+(?=[0-9])")


def remove_artifact_spaces(text: str) -> str:
    """Drop spaces between digits and CJK text: "2022年 3月 14日" -> "2022年3月14日"."""
    return _DIGIT_CJK_SPACE.sub("", text)


# Spaces inside a date expression only: "4月 7日", "2022 年 3 月", "9 月 中旬".
_DATE_SPACE = regex.compile(r"(?<=\d)[ \u00a0]+(?=[年月日时号点])|(?<=[年月])[ \u00a0]+(?=[\d上中下初底末])")


def compact_date_spaces(text: str) -> str:
    """Close the spaces an extractor left inside dates, and nowhere else, so
    "市发展改革委 4月 7日" keeps the space between unit and date."""
    return _DATE_SPACE.sub("", text)


# Running page numbers: "— 3 —", "-3-", "– 3 –", "第3页", "第 3 页 共 12 页", "3 / 12", "3".
PAGE_NUMBER = regex.compile(
    r"^\s*(?:"
    r"[-—–－‒―─~～]{1,2}\s*\d{1,4}\s*[-—–－‒―─~～]{1,2}"
    r"|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}"
    r"|[Pp]age\s*\d{1,4}(?:\s*of\s*\d{1,4})?"
    r"|\d{1,4}"
    r")\s*$"
)


def is_page_number(text: str) -> bool:
    return bool(PAGE_NUMBER.match(text))


# Noise that extractors and Word leave behind.
_NOISE_LINE = regex.compile(
    r"^\s*(?:"
    r"(?:https?://|mailto:|www\.)\S+"  # hyperlink targets dumped after a page
    "|" + alternation(vocab.words("layout.toml", "noise_lines")) +  # Word form-region markers (hidden text)
    r")\s*$"
)
_NOISE_INLINE = regex.compile(r"\[bookmark:\s*[^\]]*\]")


def is_noise_line(text: str) -> bool:
    return bool(_NOISE_LINE.match(text))


def strip_inline_noise(text: str) -> str:
    return _NOISE_INLINE.sub("", text)


# ----------------------------------------------------------------------------- portal furniture

@lru_cache(maxsize=1)
def _furniture_patterns() -> tuple[regex.Pattern, regex.Pattern, regex.Pattern]:
    starts = regex.compile(r"^[\s•·●▪>»|【\[]*" + alternation(vocab.words("layout.toml", "furniture_starts")))
    word = regex.compile(alternation(vocab.words("layout.toml", "furniture_words")))
    words = regex.compile(word.pattern + r"|[\d\s\p{P}\p{S}]|[A-Za-z]{1,3}\b")
    return starts, word, words


def is_furniture_line(text: str) -> bool:
    """A line of a portal's page furniture (字号：大 中 小, 【打印】【关闭】, 浏览次数：1346,
    上一篇：…, 您当前所在位置：首页 > …). A labelled value of the information block
    (发布时间：2023-05-12, 发文字号：…) is data, not furniture."""
    from extractors.info_block import labelled_fields
    from extractors.script import to_simplified

    if not text:
        return False
    simple = to_simplified(text)
    starts, word, words = _furniture_patterns()
    if starts.match(simple):
        return True
    if any(value for _, _, value in labelled_fields(text)):
        return False
    # furniture words and nothing but numbers and punctuation besides (a bare "1" is a table's cell)
    return bool(word.search(simple)) and not words.sub("", simple)
