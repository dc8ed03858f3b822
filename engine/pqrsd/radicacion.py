"""PQRSD cases: radicación with its legal due date and explanation, consulta, and the editable term table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput, NotFound, PhvaError
from engine.legal.calendar import to_local
from engine.legal.deadlines import Suspension, due_date
from engine.legal.explanation import DueDate
from engine.legal.recalculation import OpenItem
from engine.legal.terms import TermRow, TermTable, TermUnit
from engine.pqrsd import legal_data as legal
from engine.pqrsd.records import CaseRecord
from engine.store import cases as case_store
from engine.store import legal as legal_store
from engine.store.audit import audit
from engine.store.definitions import latest_name
from engine.store.legal_tables import PqrsdCase
from engine.store.uow import UnitOfWork
from engine.workflow.instances import start_process

PROCESS_KEY = "pqrsd"
CHANNELS = (
    "presencial_ventanilla", "verbal_presencial", "telefonico", "correo_electronico", "formulario_web", "buzon",
    "correspondencia_fisica", "redes_sociales", "chat", "traslado_otra_entidad",
)  # fmt: skip
PRIORITIES = ("normal", "prioritaria_art20", "urgente_vida_integridad", "periodista")
# Cases in these states no longer run a term: closures and calendar changes leave them alone.
CLOSED_STATUSES = frozenset({
    "respondida", "cerrada", "desistida_tacita", "desistida_expresa", "archivada_art19",
    "rechazada_irrespetuosa", "trasladada", "anulada",
})  # fmt: skip
CONTACT_FIELDS = ("petitioner_name", "document_type", "document_number", "email", "phone", "address",
                  "subject", "description")  # fmt: skip


# ---- radicación -------------------------------------------------------------------------------
def radicar_pqrsd(
    ctx: Context,
    kind: str,
    received_at: datetime | date | None = None,
    *,
    channel: str = "presencial_ventanilla",
    anonymous: bool = False,
    priority: str = "normal",
    contact: Mapping[str, str | None] | None = None,
    actor: str | None = None,
) -> CaseRecord:
    """Give a petition its radicado and legal due date; start the `pqrsd` process when one is deployed.

    Two transactions when the process starts: the case (with its radicado) commits first, then
    `start_process` runs in its own and the case is linked to the instance in a third.
    """
    legal.require_tables(ctx)
    _check_choice(channel, CHANNELS, "Canal")
    _check_choice(priority, PRIORITIES, "Prioridad")
    fields = _contact(contact)
    received = _received_moment(ctx, received_at)
    legal.ensure_legal_data(ctx, actor=actor)
    snapshot, due = legal.with_legal(
        ctx,
        legal.years_around(legal.local_date_of(ctx, received), 0),
        lambda s: (s, due_date(s.calendar, s.terms, kind, received)),
    )
    row = snapshot.terms.row(kind, due.radicacion_date or due.day)
    assert snapshot.term_version is not None and due.radicacion_date is not None
    now = ctx.clock.now()
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        radicado = next_radicado(session, legal.local_date_of(ctx, received).year)
        case = case_store.add_case(
            session, radicado=radicado, kind=kind, channel=channel, anonymous=anonymous, priority=priority,
            received_at=received.astimezone(UTC), radicacion_date=due.radicacion_date,
            radicacion_policy=snapshot.calendar.settings.radicacion_policy.value,
            term_version=snapshot.term_version, term_key=row.key, term=row.to_dict(), due_at=due.utc,
            original_due_at=due.utc, explanation=due.to_dict(), status="radicada", suspensions=[],
            created_at=now, created_by=actor, updated_at=now, **fields,
        )  # fmt: skip
        audit(session, ctx, instance_id=None, action="pqrsd_radicada", actor=actor,
              summary=f"Radicó la PQRSD {radicado} ({kind}); vence el {due.day.isoformat()}",
              after={"radicado": radicado, "due_at": due.iso()})  # fmt: skip
        deployed = latest_name(session, PROCESS_KEY) is not None
        result, data, case_id = case_dict(case, snapshot.calendar.tz), process_data(case, due), case.id
        uow.commit()
    if deployed:
        result["instance_id"], result["process_error"] = _start_case_process(
            ctx, case_id, radicado, data, actor
        )
    return result


def _start_case_process(
    ctx: Context, case_id: int, radicado: str, data: dict[str, Any], actor: str | None
) -> tuple[int | None, str | None]:
    """The instance and, when the process could not start or hit an incident, why."""
    try:
        started = start_process(ctx, PROCESS_KEY, data=data, business_key=radicado, actor=actor)
    except PhvaError as error:  # the radicado stands: the citizen already has it
        return None, error.message
    with UnitOfWork(ctx.db) as uow:
        case_store.link_instance(uow.session, case_id, started.id)
        uow.commit()
    return started.id, started.incident


def process_data(case: PqrsdCase, due: DueDate) -> dict[str, Any]:
    """Start data of the `pqrsd` process; dates as ISO text (names differ from the calendar functions)."""
    received = due.received_at
    data: dict[str, Any] = {
        "radicado": case.radicado, "tipo": case.kind, "canal": case.channel, "anonimo": case.anonymous,
        "prioridad": case.priority,
        "fecha_recibo": received.isoformat() if received is not None else None,
        "fecha_radicado": case.radicacion_date.isoformat(), "fecha_vencimiento": due.iso(),
        "dias_termino": due.amount, "unidad_termino": due.unit,
    }  # fmt: skip
    names = {"petitioner_name": "nombre", "email": "correo", "phone": "telefono", "subject": "asunto",
             "description": "descripcion"}  # fmt: skip
    for column, name in names.items():
        value = getattr(case, column)
        if value:
            data[name] = value
    return data


def _received_moment(ctx: Context, received_at: datetime | date | None) -> datetime:
    tz = ZoneInfo(ctx.settings.timezone)
    if received_at is None:
        return ctx.clock.now().astimezone(tz)
    if isinstance(received_at, datetime):
        return to_local(received_at, tz)
    return datetime.combine(received_at, time(0), tzinfo=tz)  # a bare date: received as the day opens


def _check_choice(value: str, choices: tuple[str, ...], what: str) -> None:
    if value not in choices:
        raise BadInput(f"{what} no válido: «{value}». Valores válidos: {', '.join(choices)}.")


def _contact(contact: Mapping[str, str | None] | None) -> dict[str, str | None]:
    given = dict(contact or {})
    unknown = sorted(set(given) - set(CONTACT_FIELDS))
    if unknown:
        raise BadInput(f"Campos desconocidos: {', '.join(unknown)}.")
    return {k: (str(v).strip() or None) if v is not None else None for k, v in given.items()}


def next_radicado(session: Session, year: int) -> str:
    """`AAAA-NNNNNN`, consecutive per year; one atomic upsert, so concurrent filings never share a number."""
    return f"{year}-{case_store.next_radicado_number(session, year):06d}"


# ---- reading ----------------------------------------------------------------------------------
def consultar(ctx: Context, radicado: str) -> CaseRecord:
    legal.require_tables(ctx)
    with UnitOfWork(ctx.db, write=False) as uow:
        case = case_store.case_by_radicado(uow.session, radicado.strip())
        if case is None:
            raise NotFound(f"No existe el radicado «{radicado}».")
        return case_dict(case, ZoneInfo(ctx.settings.timezone))


def case_dict(case: PqrsdCase, tz: ZoneInfo) -> CaseRecord:
    due = case.due_at.astimezone(tz) if case.due_at else None
    return CaseRecord(
        radicado=case.radicado, kind=case.kind, channel=case.channel, anonymous=case.anonymous,
        priority=case.priority, status=case.status, received_at=case.received_at.astimezone(tz).isoformat(),
        radicacion_date=case.radicacion_date.isoformat(), radicacion_policy=case.radicacion_policy,
        due_date=due.date().isoformat() if due else None, due_at=due.isoformat() if due else None,
        original_due_date=case.original_due_at.astimezone(tz).date().isoformat(),
        term_version=case.term_version, term_key=case.term_key, term=case.term, instance_id=case.instance_id,
        suspensions=case.suspensions, prorroga=case.prorroga, traslado=case.traslado,
        explanation=list(case.explanation.get("trace", [])), petitioner_name=case.petitioner_name,
        document_type=case.document_type, document_number=case.document_number, email=case.email,
        phone=case.phone, address=case.address, subject=case.subject, description=case.description,
    )  # fmt: skip


def open_item(case: PqrsdCase) -> OpenItem:
    """The case as the pure core's recalculation sees it (its own term row, its suspensions)."""
    suspensions = tuple(
        Suspension(
            datetime.fromisoformat(s["requerimiento_at"]),
            datetime.fromisoformat(s["compliance_at"]) if s.get("compliance_at") else None,
        )
        for s in case.suspensions
    )
    return OpenItem(case.radicado, case.received_at, kind=case.kind, suspensions=suspensions)


# ---- the term table ---------------------------------------------------------------------------
def terms(ctx: Context, version: int | None = None) -> dict[str, Any]:
    """The term table in force (or an older version): rows, version number and content fingerprint."""
    legal.ensure_legal_data(ctx)
    if not legal.tables_ready(ctx):
        table = legal.snapshot(ctx, ()).terms
        return {"version": None, "fingerprint": table.version, "note": "Tabla incorporada (sin base de datos)",
                "rows": table.to_dicts()}  # fmt: skip
    with UnitOfWork(ctx.db, write=False) as uow:
        session = uow.session
        head = legal_store.term_version_row(session, version or None)  # 0, like None: the latest
        if head is None:
            raise NotFound(f"No existe la versión {version} de la tabla de términos.")
        table = legal.load_terms(session, head.version)
        return {"version": head.version, "fingerprint": head.fingerprint, "note": head.note,
                "created_at": head.created_at.isoformat(), "created_by": head.created_by,
                "rows": table.to_dicts()}  # fmt: skip


def term_versions(ctx: Context) -> list[dict[str, Any]]:
    legal.require_tables(ctx)
    legal.ensure_legal_data(ctx)
    with UnitOfWork(ctx.db, write=False) as uow:
        rows = legal_store.term_version_rows(uow.session)
        return [{"version": r.version, "fingerprint": r.fingerprint, "note": r.note,
                 "created_at": r.created_at.isoformat(), "created_by": r.created_by} for r in rows]  # fmt: skip


def set_term(
    ctx: Context,
    kind: str,
    amount: int,
    *,
    unit: TermUnit | None = None,
    valid_from: date | None = None,
    legal_basis: str | None = None,
    label: str | None = None,
    prorroga_max: int | None = None,
    note: str | None = None,
    actor: str | None = None,
) -> dict[str, Any]:
    """A new version of the term table where `kind` has this term from `valid_from` (default today).

    Cases already filed keep their version; the row in force before `valid_from` is closed the day before.
    """
    legal.require_tables(ctx)
    if amount < 0:
        raise BadInput(f"Término no válido: {amount}; debe ser cero o positivo.")
    if not kind.strip() or not kind.replace("_", "").isalnum():
        raise BadInput(
            f"Tipo no válido: «{kind}»; use letras, números y guiones bajos (p. ej. peticion_general)."
        )
    legal.ensure_legal_data(ctx, actor=actor)
    start = valid_from or legal.local_date_of(ctx, ctx.clock.now())
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        current = legal_store.latest_term_version(session) or 0
        table = legal.load_terms(session, current)
        rows = _with_term(table, kind, amount, unit, start, legal_basis, label, prorroga_max)
        text = note or f"{kind}: {amount} {(unit or rows[-1].unit).value} desde {start.isoformat()}"
        new = legal.store_term_version(session, current + 1, rows, note=text, at=ctx.clock.now(), actor=actor)
        legal.bump_revision(session, ctx, actor)
        audit(session, ctx, instance_id=None, action="pqrsd_terms_changed", actor=actor,
              summary=f"Nueva versión {current + 1} de la tabla de términos: {text}",
              before={"version": current, "fingerprint": table.version},
              after={"version": current + 1, "fingerprint": new.version})  # fmt: skip
        uow.commit()
    ctx.legal.invalidate()
    return terms(ctx, current + 1)


def _with_term(
    table: TermTable,
    kind: str,
    amount: int,
    unit: TermUnit | None,
    start: date,
    legal_basis: str | None,
    label: str | None,
    prorroga_max: int | None,
) -> list[TermRow]:
    """The table's rows with `kind` changed from `start`; the new row is last."""
    rows = list(table)
    same_kind = [r for r in rows if r.kind == kind]
    if not same_kind and not (legal_basis and label):
        raise BadInput(f"El tipo «{kind}» es nuevo: indique también su nombre y su fundamento legal.")
    covering = next((r for r in same_kind if r.covers(start)), None)
    later = [r.valid_from for r in same_kind if r.valid_from > start]
    base = covering or (
        same_kind[-1] if same_kind else TermRow(kind, amount, TermUnit.HABILES, start, None, "", "")
    )
    valid_to = covering.valid_to if covering else (min(later) - timedelta(days=1) if later else None)
    new = replace(base, amount=amount, unit=unit or base.unit, valid_from=start, valid_to=valid_to,
                  legal_basis=legal_basis or base.legal_basis, label=label or base.label,
                  prorroga_max=prorroga_max if prorroga_max is not None else base.prorroga_max)  # fmt: skip
    if covering is not None:
        rows.remove(covering)
        if covering.valid_from < start:
            rows.append(replace(covering, valid_to=start - timedelta(days=1)))
    return [*rows, new]
