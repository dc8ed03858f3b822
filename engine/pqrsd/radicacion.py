"""Radicación: one transaction gives a validated filing its radicado, legal due date, tracking code and process."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput, NotFound, ValidationFailed
from engine.legal.calendar import to_local
from engine.legal.deadlines import Suspension, due_date
from engine.legal.explanation import DueDate
from engine.legal.recalculation import OpenItem
from engine.pqrsd import clock, notices
from engine.pqrsd import legal_data as legal
from engine.pqrsd.filing import CHANNELS, PRIORITIES, Filing, parse_filing
from engine.pqrsd.numbering import RadicadoFormat, tracking_code
from engine.pqrsd.records import CaseRecord
from engine.store import cases as case_store
from engine.store import definitions
from engine.store.audit import audit, relink
from engine.store.legal_tables import PqrsdCase
from engine.store.uow import UnitOfWork
from engine.workflow.instances import start_in

PROCESS_KEY = "pqrsd"
# Cases in these states no longer run a term: closures and calendar changes leave them alone.
CLOSED_STATUSES = frozenset({
    "respondida", "cerrada", "desistida_tacita", "desistida_expresa", "archivada_art19",
    "rechazada_irrespetuosa", "trasladada", "anulada",
})  # fmt: skip
CONTACT_FIELDS = ("petitioner_name", "document_type", "document_number", "email", "phone", "address",
                  "subject", "description")  # fmt: skip
RESERVED_START = (
    "Las PQRSD no se inician a mano: se radican en «Radicar PQRSD» (/pqrsd/radicar), con "
    "`phva pqrsd radicar` o con POST /api/v1/pqrsd, y así reciben su radicado y su término legal."
)


def register(ctx: Context) -> None:
    """The `pqrsd` process and radicado-shaped business keys belong to radicación alone."""
    ctx.reserved_starts[PROCESS_KEY] = RESERVED_START
    ctx.reserved_business_keys = RadicadoFormat.parse(ctx.settings.radicado_format).pattern
    ctx.default_task_due[PROCESS_KEY] = _case_due


def _case_due(session: Session, radicado: str | None) -> datetime | None:
    return case_store.due_of_case(session, radicado) if radicado else None


# ---- radicación -------------------------------------------------------------------------------
def file_pqrsd(
    ctx: Context, raw: Mapping[str, Any], *, actor: str | None, default_channel: str | None = None
) -> CaseRecord:
    """What every entry point calls: check the filing field by field, then radicate it."""
    legal.require_tables(ctx)
    legal.ensure_legal_data(ctx, actor=actor)
    now = ctx.clock.now()
    kinds = legal.snapshot(ctx, legal.years_around(legal.local_date_of(ctx, now), 0)).terms.kinds()
    tz = ZoneInfo(ctx.settings.timezone)
    filing = parse_filing(raw, kinds=kinds, now=now, tz=tz, default_channel=default_channel)
    record = radicar(ctx, filing, actor=actor)
    notices.send_receipt(ctx, record)  # queued by radicar, in its transaction
    return record


def radicar(ctx: Context, filing: Filing, *, actor: str | None) -> CaseRecord:
    """Radicado, case, due date and the `pqrsd` process (when deployed), all in one commit or none."""
    legal.require_tables(ctx)
    received = _received_moment(ctx, filing.received_at)
    legal.ensure_legal_data(ctx, actor=actor)
    snapshot, due = legal.with_legal(
        ctx,
        legal.years_around(legal.local_date_of(ctx, received), 0),
        lambda s: (s, _due(s, filing.kind, received)),
    )
    row = snapshot.terms.row(filing.kind, due.radicacion_date or due.day)
    assert snapshot.term_version is not None and due.radicacion_date is not None
    numbering = RadicadoFormat.parse(ctx.settings.radicado_format)
    now = ctx.clock.now()
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        number = case_store.next_radicado_number(session, legal.local_date_of(ctx, received).year)
        radicado = numbering.render(legal.local_date_of(ctx, received).year, number)
        case = case_store.add_case(
            session, radicado=radicado, kind=filing.kind, channel=filing.channel, anonymous=filing.anonymous,
            priority=filing.priority, received_at=received.astimezone(UTC), radicacion_date=due.radicacion_date,
            radicacion_policy=snapshot.calendar.settings.radicacion_policy.value,
            term_version=snapshot.term_version, term_key=row.key, term=row.to_dict(), due_at=due.utc,
            original_due_at=due.utc, explanation=due.to_dict(), status="radicada", suspensions=[],
            created_at=now, created_by=actor, updated_at=now, codigo_consulta=tracking_code(),
            received_by=actor if filing.verbal else None, petitioner_type=filing.petitioner_type,
            notify_electronically=filing.notify_electronically, identity_reserved=filing.identity_reserved,
            petitioner_name=filing.petitioner_name, document_type=filing.document_type,
            document_number=filing.document_number, email=filing.email, phone=filing.phone,
            address=filing.address, subject=filing.subject or None, description=filing.description or None,
        )  # fmt: skip
        clock.set_thresholds(ctx, snapshot.calendar, case)
        audit(session, ctx, instance_id=None, action="pqrsd_radicada", actor=actor,
              summary=f"Radicó la PQRSD {radicado} ({filing.kind}); vence el {due.day.isoformat()}",
              after={"radicado": radicado, "due_at": due.iso(), "canal": filing.channel})  # fmt: skip
        started, process_error = _start_case_process(ctx, session, case, due, actor)
        if case.instance_id is not None:  # the radicación comes first in the case's history
            relink(session, ctx, action="pqrsd_radicada", actor=actor, instance_id=case.instance_id)
        result = case_dict(case, snapshot.calendar.tz)
        notices.queue_receipt(session, ctx, result)  # the acuse goes out through the outbox
        uow.commit()
    if started:
        result["process_error"] = process_error
    return result


def _due(snapshot: legal.LegalSnapshot, kind: str, received: datetime) -> DueDate:
    try:
        return due_date(snapshot.calendar, snapshot.terms, kind, received)
    except BadInput as error:  # an unknown type, or none in force on that day
        raise ValidationFailed(error.message, {"tipo": error.message}) from error


def _start_case_process(
    ctx: Context, session: Session, case: PqrsdCase, due: DueDate, actor: str | None
) -> tuple[bool, str | None]:
    """Start the `pqrsd` process (when deployed) in the same transaction, keyed by the radicado; its incident."""
    if definitions.latest_name(session, PROCESS_KEY) is None:
        return False, None
    definition = definitions.latest_definition(session, PROCESS_KEY)
    started = start_in(ctx, session, definition, process_data(case, due), case.radicado, actor)
    case.instance_id = started.id
    return True, started.incident


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
    """`radicar` for Python callers that already hold typed values (tests, handlers)."""
    _check_choice(channel, tuple(CHANNELS), "Canal")
    _check_choice(priority, tuple(PRIORITIES), "Prioridad")
    fields = _contact(contact)
    filing = Filing(
        kind=kind, channel=channel, received_at=_received_moment(ctx, received_at), anonymous=anonymous,
        priority=priority, petitioner_type=None, petitioner_name=fields.get("petitioner_name"),
        document_type=fields.get("document_type"), document_number=fields.get("document_number"),
        email=fields.get("email"), phone=fields.get("phone"), address=fields.get("address"),
        subject=fields.get("subject") or "", description=fields.get("description") or "",
        notify_electronically=False, identity_reserved=False,
    )  # fmt: skip
    return radicar(ctx, filing, actor=actor)


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
        codigo_consulta=case.codigo_consulta, received_by=case.received_by, petitioner_type=case.petitioner_type,
        notify_electronically=case.notify_electronically, identity_reserved=case.identity_reserved,
        radicado_at=case.created_at.astimezone(tz).isoformat(), dependencia=case.dependencia,
        respuesta=case.respuesta, outcome=case.outcome,
        closed_at=case.closed_at.astimezone(tz).isoformat() if case.closed_at else None,
        amarillo_at=case.amarillo_at.astimezone(tz).isoformat() if case.amarillo_at else None,
        alerta_at=case.alerta_at.astimezone(tz).isoformat() if case.alerta_at else None,
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
