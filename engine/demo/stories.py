"""What happens to each demo PQRSD, drawn once from the seeded random generator: its filing and its path.

A story says what the petitioner files and how the entity will handle it (traslado, requerimiento, levels of
attention, prórroga, a late answer, the survey); the year's driver then plays it through the real services, one
task at a time, when the story's day for that task comes.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.demo import volumes as v

FIRST_NAMES = ("María", "José", "Luz", "Carlos", "Ana", "Luis", "Diana", "Jorge", "Paola", "Andrés", "Sandra",
               "Juan", "Claudia", "Miguel", "Yolanda", "Óscar", "Natalia", "Fernando", "Gloria", "Camilo")  # fmt: skip
LAST_NAMES = ("Rodríguez", "Gómez", "Martínez", "García", "López", "González", "Pérez", "Sánchez", "Ramírez",
              "Torres", "Díaz", "Vargas", "Castro", "Rojas", "Moreno", "Jiménez", "Muñoz", "Ortiz", "Suárez")  # fmt: skip
COMPANIES = ("Ferretería El Progreso S.A.S.", "Asociación de Vecinos Barrio Centro", "Transportes La Sabana Ltda.",
             "Fundación Manos Unidas", "Junta de Acción Comunal Vereda El Salado")  # fmt: skip
TOPICS: dict[str, tuple[tuple[str, str], ...]] = {
    "peticion_general": (
        (
            "Solicitud de poda de árboles",
            "Solicito la poda de los árboles del parque del barrio, que tapan el alumbrado.",
        ),
        ("Reparación de la malla vial", "La calle frente a mi casa tiene un hueco que ya causó accidentes."),
        (
            "Inscripción en programa de adulto mayor",
            "Solicito la inscripción de mi madre en el programa Colombia Mayor.",
        ),
        (
            "Subsidio de vivienda",
            "Solicito información sobre el estado de mi postulación al subsidio de vivienda.",
        ),
        ("Cupo escolar", "Solicito un cupo escolar para mi hijo en la institución más cercana."),
    ),
    "informacion_documentos": (
        (
            "Copia de resolución",
            "Solicito copia de la resolución que otorgó la licencia de construcción del predio.",
        ),
        ("Certificado de residencia", "Solicito el certificado de residencia para trámites laborales."),
        ("Información de contratos", "Solicito la relación de contratos de obra suscritos este año."),
    ),
    "consulta": (
        (
            "Consulta sobre uso del suelo",
            "¿Qué usos permite el plan de ordenamiento en el predio de la carrera 8?",
        ),
        ("Consulta sobre impuesto predial", "¿Qué descuentos aplican al impuesto predial por pronto pago?"),
    ),
    "queja": (
        ("Mala atención en ventanilla", "El funcionario de la ventanilla no quiso recibir mis documentos."),
        ("Demora en la atención", "Esperé más de dos horas para ser atendido en la sede principal."),
    ),
    "reclamo": (
        ("Cobro indebido", "Me cobraron dos veces el mismo trámite; solicito la devolución."),
        ("Servicio de alumbrado", "El alumbrado público del sector lleva un mes sin funcionar."),
    ),
    "sugerencia": (
        ("Horario extendido", "Sugiero atender los sábados en la mañana para quienes trabajamos."),
        ("Turnos por internet", "Sugiero pedir los turnos de atención por la página web."),
    ),
    "denuncia": (
        ("Posible cobro irregular", "Un contratista cobra por agilizar trámites que son gratuitos."),
        ("Obra abandonada", "La obra del polideportivo está abandonada y se pagó completa."),
    ),
    "felicitacion": (
        (
            "Felicitación por la atención",
            "Felicito a la funcionaria que me orientó con amabilidad en mi trámite.",
        ),
        ("Felicitación por la jornada", "Agradezco la jornada de servicios en la vereda; fue muy útil."),
    ),
}


def pick(rng: random.Random, shares: Mapping[Any, float]) -> Any:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def chance(rng: random.Random, percent: float) -> bool:
    return rng.random() * 100 < percent


@dataclass
class Story:
    filed_at: datetime  # local time of receipt
    filing: dict[str, Any]  # what radicación receives
    path: str  # traslado | requerimiento | desistimiento | autogestion | punto_atencion | area_misional
    dependencia: str = "dependencias"
    prorroga: bool = False
    late: bool = False
    late_traslado: bool = False
    redo: bool = False
    answer_share: float = 0.5  # share of the term used before the answer (above 1 for a late one)
    rating: int | None = None  # the survey's rating, None when the petitioner does not answer
    entidad: str = ""


def draw(rng: random.Random, filed_at: datetime, channel: str, number: int) -> Story:
    kind = pick(rng, v.TYPES)
    anonymous = chance(rng, v.ANONYMOUS.get(kind, 0.0))
    subject, description = rng.choice(TOPICS[kind])
    filing: dict[str, Any] = {
        "tipo": kind,
        "canal": channel,
        "asunto": subject,
        "descripcion": description,
        "anonimo": anonymous,
        "prioridad": "normal" if anonymous else _priority(rng),
        "fecha_recibo": filed_at.isoformat(),
    }
    if not anonymous:
        filing |= _petitioner(rng, channel, number)
    story = Story(filed_at=filed_at, filing=filing, path=_path(rng, kind))
    story.dependencia = "control_interno" if kind == "denuncia" else pick(rng, v.DEPENDENCIAS_RESPONSABLES)
    story.entidad = rng.choice(v.ENTIDADES_COMPETENTES)
    story.late_traslado = story.path == "traslado" and chance(rng, 12.5)
    if story.path == "area_misional":
        story.prorroga = chance(rng, v.PRORROGA / v.LEVELS["area_misional"] * 100)
        story.late = not story.prorroga and chance(rng, v.LATE / v.LEVELS["area_misional"] * 100)
        story.redo = chance(rng, v.REDO)
    story.answer_share = 1.15 + rng.random() * 0.4 if story.late else 0.2 + rng.random() * 0.45
    if not anonymous and chance(rng, v.SURVEY_ANSWERED):
        story.rating = pick(rng, v.RATINGS)
    return story


def _priority(rng: random.Random) -> str:
    for priority, share in v.PRIORITIES.items():
        if chance(rng, share):
            return priority
    return "normal"


def _path(rng: random.Random, kind: str) -> str:
    roll = rng.random() * 100
    if kind != "felicitacion":
        if roll < v.TRASLADO:
            return "traslado"
        if roll < v.TRASLADO + v.REQUERIMIENTO:
            return "desistimiento" if rng.random() < 0.25 else "requerimiento"
    return str(pick(rng, v.LEVELS))


def _petitioner(rng: random.Random, channel: str, number: int) -> dict[str, Any]:
    juridica = chance(rng, v.LEGAL_PERSON)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    name = rng.choice(COMPANIES) if juridica else f"{first} {last} {rng.choice(LAST_NAMES)}"
    out: dict[str, Any] = {
        "nombre": name,
        "tipo_peticionario": "juridica" if juridica else "natural",
        "tipo_documento": "NIT" if juridica else "CC",
        "numero_documento": f"{rng.randint(800_000_000, 901_999_999)}"
        if juridica
        else f"{rng.randint(10**7, 10**10 - 1)}",
        "telefono": f"3{rng.randint(100_000_000, 299_999_999)}",
    }
    if channel in ("formulario_web", "correo_electronico", "chat") or chance(rng, 30):
        # .invalid (RFC 2606): demo addresses can never reach anyone
        out["correo"] = f"{_ascii(first)}.{_ascii(last)}.{number}@correo.invalid"
        out["autoriza_notificacion_electronica"] = True
    return out


def _ascii(text: str) -> str:
    return text.lower().translate(str.maketrans("áéíóúñ", "aeioun"))
