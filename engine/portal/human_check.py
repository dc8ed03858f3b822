"""A check that a person filled the portal's form, with no outside service: a small sum asked in words and
signed in the form, a field only robots fill (the honeypot), and a minimum time to fill the form.

Pure: the secret, the clock and the randomness come from the caller. The answer never travels in the form:
the token signs (issued, nonce, answer), so only the right answer reproduces its signature. The nonce makes
a token good for one filing (the portal records it).
"""

from __future__ import annotations

import hashlib
import hmac
import random
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.errors import ValidationFailed

FIELD = "verificacion"  # the answer's form field
TOKEN_FIELD = "verificacion_token"
HONEYPOT = "pagina_web"  # hidden from people; robots that fill every field fill it
MAX_AGE = timedelta(hours=2)
NUMBERS = ("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez",
           "once", "doce", "trece", "catorce", "quince", "dieciséis", "diecisiete", "dieciocho")  # fmt: skip
WRONG = "La respuesta a la pregunta de verificación no es correcta. Responda la nueva pregunta con un número."


@dataclass(frozen=True)
class Challenge:
    question: str  # "¿Cuánto es siete más tres?"
    token: str


def issue(secret: bytes, now: datetime, rng: random.Random | None = None) -> Challenge:
    pick = rng or random.SystemRandom()
    a, b = pick.randint(1, 9), pick.randint(1, 9)
    issued, nonce = int(now.timestamp()), f"{pick.getrandbits(128):032x}"  # SystemRandom: os.urandom
    token = f"{issued}.{nonce}.{_sign(secret, issued, nonce, a + b)}"
    return Challenge(f"¿Cuánto es {NUMBERS[a]} más {NUMBERS[b]}?", token)


def verify(secret: bytes, token: str, answer: str, honeypot: str, now: datetime, *, min_seconds: int) -> str:
    """The token's nonce when a person answered right, in time; ValidationFailed (field `verificacion`) if not."""
    if honeypot.strip():
        raise _refused("No pudimos recibir el formulario. Recargue la página y vuelva a enviarlo.")
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdecimal():
        raise _refused("Falta la pregunta de verificación. Recargue la página y vuelva a enviarlo.")
    issued, nonce, signature = int(parts[0]), parts[1], parts[2]
    value = _number(answer)
    if value is None or not hmac.compare_digest(_sign(secret, issued, nonce, value), signature):
        raise _refused(WRONG)
    elapsed = now.timestamp() - issued
    if elapsed > MAX_AGE.total_seconds() or elapsed < -60:
        raise _refused("El formulario estuvo abierto demasiado tiempo. Responda la nueva pregunta y envíelo.")
    if elapsed < min_seconds:
        raise _refused("El formulario se envió demasiado rápido. Revíselo y vuelva a enviarlo.")
    return nonce


def _sign(secret: bytes, issued: int, nonce: str, answer: int) -> str:
    message = f"portal-human-check|{issued}|{nonce}|{answer}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _number(answer: str) -> int | None:
    """«10», « diez », «Diez.»: digits or the Spanish word."""
    text = unicodedata.normalize("NFC", answer).strip().strip(".").lower()
    if text.isdecimal() and len(text) <= 3:
        return int(text)
    folded = text.replace("é", "e")
    words = [w.replace("é", "e") for w in NUMBERS]
    return words.index(folded) if folded in words else None


def _refused(message: str) -> ValidationFailed:
    return ValidationFailed(message, {FIELD: message})
