"""The portal's filing form: the radicación form in plain words for citizens (no channel, no reception date),
plus the optional characterization fields, stored only with the citizen's consent (Ley 1581 de 2012)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.errors import ValidationFailed
from engine.modeling.form_schema import FormField, FormSchema, Option
from engine.pqrsd.filing import FIELDS

STAFF_ONLY = frozenset({"canal", "fecha_recibo"})  # the portal is the channel; a filing is received as sent
FILING_FIELDS = tuple(f for f in FIELDS if f not in STAFF_ONLY)
CITIZEN_WORDING: dict[str, dict[str, Any]] = {
    "tipo": {"label": "¿Qué desea presentar?",
             "description": "Petición: pedir algo o información. Queja: inconformidad con la atención de un "
                            "servidor. Reclamo: un servicio mal prestado. Sugerencia: una idea para mejorar. "
                            "Denuncia: hechos irregulares o de corrupción. Felicitación: un reconocimiento."},
    "prioridad": {"label": "¿Necesita atención prioritaria?",
                  "description": "Solo si corre peligro su vida o su integridad, si está en juego un derecho "
                                 "fundamental, o si es periodista en ejercicio (art. 20 de la Ley 1755 de 2015)."},
    "asunto": {"label": "Asunto", "description": "En pocas palabras, de qué se trata."},
    "descripcion": {"label": "Describa su solicitud",
                    "description": "Qué pide y por qué. En una denuncia: qué pasó, dónde, cuándo y quiénes."},
    "anonimo": {"label": "Presentarla de forma anónima (sin dar mi nombre)",
                "description": "La respuesta a una petición anónima se publica en la página web de la entidad."},
    "tipo_peticionario": {"label": "Usted presenta la solicitud como"},
    "nombre": {"label": "Nombre completo o razón social",
               "description": "Obligatorio si no la presenta de forma anónima."},
    "correo": {"description": "Para enviarle el acuse de recibo y, si lo autoriza, la respuesta."},
    "direccion": {"label": "Dirección física", "description": "Para enviarle la respuesta en papel."},
    "autoriza_notificacion_electronica": {"label": "Acepto que me notifiquen y respondan por correo electrónico"},
    "reserva_identidad": {"label": "Pido que mi identidad se mantenga en reserva",
                          "description": "Para denunciantes: solo la ven los servidores que tramitan su caso."},
}  # fmt: skip
CITIZEN_KINDS = (
    "peticion_general", "peticion_interes_general", "peticion_interes_particular", "informacion_documentos",
    "copias", "acceso_informacion_1712", "consulta", "queja", "reclamo", "sugerencia", "denuncia",
    "denuncia_corrupcion", "felicitacion", "habeas_data_consulta", "habeas_data_reclamo",
)  # fmt: skip
CONSENT = "autoriza_tratamiento_datos"
ENFOQUES = {
    "victima_conflicto": "Víctima del conflicto armado",
    "discapacidad": "Persona con discapacidad",
    "etnico": "Pertenezco a un grupo étnico (indígena, afrodescendiente, raizal, palenquero o rrom)",
    "persona_mayor": "Persona mayor (60 años o más)",
    "gestante": "Mujer gestante o lactante",
    "lgbtiq": "Persona LGBTIQ+",
    "migrante": "Persona migrante",
    "campesino": "Población campesina",
}
GENEROS = {
    "mujer": "Mujer",
    "hombre": "Hombre",
    "no_binario": "Persona no binaria",
    "otro": "Otro",
    "no_informa": "Prefiero no decirlo",
}
EDADES = {
    "menor_18": "Menor de 18 años",
    "18_28": "De 18 a 28 años",
    "29_59": "De 29 a 59 años",
    "60_mas": "60 años o más",
}
PROFILE_FIELDS = ("enfoque_diferencial", "genero", "rango_edad", "territorio", CONSENT)
PROFILE_GROUP = "Caracterización (opcional)"
PRIVACY = (
    "Estos datos son opcionales y no cambian el trámite de su solicitud. La entidad los usa solo para conocer "
    "a la ciudadanía que atiende y mejorar sus servicios (Ley 1581 de 2012); puede pedir conocerlos, "
    "corregirlos o suprimirlos."
)


@dataclass(frozen=True)
class Profile:
    enfoque_diferencial: tuple[str, ...]
    genero: str | None
    rango_edad: str | None
    territorio: str | None


def portal_form(staff_form: Mapping[str, Any]) -> dict[str, Any]:
    """The staff filing form (`views.filing_page(staff=False)`) reworded for citizens, with the profile."""
    schema = FormSchema.from_dict(staff_form)
    fields = [
        dataclasses.replace(f, **CITIZEN_WORDING.get(f.key, {}), **_citizen_options(f))
        for f in schema.fields
        if f.key not in STAFF_ONLY
    ]

    def pick(key: str, label: str, choices: Mapping[str, str], kind: str = "select") -> FormField:
        options = tuple(Option(value, text) for value, text in choices.items())
        return FormField(key, label, kind, options=options, group=PROFILE_GROUP)  # type: ignore[arg-type]

    fields += [
        pick("enfoque_diferencial", "¿Se identifica con alguno de estos grupos?", ENFOQUES, "checklist"),
        pick("genero", "Género", GENEROS),
        pick("rango_edad", "Edad", EDADES),
        FormField("territorio", "Municipio, localidad o vereda donde vive", "string", group=PROFILE_GROUP,
                  max_length=200),
        FormField(CONSENT, "Autorizo el tratamiento de estos datos para la caracterización de la ciudadanía",
                  "boolean", group=PROFILE_GROUP, description=PRIVACY),
    ]  # fmt: skip
    return FormSchema("portal_radicacion", schema.source, tuple(fields)).to_dict()


def _citizen_options(f: FormField) -> dict[str, Any]:
    """The types a citizen files (the term table also holds the terms of internal steps), in a useful order."""
    if f.key != "tipo":
        return {}
    labels = {o.value: o.label for o in f.options}
    return {"options": tuple(Option(k, labels[k]) for k in CITIZEN_KINDS if k in labels)}


def split(raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the filing's fields, the profile's fields) of a portal post; anything else is dropped."""
    filing = {k: raw[k] for k in FILING_FIELDS if k in raw}
    profile = {k: raw[k] for k in PROFILE_FIELDS if k in raw}
    return filing, profile


def parse_profile(raw: Mapping[str, Any]) -> tuple[Profile | None, dict[str, str]]:
    """The profile to store (None: none given), and a message per wrong field."""
    errors: dict[str, str] = {}
    chosen = raw.get("enfoque_diferencial") or []
    enfoques = tuple(dict.fromkeys(str(c) for c in (chosen if isinstance(chosen, list) else [chosen])))
    if any(c not in ENFOQUES for c in enfoques):
        errors["enfoque_diferencial"] = "Elija los grupos de la lista."
    genero = _choice(raw, "genero", GENEROS, errors)
    edad = _choice(raw, "rango_edad", EDADES, errors)
    territorio = str(raw.get("territorio") or "").strip() or None
    if territorio is not None and (len(territorio) > 200 or any(ord(c) < 32 for c in territorio)):
        errors["territorio"] = "Escriba el municipio, la localidad o la vereda (hasta 200 caracteres)."
    given = bool(enfoques or genero or edad or territorio)
    consented = raw.get(CONSENT) is True or str(raw.get(CONSENT)).lower() in {"true", "on", "1"}
    if given and not consented:
        errors[CONSENT] = (
            "Para guardar sus datos de caracterización, autorice su tratamiento; o deje esos campos vacíos."
        )
    if errors or not given:
        return None, errors
    return Profile(enfoques, genero, edad, territorio), errors


def _choice(
    raw: Mapping[str, Any], key: str, choices: Mapping[str, str], errors: dict[str, str]
) -> str | None:
    value = str(raw.get(key) or "").strip() or None
    if value is not None and value not in choices:
        errors[key] = "Elija una opción de la lista."
    return value


def refuse(errors: Mapping[str, str]) -> ValidationFailed:
    return ValidationFailed("Revise los datos de su solicitud: todavía no se ha radicado.", errors)
