"""framelens on Apache Spark: ``df.mapInArrow(classify_batches(...), output_schema(...))``.

>>> from framelens.spark import classify_batches, output_schema
>>> out = df.mapInArrow(
...     classify_batches(keep=["date", "source"]),
...     output_schema(df.schema, keep=["date", "source"]),
... )
>>> out.write.parquet("reports/spark")                     # doctest: +SKIP

The model is loaded once per Python worker process (Spark reuses its workers, so once per
executor core) and each task scores on its own thread (``threads=1``: Spark already runs one
task per core).
"""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, Iterator, Optional, Sequence, Tuple

import pyarrow as pa

from . import Model

_MODELS: Dict[Optional[str], Model] = {}


def _model(path: Optional[str]) -> Model:
    """The model of this path, loaded once per process (and again in a forked child, which
    inherits a loaded model safely: it holds no threads)."""
    if path not in _MODELS:
        _MODELS[path] = Model.load(path)
    return _MODELS[path]


def classify_batches(
    model: Optional[str] = None,
    text: str = "text",
    id: str = "id",
    title: Optional[str] = None,
    keep: Sequence[str] = (),
    paragraphs: bool = False,
    narratives: Optional[str] = None,
    threads: int = 1,
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """A function for ``DataFrame.mapInArrow`` that classifies every batch.

    Args:
        model: the model folder (a path every executor can read); None: the built-in model.
        text, id, title, keep, paragraphs, narratives, threads: as in
            :meth:`framelens.Model.classify`.

    Returns:
        ``f(batches) -> batches``, picklable (it carries only these arguments).
    """
    path = None if model is None else os.fspath(model)
    opts: Dict[str, Any] = dict(text=text, id=id, title=title, keep=tuple(keep),
                                paragraphs=paragraphs, narratives=narratives, threads=threads)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        m = _model(path)
        for batch in batches:
            yield from m.classify(pa.Table.from_batches([batch]), **opts).to_batches()

    return run


def output_schema(
    input_schema: Any = None,
    model: Optional[str] = None,
    title: Optional[str] = None,
    keep: Sequence[str] = (),
    paragraphs: bool = False,
    narratives: Optional[str] = None,
) -> Any:
    """The Spark schema (``pyspark.sql.types.StructType``) of :func:`classify_batches`' output.

    Args:
        input_schema: the input DataFrame's schema (``df.schema``), which gives the types of
            the ``keep`` columns; needed only when ``keep`` is not empty.
        model, title, keep, paragraphs, narratives: the same as given to
            :func:`classify_batches`.
    """
    from pyspark.sql.pandas.types import from_arrow_schema
    from pyspark.sql.types import StructField, StructType

    m = _model(None if model is None else os.fspath(model))
    arrow = m.schema(paragraphs=paragraphs, narratives=narratives is not None,
                     title=title is not None)
    spark = from_arrow_schema(arrow)
    fields = list(spark.fields)
    kept = []
    for c in keep:
        if input_schema is None or c not in input_schema.names:
            raise ValueError(f"keep: column {c!r} is not in the input schema")
        f = input_schema[c]
        kept.append(StructField(f.name, f.dataType, True))
    at = 2 if title is not None else 1
    return StructType(fields[:at] + kept + fields[at:])


