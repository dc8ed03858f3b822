"""What the demo's staff write in each task's form, and when they do it, as the story of the case says."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from engine.demo.stories import Story
from engine.legal.calendar import BusinessCalendar
from engine.modeling.form_schema import FormSchema

ANSWER = (
    "Respetado(a) ciudadano(a): en atención a su solicitud, le informamos que la dependencia revisó el caso y "
    "adelantará las acciones a su cargo. Cualquier inquietud adicional puede presentarla por nuestros canales."
)


class Planner:
    """The day each open task gets done (None: nobody does it; a timer or the citizen moves the case on)."""

    def __init__(self, calendar: BusinessCalendar, rng: random.Random) -> None:
        self.calendar = calendar
        self.rng = rng

    def after(self, day: date, low: int, high: int) -> date:
        n = self.rng.randint(low, high)
        return self.calendar.add_business_days(day, n).end if n > 0 else day

    def day_for(
        self, story: Story | None, bpmn_id: str, ready: date, due: date | None, seen: int
    ) -> date | None:
        if story is None:  # the demo's monthly reports, the follow-up and its improvement action
            return None if bpmn_id in LEFT_OPEN else self.after(ready, 1, 3)
        rule = PLANS.get(bpmn_id)
        return rule(self, story, ready, due, seen) if rule is not None else self.after(ready, 0, 1)

    def _share_of_term(self, story: Story, due: date | None, share: float) -> date:
        filed = story.filed_at.date()
        if due is None:
            return filed
        term = max(1, self.calendar.business_days_between(filed, due))
        return self.calendar.add_business_days(filed, max(1, round(term * share))).end


def _proyectar(p: Planner, story: Story, ready: date, due: date | None, seen: int) -> date:
    if story.prorroga and seen == 0:
        wanted = p._share_of_term(story, due, 0.75)  # asks for the extension well before the due date
    elif story.prorroga:
        wanted = p.calendar.add_business_days(ready, 2).end
    else:
        wanted = p._share_of_term(story, due, story.answer_share)
    return max(ready, wanted)


def _trasladar(p: Planner, story: Story, ready: date, due: date | None, seen: int) -> date:
    filed = story.filed_at.date()
    return max(
        ready, p.calendar.add_business_days(filed, 7 if story.late_traslado else p.rng.randint(1, 4)).end
    )


def _encuesta(p: Planner, story: Story, ready: date, due: date | None, seen: int) -> date | None:
    return p.after(ready, 1, 5) if story.rating is not None else None  # no answer: closed after 10 days


def _complemento(p: Planner, story: Story, ready: date, due: date | None, seen: int) -> date | None:
    return (
        p.after(ready, 3, 12) if story.path == "requerimiento" else None
    )  # desistimiento: the month runs out


# The improvement action stays in execution at the end of the year: its dependencia has until its deadline.
LEFT_OPEN = frozenset({"Task_EjecutarAccion"})
PLANS: dict[str, Callable[[Planner, Story, date, date | None, int], date | None]] = {
    "Task_MedidasUrgentes": lambda p, s, ready, due, seen: ready,
    "Task_Verificar": lambda p, s, ready, due, seen: p.after(ready, 0, 1),
    "Task_Trasladar": _trasladar,
    "Task_Requerir": lambda p, s, ready, due, seen: ready,
    "Task_EsperarComplemento": _complemento,
    "Task_Autogestion": lambda p, s, ready, due, seen: p.after(ready, 0, 2),
    "Task_PuntoAtencion": lambda p, s, ready, due, seen: p.after(ready, 0, 1),
    "Task_AsignarDependencia": lambda p, s, ready, due, seen: p.after(ready, 0, 1),
    "Task_ProyectarRespuesta": _proyectar,
    "Task_AprobarRespuesta": lambda p, s, ready, due, seen: p.after(ready, 0, 1),
    "Task_ComunicarProrroga": lambda p, s, ready, due, seen: ready,
    "Task_Encuesta": _encuesta,
}


def answers(story: Story | None, bpmn_id: str, seen: int, today: date, due: date | None,
            calendar: BusinessCalendar) -> dict[str, Any] | None:  # fmt: skip
    """The form values for the task (None: the generic sample of its form)."""
    if story is None:
        return _loop_answers(bpmn_id, today)
    year = today.year
    if bpmn_id == "Task_Verificar":
        level = story.path if story.path in ("autogestion", "punto_atencion") else "area_misional"
        return {"competente": story.path != "traslado", "entidad_competente": story.entidad,
                "completa": story.path not in ("requerimiento", "desistimiento"), "nivel": level,
                "informacion_faltante": "Copia del documento de identidad y dirección completa del predio."}  # fmt: skip
    if bpmn_id == "Task_ProyectarRespuesta":
        extend = story.prorroga and seen == 0
        out: dict[str, Any] = {"respuesta": ANSWER, "solicitar_prorroga": extend}
        if extend and due is not None:
            out["motivo_prorroga"] = "Se requiere una visita técnica al sitio para responder de fondo."
            out["nueva_fecha_respuesta"] = calendar.add_business_days(due, 5).end.isoformat()
        return out
    if bpmn_id == "Task_AprobarRespuesta":
        first_redo = story.redo and seen == 0
        return {"respuesta_aprobada": not first_redo,
                "observaciones_revision": "Ajuste el tono y cite la norma aplicable." if first_redo else ""}  # fmt: skip
    fixed: dict[str, dict[str, Any]] = {
        "Task_MedidasUrgentes": {"medidas_urgentes": "Se activó la ruta de atención inmediata con la entidad a cargo."},
        "Task_Trasladar": {"entidad_destino": story.entidad, "radicado_oficio_traslado": f"S-{year}-{seen + 1:03d}"},
        "Task_Requerir": {"texto_requerimiento": "Para continuar, aporte copia de su documento de identidad."},
        "Task_EsperarComplemento": {"anexos": "Copia del documento de identidad."},
        "Task_Desistimiento": {"acto_desistimiento": f"Resolución de desistimiento tácito de {year}"},
        "Task_Autogestion": {"respuesta": ANSWER},
        "Task_PuntoAtencion": {"respuesta": ANSWER},
        "Task_AsignarDependencia": {"dependencia": story.dependencia},
        "Task_ComunicarProrroga": {"radicado_oficio_prorroga": f"S-{year}-P{seen + 1:03d}"},
        "Task_Publicar": {"enlace_publicacion_respuesta": "https://entidad.invalid/transparencia/respuestas",
                          "fecha_publicacion_respuesta": today.isoformat()},
        "Task_Encuesta": {"satisfaccion": str(story.rating), "comentarios_encuesta": ""},
        "Task_Vencida": {"acciones_supervisor": "Se requirió a la dependencia la respuesta inmediata."},
    }  # fmt: skip
    return fixed.get(bpmn_id)


def sample(form: dict[str, Any] | None, today: date) -> dict[str, Any]:
    """Valid values for every input of a form (a careful funcionario's), for tasks the stories don't know."""
    values: dict[str, Any] = {}
    for f in FormSchema.from_dict(form).inputs if form else ():
        first = f.default if f.default is not None else (f.options[0].value if f.options else None)
        if f.type == "boolean":
            values[f.key] = bool(f.default)
        elif f.type in ("select", "radio"):
            values[f.key] = first
        elif f.type in ("checklist", "taglist"):
            values[f.key] = [first] if first is not None else []
        elif f.type in ("number", "long"):
            values[f.key] = (
                f.default if f.default is not None else f.min if isinstance(f.min, int | float) else 1
            )
        elif f.type in ("date", "datetime"):
            values[f.key] = today.isoformat()
        elif f.type == "time":
            values[f.key] = "09:00"
        elif f.type in ("string", "textarea"):
            values[f.key] = f"{f.label}: registrado."[: f.max_length or 300]
    return values


def _loop_answers(bpmn_id: str, today: date) -> dict[str, Any] | None:
    """The analysts' part: the monthly report, the follow-up and the improvement action."""
    deadline = (today + timedelta(days=90)).isoformat()
    fixed: dict[str, dict[str, Any]] = {
        "Task_RedactarInforme": {
            "analisis_informe": "Las PQRSD del mes se atendieron en su mayoría dentro del término; los canales "
            "virtuales concentran más de la mitad de las solicitudes.",
            "recomendaciones_informe": "Reforzar el seguimiento a las dependencias con respuestas cercanas al "
            "vencimiento y ampliar la orientación en el canal presencial.",
        },
        "Task_RevisarInforme": {"informe_aprobado": True, "observaciones_informe": ""},
        "Task_PublicarInforme": {
            "enlace_informe": f"https://entidad.invalid/transparencia/informes-pqrsd/{today:%Y-%m}",
            "fecha_publicacion_informe": today.isoformat(),
        },
        "Task_HacerSeguimiento": {
            "analisis_seguimiento": "La oportunidad cumple la meta; la satisfacción queda por debajo de la meta "
            "y se abrió la acción de mejora correspondiente."
        },
        "Task_AnalizarCausas": {
            "metodo_analisis": "cinco_porques",
            "causa_raiz": "Las respuestas usan lenguaje técnico y no explican los pasos siguientes al ciudadano.",
        },
        "Task_FormularAccion": {
            "tipo_accion": "mejora",
            "accion": "Capacitar a los funcionarios en lenguaje claro y revisar las plantillas de respuesta.",
            "dependencia_accion": "atencion_ciudadano",
            "fecha_limite_accion": deadline,
        },
        "Task_VerificarEficacia": {"accion_eficaz": True, "verificacion_eficacia": "La satisfacción mejoró."},
    }
    return fixed.get(bpmn_id)
