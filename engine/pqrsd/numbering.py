"""The radicado's shape: `AAAA-NNNNNN` by default (PHVA_RADICADO_FORMAT), rendered and recognised."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from engine.errors import BadInput

_PARTS = re.compile(r"(AAAA|N+)")
TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read aloud at a counter
TRACKING_LENGTH = 10


@dataclass(frozen=True)
class RadicadoFormat:
    text: str
    digits: int

    @classmethod
    def parse(cls, text: str) -> RadicadoFormat:
        runs = [p for p in _PARTS.findall(text) if p.startswith("N")]
        if text.count("AAAA") != 1 or len(runs) != 1 or len(runs[0]) < 4:
            raise BadInput(
                f"PHVA_RADICADO_FORMAT no válido: «{text}». Debe tener una vez AAAA (el año) y una serie de "
                "al menos cuatro N (el consecutivo), por ejemplo AAAA-NNNNNN o ER-AAAA-NNNNNNN."
            )
        if not re.fullmatch(r"[A-Z0-9_-]+", text):
            raise BadInput(
                f"PHVA_RADICADO_FORMAT no válido: «{text}». Use letras mayúsculas, dígitos, '-' o '_'."
            )
        return cls(text, len(runs[0]))

    def render(self, year: int, number: int) -> str:
        if number >= 10**self.digits:
            raise BadInput(f"El consecutivo de radicados de {year} se agotó ({self.text}).")
        return _PARTS.sub(
            lambda m: f"{year:04d}" if m[0] == "AAAA" else f"{number:0{self.digits}d}", self.text
        )

    @property
    def pattern(self) -> re.Pattern[str]:
        """What a radicado of this format looks like, so no hand-typed business key can take one."""
        parts = [r"\d{4}" if p == "AAAA" else rf"\d{{{self.digits}}}" if p.startswith("N") else re.escape(p)
                 for p in _PARTS.split(self.text) if p]  # fmt: skip
        return re.compile("".join(parts), re.IGNORECASE)


def tracking_code() -> str:
    """The código de consulta the citizen tracks the case with, together with the radicado."""
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))
