"""The events that notify, their Spanish labels (the preferences page) and the channel each gets by default."""

from __future__ import annotations

TASK_ASSIGNED = "tarea_asignada"
GROUP_TASK = "tarea_grupo"
LADDER = "escalamiento"
CASE_DUE_SOON = "caso_por_vencer"
CASE_OVERDUE = "caso_vencido"
INCIDENT = "incidente"
DIGEST = "resumen_diario"
CITIZEN = "ciudadano"  # mail to a peticionario's address (the acuse): no user, no preference

APP, EMAIL, BOTH, NONE = "app", "email", "both", "none"
CHANNELS: dict[str, str] = {
    APP: "En la aplicación",
    EMAIL: "Por correo",
    BOTH: "En la aplicación y por correo",
    NONE: "No avisar",
}

# What a user may choose for, in the order the preferences page lists them.
LABELS: dict[str, str] = {
    TASK_ASSIGNED: "Me asignan una tarea",
    GROUP_TASK: "Llega una tarea nueva a mi dependencia",
    LADDER: "Un paso de escalamiento me avisa",
    CASE_DUE_SOON: "Un caso a mi cargo llega a la alerta de 2/3 del término",
    CASE_OVERDUE: "Un caso a mi cargo se vence",
    INCIDENT: "Un proceso queda con un incidente",
    DIGEST: "Resumen diario de tareas por vencer y vencidas",
}

# No preference stored: what matters to act on goes both ways; the busy group feed stays in the app,
# and the digest is a mail (in the app it would repeat the list of tasks).
DEFAULTS: dict[str, str] = {
    TASK_ASSIGNED: BOTH,
    GROUP_TASK: APP,
    LADDER: BOTH,
    CASE_DUE_SOON: BOTH,
    CASE_OVERDUE: BOTH,
    INCIDENT: BOTH,
    DIGEST: EMAIL,
    CITIZEN: EMAIL,
}


def label(event: str) -> str:
    return LABELS.get(event, "Correo al peticionario" if event == CITIZEN else event)
