"""Built-in Python handlers for service tasks (camunda:type="external" topic, class or expression name).

- `notificar`: records the notification in the instance data (`notificaciones`) and the log; no mail yet.
- `estadisticas_pqrsd`: counts the PQRSD of a period from the engine tables (read-only) into `estadisticas`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from engine.runtime.workflow import ServiceRegistry
from engine.store.tables import AuditEvent, ProcessInstance, Task
from engine.store.uow import UnitOfWork

if TYPE_CHECKING:
    from engine.context import Context

log = logging.getLogger("phva.notificaciones")

PQRSD_KEY = "pqrsd"
# End events and boundary timers of bpmn/pqrsd.bpmn that tell how a case ended.
OUTCOMES = {
    "End_Respondida": "respondida",
    "End_SinEncuesta": "respondida",
    "End_Publicada": "respondida",
    "End_Trasladada": "trasladada",
    "End_Desistida": "desistida",
}
VENCIDA = "Timer_Vencida"
PRORROGADA = "Task_AplicarProrroga"


def register_builtin_handlers(registry: ServiceRegistry, context: Context | None = None) -> None:
    """Handlers every deployment gets; entities add theirs with PHVA_SERVICE_HANDLERS modules."""
    registry.register("notificar", lambda data: notificar(data, _now(context)))
    registry.register("estadisticas_pqrsd", lambda data: estadisticas_pqrsd(context, data))


def _now(context: Context | None) -> datetime:
    return context.clock.now() if context is not None else datetime.now(UTC)


def notificar(data: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    anonimo = bool(data.get("anonimo"))
    record = {
        "radicado": data.get("radicado"),
        "estado": data.get("estado"),
        "destinatario": None if anonimo else data.get("correo") or data.get("nombre"),
        "medio": "publicacion_web" if anonimo else "correo_electronico" if data.get("correo") else "fisico",
        "en": now.isoformat(),
    }
    log.info("notificación %s", record)
    previous = data.get("notificaciones")
    return {"notificaciones": [*(previous if isinstance(previous, list) else []), record]}


def estadisticas_pqrsd(context: Context | None, data: Mapping[str, Any]) -> dict[str, Any]:
    if context is None:
        raise RuntimeError(
            "el reporte de PQRSD necesita la base de datos (create_context no pasó el contexto)"
        )
    tz = ZoneInfo(context.settings.timezone)
    desde = _local_midnight(data.get("periodo_desde"), tz, "periodo_desde")
    hasta = _local_midnight(data.get("periodo_hasta"), tz, "periodo_hasta")
    now = context.clock.now()
    with UnitOfWork(context.db, write=False) as uow:
        session = uow.session
        cases = session.execute(
            select(ProcessInstance.id, ProcessInstance.status, ProcessInstance.completed_activities).where(
                ProcessInstance.process_key == PQRSD_KEY,
                ProcessInstance.started_at >= desde,
                ProcessInstance.started_at < hasta,
            )
        ).all()
        ids = [row.id for row in cases]
        started = {
            instance_id: after or {}
            for instance_id, after in session.execute(
                select(AuditEvent.instance_id, AuditEvent.data_after).where(
                    AuditEvent.instance_id.in_(ids), AuditEvent.action == "instance_started"
                )
            )
        }
        open_tasks = session.execute(
            select(Task.name, Task.due_at).where(Task.instance_id.in_(ids), Task.state == "ready")
        ).all()
    por_resultado: Counter[str] = Counter()
    vencidas = prorrogadas = a_tiempo = 0
    for row in cases:
        done = set(row.completed_activities or [])
        outcome = next((name for end, name in OUTCOMES.items() if end in done), None)
        por_resultado[outcome or ("en_tramite" if row.status != "completed" else "cerrada")] += 1
        vencidas += VENCIDA in done
        prorrogadas += PRORROGADA in done
        a_tiempo += outcome == "respondida" and VENCIDA not in done
    respondidas = por_resultado["respondida"]
    return {
        "estadisticas": {
            "periodo_desde": desde.astimezone(tz).date().isoformat(),
            "periodo_hasta": hasta.astimezone(tz).date().isoformat(),
            "radicadas": len(cases),
            "por_tipo": dict(
                sorted(Counter(str(d.get("tipo", "sin_tipo")) for d in started.values()).items())
            ),
            "por_canal": dict(
                sorted(Counter(str(d.get("canal", "sin_canal")) for d in started.values()).items())
            ),
            "por_resultado": dict(sorted(por_resultado.items())),
            "anonimas": sum(1 for d in started.values() if d.get("anonimo")),
            "vencidas": vencidas,
            "prorrogadas": prorrogadas,
            "oportunidad_pct": round(100 * a_tiempo / respondidas, 1) if respondidas else None,
            "tareas_abiertas": len(open_tasks),
            "tareas_vencidas": sum(1 for t in open_tasks if t.due_at is not None and t.due_at < now),
        }
    }


def _local_midnight(value: Any, tz: ZoneInfo, name: str) -> datetime:
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError as error:
        raise ValueError(f"'{name}' debe ser una fecha AAAA-MM-DD, no {value!r}") from error
    return datetime.combine(day, time.min, tz).astimezone(UTC)
