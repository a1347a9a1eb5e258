"""Type stubs of framelens (see the docstrings in __init__.py)."""

import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, TypeVar, Union, overload

import pyarrow as pa

__version__: str
RESERVED: tuple

_Path = Union[str, "os.PathLike[str]"]
_D = TypeVar("_D")

@dataclass(frozen=True)
class Codebook:
    labels: List[str]
    frames: List[str]
    none: Optional[str]
    toml: str

class Narratives:
    @property
    def ids(self) -> List[str]: ...
    @property
    def path(self) -> str: ...

class Model:
    @classmethod
    def load(cls, path: Optional[_Path] = None) -> "Model": ...
    @property
    def hash(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def codebook(self) -> Codebook: ...
    @property
    def frames(self) -> List[str]: ...
    def narratives(self, path: _Path) -> Narratives: ...
    def schema(
        self,
        paragraphs: bool = False,
        narratives: bool = False,
        title: bool = False,
        keep: Sequence[pa.Field] = (),
    ) -> pa.Schema: ...
    @overload
    def classify(
        self,
        data: pa.Table,
        text: str = "text",
        id: str = "id",
        title: Optional[str] = None,
        paragraphs: bool = False,
        narratives: Optional[Union[_Path, Narratives]] = None,
        threads: Optional[int] = None,
        keep: Sequence[str] = (),
    ) -> pa.Table: ...
    @overload
    def classify(
        self,
        data: pa.RecordBatch,
        text: str = "text",
        id: str = "id",
        title: Optional[str] = None,
        paragraphs: bool = False,
        narratives: Optional[Union[_Path, Narratives]] = None,
        threads: Optional[int] = None,
        keep: Sequence[str] = (),
    ) -> pa.RecordBatch: ...
    @overload
    def classify(
        self,
        data: List[Dict[str, Any]],
        text: str = "text",
        id: str = "id",
        title: Optional[str] = None,
        paragraphs: bool = False,
        narratives: Optional[Union[_Path, Narratives]] = None,
        threads: Optional[int] = None,
        keep: Sequence[str] = (),
    ) -> List[Dict[str, Any]]: ...
    @overload
    def classify(
        self,
        data: _D,
        text: str = "text",
        id: str = "id",
        title: Optional[str] = None,
        paragraphs: bool = False,
        narratives: Optional[Union[_Path, Narratives]] = None,
        threads: Optional[int] = None,
        keep: Sequence[str] = (),
    ) -> _D: ...
    def run_info(self, out: _Path, started: Optional[str] = None, **counts: int) -> None: ...
