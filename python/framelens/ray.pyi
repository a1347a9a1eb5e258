from typing import Any, Dict, Optional, Sequence

import pyarrow as pa

from . import Model

class Classifier:
    model: Model
    opts: Dict[str, Any]
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
    ) -> None: ...
    def __call__(self, batch: pa.Table) -> pa.Table: ...
