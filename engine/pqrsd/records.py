"""The shape of a PQRSD case as the CLI, the web and the API receive it (times as ISO text, local dates)."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from engine.workflow.records import AuditRecord, IncidentRecord, TaskRecord


class CaseRecord(TypedDict):
    radicado: str
    kind: str
    channel: str
    anonymous: bool
    priority: str
    status: str
    received_at: str
    radicacion_date: str
    radicacion_policy: str
    due_date: str | None  # None while an art. 17 requerimiento waits for the citizen
    due_at: str | None
    original_due_date: str
    term_version: int
    term_key: str
    term: dict[str, Any]
    instance_id: int | None
    suspensions: list[Any]
    prorroga: dict[str, Any] | None
    traslado: dict[str, Any] | None
    explanation: list[str]  # the Spanish trace of how the due date was counted
    petitioner_name: str | None
    document_type: str | None
    document_number: str | None
    email: str | None
    phone: str | None
    address: str | None
    subject: str | None
    description: str | None
    codigo_consulta: str | None  # with the radicado, what the citizen tracks the case with
    received_by: str | None  # the official who received a verbal petition (Decreto 1166)
    petitioner_type: str | None
    notify_electronically: bool  # autoriza_notificacion_electronica
    identity_reserved: bool  # reserva_identidad (denunciante)
    radicado_at: str  # when the radicado was given
    dependencia: str | None  # the one answering it
    respuesta: dict[str, Any] | None  # enviada_at, medio, radicado_salida, oportuna
    outcome: dict[str, Any] | None  # how it closed otherwise: acto, motivo, by whom
    closed_at: str | None
    amarillo_at: str | None  # when its semáforo turns amarillo
    alerta_at: str | None  # when its 2/3 alert is due
    process_error: NotRequired[str | None]  # radicación only: why the process did not start


class CaseDetail(CaseRecord):
    """The case as the API and the case page show it: its legal clock and its legal events."""

    estado: str
    vence_el: str | None  # the effective due date, after suspensions and prórroga
    dias_habiles_restantes: int | None  # negative once overdue; None while suspended
    eventos: list[AuditRecord]
    incidentes: list[IncidentRecord]  # open incidents of its process: an administrator repairs them
    tareas: list[TaskRecord]  # its process's open tasks
