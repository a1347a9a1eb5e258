"""The API on Arrow, pandas, Polars and lists of dicts; bad rows; errors; threads; the GIL."""

from __future__ import annotations

import threading
import time

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import framelens

DOCS = [
    {"id": "a", "text": "Agents detained migrants at the border.\nFamilies fled violence at home."},
    {"id": "b", "text": "Farmers cannot find workers; wages rise.\n\nThe harvest rots in the fields."},
    {"id": "c", "text": "<p>The army deployed troops after a terror threat.</p>"},
]


def numbers(rows):
    return [(r["id"], r["humanitarian"], r["economic"], r["security"], r["enforcement"],
             r["framed_fraction"], r["dominant"], list(r["present"]),
             r["error"] if isinstance(r["error"], str) else None) for r in rows]


def test_load_codebook_and_hash(model):
    assert len(model.hash) == 64 and int(model.hash, 16) >= 0
    cb = model.codebook
    assert cb.frames == ["humanitarian", "economic", "security", "enforcement"]
    assert cb.labels == cb.frames + ["none"] and cb.none == "none"
    assert "[[labels]]" in cb.toml
    assert model.frames == cb.frames
    # the built-in default model is models/default of this checkout
    from conftest import REPO

    assert model.path.startswith("(built-in)")
    assert framelens.Model.load(REPO / "models" / "default").hash == model.hash


def test_load_missing_folder_is_a_value_error_naming_it(tmp_path):
    with pytest.raises(ValueError, match="nowhere"):
        framelens.Model.load(tmp_path / "nowhere")


def test_every_kind_gives_the_same_numbers_and_its_own_kind(model):
    want = numbers(model.classify(DOCS))
    assert [w[0] for w in want] == ["a", "b", "c"]
    assert all(w[-1] is None for w in want)
    table = pa.Table.from_pylist(DOCS)
    out = model.classify(table)
    assert isinstance(out, pa.Table) and numbers(out.to_pylist()) == want
    assert out.schema == model.schema()
    batch = table.to_batches()[0]
    out = model.classify(batch)
    assert isinstance(out, pa.RecordBatch) and numbers(out.to_pylist()) == want
    df = pd.DataFrame(DOCS, index=[10, 20, 30])
    out = model.classify(df)
    assert isinstance(out, pd.DataFrame) and list(out.index) == [10, 20, 30]
    assert numbers(out.to_dict("records")) == want
    out = model.classify(pl.DataFrame(DOCS))
    assert isinstance(out, pl.DataFrame) and numbers(out.to_dicts()) == want


def test_string_views_slices_chunks_and_large_strings(model):
    want = numbers(model.classify(DOCS))
    table = pa.Table.from_pylist(DOCS * 3)
    sliced = table.slice(3, 3)  # an offset into the buffers
    assert numbers(model.classify(sliced).to_pylist()) == want
    chunked = pa.concat_tables([table.slice(0, 2), table.slice(2, 1)])
    assert numbers(model.classify(chunked).to_pylist()) == want[:3]
    large = table.cast(pa.schema([("id", pa.large_string()), ("text", pa.large_string())]))
    assert numbers(model.classify(large).to_pylist()) == want * 3
    views = table.cast(pa.schema([("id", pa.string_view()), ("text", pa.string_view())]))
    assert numbers(model.classify(views).to_pylist()) == want * 3
    ints = pa.table({"id": [1, 2, 3], "text": [d["text"] for d in DOCS]})
    assert [r["id"] for r in model.classify(ints).to_pylist()] == ["1", "2", "3"]


def test_bad_rows_get_an_error_not_an_exception(model):
    rows = [
        {"id": "ok", "text": DOCS[0]["text"]},
        {"id": "null-text", "text": None},
        {"id": "empty", "text": "   \n  "},
        {"id": "symbols", "text": "!!! ??? 🙂"},
        {"id": {"not": "a string"}, "text": DOCS[1]["text"]},
        {"id": None, "text": DOCS[1]["text"]},
        {"id": "html-only", "text": "<p></p>"},
        {"id": "long", "text": "x" * 200_000},
    ]
    out = model.classify(rows)
    errors = {i: r["error"] for i, r in enumerate(out)}
    assert errors[0] is None and out[0]["dominant"] is not None
    assert errors[1].startswith("missing_field:")
    assert errors[2].startswith("empty_text:")
    assert errors[3].startswith("no_words:")
    assert errors[4].startswith("missing_field:") and out[4]["id"] is None
    assert errors[5].startswith("missing_field:")
    assert errors[6].startswith("empty_text:")
    assert errors[7].startswith("line_too_long:")
    for r in out[1:]:
        assert r["framed_fraction"] is None and r["present"] is None and r["dominant"] is None
    # the same in pandas, with a mixed object column of ids
    df = pd.DataFrame(rows)
    out = model.classify(df)
    assert out["error"].isna().tolist() == [True] + [False] * 7


def test_missing_column_or_wrong_type_raises_naming_it(model):
    with pytest.raises(ValueError, match="'body'"):
        model.classify(pa.table({"id": ["a"], "text": ["x"]}), text="body")
    with pytest.raises(ValueError, match="'id'"):
        model.classify(pa.table({"text": ["x"]}))
    with pytest.raises(ValueError, match="'text'"):
        model.classify(pa.table({"id": ["a"], "text": [1]}))
    with pytest.raises(ValueError, match="'title'"):
        model.classify(pa.table({"id": ["a"], "text": ["x"], "title": [1.5]}), title="title")
    with pytest.raises(ValueError, match="'nope'"):
        model.classify(pd.DataFrame(DOCS), keep=["nope"])
    with pytest.raises(ValueError, match="'body'"):
        model.classify(DOCS, text="body")
    with pytest.raises(ValueError, match="threads"):
        model.classify(DOCS, threads=0)
    with pytest.raises(TypeError):
        model.classify("not a table")


def test_paragraphs_title_keep_and_schema(model):
    table = pa.Table.from_pylist([dict(d, title=f"T{d['id']}", date="2020-01-0" + str(i + 1),
                                       source="S") for i, d in enumerate(DOCS)])
    out = model.classify(table, title="title", paragraphs=True, keep=["date", "source"])
    assert out.schema == model.schema(paragraphs=True, title=True,
                                      keep=[pa.field("date", pa.string()),
                                            pa.field("source", pa.string())])
    r = out.to_pylist()[0]
    assert r["title"] == "Ta" and r["date"] == "2020-01-01" and r["source"] == "S"
    assert [p["index"] for p in r["paragraphs"]] == [0, 1]
    p = r["paragraphs"][0]
    assert set(p["scores"]) == set(model.codebook.labels)
    assert p["label"] == max(p["scores"], key=p["scores"].get)
    with pytest.raises(ValueError, match="clash"):
        model.classify(table, keep=["dominant"])


def test_narratives_column(model):
    from conftest import REPO

    path = REPO / "models" / "narratives" / "us-2012-2020.toml"
    rows = [{"id": "c", "text": "A caravan of thousands of migrants crossed Mexico.\nAgents wait."}]
    out = model.classify(rows, narratives=path, paragraphs=True)
    assert "caravan" in out[0]["narratives"]
    assert "caravan" in out[0]["paragraphs"][0]["narratives"]
    assert "caravan" in model.narratives(path).ids


def test_threads_do_not_change_numbers(model):
    table = pa.Table.from_pylist(DOCS * 200)
    one = model.classify(table, threads=1)
    two = model.classify(table, threads=2)
    assert one.equals(two)


def test_empty_input(model):
    out = model.classify(pa.table({"id": pa.array([], pa.string()),
                                   "text": pa.array([], pa.string())}))
    assert out.num_rows == 0 and out.schema == model.schema()
    assert model.classify([]) == []


def test_the_gil_is_released_while_scoring(model):
    table = pa.Table.from_pylist(DOCS * 20000)
    ticks = 0
    done = threading.Event()

    def score():
        model.classify(table, threads=1)
        done.set()

    t = threading.Thread(target=score)
    start = time.perf_counter()
    t.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    t.join()
    elapsed = time.perf_counter() - start
    # with the GIL held the loop would tick only a handful of times
    assert elapsed > 0.05 and ticks > elapsed / 0.001 / 10, (ticks, elapsed)
