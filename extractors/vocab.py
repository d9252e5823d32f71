"""Domain vocabularies: the one loader of the files under extractors/data/.

Everything a newcomer may want to teach the tool (unit endings, title endings,
column labels, row labels, date words, aliases) is data, read here once per
process and cached:

    words("notice.toml", "title_endings")   # a TOML list of words
    table("dates.toml")                     # a whole TOML file
    lines("unit_stems.txt")                 # one entry per line, # comments
    records("unit_aliases.csv")             # CSV rows as dicts, # comments
    alternation(words)                      # a regex alternation, longest first

Modules build their patterns from these words, so a new word is a line of data.
"""
from __future__ import annotations

import csv
import re as _re
from functools import lru_cache
from pathlib import Path

import regex

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

DATA = Path(__file__).resolve().parent / "data"


@lru_cache(maxsize=None)
def table(name: str) -> dict:
    """A TOML file under extractors/data/."""
    with open(DATA / name, "rb") as f:
        return tomllib.load(f)


def words(name: str, key: str) -> tuple[str, ...]:
    """A list of words from a TOML file; dotted keys reach into tables ("inline.unit_labels")."""
    node = table(name)
    for part in key.split("."):
        node = node[part]
    if not isinstance(node, list) or not all(isinstance(w, str) for w in node):
        raise TypeError(f"{name}: {key} is not a list of words")
    return tuple(node)


@lru_cache(maxsize=None)
def lines(name: str) -> tuple[str, ...]:
    """Non-empty lines of a text file, without # comments."""
    text = (DATA / name).read_text(encoding="utf-8")
    return tuple(s for s in (ln.strip() for ln in text.splitlines()) if s and not s.startswith("#"))


@lru_cache(maxsize=None)
def records(name: str, delimiter: str = ",") -> tuple[dict[str, str], ...]:
    """Rows of a CSV (or TSV) file with a header line, as dicts; # lines are comments."""
    with open(DATA / name, encoding="utf-8", newline="") as f:
        rows = [line for line in f if line.strip() and not line.startswith("#")]
    return tuple({k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(rows, delimiter=delimiter))


def fast_pattern(pattern: str):
    """The stdlib engine where the pattern allows, else `regex`. On the short
    patterns of the date module the stdlib one is 2-3x faster (bench/dates.py);
    `regex` stays for what only it can do (variable-width look-behind, a group
    name used twice)."""
    try:
        return _re.compile(pattern)
    except _re.error:
        return regex.compile(pattern)


def alternation(items: tuple[str, ...] | list[str]) -> str:
    """A non-capturing regex alternation of literal words, longest first (so
    街道办事处 is tried before 街道)."""
    return "(?:" + "|".join(regex.escape(w) for w in sorted(set(items), key=lambda w: (-len(w), w))) + ")"
