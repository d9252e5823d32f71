"""Shared fixtures: the bundled samples and a cache of what the readers make of them."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import os

import pytest
from hypothesis import settings

# CI runs the property tests on a fixed, reproducible set of examples: a new
# random find must not fail an unrelated change. Locally they explore afresh
# each run (and remember failures in .hypothesis/).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "notices"
SEEDS = sorted(p.stem for p in SAMPLES.glob("*.txt"))
FORMATS = ("txt", "docx", "pdf")


def sample(stem_prefix: str, fmt: str) -> Path:
    stem = next(s for s in SEEDS if s.startswith(stem_prefix))
    return SAMPLES / f"{stem}.{fmt}"


@lru_cache(maxsize=None)
def read_sample(stem_prefix: str, fmt: str):
    from extractors.readers import read_document

    return read_document(sample(stem_prefix, fmt))


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES
