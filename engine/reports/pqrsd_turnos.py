"""The counter's turn log (digiturno): a turn is issued, called, ended or abandoned, at the counter's page, by
the API, or imported from another turn system's CSV; the canal presencial indicator reads it."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput, Conflict, Forbidden, NotFound, ValidationFailed
from engine.identity.users import UserView, acting_user
from engine.pqrsd.filing import parse_received
from engine.reports.pqrsd_measures import counter
from engine.store.audit import audit
from engine.store.report_tables import Turno
from engine.store.uow import UnitOfWork

OPERATOR_ROLES = ("funcionario", "supervisor", "admin")
DEFAULT_PUNTO = "Sede principal"
ACTIONS = {"llamar": "called", "finalizar": "ended", "abandonar": "abandoned"}
CSV_COLUMNS = ("turno", "punto", "emitido", "llamado", "finalizado", "abandonado")
MAX_ROWS = 50_000
MAX_ERRORS = 50  # reported; the rest are counted


def may_operate(user: UserView) -> bool:
    return user.has_role(*OPERATOR_ROLES)


def status_of(t: Turno) -> str:
    if t.abandoned_at is not None:
        return "abandonado"
    if t.ended_at is not None:
        return "atendido"
    return "en_atencion" if t.called_at is not None else "en_espera"


def turno_dict(t: Turno, tz: ZoneInfo) -> dict[str, Any]:
    def local(value: datetime | None) -> str | None:
        return value.astimezone(tz).isoformat() if value is not None else None

    wait = (t.called_at - t.issued_at).total_seconds() / 60 if t.called_at is not None else None
    return {"id": t.id, "turno": t.code, "punto": t.punto, "estado": status_of(t), "emitido": local(t.issued_at),
            "llamado": local(t.called_at), "finalizado": local(t.ended_at), "abandonado": local(t.abandoned_at),
            "espera_min": round(wait, 1) if wait is not None else None, "atendido_por": t.called_by,
            "origen": t.source}  # fmt: skip


def _punto(raw: str | None) -> str:
    text = " ".join((raw or "").split())
    if len(text) > 120:
        raise BadInput(
            "El punto de atención es demasiado largo: máximo 120 caracteres.", {"punto": "Máximo 120."}
        )
    return text or DEFAULT_PUNTO


def _operator(s: Session, user: UserView | str) -> UserView:
    acting = acting_user(s, user)
    if not may_operate(acting):
        raise Forbidden("Solo el personal de atención registra turnos.")
    return acting


def _day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return datetime.combine(day, time(0), tzinfo=tz), datetime.combine(
        day + timedelta(days=1), time(0), tzinfo=tz
    )


def issue(ctx: Context, punto: str | None, user: UserView | str, *, source: str = "web") -> dict[str, Any]:
    """A new turn at the point of attention, numbered from 1 each day there."""
    tz, now = ZoneInfo(ctx.settings.timezone), ctx.clock.now()
    place = _punto(punto)
    with UnitOfWork(ctx.db) as uow:
        s = uow.session
        acting = _operator(s, user)
        lo, hi = _day_bounds(now.astimezone(tz).date(), tz)
        issued = s.scalar(
            select(func.count()).where(Turno.punto == place, Turno.issued_at >= lo, Turno.issued_at < hi)
        )
        row = Turno(code=f"T-{int(issued or 0) + 1:03d}", punto=place, issued_at=now, source=source,
                    created_at=now, created_by=acting.username)  # fmt: skip
        s.add(row)
        s.flush()
        record = turno_dict(row, tz)
        uow.commit()
    return record


def act(ctx: Context, turno_id: int, action: str, user: UserView | str) -> dict[str, Any]:
    """Call a waiting turn, end the attention of a called one, or mark it abandoned (the citizen left)."""
    if action not in ACTIONS:
        raise BadInput(f"Acción desconocida: «{action}». Use {', '.join(ACTIONS)}.")
    tz, now = ZoneInfo(ctx.settings.timezone), ctx.clock.now()
    with UnitOfWork(ctx.db) as uow:
        s = uow.session
        acting = _operator(s, user)
        row = s.get(Turno, turno_id)
        if row is None:
            raise NotFound(f"No existe el turno {turno_id}.")
        state = status_of(row)
        if state in ("atendido", "abandonado"):
            raise Conflict(f"El turno {row.code} ya está {state}; no admite más cambios.")
        if action == "llamar":
            if state != "en_espera":
                raise Conflict(f"El turno {row.code} ya fue llamado.")
            row.called_at, row.called_by = now, acting.username
        elif action == "finalizar":
            if state != "en_atencion":
                raise Conflict(
                    f"El turno {row.code} aún no ha sido llamado: llámelo antes de finalizar la atención."
                )
            row.ended_at = now
        else:
            row.abandoned_at = now
        record = turno_dict(row, tz)
        uow.commit()
    return record


def day_log(ctx: Context, day: date, punto: str | None, user: UserView | str) -> dict[str, Any]:
    """The day's turns at a point (all points when None), and the day's counter figures."""
    tz = ZoneInfo(ctx.settings.timezone)
    lo, hi = _day_bounds(day, tz)
    with UnitOfWork(ctx.db, write=False) as uow:
        s = uow.session
        _operator(s, user)
        query = select(Turno).where(Turno.issued_at >= lo, Turno.issued_at < hi)
        place = " ".join((punto or "").split()) or None
        if place is not None:
            query = query.where(Turno.punto == place)
        rows = [turno_dict(t, tz) for t in s.scalars(query.order_by(Turno.issued_at, Turno.id))]
        points = list(s.scalars(select(Turno.punto).distinct().order_by(Turno.punto).limit(100)))
        figures = counter(s, lo, hi, ctx.settings.turno_estandar_min)
    return {"fecha": day.isoformat(), "punto": place, "puntos": points, "items": rows, "resumen": figures}


# ---- CSV import ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportResult:
    imported: int
    first: str | None
    last: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"importados": self.imported, "desde": self.first, "hasta": self.last}


def import_csv(ctx: Context, text: str, user: UserView | str) -> ImportResult:
    """Every row of the file or none: a row that does not hold up is reported with its line number."""
    tz, now = ZoneInfo(ctx.settings.timezone), ctx.clock.now()
    rows, errors = _parse_csv(text.lstrip("\ufeff"), tz, now)
    with UnitOfWork(ctx.db) as uow:
        s = uow.session
        acting = _operator(s, user)
        if not errors and rows:
            keys = [(r["punto"], r["code"], r["issued_at"]) for _, r in rows]
            existing = set()
            for chunk in range(0, len(keys), 500):
                part = keys[chunk : chunk + 500]
                existing |= {
                    (p, c, at)
                    for p, c, at in s.execute(
                        select(Turno.punto, Turno.code, Turno.issued_at).where(
                            tuple_(Turno.punto, Turno.code).in_([(p, c) for p, c, _ in part])
                        )
                    )
                }
            for line, r in rows:
                if (r["punto"], r["code"], r["issued_at"]) in existing:
                    errors.append(
                        (
                            line,
                            f"el turno {r['code']} de «{r['punto']}» emitido a esa hora ya está registrado",
                        )
                    )
        if errors:
            raise _import_failed(errors)
        if not rows:
            raise BadInput("El archivo no tiene turnos: después del encabezado no hay filas.")
        for _, r in rows:
            s.add(Turno(**r, source="csv", created_at=now, created_by=acting.username))
        moments = sorted(r["issued_at"] for _, r in rows)
        audit(s, ctx, instance_id=None, action="turnos_importados", actor=acting.username,
              summary=f"Importó {len(rows)} turnos desde un archivo CSV", after={"turnos": len(rows)})  # fmt: skip
        uow.commit()
    return ImportResult(
        len(rows), moments[0].astimezone(tz).isoformat(), moments[-1].astimezone(tz).isoformat()
    )


def _import_failed(errors: list[tuple[int, str]]) -> ValidationFailed:
    errors.sort()
    details = {f"línea {line}": message for line, message in errors[:MAX_ERRORS]}
    more = f" (se muestran los primeros {MAX_ERRORS})" if len(errors) > MAX_ERRORS else ""
    return ValidationFailed(
        f"El archivo tiene {len(errors)} {'error' if len(errors) == 1 else 'errores'}{more}: no se importó nada.",
        details,
    )


def _parse_csv(
    text: str, tz: ZoneInfo, now: datetime
) -> tuple[list[tuple[int, dict[str, Any]]], list[tuple[int, str]]]:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise BadInput(
            "El archivo está vacío: la primera línea debe ser el encabezado " + ",".join(CSV_COLUMNS) + "."
        ) from None
    missing = [c for c in ("turno", "punto", "emitido") if c not in header]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if missing or unknown:
        problems = ([f"faltan {', '.join(missing)}"] if missing else []) + (
            [f"sobran {', '.join(unknown)}"] if unknown else []
        )
        raise BadInput(f"Línea 1 (encabezado): {'; '.join(problems)}. Columnas: {', '.join(CSV_COLUMNS)}.")
    rows: list[tuple[int, dict[str, Any]]] = []
    errors: list[tuple[int, str]] = []
    seen: set[tuple[str, str, datetime]] = set()
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(rows) + len(errors) >= MAX_ROWS:
            raise BadInput(f"El archivo tiene más de {MAX_ROWS} turnos: divídalo en archivos más pequeños.")
        if len(cells) != len(header):
            errors.append((line, f"tiene {len(cells)} columnas y el encabezado {len(header)}"))
            continue
        found = _row(dict(zip(header, (c.strip() for c in cells), strict=True)), tz, now)
        if isinstance(found, str):
            errors.append((line, found))
            continue
        key = (found["punto"], found["code"], found["issued_at"])
        if key in seen:
            errors.append(
                (line, f"el turno {found['code']} de «{found['punto']}» está repetido en el archivo")
            )
            continue
        seen.add(key)
        rows.append((line, found))
    return rows, errors


def _row(cells: dict[str, str], tz: ZoneInfo, now: datetime) -> dict[str, Any] | str:
    """The turn's columns, or what is wrong with the row (the first problem)."""
    code, punto = cells.get("turno", ""), " ".join(cells.get("punto", "").split())
    if not code or len(code) > 20:
        return "el turno debe tener entre 1 y 20 caracteres"
    if not punto or len(punto) > 120:
        return "el punto de atención debe tener entre 1 y 120 caracteres"
    moments: dict[str, datetime | None] = {}
    for column in ("emitido", "llamado", "finalizado", "abandonado"):
        value = cells.get(column, "")
        moment = parse_received(value, tz) if value else None
        if value and moment is None:
            return f"«{column}» no es una fecha y hora válida ({value[:30]}): use AAAA-MM-DD HH:MM o dd/mm/aaaa hh:mm"
        if moment is not None and moment > now:
            return f"«{column}» es posterior a este momento"
        moments[column] = moment
    issued, called, ended, left = (moments[c] for c in ("emitido", "llamado", "finalizado", "abandonado"))
    checks: list[tuple[Callable[[], bool], str]] = [
        (lambda: issued is None, "falta la hora de emisión («emitido»)"),
        (
            lambda: called is not None and issued is not None and called < issued,
            "«llamado» es anterior a «emitido»",
        ),
        (lambda: ended is not None and called is None, "tiene «finalizado» sin «llamado»"),
        (
            lambda: ended is not None and called is not None and ended < called,
            "«finalizado» es anterior a «llamado»",
        ),
        (lambda: left is not None and ended is not None, "no puede estar finalizado y abandonado a la vez"),
        (
            lambda: left is not None and issued is not None and left < issued,
            "«abandonado» es anterior a «emitido»",
        ),
    ]
    for failed, message in checks:
        if failed():
            return message
    assert issued is not None
    return {"code": code, "punto": punto, "issued_at": issued, "called_at": called, "ended_at": ended,
            "abandoned_at": left}  # fmt: skip
