"""Shared fixtures (helpers that are not fixtures live in helpers.py)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from helpers import SAMPLES

# CI runs the property tests on a fixed, reproducible set of examples: a new
# random find must not fail an unrelated change. Locally they explore afresh
# each run (and remember failures in .hypothesis/).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def samples_dataset(tmp_path_factory) -> Path:
    """The 15 sample files ingested once for the whole session. Read it, never
    write to it: a test that ingests again works on a copy."""
    from pipeline.ingest import ingest

    out = tmp_path_factory.mktemp("samples_dataset")
    summary = ingest([SAMPLES], out=out, jobs=2)
    assert summary.ingested == 15 and summary.quarantined == 0
    return out
