"""Settings read from the environment, defined once: variable, default, meaning.

Modules read their limits through `setting(name)`, which never raises: a value
that cannot be used falls back to the default, so importing a module never
fails. The CLI and `ingest()` call `check_environment()` first, which names
every bad value in one line (a ConfigError), so a typo is never silently ignored
where a person or a script can see it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from schemas.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    env: str
    default: int | float | str | None
    kind: type  # int, float or str
    meaning: str
    minimum: float = 1  # for numbers


SETTINGS: dict[str, Setting] = {
    s.env: s
    for s in (
        Setting("NOTICES_MAX_FILE_BYTES", 200 * 1024 * 1024, int, "file size in bytes"),
        Setting("NOTICES_MAX_UNZIPPED_BYTES", 300 * 1024 * 1024, int, "DOCX and OFD decompressed size in bytes (zip bombs)"),
        Setting("NOTICES_MAX_PAGES", 2000, int, "PDF and OFD pages"),
        Setting("NOTICES_MAX_TABLE_CELLS", 200_000, int, "cells per table"),
        Setting("NOTICES_MAX_CELL_CHARS", 20_000, int, "characters per table cell"),
        Setting("NOTICES_TIMEOUT_S", 120.0, float, "time per file in seconds (`--timeout`)", minimum=0.001),
        Setting("NOTICES_MEMORY_MB", 3072, int, "memory per worker in MiB, 0 for no cap (`--memory-mb`)", minimum=0),
        Setting("NOTICES_OCR", 1, int, "1 to OCR PDF pages without a text layer, 0 not to (`--no-ocr`)", minimum=0),
        Setting("NOTICES_OCR_PAGE_TIMEOUT_S", 60.0, float, "time to OCR one page in seconds", minimum=0.001),
        Setting("NOTICES_CONVERT_TIMEOUT_S", 120, int, "time for one LibreOffice conversion in seconds"),
        Setting("NOTICES_SOFFICE", None, str,
                "LibreOffice to convert .doc/.wps with: a path, or `none` to use only the built-in Word 97-2003 reader (default: soffice on the PATH)"),
    )
}


def parse(s: Setting, raw: str):
    if s.kind is str:
        return raw
    try:
        value = s.kind(raw.strip().replace("_", ""))
    except ValueError:
        raise ConfigError(f"{s.env}={raw!r} is not {'an integer' if s.kind is int else 'a number'} ({s.meaning})") from None
    if value < s.minimum:
        raise ConfigError(f"{s.env}={raw!r} is below {s.minimum:g} ({s.meaning})")
    return value


def setting(env: str):
    """The variable's value, or its default when unset or unusable."""
    s = SETTINGS[env]
    raw = os.environ.get(env)
    if raw is None or raw == "":
        return s.default
    try:
        return parse(s, raw)
    except ConfigError:
        return s.default


def check_environment() -> None:
    """Raise ConfigError naming every NOTICES_* variable whose value is unusable."""
    problems = []
    for s in SETTINGS.values():
        raw = os.environ.get(s.env)
        if raw:
            try:
                parse(s, raw)
            except ConfigError as e:
                problems.append(str(e))
    if problems:
        raise ConfigError("; ".join(problems))


def markdown() -> str:
    """The README's table of settings, from the definitions above."""
    rows = ["| environment variable | default | meaning |", "|---|---|---|"]
    for s in SETTINGS.values():
        default = "unset" if s.default is None else (f"{s.default:,}" if isinstance(s.default, int) else f"{s.default:g}")
        rows.append(f"| `{s.env}` | {default} | {s.meaning} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
