"""Spark mapInArrow and Ray map_batches end to end in local mode: the examples run, their
Parquet (or JSON lines) hold the CLI's numbers, and `framelens trends --reports` reads them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.dataset as ds

from conftest import REPO, read_documents, run_cli

ARTICLES = REPO / "corpus" / "articles.jsonl"
EXAMPLES = REPO / "python" / "examples"


def run_example(name: str, *args: str) -> None:
    r = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]


def check_report_folder(model, out: Path, tmp_path: Path, fmt: str = "parquet") -> None:
    ref_dir = tmp_path / "cli"
    r = run_cli("classify", str(ARTICLES), "--out", str(ref_dir), "--no-docs", "--quiet")
    assert r.returncode == 0, r.stderr
    ref = read_documents(ref_dir / "documents.jsonl")
    if fmt == "parquet":
        rows = ds.dataset(out / "documents", format="parquet").to_table().to_pylist()
    else:
        rows = [json.loads(line) for p in sorted((out / "documents").glob("*.json"))
                for line in open(p, encoding="utf-8")]
    assert len(rows) == len(ref)
    for row in rows:
        d = ref[row["id"]]
        assert [row[f] for f in model.frames] == [d["shares"][f] for f in model.frames]
        assert (row["framed_fraction"], row["dominant"], row["present"]) == (
            d["framed_fraction"], d["dominant"], d["present"])
        assert (row["date"], row["source"], row["title"]) == (d["date"], d["source"], d["title"])
    run = json.loads((out / "run.json").read_text())
    assert run["model_hash"] == model.hash
    # trends on the engine's folder = trends on the CLI's folder
    tables = []
    for folder in (ref_dir, out):
        t = tmp_path / ("trends-" + folder.name)
        r = run_cli("trends", "--reports", str(folder), "--group", "source", "--out", str(t))
        assert r.returncode == 0, r.stderr
        tables.append((t / "trends.csv").read_text())
    assert tables[0] == tables[1]


def test_spark_map_in_arrow(model, tmp_path):
    out = tmp_path / "spark"
    run_example("spark_classify.py", str(ARTICLES), str(out), "--master", "local[2]")
    assert any(p.name.endswith(".parquet") for p in (out / "documents").iterdir())
    check_report_folder(model, out, tmp_path)


def test_spark_json_lines(model, tmp_path):
    out = tmp_path / "spark-json"
    run_example("spark_classify.py", str(ARTICLES), str(out), "--format", "json")
    check_report_folder(model, out, tmp_path, fmt="json")


def test_ray_map_batches(model, tmp_path):
    out = tmp_path / "ray"
    run_example("ray_classify.py", str(ARTICLES), str(out), "--concurrency", "2")
    check_report_folder(model, out, tmp_path)
