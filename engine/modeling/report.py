"""Validation findings for deployed files: every problem names the file, the element and what is wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    file: str
    element_id: str | None
    message: str
    severity: Severity = "error"

    def format(self) -> str:
        where = f"{self.file}: {self.element_id}" if self.element_id else self.file
        label = "ERROR" if self.severity == "error" else "AVISO"
        return f"{label} {where}: {self.message}"

    def to_dict(self) -> dict[str, str | None]:
        return {
            "file": self.file,
            "element_id": self.element_id,
            "message": self.message,
            "severity": self.severity,
        }


@dataclass
class ValidationReport:
    problems: list[Problem] = field(default_factory=list)

    def add(self, file: str, element_id: str | None, message: str, severity: Severity = "error") -> None:
        self.problems.append(Problem(file, element_id, message, severity))

    def extend(self, problems: list[Problem]) -> None:
        self.problems.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def format(self) -> str:
        return "\n".join(p.format() for p in self.problems)
