"""Shared test fixtures: where the real corpus lives, and a throw-away warehouse per test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The real public files are read in place, never copied into the project.
CORPUS = (PROJECT_ROOT.parent / "shared" / "corpus").resolve()


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing at {CORPUS}")
    return CORPUS


@pytest.fixture()
def warehouse(tmp_path):
    from pipelines.warehouse import Warehouse

    return Warehouse(tmp_path / "warehouse")


# The sample world as generated with the default seed, shared by the generator and server tests (files that
# need a differently shaped `world` define their own fixture, which takes precedence).
@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    from pipelines.sample import generate

    out = tmp_path_factory.mktemp("world")
    generate(out, seed=2026)
    return out


@pytest.fixture(scope="module")
def truth(world) -> dict:
    return json.loads((world / "truth.json").read_text("utf-8"))
