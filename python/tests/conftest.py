"""Shared fixtures: the default model, the repository, the CLI binary and ../shared."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Dict

import pytest

import framelens

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
ALLSIDES = SHARED / "data" / "allsides-immigration.jsonl"


def cli() -> Path:
    """The `framelens` binary built by `cargo build --release` (run-tests.sh builds it)."""
    exe = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "release" / "framelens"
    if not exe.is_file():
        pytest.fail(f"{exe} is missing: run `cargo build --release` first (run-tests.sh does)")
    return exe


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(cli()), *args], capture_output=True, text=True, cwd=REPO)


def read_documents(path: Path) -> Dict[str, dict]:
    with open(path, encoding="utf-8") as f:
        return {d["id"]: d for d in map(json.loads, f)}


@pytest.fixture(scope="session")
def model() -> framelens.Model:
    return framelens.Model.load()


@pytest.fixture(scope="session")
def allsides() -> Path:
    if not ALLSIDES.is_file():
        print(f"SKIP: {ALLSIDES} is absent (../shared is not beside the repository)")
        pytest.skip(f"{ALLSIDES} is absent (../shared is not beside the repository)")
    return ALLSIDES


@pytest.fixture(scope="session")
def allsides_reports(allsides: Path, tmp_path_factory: pytest.TempPathFactory) -> Dict[str, dict]:
    out = tmp_path_factory.mktemp("allsides-cli")
    r = run_cli("classify", str(allsides), "--out", str(out), "--no-docs", "--quiet")
    assert r.returncode in (0, 1), r.stderr
    return read_documents(out / "documents.jsonl")
