"""Settings from the environment: a bad value is one clear line, never a traceback at import."""
from __future__ import annotations

import pytest

from schemas.errors import ConfigError
from schemas.settings import SETTINGS, check_environment, setting


@pytest.mark.parametrize(
    "env,raw,expected",
    [
        ("NOTICES_TIMEOUT_S", "30", 30.0),
        ("NOTICES_TIMEOUT_S", "2.5", 2.5),
        ("NOTICES_MEMORY_MB", "0", 0),
        ("NOTICES_MAX_FILE_BYTES", "1_000_000", 1_000_000),
        ("NOTICES_MAX_PAGES", " 50 ", 50),
        ("NOTICES_SOFFICE", "none", "none"),
        ("NOTICES_MAX_PAGES", "", 2000),  # empty: the default
    ],
)
def test_good_values_are_read(monkeypatch, env, raw, expected):
    monkeypatch.setenv(env, raw)
    check_environment()
    assert setting(env) == expected


@pytest.mark.parametrize(
    "env,raw,says",
    [
        ("NOTICES_TIMEOUT_S", "abc", "not a number"),
        ("NOTICES_TIMEOUT_S", "-1", "below"),
        ("NOTICES_MAX_FILE_BYTES", "2.5", "not an integer"),
        ("NOTICES_MAX_TABLE_CELLS", "0", "below"),
        ("NOTICES_MEMORY_MB", "lots", "not an integer"),
    ],
)
def test_bad_values_are_one_line_naming_the_variable(monkeypatch, env, raw, says):
    monkeypatch.setenv(env, raw)
    with pytest.raises(ConfigError) as info:
        check_environment()
    message = str(info.value)
    assert env in message and says in message and repr(raw) in message and "\n" not in message
    assert setting(env) == SETTINGS[env].default  # a module reading it at import still works


def test_every_bad_value_is_named_at_once(monkeypatch):
    monkeypatch.setenv("NOTICES_TIMEOUT_S", "x")
    monkeypatch.setenv("NOTICES_MAX_PAGES", "y")
    with pytest.raises(ConfigError) as info:
        check_environment()
    assert "NOTICES_TIMEOUT_S" in str(info.value) and "NOTICES_MAX_PAGES" in str(info.value)


def test_readme_lists_every_setting():
    from helpers import ROOT
    from schemas.settings import markdown

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.split("<!-- settings:start -->\n", 1)[1].split("<!-- settings:end -->", 1)[0] == markdown()
