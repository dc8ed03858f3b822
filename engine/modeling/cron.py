"""Cron `timeCycle` expressions in Quartz syntax, as Camunda 7 accepts them (`0 0 9 ? * MON-FRI`).

Fields: seconds, minutes, hours, day of month, month, day of week, and an optional year. Supported: `*`,
`?`, numbers, ranges, lists, steps (`0/15`, `*/5`), month and day names (JAN, MON-FRI), `L` as the last day
of the month. Quartz's day-of-week numbers run 1 = SUN … 7 = SAT. Refused with a reason: `W`, `#`, `nL`,
and a day of month together with a day of week (Quartz wants one of them to be `?`).

A cron timer counts on the plain calendar of the entity's time zone (PHVA_TIMEZONE), as Quartz does:
MON-FRI means Monday to Friday, holidays included. For business days use a date timer on
`dias_habiles(…)`. The next occurrence is computed by APScheduler's CronTrigger.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache

from apscheduler.triggers.cron import CronTrigger

_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_APS_DAYS = {"SUN": "sun", "MON": "mon", "TUE": "tue", "WED": "wed", "THU": "thu", "FRI": "fri", "SAT": "sat"}
_SHAPE = re.compile(r"\S+(\s+\S+){5,6}")
_FIELD = re.compile(r"[0-9A-Za-z*?/,\-]+")


class CronError(ValueError):
    """A cron expression this engine cannot run; the message says why (es-CO)."""


def looks_like_cron(text: str) -> bool:
    return bool(_SHAPE.fullmatch(text.strip())) and not text.strip().upper().startswith(("R", "P"))


def _day_of_week(field: str) -> str:
    def one(token: str) -> str:
        token = token.upper()
        if token.isdigit():
            number = int(token)
            if not 1 <= number <= 7:
                raise CronError(
                    f"el día de la semana {token} no existe (Quartz cuenta 1 = domingo … 7 = sábado)"
                )
            token = _DAYS[number - 1]
        if token not in _APS_DAYS:
            raise CronError(f"«{token}» no es un día de la semana (use SUN…SAT o 1…7)")
        return _APS_DAYS[token]

    parts = []
    for item in field.split(","):
        base, _, step = item.partition("/")
        if base in ("*", "?"):
            converted = "*"
        elif "-" in base:
            start, _, end = base.partition("-")
            converted = f"{one(start)}-{one(end)}"
        else:
            converted = one(base)
            if step:
                converted = f"{converted}-sat" if converted != "sat" else converted
        parts.append(f"{converted}/{step}" if step else converted)
    return ",".join(parts)


def _plain(field: str, what: str) -> str:
    if field == "?":
        return "*"
    if not _FIELD.fullmatch(field) or "?" in field:
        raise CronError(f"el campo de {what} «{field}» no es válido")
    return field.lower()


@lru_cache(maxsize=256)
def _fields(text: str) -> dict[str, str]:
    fields = text.split()
    if len(fields) not in (6, 7):
        raise CronError(
            "una expresión cron de Quartz tiene 6 o 7 campos: segundos, minutos, horas, día del mes, mes, "
            "día de la semana [y año], p. ej. 0 0 9 ? * MON-FRI"
        )
    second, minute, hour, day, month, dow = fields[:6]
    for token, what in ((day, "día del mes"), (dow, "día de la semana")):
        if (
            ("W" in token.upper() and what == "día del mes")
            or "#" in token
            or re.search(r"\dL", token.upper())
        ):
            raise CronError(f"«{token}» ({what}): W, # y nL de Quartz no están soportados")
    if day not in ("?", "*") and dow not in ("?", "*"):
        raise CronError("indique el día del mes o el día de la semana, no ambos: el otro campo va con «?»")
    result = {
        "second": _plain(second, "segundos"),
        "minute": _plain(minute, "minutos"),
        "hour": _plain(hour, "horas"),
        "day": "last" if day.upper() == "L" else _plain(day, "día del mes"),
        "month": _plain(month, "mes"),
        "day_of_week": _day_of_week(dow),
    }
    if len(fields) == 7:
        result["year"] = _plain(fields[6], "año")
    return result


@lru_cache(maxsize=256)
def _trigger(text: str, zone: tzinfo) -> CronTrigger:
    try:
        return CronTrigger(timezone=zone, **_fields(text))
    except CronError:
        raise
    except ValueError as error:
        raise CronError(f"expresión cron no válida: {error}") from error


def check_cron(text: str, zone: tzinfo) -> None:
    """Raise CronError when `text` is not a Quartz cron this engine runs, or never fires."""
    if next_fire(text, datetime(2000, 1, 1, tzinfo=zone), zone) is None:
        raise CronError("la expresión cron no se cumple nunca")


def next_fire(text: str, after: datetime, zone: tzinfo) -> datetime | None:
    """The first occurrence strictly after `after`, or None when there is none."""
    trigger = _trigger(" ".join(text.split()), zone)
    moment = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
    return moment if isinstance(moment, datetime) else None
