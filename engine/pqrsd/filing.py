"""A PQRSD filing as the entry points receive it (web form, API, CLI), checked field by field before anything is written."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from engine.errors import ValidationFailed
from engine.legal.calendar import LegalInputError
from engine.legal.inputs import parse_moment
from engine.modeling.form_schema import FormField, FormSchema, Option

CHANNELS = {
    "presencial_ventanilla": "Escrito en ventanilla",
    "verbal_presencial": "Verbal presencial",
    "telefonico": "Telefónico",
    "correo_electronico": "Correo electrónico",
    "formulario_web": "Formulario web",
    "buzon": "Buzón de sugerencias",
    "correspondencia_fisica": "Correspondencia física",
    "redes_sociales": "Redes sociales",
    "chat": "Chat",
    "traslado_otra_entidad": "Traslado de otra entidad",
}
VERBAL_CHANNELS = frozenset({"verbal_presencial", "telefonico"})  # Decreto 1166: they get a constancia
PRIORITIES = {
    "normal": "Ninguna",
    "prioritaria_art20": "Reconocimiento de un derecho fundamental (art. 20)",
    "urgente_vida_integridad": "Peligro inminente para la vida o la integridad (art. 20)",
    "periodista": "Periodista en ejercicio de su actividad (art. 20)",
}
PETITIONER_TYPES = {
    "natural": "Persona natural",
    "juridica": "Persona jurídica",
    "nna": "Niña, niño o adolescente",
    "entidad_publica": "Entidad pública",
    "apoderado": "Apoderado",
    "periodista": "Periodista",
    "veeduria": "Veeduría ciudadana",
    "congresista": "Congresista o concejal",
}
DOCUMENT_TYPES = {
    "CC": "Cédula de ciudadanía",
    "CE": "Cédula de extranjería",
    "TI": "Tarjeta de identidad",
    "RC": "Registro civil",
    "NIT": "NIT",
    "PA": "Pasaporte",
    "PEP": "Permiso especial de permanencia",
    "PPT": "Permiso por protección temporal",
}
FIELDS = (
    "tipo", "canal", "fecha_recibo", "anonimo", "prioridad", "tipo_peticionario", "nombre", "tipo_documento",
    "numero_documento", "correo", "telefono", "direccion", "asunto", "descripcion",
    "autoriza_notificacion_electronica", "reserva_identidad",
)  # fmt: skip
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")  # fmt: skip
_PHONE = re.compile(r"^\+?[0-9 ()-]{7,20}$")
_DOCUMENT = {"NIT": re.compile(r"^\d{6,12}(-\d)?$"), "PA": re.compile(r"^[A-Z0-9]{5,20}$")}
_DIGITS = re.compile(r"^\d{3,15}$")
_ES_CO = re.compile(r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})(?:\s+(?P<h>\d{1,2}):(?P<mi>\d{2}))?$")
LIMITS = {"nombre": 300, "direccion": 300, "asunto": 300, "descripcion": 20_000, "correo": 200}
FUTURE_TOLERANCE = timedelta(minutes=5)  # clocks of the channels drift a little


@dataclass(frozen=True)
class Filing:
    kind: str
    channel: str
    received_at: datetime | None  # None: now
    anonymous: bool
    priority: str
    petitioner_type: str | None
    petitioner_name: str | None
    document_type: str | None
    document_number: str | None
    email: str | None
    phone: str | None
    address: str | None
    subject: str
    description: str
    notify_electronically: bool
    identity_reserved: bool

    @property
    def verbal(self) -> bool:
        return self.channel in VERBAL_CHANNELS


def parse_filing(
    raw: Mapping[str, Any],
    *,
    kinds: Collection[str],
    now: datetime,
    tz: ZoneInfo,
    default_channel: str | None = None,
) -> Filing:
    """The filing, or ValidationFailed naming every field that is wrong (nothing has been written)."""
    errors: dict[str, str] = {}
    unknown = sorted(set(raw) - set(FIELDS))
    for field in unknown:
        errors[field] = "Campo desconocido."
    reader = _Reader(raw, errors)
    kind = reader.choice("tipo", kinds, "el tipo de PQRSD")
    channel = reader.choice("canal", CHANNELS, "el canal de recepción", default=default_channel)
    received = reader.moment("fecha_recibo", now, tz)
    anonymous = reader.flag("anonimo")
    priority = reader.choice("prioridad", PRIORITIES, "la prioridad", default="normal")
    petitioner_type = reader.choice(
        "tipo_peticionario", PETITIONER_TYPES, "el tipo de peticionario", default=""
    )
    name = reader.text(
        "nombre", required=not anonymous, what="el nombre del peticionario (o marque «anónima»)"
    )
    document_type = reader.choice("tipo_documento", DOCUMENT_TYPES, "el tipo de documento", default="")
    document_number = reader.document(document_type)
    email = reader.email("correo")
    phone = reader.phone("telefono")
    notify = reader.flag("autoriza_notificacion_electronica")
    if notify and not email and "correo" not in errors:
        errors["correo"] = "Para notificar por correo electrónico, escriba el correo."
    filing = Filing(
        kind=kind, channel=channel, received_at=received, anonymous=anonymous, priority=priority,
        petitioner_type=petitioner_type or None, petitioner_name=None if anonymous else name,
        document_type=None if anonymous else document_type or None,
        document_number=None if anonymous else document_number, email=email, phone=phone,
        address=reader.text("direccion"), subject=reader.text("asunto", required=True, what="el asunto") or "",
        description=reader.text("descripcion", required=True, what="la descripción de la petición") or "",
        notify_electronically=notify, identity_reserved=reader.flag("reserva_identidad"),
    )  # fmt: skip
    if errors:
        raise ValidationFailed("Revise los datos de la PQRSD: no se radicó nada.", errors)
    return filing


class _Reader:
    """Reads one field at a time, collecting a Spanish message per wrong field instead of stopping at the first."""

    def __init__(self, raw: Mapping[str, Any], errors: dict[str, str]) -> None:
        self.raw, self.errors = raw, errors

    def _value(self, name: str) -> str | None:
        value = self.raw.get(name)
        if value is None:
            return None
        if not isinstance(value, str | int) or isinstance(value, bool):
            self.errors[name] = "Debe ser un texto."
            return None
        text = str(value).strip()
        return text or None

    def text(self, name: str, *, required: bool = False, what: str = "") -> str | None:
        value = self._value(name)
        if value is None:
            if required and name not in self.errors:
                self.errors[name] = f"Escriba {what}."
            return None
        if len(value) > LIMITS.get(name, 300):
            self.errors[name] = f"Es demasiado largo: máximo {LIMITS.get(name, 300)} caracteres."
        elif any(ord(c) < 32 and c not in "\n\r\t" for c in value):
            self.errors[name] = "Tiene caracteres de control no permitidos."
        return value

    def choice(self, name: str, allowed: Collection[str], what: str, default: str | None = None) -> str:
        value = self._value(name)
        if value is None:
            if default is None and name not in self.errors:
                self.errors[name] = f"Elija {what}."
            return default or ""
        if value not in allowed:
            self.errors[name] = f"Valor no válido: «{value[:60]}». Elija {what} de la lista."
        return value

    def flag(self, name: str) -> bool:
        value = self.raw.get(name)
        if value is None or isinstance(value, bool):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in {"", "false", "0", "no", "off"}:
            return False
        if isinstance(value, str) and value.strip().lower() in {"true", "1", "si", "sí", "on"}:
            return True
        self.errors[name] = "Debe ser sí o no."
        return False

    def moment(self, name: str, now: datetime, tz: ZoneInfo) -> datetime | None:
        value = self._value(name)
        if value is None:
            return None
        moment = parse_received(value, tz)
        if moment is None:
            self.errors[name] = (
                f"Fecha no válida: «{value[:40]}». Use dd/mm/aaaa, dd/mm/aaaa hh:mm o AAAA-MM-DDTHH:MM."
            )
        elif moment > now + FUTURE_TOLERANCE:
            self.errors[name] = "La fecha de recibo no puede ser posterior a este momento."
        elif moment.year < 2000:
            self.errors[name] = "La fecha de recibo es demasiado antigua."
        return moment

    def document(self, document_type: str) -> str | None:
        value = self._value("numero_documento")
        if value is None:
            if document_type and "numero_documento" not in self.errors:
                self.errors["numero_documento"] = "Escriba el número del documento."
            return None
        value = value.replace(".", "").replace(" ", "").upper()
        if not document_type:
            self.errors.setdefault("tipo_documento", "Elija el tipo de documento del número que escribió.")
        elif document_type not in DOCUMENT_TYPES:
            pass  # an unknown type is already refused under tipo_documento
        elif not _DOCUMENT.get(document_type, _DIGITS).match(value):
            self.errors["numero_documento"] = (
                f"No es un número de {DOCUMENT_TYPES[document_type].lower()} válido."
            )
        return value

    def email(self, name: str) -> str | None:
        value = self._value(name)
        if value is not None and (len(value) > LIMITS["correo"] or not _EMAIL.match(value)):
            self.errors[name] = "No es un correo electrónico válido (por ejemplo, nombre@dominio.gov.co)."
        return value.lower() if value is not None else None

    def phone(self, name: str) -> str | None:
        value = self._value(name)
        if value is not None and not _PHONE.match(value):
            self.errors[name] = "No es un teléfono válido: use entre 7 y 20 dígitos."
        return value


def parse_received(text: str, tz: ZoneInfo) -> datetime | None:
    """ISO (with or without zone) or the es-CO forms dd/mm/aaaa [hh:mm]; a bare date is received as it opens."""
    match = _ES_CO.match(text)
    try:
        if match is not None:
            day = date(int(match["y"]), int(match["m"]), int(match["d"]))
            clock = time(int(match["h"]), int(match["mi"])) if match["h"] is not None else time(0)
            return datetime.combine(day, clock, tzinfo=tz)
        parsed = parse_moment(text, tz)
    except (ValueError, LegalInputError):
        return None
    return parsed if isinstance(parsed, datetime) else datetime.combine(parsed, time(0), tzinfo=tz)


def filing_form(kinds: Mapping[str, str], *, staff: bool = True) -> FormSchema:
    """The radicación form, in the same schema task forms use, so every page renders it alike."""

    def pick(
        key: str, label: str, choices: Mapping[str, str], group: str, required: bool = False
    ) -> FormField:
        options = tuple(Option(value, text) for value, text in choices.items())
        return FormField(key, label, "select", required=required, options=options, group=group)

    def text(key: str, label: str, group: str, **extra: Any) -> FormField:
        return FormField(key, label, "string", group=group, max_length=LIMITS.get(key, 300), **extra)

    petition, who, contact = "La petición", "Peticionario", "Contacto y consentimientos"
    fields = [
        pick("tipo", "Tipo de PQRSD", kinds, petition, required=True),
        pick("canal", "Canal de recepción", CHANNELS, petition, required=True),
        text("fecha_recibo", "Fecha y hora de recibo", petition,
             description="dd/mm/aaaa hh:mm; vacía: ahora. Es la base del radicado y del término."),
        pick("prioridad", "Atención prioritaria (art. 20)", PRIORITIES, petition),
        text("asunto", "Asunto", petition, required=True),
        FormField("descripcion", "Descripción de la petición", "textarea", required=True, group=petition,
                  max_length=LIMITS["descripcion"], description="Objeto y razones de la petición."),
        FormField("anonimo", "Petición anónima", "boolean", group=who),
        pick("tipo_peticionario", "Tipo de peticionario", PETITIONER_TYPES, who),
        text("nombre", "Nombre completo", who, description="Obligatorio si la petición no es anónima."),
        pick("tipo_documento", "Tipo de documento", DOCUMENT_TYPES, who),
        text("numero_documento", "Número de documento", who),
        text("correo", "Correo electrónico", contact, validation_type="email"),
        text("telefono", "Teléfono", contact),
        text("direccion", "Dirección física", contact),
        FormField("autoriza_notificacion_electronica", "Autoriza la notificación por correo electrónico",
                  "boolean", group=contact),
        FormField("reserva_identidad", "Pide reserva de su identidad (denunciante)", "boolean", group=contact),
    ]  # fmt: skip
    if not staff:  # citizens file through the web form: the channel is that
        fields = [f for f in fields if f.key != "canal"]
    return FormSchema("pqrsd_radicacion", "formjs", tuple(fields))
