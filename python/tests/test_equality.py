"""The wheel's numbers are those of the CLI's documents.jsonl, bit for bit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List

import pyarrow as pa

import framelens
from conftest import REPO, read_documents, run_cli


def assert_same(model: framelens.Model, rows: List[dict], ref: Dict[str, dict],
                paragraphs: bool = True) -> None:
    assert len(rows) == len(ref)
    for r in rows:
        d = ref[r["id"]]
        assert r["error"] is None, r
        for f in model.frames:
            assert r[f] == d["shares"][f], (r["id"], f)
        assert r["framed_fraction"] == d["framed_fraction"]
        assert r["dominant"] == d["dominant"]
        assert r["present"] == d["present"]
        if paragraphs:
            got = [(p["index"], p["label"], p["scores"]) for p in r["paragraphs"]]
            want = [(p["index"], p["label"], p["scores"]) for p in d["paragraphs"]]
            assert got == want, r["id"]


def test_allsides_matches_cli(model, allsides, allsides_reports):
    rows = [json.loads(line) for line in open(allsides, encoding="utf-8")]
    table = pa.Table.from_pylist(rows)
    out = model.classify(table, title="title", paragraphs=True)
    assert isinstance(out, pa.Table)
    assert_same(model, out.to_pylist(), allsides_reports)


def test_allsides_matches_cli_in_small_chunked_batches(model, allsides, allsides_reports):
    rows = [json.loads(line) for line in open(allsides, encoding="utf-8")]
    # many chunks and large_string: the chunk walking and 64-bit offsets
    table = pa.Table.from_batches(
        pa.Table.from_pylist(rows).select(["id", "text"]).to_batches(max_chunksize=97)
    ).cast(pa.schema([("id", pa.large_string()), ("text", pa.large_string())]))
    assert table.column("text").num_chunks > 10
    out = model.classify(table, threads=1)
    assert_same(model, out.to_pylist(), allsides_reports, paragraphs=False)


def test_corpus_samples_match_cli(model, tmp_path: Path):
    samples = REPO / "corpus" / "samples"
    r = run_cli("classify", str(samples), "--out", str(tmp_path), "--no-docs", "--quiet")
    assert r.returncode == 0, r.stderr
    ref = read_documents(tmp_path / "documents.jsonl")
    rows = []
    for p in sorted(samples.rglob("*")):
        if p.suffix in (".txt", ".md"):
            text = p.read_text(encoding="utf-8")
            title = next(line.strip() for line in text.splitlines() if line.strip())
            rows.append({"id": str(p.relative_to(samples)), "title": title, "text": text})
    out = model.classify(rows, title="title", paragraphs=True)
    assert_same(model, out, ref)
    assert [r["title"] for r in out] == [ref[r["id"]]["title"] for r in out]


def test_corpus_articles_match_cli(model, tmp_path: Path):
    articles = REPO / "corpus" / "articles.jsonl"
    r = run_cli("classify", str(articles), "--out", str(tmp_path), "--no-docs", "--quiet")
    assert r.returncode == 0, r.stderr
    ref = read_documents(tmp_path / "documents.jsonl")
    rows = [json.loads(line) for line in open(articles, encoding="utf-8")]
    out = model.classify(rows, paragraphs=True)
    assert_same(model, out, ref)
