"""Where a running instance finds the decisions and called processes it is bound to, by key and binding.

The use case that advances an instance installs a `Definitions` (engine/workflow/bindings.py reads them
from the database) for the duration of the engine steps; without one, only what the deployment carried
is found (`deployment` binding), which is what a bare ProcessRun in a unit test sees.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Binding:
    key: str
    binding: str  # latest | deployment | version | versionTag
    version: int | None
    version_tag: str | None

    @classmethod
    def of(cls, ext: Mapping[str, Any], key: str, attribute: str) -> Binding:
        version = str(ext.get(f"{attribute}Version") or "").strip()
        return cls(
            key=key,
            binding=str(ext.get(f"{attribute}Binding") or "latest"),
            version=int(version) if version.isdigit() else None,
            version_tag=ext.get(f"{attribute}VersionTag"),
        )

    def describe(self) -> str:
        if self.binding == "version":
            return f"versión {self.version}"
        if self.binding == "versionTag":
            return f"etiqueta de versión «{self.version_tag}»"
        return "última versión" if self.binding == "latest" else "versión del mismo despliegue"


@dataclass(frozen=True)
class CalledProcess:
    name: str  # the name its spec is registered under in the instance: "<key>@<definition id>"
    spec: Any
    subprocess_specs: Mapping[str, Any]


class Definitions(Protocol):
    def decision(self, binding: Binding) -> Mapping[str, Mapping[str, Any]] | None:
        """The decision's models (it and what it requires), or None when no version fits."""

    def process(self, binding: Binding) -> CalledProcess | None:
        """The called process's spec, or None when no version fits."""


_current: ContextVar[Definitions | None] = ContextVar("phva_definitions", default=None)


@contextmanager
def using(definitions: Definitions | None) -> Iterator[None]:
    token = _current.set(definitions)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> Definitions | None:
    return _current.get()
