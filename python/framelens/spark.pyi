from typing import Any, Callable, Iterator, Optional, Sequence

import pyarrow as pa

def classify_batches(
    model: Optional[str] = None,
    text: str = "text",
    id: str = "id",
    title: Optional[str] = None,
    keep: Sequence[str] = (),
    paragraphs: bool = False,
    narratives: Optional[str] = None,
    threads: int = 1,
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]: ...
def output_schema(
    input_schema: Any = None,
    model: Optional[str] = None,
    title: Optional[str] = None,
    keep: Sequence[str] = (),
    paragraphs: bool = False,
    narratives: Optional[str] = None,
) -> Any: ...
