"""The portal's human check: only the right answer, given in time by someone slower than a robot, and never the
answer in the form."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from engine.errors import ValidationFailed
from engine.portal.human_check import NUMBERS, issue, verify

SECRET = b"clave-de-prueba"
NOW = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)


def answer_of(question: str) -> int:
    a, b = question.removeprefix("¿Cuánto es ").removesuffix("?").split(" más ")
    return NUMBERS.index(a) + NUMBERS.index(b)


def test_the_right_answer_in_digits_or_words_passes_and_gives_the_nonce() -> None:
    challenge = issue(SECRET, NOW, random.Random(7))
    later = NOW + timedelta(seconds=30)
    right = answer_of(challenge.question)
    nonce = verify(SECRET, challenge.token, f" {right} ", "", later, min_seconds=3)
    assert nonce == challenge.token.split(".")[1]
    assert verify(SECRET, challenge.token, NUMBERS[right].upper(), "", later, min_seconds=3) == nonce
    assert str(right) not in challenge.token.split(".")[0:2]  # the answer does not travel in the form


@pytest.mark.parametrize(
    ("answer", "honeypot", "seconds", "secret", "message"),
    [
        ("wrong", "", 30, SECRET, "no es correcta"),
        ("right+1", "", 30, SECRET, "no es correcta"),
        ("right", "http://spam", 30, SECRET, "No pudimos recibir"),
        ("right", "", 1, SECRET, "demasiado rápido"),
        ("right", "", 3 * 3600, SECRET, "demasiado tiempo"),
        ("right", "", 30, b"otra-clave", "no es correcta"),
    ],
    ids=["text", "off-by-one", "honeypot", "too-fast", "too-old", "forged"],
)
def test_robots_and_forgeries_are_refused_with_a_message(
    answer: str, honeypot: str, seconds: int, secret: bytes, message: str
) -> None:
    challenge = issue(SECRET, NOW, random.Random(3))
    right = answer_of(challenge.question)
    given = {"right": str(right), "right+1": str(right + 1)}.get(answer, answer)
    with pytest.raises(ValidationFailed, match=message) as refused:
        verify(secret, challenge.token, given, honeypot, NOW + timedelta(seconds=seconds), min_seconds=3)
    assert "verificacion" in refused.value.details


def test_a_mangled_token_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="Falta la pregunta"):
        verify(SECRET, "no-es-un-token", "5", "", NOW, min_seconds=0)
