"""The demo year's figures: how many PQRSD arrive, by which channel, of which type, and how they end.

The entities' documents (bpmn/ comes from the same seeds) name the channels and types but publish no counts:
- Alcaldía de Pasto (MC-C-001): chat, línea de atención, correo de atención al ciudadano, buzón de sugerencias,
  PQRD and satisfaction surveys;
- Alcaldía de Valledupar (AV-C-004): canales presencial, virtual y telefónico; reportes mensuales estadísticos;
  the four indicators (oportunidad, calidad, satisfacción, canal presencial);
- Contraloría de Pereira: three levels of attention (autogestión, punto de atención, áreas misionales), verbal
  petitions, requests outside its competence, chat;
- Secretaría de Seguridad de Bogotá (C-AR-01): PQRSDF (felicitaciones counted), improvement actions.
The shares below are therefore the usual shape of a mid-sized municipality's monthly PQRSD reports (web and
e-mail first, then the counter; petitions the bulk; denuncias and felicitaciones few), written down here so the
demo, its test and its README say the same thing.
"""

from __future__ import annotations

CASES_PER_YEAR = 3000

# Share of the year's filings per month (January and December are slow; March and August peak).
MONTHS = {1: 6.0, 2: 8.5, 3: 9.5, 4: 8.5, 5: 9.0, 6: 8.0, 7: 8.5, 8: 9.5, 9: 9.0, 10: 9.0, 11: 8.0, 12: 6.5}

# Channel → share (%). Channels that need the office open only file on business days.
CHANNELS = {
    "formulario_web": 33.0,
    "correo_electronico": 24.0,
    "presencial_ventanilla": 15.0,
    "verbal_presencial": 8.0,
    "telefonico": 11.0,
    "chat": 6.0,
    "buzon": 3.0,
}
OFFICE_CHANNELS = frozenset({"presencial_ventanilla", "verbal_presencial", "telefonico", "buzon"})

# Type (tipología) → share (%).
TYPES = {
    "peticion_general": 45.0,
    "informacion_documentos": 16.0,
    "consulta": 5.0,
    "queja": 11.0,
    "reclamo": 10.0,
    "sugerencia": 4.0,
    "denuncia": 3.0,
    "felicitacion": 6.0,
}

# How cases go (shares of all cases, %); the rest are answered on time. The oportunidad stays above its 95 %
# goal and satisfaction below its 80 % goal, so the year's follow-up opens one improvement action.
TRASLADO = 6.0  # outside the entity's competence (art. 21); one in eight of them sent after the 5 days
REQUERIMIENTO = 7.0  # incomplete (art. 17): suspended; a quarter never complete and end in desistimiento
PRORROGA = 4.0  # extended with notice before the due date (art. 14 par.)
LATE = 3.0  # answered after the due date (the supervisor gets the overdue task first)
REDO = 8.0  # the approver returns the draft once
# Level of attention (seed 002) of the cases answered: autogestión, punto de atención, área misional.
LEVELS = {"autogestion": 22.0, "punto_atencion": 30.0, "area_misional": 48.0}
ANONYMOUS = {"denuncia": 40.0, "queja": 6.0, "sugerencia": 20.0}  # % of each type filed with no name
PRIORITIES = {"urgente_vida_integridad": 0.5, "prioritaria_art20": 1.5, "periodista": 0.5}
LEGAL_PERSON = 12.0  # % of named petitioners that are juridical persons

# Satisfaction surveys: % of answered cases whose petitioner answers, and the ratings given (1–5).
SURVEY_ANSWERED = 45.0
RATINGS = {5: 36.0, 4: 36.0, 3: 14.0, 2: 8.0, 1: 6.0}

# Quality evaluation of the monthly sample of answers: % that meet the other four criteria (oportunidad is the
# answer's own); the rest fail one of coherencia, claridad, calidez.
QUALITY_MET = 96.0

# Turns at the counter per business day (digiturno), and the share called within the waiting standard.
TURNS_PER_DAY = (25, 45)
TURNS_WITHIN_STANDARD = 94.0
TURNS_ABANDONED = 4.0

DEPENDENCIAS_RESPONSABLES = {
    "dependencias": 40.0,
    "juridica": 18.0,
    "secretaria_general": 12.0,
    "planeacion": 10.0,
    "talento_humano": 8.0,
    "comunicaciones": 6.0,
    "control_interno": 6.0,
}
ENTIDADES_COMPETENTES = (
    "Superintendencia de Servicios Públicos Domiciliarios",
    "Gobernación del departamento",
    "Instituto Colombiano de Bienestar Familiar",
    "Secretaría de Salud departamental",
    "Policía Nacional",
    "Registraduría Nacional del Estado Civil",
)
