"""Moving columns across the boundary: Arrow C Data Interface capsules in, buffers out.

No Python object per row is created on this path: string columns go to Rust as
``(schema, array)`` PyCapsules per chunk (``__arrow_c_array__``), and results come back as byte
buffers wrapped with ``pyarrow.Array.from_buffers``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import pyarrow as pa


def as_strings(name: str, col: Union[pa.Array, pa.ChunkedArray]) -> pa.ChunkedArray:
    """The column as a chunked ``string``/``large_string`` array (views, dictionaries and
    all-null columns are cast); ``ValueError`` naming the column for any other type."""
    if isinstance(col, pa.Array):
        col = pa.chunked_array([col], col.type)
    t = col.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return col
    if pa.types.is_dictionary(t):
        v = t.value_type
        if pa.types.is_string(v) or pa.types.is_large_string(v) or pa.types.is_string_view(v):
            return col.cast(pa.large_string())
    if pa.types.is_string_view(t) or pa.types.is_null(t):
        return col.cast(pa.large_string())
    raise ValueError(f"column {name!r} must hold strings, not {t}")


def string_chunks(name: str, col: Union[pa.Array, pa.ChunkedArray]) -> List[Tuple[Any, Any]]:
    """The ``(schema, array)`` capsule pair of every chunk of a string column."""
    col = as_strings(name, col)
    return [chunk.__arrow_c_array__() for chunk in col.chunks]


def _buf(b: bytes) -> pa.Buffer:
    return pa.py_buffer(b)


def _validity(b: bytes, n: int) -> Optional[pa.Buffer]:
    # all valid: no bitmap
    full, rest = divmod(n, 8)
    if b[:full] == b"\xff" * full and (rest == 0 or (b[full] & ((1 << rest) - 1)) == (1 << rest) - 1):
        return None
    return _buf(b)


def strings(d: Dict[str, Any]) -> pa.Array:
    n = d["len"]
    return pa.Array.from_buffers(
        pa.string(), n, [_validity(d["valid"], n), _buf(d["offsets"]), _buf(d["data"])]
    )


def string_lists(d: Dict[str, Any]) -> pa.Array:
    n = d["len"]
    return pa.Array.from_buffers(
        pa.list_(pa.string()), n, [_validity(d["valid"], n), _buf(d["offsets"])],
        children=[strings(d["values"])],
    )


def f64(b: bytes, n: int, valid: Optional[pa.Buffer]) -> pa.Array:
    return pa.Array.from_buffers(pa.float64(), n, [valid, _buf(b)])


def assemble(
    res: Dict[str, Any],
    schema: pa.Schema,
    id_col: pa.ChunkedArray,
    title_col: Optional[Union[pa.Array, pa.ChunkedArray]],
    keep: Sequence[Union[pa.Array, pa.ChunkedArray]],
    labels: Sequence[str],
) -> pa.Table:
    """The output table from the native result buffers, in ``schema`` order."""
    n = res["len"]
    ok = _validity(res["ok"], n)
    cols: List[Any] = [id_col.cast(pa.string())]
    if title_col is not None:
        cols.append(as_strings("title", title_col).cast(pa.string()))
    cols += list(keep)
    cols += [f64(b, n, ok) for b in res["shares"]]
    cols.append(f64(res["framed_fraction"], n, ok))
    cols.append(strings(res["dominant"]))
    cols.append(string_lists(res["present"]))
    if "narratives" in res:
        cols.append(string_lists(res["narratives"]))
    if "paragraphs" in res:
        p = res["paragraphs"]
        m = p["count"]
        scores = pa.StructArray.from_arrays(
            [f64(b, m, None) for b in p["scores"]], names=list(labels)
        )
        children = [
            pa.Array.from_buffers(pa.int32(), m, [None, _buf(p["index"])]),
            strings(p["label"]),
            scores,
        ]
        names = ["index", "label", "scores"]
        if "narratives" in p:
            children.append(string_lists(p["narratives"]))
            names.append("narratives")
        values = pa.StructArray.from_arrays(children, names=names)
        cols.append(
            pa.Array.from_buffers(
                pa.list_(values.type), n, [_validity(p["valid"], n), _buf(p["offsets"])],
                children=[values],
            )
        )
    cols.append(strings(res["error"]))
    return pa.Table.from_arrays(cols, schema=schema)
