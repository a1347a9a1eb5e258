"""framelens on Ray Data: ``ds.map_batches(Classifier, batch_format="pyarrow", ...)``.

>>> import ray
>>> from framelens.ray import Classifier
>>> ds = ray.data.read_parquet("articles/")                 # doctest: +SKIP
>>> out = ds.map_batches(Classifier, fn_constructor_kwargs={"keep": ["date", "source"]},
...                      batch_format="pyarrow", concurrency=2)   # doctest: +SKIP
>>> out.write_parquet("reports/ray")                           # doctest: +SKIP

Each actor loads the model once and scores its batches on one thread (``threads=1``; Ray runs
one actor per CPU it is given).
"""

from __future__ import annotations

import os
from typing import Optional, Sequence

import pyarrow as pa

from . import Model


class Classifier:
    """A callable class for ``Dataset.map_batches``: loads the model once per actor.

    Args:
        model: the model folder; None: the built-in model.
        text, id, title, keep, paragraphs, narratives, threads: as in
            :meth:`framelens.Model.classify`.
    """

    def __init__(
        self,
        model: Optional[str] = None,
        text: str = "text",
        id: str = "id",
        title: Optional[str] = None,
        keep: Sequence[str] = (),
        paragraphs: bool = False,
        narratives: Optional[str] = None,
        threads: int = 1,
    ) -> None:
        self.model = Model.load(None if model is None else os.fspath(model))
        self.opts = dict(text=text, id=id, title=title, keep=tuple(keep),
                         paragraphs=paragraphs, narratives=narratives, threads=threads)

    def __call__(self, batch: pa.Table) -> pa.Table:
        """Classify one batch (a ``pyarrow.Table``)."""
        return self.model.classify(batch, **self.opts)
