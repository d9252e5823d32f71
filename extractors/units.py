"""Unit names: splitting cells into units, and one canonical name per body.

    split_units("市数字经济局、市口岸物流办等部门（单位），各县（市、区）人民政府。")
    -> ["市数字经济局", "市口岸物流办", "各县（市、区）人民政府"]
    split_units("达川区、万源市人民政府")   -> ["达川区人民政府", "万源市人民政府"]
    canonical_unit("市发展改革委", places_of("达州市人民政府办公室"))
    -> "达州市发展和改革委员会"

The words all this rests on are data (data/units.toml).

Splitting: on 、，,；; outside brackets, and on 及/和/与 only where both sides are
whole units (人力资源和社会保障局 stays one); trailing 等部门, 等相关部门,
（单位） and end punctuation go; a bare place before a "place + institution"
shares its institution (达川区、万源市人民政府 is two governments).

Canonical names: the alias table (data/unit_aliases.csv, easy to extend) maps
abbreviations to full names; a relative level (市/县/区) is replaced by the
issuer's place of that level (市教育局 in a 达州市 notice -> 达州市教育局); a
unit written without its level after one that has it (县农业农村局、乡村振兴局)
takes the same level. Unknown units are kept as written and counted.
jieba, with a dictionary built from the same data, finds unit names in running
text and splits units written together without a separator.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from functools import lru_cache, partial
from pathlib import Path

import regex

from extractors import vocab
from extractors.vocab import alternation

OPEN_BRACKETS, CLOSE_BRACKETS = "（(【[〔《", "）)】]〕》"
SEPARATORS = "、，,；;"
_W = partial(vocab.words, "units.toml")
_ALT = lambda key: alternation(_W(key))  # noqa: E731
UNIT_SUFFIX = regex.compile(_ALT("unit_endings") + "$")
# qualifiers after the last unit of a list: 等部门（单位）, 等相关部门, 等市级有关部门 ...
_TRAILING_QUALIFIER = regex.compile(
    "(?:等(?:" + _ALT("levels") + "?级?" + _ALT("qualifiers") + "?" + _ALT("collective_nouns")
    + r"(?:（单位）|\(单位\))?)?|（单位）|\(单位\))$"
)
_END_PUNCT = "。．.，,；;：:、 "
_PLACE_BODY = regex.compile(_ALT("place_bodies") + "$")
# a unit suffix before the end: only then can a name be two units run together
_INNER_SUFFIX = regex.compile(_ALT("inner_endings") + "(?=.{2,})")
# 州 ends a place (恩施州) unless 市/县/区 follows (达州市 is one place, not 达州 + 市)
_STATE = "|州(?![市县区])"
_PLACE = regex.compile(r"^[\p{Han}]{1,7}?(?:" + _ALT("place_endings") + _STATE + ")$")
_PLACE_PREFIX = regex.compile(r"^([\p{Han}]{1,7}?(?:" + _ALT("place_prefix_endings") + _STATE + "))")
_INSTITUTION = regex.compile(_ALT("institutions") + "$")
_LEVELS = _W("levels")
_BARE_LEVEL = _ALT("shared_front_levels") + r"(?:[（(][^）)]{1,8}[）)])?"  # 州, 县（市）
_SHARED_LEVEL = regex.compile("^" + _BARE_LEVEL)
_SHARED_FRONT = regex.compile("^各" + _BARE_LEVEL + "$")
# words that start with a level character without being one: 市场监管局, 乡村振兴局, 区域...
_NOT_A_LEVEL = _W("not_levels")
_COLLECTIVE = regex.compile("^" + _ALT("collective_starts") + "|级" + _ALT("qualifiers") + "?" + _ALT("collective_nouns") + "$")
# names of groups of bodies: known, and qualified like any other (市政府工作部门 -> 达州市政府工作部门)
_GROUP = regex.compile(_ALT("group_endings") + "$")


# ----------------------------------------------------------------------------- data


@lru_cache(maxsize=1)
def aliases() -> dict[str, str]:
    """alias -> canonical name (both without level or place)."""
    return {row["alias"]: row["canonical"] for row in vocab.records("unit_aliases.csv")}


@lru_cache(maxsize=1)
def known_stems() -> tuple[str, ...]:
    stems = set(vocab.lines("unit_stems.txt")) | set(aliases().values())
    return tuple(sorted(stems, key=len, reverse=True))


# ----------------------------------------------------------------------------- splitting


def _split_outside_brackets(text: str, seps: str = SEPARATORS) -> list[str]:
    parts, cur, depth = [], [], 0
    for ch in text:
        if ch in OPEN_BRACKETS:
            depth += 1
        elif ch in CLOSE_BRACKETS and depth:
            depth -= 1
        if ch in seps and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def normalize_brackets(name: str) -> str:
    """Half-width brackets to full-width: 各县(市、区) and 各县（市、区） are one name."""
    return name.replace("(", "（").replace(")", "）")


def _strip_unit(part: str) -> str:
    part = part.strip().strip(_END_PUNCT + "\u3000")
    for _ in range(3):  # 等部门（单位）。: strip layer by layer
        stripped = _TRAILING_QUALIFIER.sub("", part).strip().strip(_END_PUNCT)
        if stripped == part:
            break
        part = stripped
    return part


_JOINERS = regex.compile(_ALT("joiners"))


def _split_joined(part: str) -> list[str]:
    """Split on 及/和/与 where both sides are whole units."""
    pieces = []
    rest = part
    while True:
        for m in _JOINERS.finditer(rest):
            left, right = rest[: m.start()], rest[m.end():]
            if _depth_at(rest, m.start()) == 0 and UNIT_SUFFIX.search(left) and len(right) >= 2 and (
                UNIT_SUFFIX.search(_strip_unit(right)) or _COLLECTIVE.search(right)
            ):
                pieces.append(left)
                rest = right
                break
        else:
            pieces.append(rest)
            return pieces


def _depth_at(text: str, i: int) -> int:
    depth = 0
    for ch in text[:i]:
        if ch in OPEN_BRACKETS:
            depth += 1
        elif ch in CLOSE_BRACKETS and depth:
            depth -= 1
    return depth


def _join_shared_front(units: list[str]) -> list[str]:
    """各州、市人民政府 stays one name: 各 and a bare level (各州, 各县（市）) before a
    level that carries the institution (市人民政府) share both."""
    out: list[str] = []
    for u in units:
        prev = out[-1] if out else ""
        if (_SHARED_FRONT.match(prev) and _SHARED_LEVEL.match(u) and _INSTITUTION.search(u)
                and not u.startswith(_NOT_A_LEVEL)):
            out[-1] = f"{prev}、{u}"
        else:
            out.append(u)
    return out


def _expand_shared_suffix(units: list[str]) -> list[str]:
    """达川区、万源市人民政府 -> 达川区人民政府, 万源市人民政府: a bare place before a
    "place + institution" in the same list shares that institution."""
    out = list(units)
    for i, u in enumerate(units):
        if not _PLACE.match(u):
            continue
        for later in units[i + 1:]:
            m = _INSTITUTION.search(later)
            if m and _PLACE.match(later[: m.start()]):
                out[i] = u + m.group(0)
                break
            if not _PLACE.match(later):
                break  # only a run of places shares the suffix
    return out


def split_units(text: str | None) -> list[str]:
    """A cell (or list) of unit names -> the units, in order, without duplicates."""
    if not text:
        return []
    return list(_split_units(text))


@lru_cache(maxsize=4096)  # responsibility tables repeat the same unit lists row after row
def _split_units(text: str) -> tuple[str, ...]:
    text = " ".join(text.split())  # Python's whitespace (\x1c-\x1f too), as str.strip() sees it
    units: list[str] = []
    for part in _split_outside_brackets(text):
        part = _strip_unit(part)
        if not part:
            continue
        for piece in _split_joined(part):
            piece = _strip_unit(piece)
            if not piece:
                continue
            if (" " in piece and all(UNIT_SUFFIX.search(p) for p in piece.split(" "))
                    and not any(ch in SEPARATORS for ch in piece)):  # a separator left inside an open bracket stays there
                units.extend(piece.split(" "))  # 市教育局 市民政局: separated by spaces only
            else:
                units.extend(_split_run_together(piece.replace(" ", "")))
    units = _expand_shared_suffix(_join_shared_front(units))
    seen: set[str] = set()
    return tuple(u for u in units if not (u in seen or seen.add(u)))


def _split_run_together(piece: str) -> list[str]:
    """市委网信办市公安局 (no separator): split when known units cover it exactly."""
    if len(piece) < 6 or not UNIT_SUFFIX.search(piece) or not _INNER_SUFFIX.search(piece[:-1]):
        return [piece]
    found = find_units(piece)
    if len(found) >= 2 and "".join(u for u, _, _ in found) == piece:
        return [u for u, _, _ in found]
    return [piece]


# ----------------------------------------------------------------------------- canonical names


def places_of(issuer: str | None) -> dict[str, str]:
    """The issuer's places by level: 资阳市雁江区人民政府办公室 -> {市: 资阳市, 区: 雁江区}."""
    places: dict[str, str] = {}
    rest = issuer or ""
    while True:
        m = _PLACE_PREFIX.match(rest)
        if not m:
            break
        place = m.group(1)
        level = place[-1] if place[-1] in "省市州县区旗" else place[-3:]
        places["市" if level == "州" else level] = place
        rest = rest[m.end():]
    return places


def _level_split(name: str) -> tuple[str | None, str]:
    """(level, rest): 市教育局 -> (市, 教育局); 市委编办 -> (市, 委编办)."""
    if name.startswith(_NOT_A_LEVEL):
        return None, name
    for level in _LEVELS:
        if name.startswith(level) and len(name) > len(level) + 1:
            return level, name[len(level):]
    return None, name


def _alias(stem: str) -> str:
    table = aliases()
    if stem in table:
        return table[stem]
    # an alias at the end of a longer stem: 市政府信息公开... stays; 区发展改革局 -> 发展和改革局
    for alias in sorted(table, key=len, reverse=True):
        if stem.endswith(alias) and len(alias) >= 3:
            return stem[: -len(alias)] + table[alias]
    return stem


def canonical_unit(name: str, places: dict[str, str] | None = None, level_hint: str | None = None) -> str:
    """The canonical name of one unit (see the module docstring)."""
    name = normalize_brackets(name.strip())
    if not name or _COLLECTIVE.search(name):
        return name
    level, stem = _level_split(name)
    if level is None and level_hint and not _PLACE_PREFIX.match(name) and UNIT_SUFFIX.search(name):
        level = level_hint  # 县农业农村局、乡村振兴局: the second is the county's too
    stem = _alias(stem)
    if level is None:
        return stem
    place = (places or {}).get(level)
    return (place or level) + stem


def canonical_units(units: list[str], places: dict[str, str] | None = None) -> list[str]:
    """Canonical names of the units of one cell, carrying a level forward."""
    out: list[str] = []
    hint: str | None = None
    for u in units:
        level, _ = _level_split(normalize_brackets(u))
        if level:
            hint = level
        out.append(canonical_unit(u, places, None if level else hint))
    return out


def is_known(canonical: str) -> bool:
    """A unit we can vouch for: a known department after a place or level, a
    town or street office, or a collective name (各县（市、区）人民政府)."""
    if _COLLECTIVE.search(canonical) or _GROUP.search(canonical):
        return True
    if _PLACE_BODY.search(canonical):
        return True
    return any(canonical.endswith(stem) for stem in known_stems())


# ----------------------------------------------------------------------------- jieba


@lru_cache(maxsize=1)
def _tokenizer():
    """A jieba tokenizer whose dictionary holds only unit names (known stems,
    aliases, with and without a level), so segmentation picks whole units."""
    import jieba

    jieba.setLogLevel(logging.CRITICAL)  # a cache it cannot write only costs time: never a traceback on stderr
    words = set(known_stems()) | set(aliases())
    words |= {level + w for w in list(words) for level in ("市", "县", "区", "市委", "县委", "区委")}
    lines = "".join(f"{w} {1000 + 10 * len(w)} nt\n" for w in sorted(words))
    digest = hashlib.sha1(lines.encode("utf-8")).hexdigest()[:12]
    cache = _cache_dir()
    path = cache / f"notices-units-{digest}.txt"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(lines, encoding="utf-8")
        os.replace(tmp, path)
    tok = jieba.Tokenizer(dictionary=str(path))
    tok.tmp_dir = str(cache)  # jieba's own cache file goes there too
    return tok, frozenset(words)


def _cache_dir() -> Path:
    """A folder of this user's own for the dictionary and jieba's cache: in a
    shared /tmp, a file another user made first could not be replaced (and could
    be planted)."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    path = Path(tempfile.gettempdir()) / f"notices-{uid}"
    path.mkdir(mode=0o700, exist_ok=True)
    st = path.stat()
    if hasattr(os, "getuid") and (st.st_uid != uid or st.st_mode & 0o022):
        path = Path(tempfile.mkdtemp(prefix="notices-"))  # someone else's, or writable by others: not ours
    return path


def find_units(text: str) -> list[tuple[str, int, int]]:
    """Unit names in running text, with their character spans."""
    tok, words = _tokenizer()
    out = []
    pos = 0
    for word in tok.cut(text, HMM=False):
        if word in words:
            out.append((word, pos, pos + len(word)))
        pos += len(word)
    return out
