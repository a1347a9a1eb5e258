"""framelens from Python: classify news text into frames, on Arrow batches.

>>> import framelens
>>> model = framelens.Model.load()          # the built-in default model
>>> out = model.classify([{"id": "a", "text": "Agents detained migrants at the border."}])
>>> sorted(out[0])[:3]
['dominant', 'economic', 'enforcement']

``Model.classify`` takes a pyarrow Table or RecordBatch, a pandas or Polars DataFrame, or a
list of dicts, and returns the same kind with one row per document: the id, one share column per
frame, ``framed_fraction``, ``dominant``, ``present``, ``error`` and, on request, the paragraphs.
The numbers are those the ``framelens classify`` command writes to ``documents.jsonl``, bit for
bit: each row goes through the same Rust function.

Engines: :mod:`framelens.spark` (``mapInArrow``) and :mod:`framelens.ray` (``map_batches``).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Union

import pyarrow as pa

from . import _framelens
from ._arrow import assemble, string_chunks

__all__ = ["Model", "Codebook", "Narratives", "__version__"]
__version__: str = _framelens.__version__

#: Output columns other than the frame shares (the frame names must not collide with them).
RESERVED = ("id", "framed_fraction", "dominant", "present", "error", "paragraphs", "narratives")


@dataclass(frozen=True)
class Codebook:
    """The labels a model scores: the frames (one share column each) and the none label.

    Attributes:
        labels: every label, in score column order.
        frames: the labels that are frames, in share column order.
        none: the label meaning "no frame", or None when every passage has a frame.
        toml: the codebook file (``codebook.toml``) as text.
    """

    labels: List[str]
    frames: List[str]
    none: Optional[str]
    toml: str


class Narratives:
    """A compiled narrative file (see ``models/narratives/``), checked against a model."""

    def __init__(self, native: Any) -> None:
        self._native = native

    @property
    def ids(self) -> List[str]:
        """The narrative ids, in file order."""
        return list(self._native.ids)

    @property
    def path(self) -> str:
        """The file the narratives were read from."""
        return str(self._native.path)


DataLike = Any


class Model:
    """A framelens model: tokenizer, weights and codebook, checked when loaded.

    Load with :meth:`Model.load`; a model is immutable and can be shared between threads.
    """

    def __init__(self, native: Any) -> None:
        self._native = native
        self._narratives: Dict[str, Narratives] = {}

    @classmethod
    def load(cls, path: Optional[Union[str, "os.PathLike[str]"]] = None) -> "Model":
        """Load a model folder written by ``framelens train`` (checksums verified).

        Args:
            path: the model folder; None loads the built-in default model (the one the
                ``framelens`` command uses without ``--model``; the wheel carries it).

        Raises:
            ValueError: the folder is missing, damaged or of another format (the message
                names the file).
        """
        return cls(_framelens.NativeModel.load(None if path is None else os.fspath(path)))

    @property
    def hash(self) -> str:
        """The model's content hash (as recorded in ``run.json``)."""
        return str(self._native.hash)

    @property
    def path(self) -> str:
        """The model folder."""
        return str(self._native.path)

    @property
    def codebook(self) -> Codebook:
        """The model's codebook: labels, frames and the none label."""
        n = self._native
        return Codebook(list(n.labels), list(n.frames), n.none_label, n.codebook_toml)

    @property
    def frames(self) -> List[str]:
        """The frame names: the share columns of :meth:`classify`, in order."""
        return list(self._native.frames)

    def narratives(self, path: Union[str, "os.PathLike[str]"]) -> Narratives:
        """Read a narrative file (TOML) for ``classify(narratives=...)``; cached per path.

        Raises:
            ValueError: the file cannot be read or parsed, or names a frame the model lacks.
        """
        key = os.fspath(path)
        if key not in self._narratives:
            self._narratives[key] = Narratives(
                _framelens.NativeNarratives.load(key, self._native)
            )
        return self._narratives[key]

    def schema(
        self,
        paragraphs: bool = False,
        narratives: bool = False,
        title: bool = False,
        keep: Sequence[pa.Field] = (),
    ) -> pa.Schema:
        """The Arrow schema of :meth:`classify`'s output for these options.

        Args:
            paragraphs: with the ``paragraphs`` list column.
            narratives: with the ``narratives`` column (and paragraph narratives).
            title: with the ``title`` column.
            keep: fields of the input columns carried through (``keep=`` of classify).
        """
        fields = [pa.field("id", pa.string())]
        if title:
            fields.append(pa.field("title", pa.string()))
        fields += list(keep)
        fields += [pa.field(f, pa.float64()) for f in self.frames]
        fields += [
            pa.field("framed_fraction", pa.float64()),
            pa.field("dominant", pa.string()),
            pa.field("present", pa.list_(pa.string())),
        ]
        if narratives:
            fields.append(pa.field("narratives", pa.list_(pa.string())))
        if paragraphs:
            fields.append(pa.field("paragraphs", pa.list_(self._paragraph_type(narratives))))
        fields.append(pa.field("error", pa.string()))
        return pa.schema(fields)

    def _paragraph_type(self, narratives: bool) -> pa.DataType:
        scores = pa.struct([pa.field(label, pa.float64()) for label in self.codebook.labels])
        fields = [
            pa.field("index", pa.int32()),
            pa.field("label", pa.string()),
            pa.field("scores", scores),
        ]
        if narratives:
            fields.append(pa.field("narratives", pa.list_(pa.string())))
        return pa.struct(fields)

    def classify(
        self,
        data: DataLike,
        text: str = "text",
        id: str = "id",
        title: Optional[str] = None,
        paragraphs: bool = False,
        narratives: Optional[Union[str, "os.PathLike[str]", Narratives]] = None,
        threads: Optional[int] = None,
        keep: Sequence[str] = (),
    ) -> DataLike:
        """Classify documents: one output row per input row, in input order.

        Each row goes through the same function as ``framelens classify``: HTML is stripped,
        paragraphs are the non-blank lines of the text, and the shares, fraction, dominant and
        present frames are those of ``documents.jsonl``, bit for bit.

        Args:
            data: a ``pyarrow.Table`` or ``RecordBatch``, a pandas or Polars DataFrame, or a
                list of dicts. The result is of the same kind.
            text: the column holding the text (paragraphs separated by newlines).
            id: the column holding the document id (strings; integers are turned into
                strings, as the command does).
            title: the column holding the headline, carried into the output as ``title``.
            paragraphs: add a ``paragraphs`` column: per paragraph its index, most probable
                label and the probability of every label.
            narratives: a narrative file (or :meth:`narratives` of it): add a ``narratives``
                column listing the narrative ids each document carries.
            threads: worker threads; None uses every core, 1 scores on the calling thread
                (for engines that run one task per core). The GIL is released while scoring.
            keep: input columns to carry through unchanged (e.g. ``["date", "source"]``, which
                ``framelens trends`` groups by).

        Returns:
            The same kind as ``data``: columns ``id``, [``title``], the ``keep`` columns, one
            float column per frame (``model.frames``), ``framed_fraction``, ``dominant``,
            ``present`` (list of frames), [``narratives``], [``paragraphs``] and ``error``.
            A row that cannot be classified (null or empty text, a null or non-string id,
            text with no words, ...) has null results and ``error`` saying why
            (``"kind: reason"``, the kinds of ``errors.jsonl``); no exception is raised.

        Raises:
            ValueError: a column named by ``text``, ``id``, ``title`` or ``keep`` is missing
                or is not of a usable type; ``threads`` < 1.
            TypeError: ``data`` is of no supported kind.
        """
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be at least 1, not {threads}")
        kind, table = _to_arrow(data, [c for c in [text, id, title, *keep] if c is not None])
        narr = None
        if narratives is not None:
            narr = narratives if isinstance(narratives, Narratives) else self.narratives(narratives)
        out = self._classify_table(table, text, id, title, paragraphs, narr, threads, keep)
        return _from_arrow(kind, out, data)

    def _classify_table(
        self,
        table: Union[pa.Table, pa.RecordBatch],
        text: str,
        id: str,
        title: Optional[str],
        paragraphs: bool,
        narratives: Optional[Narratives],
        threads: Optional[int],
        keep: Sequence[str],
    ) -> pa.Table:
        for c in keep:
            if c in RESERVED or c in self.frames or c == "title":
                raise ValueError(f"keep: column {c!r} would clash with an output column")
        id_col = _id_column(table, id)
        text_col = _column(table, text)
        title_col = _column(table, title) if title is not None else None
        res = self._native.classify_arrow(
            string_chunks(text, text_col),
            string_chunks(id, id_col),
            None if title_col is None else string_chunks(title, title_col),
            paragraphs,
            None if narratives is None else narratives._native,
            threads,
        )
        return assemble(
            res,
            self.schema(paragraphs, narratives is not None, title is not None,
                        [pa.field(c, _column(table, c).type) for c in keep]),
            id_col,
            title_col,
            [_column(table, c) for c in keep],
            self.codebook.labels,
        )

    def run_info(self, out: Union[str, "os.PathLike[str]"], started: Optional[str] = None,
                 **counts: int) -> None:
        """Write ``run.json`` and ``codebook.toml`` into a folder of result files (Parquet or
        JSON lines, e.g. written by Spark or Ray), so that ``framelens trends --reports`` reads
        the folder as a report folder of this model.

        Args:
            out: the output folder (created if missing).
            started: the start time (RFC 3339); default now.
            counts: optional ``read``, ``classified``, ``failed`` counts for the record.
        """
        os.makedirs(out, exist_ok=True)
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        info: Dict[str, Any] = {
            "framelens_version": __version__,
            "model": self.path,
            "model_hash": self.hash,
            "inputs": [],
            "started": started or now,
            "finished": now,
        }
        info.update(counts)
        with open(os.path.join(out, "run.json"), "w", encoding="utf-8") as f:
            f.write(json.dumps(info, indent=2) + "\n")
        with open(os.path.join(out, "codebook.toml"), "w", encoding="utf-8") as f:
            f.write(self.codebook.toml)


def _column(table: Union[pa.Table, pa.RecordBatch], name: str) -> Union[pa.Array, pa.ChunkedArray]:
    if name not in table.schema.names:
        raise ValueError(
            f"column {name!r} is missing (columns: {', '.join(table.schema.names)})"
        )
    return table.column(name)


def _id_column(table: Union[pa.Table, pa.RecordBatch], name: str) -> pa.ChunkedArray:
    col = _column(table, name)
    t = col.type
    if pa.types.is_integer(t):
        col = col.cast(pa.string())
    elif pa.types.is_null(t):
        col = col.cast(pa.string())
    if isinstance(col, pa.Array):
        col = pa.chunked_array([col], col.type)
    return col


def _to_arrow(data: Any, columns: List[str]) -> "tuple[str, Union[pa.Table, pa.RecordBatch]]":
    """The kind of ``data`` and its Arrow form (no copy for Arrow and Polars)."""
    if isinstance(data, pa.Table):
        return "table", data
    if isinstance(data, pa.RecordBatch):
        return "batch", data
    mod = type(data).__module__.split(".")[0]
    if mod == "polars":
        import polars as pl

        if isinstance(data, pl.DataFrame):
            return "polars", data.to_arrow()
    if mod == "pandas":
        import pandas as pd

        if isinstance(data, pd.DataFrame):
            return "pandas", _pandas_to_arrow(data, columns)
    if isinstance(data, list):
        return "list", _records_to_arrow(data, columns)
    raise TypeError(
        "data must be a pyarrow Table or RecordBatch, a pandas or Polars DataFrame, or a list "
        f"of dicts, not {type(data).__name__}"
    )


def _loose_strings(values: Sequence[Any]) -> pa.Array:
    """Strings of a column of Python objects: str as is, int as its digits, others null (a bad
    row, reported in the ``error`` column)."""
    out = []
    for v in values:
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, int) and not isinstance(v, bool):
            out.append(str(v))
        else:
            out.append(None)
    return pa.array(out, pa.large_string())


def _pandas_to_arrow(df: Any, columns: List[str]) -> pa.Table:
    for c in columns:
        if c not in df.columns:
            raise ValueError(f"column {c!r} is missing (columns: {', '.join(map(str, df.columns))})")
    arrays, names = [], []
    for c in columns:
        if c in names:
            continue
        s = df[c]
        try:
            a = pa.Array.from_pandas(s)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            a = _loose_strings(list(s))
        if pa.types.is_floating(a.type) and c in columns[:2]:
            # an object column of missing values only, or numbers that are not ids
            a = _loose_strings(list(s))
        arrays.append(a)
        names.append(c)
    return pa.Table.from_arrays(arrays, names=names)


def _records_to_arrow(rows: List[Any], columns: List[str]) -> pa.Table:
    if rows and not all(isinstance(r, dict) for r in rows):
        raise TypeError("a list given as data must hold dicts (one per document)")
    arrays, names = [], []
    for c in columns:
        if c in names:
            continue
        if rows and not any(c in r for r in rows):
            raise ValueError(f"column {c!r} is missing (no dict has the key {c!r})")
        values = [r.get(c) for r in rows]
        try:
            a = pa.array(values)
            if not (pa.types.is_string(a.type) or pa.types.is_integer(a.type)
                    or pa.types.is_null(a.type)):
                a = _loose_strings(values) if c in columns[:2] else a
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            a = _loose_strings(values)
        arrays.append(a)
        names.append(c)
    if not rows:
        return pa.table({c: pa.array([], pa.string()) for c in dict.fromkeys(columns)})
    return pa.Table.from_arrays(arrays, names=names)


def _from_arrow(kind: str, out: pa.Table, data: Any) -> Any:
    if kind == "table":
        return out
    if kind == "batch":
        return out.combine_chunks().to_batches()[0] if out.num_rows else pa.RecordBatch.from_pylist([], schema=out.schema)
    if kind == "polars":
        import polars as pl

        return pl.from_arrow(out)
    if kind == "pandas":
        df = out.to_pandas()
        df.index = data.index
        return df
    return out.to_pylist()
