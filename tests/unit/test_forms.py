import json
from datetime import date
from typing import Any

import pytest

from engine.modeling.form_schema import FormDefinitionError, FormField, FormSchema, Option
from engine.modeling.form_submission import defaults, options_for, validate_submission
from engine.modeling.formdata import schema_from_form_data
from engine.modeling.formjs import parse_formjs

# A form as Camunda Modeler 5 saves it for Camunda Platform 7 (layout ids and all).
CLASIFICAR_PQRSD = r"""{
  "components": [
    {
      "text": "# Clasificación de la PQRSD\nRevise la petición y clasifíquela según la Ley 1755 de 2015.",
      "type": "text",
      "layout": { "row": "Row_1h2x0bb", "columns": null },
      "id": "Field_0w3a1hx"
    },
    {
      "label": "Número de radicado",
      "type": "textfield",
      "layout": { "row": "Row_0r4ltmz", "columns": 6 },
      "id": "Field_1q2kq9m",
      "key": "radicado",
      "readonly": true
    },
    {
      "label": "Tipo de petición",
      "type": "select",
      "layout": { "row": "Row_0r4ltmz", "columns": 6 },
      "id": "Field_0k9o2a7",
      "key": "tipo",
      "values": [
        { "label": "Petición de interés general o particular", "value": "peticion" },
        { "label": "Queja", "value": "queja" },
        { "label": "Reclamo", "value": "reclamo" },
        { "label": "Sugerencia", "value": "sugerencia" },
        { "label": "Denuncia", "value": "denuncia" },
        { "label": "Solicitud de información", "value": "informacion" },
        { "label": "Consulta", "value": "consulta" }
      ],
      "validate": { "required": true },
      "searchable": true,
      "defaultValue": "peticion"
    },
    {
      "label": "Canal de recepción",
      "type": "radio",
      "layout": { "row": "Row_1b0pvtv", "columns": null },
      "id": "Field_1ts3m6c",
      "key": "canal",
      "values": [
        { "label": "Presencial", "value": "presencial" },
        { "label": "Telefónico", "value": "telefonico" },
        { "label": "Página web", "value": "web" },
        { "label": "Correo electrónico", "value": "correo" }
      ],
      "validate": { "required": true }
    },
    {
      "label": "Dependencia competente",
      "type": "select",
      "layout": { "row": "Row_1b0pvtv", "columns": null },
      "id": "Field_05j2b7w",
      "key": "dependencia",
      "valuesKey": "dependencias",
      "validate": { "required": true }
    },
    {
      "label": "Datos del peticionario",
      "type": "group",
      "layout": { "row": "Row_0rj3f7k", "columns": null },
      "id": "Field_1x5ut0l",
      "showOutline": true,
      "path": "peticionario",
      "components": [
        {
          "label": "Nombre completo",
          "type": "textfield",
          "layout": { "row": "Row_1d4ofml", "columns": null },
          "id": "Field_0k7pwb4",
          "key": "nombre",
          "validate": { "required": true, "minLength": 3, "maxLength": 200 }
        },
        {
          "label": "Correo electrónico",
          "type": "textfield",
          "layout": { "row": "Row_1d4ofml", "columns": null },
          "id": "Field_13c7ttb",
          "key": "correo",
          "validate": { "validationType": "email" }
        },
        {
          "label": "Teléfono",
          "type": "textfield",
          "layout": { "row": "Row_0ccq7a7", "columns": null },
          "id": "Field_1xz0bzl",
          "key": "telefono",
          "validate": { "validationType": "phone" }
        },
        {
          "label": "Número de documento",
          "type": "textfield",
          "layout": { "row": "Row_0ccq7a7", "columns": null },
          "id": "Field_0ptz1gq",
          "key": "documento",
          "description": "Solo números, sin puntos",
          "validate": { "pattern": "^[0-9]{5,12}$" }
        }
      ]
    },
    {
      "label": "Atención prioritaria",
      "type": "checklist",
      "layout": { "row": "Row_0qk7hbb", "columns": null },
      "id": "Field_1bqbv5t",
      "key": "prioridad",
      "values": [
        { "label": "Niña, niño o adolescente", "value": "menor" },
        { "label": "Persona mayor", "value": "adulto_mayor" },
        { "label": "Persona con discapacidad", "value": "discapacidad" },
        { "label": "Periodista", "value": "periodista" }
      ]
    },
    {
      "label": "Días hábiles de prórroga",
      "type": "number",
      "layout": { "row": "Row_1g2hc1s", "columns": null },
      "id": "Field_0u4e7jm",
      "key": "dias_prorroga",
      "decimalDigits": 0,
      "increment": "1",
      "validate": { "min": 0, "max": 30 }
    },
    {
      "label": "Valor reclamado (COP)",
      "type": "number",
      "layout": { "row": "Row_1g2hc1s", "columns": null },
      "id": "Field_1h8ynm2",
      "key": "valor",
      "decimalDigits": 2,
      "serializeToString": true
    },
    {
      "subtype": "date",
      "dateLabel": "Fecha de los hechos",
      "type": "datetime",
      "layout": { "row": "Row_0hd5c6t", "columns": null },
      "id": "Field_0sx5k4u",
      "key": "fecha_hechos"
    },
    {
      "subtype": "datetime",
      "dateLabel": "Fecha de la cita",
      "timeLabel": "Hora",
      "type": "datetime",
      "layout": { "row": "Row_0hd5c6t", "columns": null },
      "id": "Field_1rrr2ie",
      "key": "cita",
      "use24h": true,
      "timeSerializingFormat": "no_timezone",
      "timeInterval": 15,
      "disallowPassedDates": true
    },
    {
      "label": "Observaciones",
      "type": "textarea",
      "layout": { "row": "Row_1yv1dyt", "columns": null },
      "id": "Field_0fysb6n",
      "key": "observaciones",
      "validate": { "maxLength": 2000 }
    },
    {
      "label": "Motivo del traslado (art. 21)",
      "type": "textarea",
      "layout": { "row": "Row_0n1kcrn", "columns": null },
      "id": "Field_1ov2x1m",
      "key": "motivo_traslado",
      "validate": { "required": true },
      "conditional": { "hide": "=dependencia != \"externa\"" }
    },
    {
      "label": "He verificado los anexos",
      "type": "checkbox",
      "layout": { "row": "Row_09a5y6e", "columns": null },
      "id": "Field_0vj5r9c",
      "key": "anexos_verificados",
      "validate": { "required": true },
      "properties": { "ayuda": "Marque después de abrir cada anexo" }
    },
    {
      "type": "separator",
      "layout": { "row": "Row_1b4jp2u", "columns": null },
      "id": "Field_1ec8tij"
    },
    {
      "action": "submit",
      "label": "Enviar",
      "type": "button",
      "layout": { "row": "Row_1rdn0ce", "columns": null },
      "id": "Field_0dq2xuz",
      "key": "submit"
    }
  ],
  "type": "default",
  "id": "clasificar-pqrsd",
  "executionPlatform": "Camunda Platform",
  "executionPlatformVersion": "7.21.0",
  "exporter": {
    "name": "Camunda Modeler",
    "version": "5.25.0"
  },
  "schemaVersion": 16
}"""

DEPENDENCIAS = {"dependencias": [{"label": "Secretaría de Hacienda", "value": "hacienda"}, "externa"]}


@pytest.fixture(scope="module")
def clasificar() -> FormSchema:
    return parse_formjs(CLASIFICAR_PQRSD)


def form(*components: dict[str, Any]) -> FormSchema:
    return parse_formjs(
        json.dumps({"type": "default", "id": "f", "schemaVersion": 16, "components": components})
    )


def one(component: dict[str, Any]) -> FormSchema:
    return form({"label": "Campo", "key": "campo", **component})


def form_data(**field: Any) -> FormSchema:
    base: dict[str, Any] = {"id": "campo", "label": "Campo", "type": "string", "defaultValue": None}
    return schema_from_form_data([{**base, **field}])


def rules(*pairs: tuple[str, str | None]) -> list[dict[str, Any]]:
    return [{"name": name, "config": config} for name, config in pairs]


def errors_of(schema: FormSchema, submitted: dict[str, Any], **kwargs: Any) -> dict[str, str]:
    return validate_submission(schema, submitted, **kwargs)[1]


def clean_of(schema: FormSchema, submitted: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    clean, errors = validate_submission(schema, submitted, **kwargs)
    assert errors == {}
    return clean


# --- camunda:formData -------------------------------------------------------------------------


def test_form_data_fields_keep_type_label_constraints_and_properties() -> None:
    schema = schema_from_form_data(
        [
            {
                "id": "monto",
                "label": "Monto",
                "type": "long",
                "defaultValue": "10",
                "validation": rules(("required", None), ("min", "5"), ("max", "1000")),
                "properties": {"unidad": "COP"},
            }
        ]
    )
    (monto,) = schema.fields
    assert (schema.form_id, schema.source) == (None, "formData")
    assert (monto.key, monto.label, monto.type, monto.required) == ("monto", "Monto", "long", True)
    assert (monto.min, monto.max, monto.default) == (5, 1000, 10)
    assert monto.properties == {"unidad": "COP"}


def test_form_data_enum_becomes_a_select_with_its_values() -> None:
    schema = form_data(type="enum", values=[{"id": "a", "name": "Opción A"}, {"id": "b", "name": "Opción B"}])
    assert schema.fields[0].type == "select"
    assert schema.fields[0].options == (Option("a", "Opción A"), Option("b", "Opción B"))


def test_form_data_custom_type_is_entered_as_text() -> None:
    schema = form_data(type="email")
    assert schema.fields[0].type == "string"
    assert clean_of(schema, {"campo": "ana@example.co"}) == {"campo": "ana@example.co"}


@pytest.mark.parametrize(
    ("type_", "default", "expected"),
    [
        ("long", "10", 10),
        ("boolean", "true", True),
        ("boolean", "false", False),
        ("date", "02/03/2026", "2026-03-02"),
        ("date", "2026-03-02", "2026-03-02"),
        ("string", "Sin observaciones", "Sin observaciones"),
    ],
)
def test_form_data_default_string_is_coerced_to_the_field_type(
    type_: str, default: str, expected: Any
) -> None:
    assert form_data(type=type_, defaultValue=default).fields[0].default == expected


def test_form_data_expression_default_is_left_for_the_runtime() -> None:
    (f,) = form_data(type="long", defaultValue="${montoInicial}").fields
    assert (f.default, f.default_expression) == (None, "${montoInicial}")


def test_form_data_readonly_and_disabled_constraints_make_the_field_readonly() -> None:
    assert form_data(validation=rules(("readonly", None))).fields[0].readonly
    assert form_data(validation=rules(("disabled", None))).fields[0].readonly


def test_form_data_date_limits_accept_camunda_date_format() -> None:
    schema = form_data(type="date", validation=rules(("min", "01/01/2026")))
    assert schema.fields[0].min == "2026-01-01"
    assert errors_of(schema, {"campo": "31/12/2025"}) == {"campo": "Debe ser como mínimo 2026-01-01."}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ([{"label": "Sin id", "type": "string"}], "no tiene 'id'"),
        ([{"id": "a", "type": "string"}, {"id": "a", "type": "long"}], "'a' está repetida"),
        (
            [{"id": "a", "type": "long", "validation": rules(("min", "cinco"))}],
            "'min' del campo 'a' no es un número",
        ),
        ([{"id": "a", "type": "string", "validation": rules(("maxlength", "x"))}], "no es un entero"),
        ([{"id": "a", "type": "date", "validation": rules(("max", "mañana"))}], "no es una fecha"),
        ([{"id": "a", "type": "long", "defaultValue": "diez"}], "valor por defecto del campo 'a'"),
        (
            [{"id": "a", "type": "enum", "defaultValue": "z", "values": [{"id": "x", "name": "X"}]}],
            "por defecto",
        ),
        ([{"id": "con espacio", "type": "string"}], "no es válida"),
    ],
)
def test_broken_form_data_is_rejected_in_spanish(fields: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(FormDefinitionError, match=message):
        schema_from_form_data(fields)


# --- validation: required, unknown, defaults, readonly ----------------------------------------


def test_missing_required_field_is_reported_in_spanish() -> None:
    schema = form_data(validation=rules(("required", None)))
    assert errors_of(schema, {}) == {"campo": "Este campo es obligatorio."}


@pytest.mark.parametrize("blank", ["", "   ", None, []])
def test_blank_value_of_required_field_is_reported(blank: Any) -> None:
    schema = form_data(validation=rules(("required", None)))
    assert errors_of(schema, {"campo": blank}) == {"campo": "Este campo es obligatorio."}


def test_required_field_already_in_task_data_may_be_left_out() -> None:
    schema = form_data(validation=rules(("required", None)))
    assert validate_submission(schema, {}, {"campo": "ya estaba"}) == ({}, {})


def test_key_not_in_the_form_is_reported() -> None:
    errors = errors_of(form_data(), {"campo": "x", "aprobado": True})
    assert errors == {"aprobado": "Campo desconocido: no hace parte de este formulario."}


def test_missing_optional_field_gets_its_default() -> None:
    assert clean_of(form_data(type="long", defaultValue="7"), {}) == {"campo": 7}


def test_missing_optional_field_without_default_is_omitted() -> None:
    assert clean_of(form_data(type="long"), {}) == {}


def test_missing_optional_field_keeps_current_value_over_default() -> None:
    assert clean_of(form_data(type="long", defaultValue="7"), {}, current={"campo": 3}) == {}


def test_cleared_optional_field_is_stored_empty() -> None:
    schema = schema_from_form_data(
        [{"id": "nota", "type": "string"}, {"id": "monto", "type": "long"}, {"id": "dia", "type": "date"}]
    )
    assert clean_of(schema, {"nota": "", "monto": "", "dia": ""}) == {"nota": "", "monto": None, "dia": None}


def test_readonly_field_keeps_current_value() -> None:
    schema = form_data(validation=rules(("readonly", None)))
    assert validate_submission(schema, {"campo": "cambiado"}, {"campo": "original"}) == ({}, {})


def test_readonly_field_without_current_value_gets_its_default() -> None:
    schema = form_data(defaultValue="fijo", validation=rules(("readonly", None), ("required", None)))
    assert clean_of(schema, {"campo": "otro"}) == {"campo": "fijo"}


def test_readonly_required_field_without_value_is_not_blamed_on_the_user() -> None:
    schema = form_data(validation=rules(("readonly", None), ("required", None)))
    assert validate_submission(schema, {}) == ({}, {})


def test_every_failing_field_gets_one_message() -> None:
    schema = schema_from_form_data(
        [
            {"id": "monto", "type": "long", "validation": rules(("required", None), ("min", "5"))},
            {"id": "nombre", "type": "string", "validation": rules(("required", None))},
        ]
    )
    assert errors_of(schema, {"monto": "2"}) == {
        "monto": "Debe ser como mínimo 5.",
        "nombre": "Este campo es obligatorio.",
    }


# --- validation: types ------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [("123", 123), (" -4 ", -4), (123, 123), (5.0, 5), ("+8", 8)])
def test_long_field_from_html_string_or_json_is_coerced_to_int(raw: Any, expected: int) -> None:
    assert clean_of(form_data(type="long"), {"campo": raw}) == {"campo": expected}


@pytest.mark.parametrize("raw", ["12.5", "1e3", "1_000", "doce", True, 2.5, [1], 2**63])
def test_long_field_rejects_what_is_not_a_whole_number(raw: Any) -> None:
    assert errors_of(form_data(type="long"), {"campo": raw}) == {"campo": "Debe ser un número entero."}


@pytest.mark.parametrize(
    ("raw", "message"), [("4", "Debe ser como mínimo 5."), (11, "Debe ser como máximo 10.")]
)
def test_long_limits_name_the_limit(raw: Any, message: str) -> None:
    schema = form_data(type="long", validation=rules(("min", "5"), ("max", "10")))
    assert errors_of(schema, {"campo": raw}) == {"campo": message}
    assert clean_of(schema, {"campo": "5"}) == {"campo": 5}


def test_text_length_limits_name_the_number_of_characters() -> None:
    schema = form_data(validation=rules(("minlength", "3"), ("maxlength", "5")))
    assert errors_of(schema, {"campo": "ab"}) == {"campo": "Debe tener como mínimo 3 caracteres."}
    assert errors_of(schema, {"campo": "abcdef"}) == {"campo": "Debe tener como máximo 5 caracteres."}
    assert clean_of(schema, {"campo": "  ñandú  "}) == {"campo": "ñandú"}


def test_text_field_rejects_json_numbers() -> None:
    assert errors_of(form_data(), {"campo": 12}) == {"campo": "Debe ser un texto."}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(True, True), (False, False), ("on", True), ("true", True), ("Sí", True), ("1", True), ("false", False)],
)
def test_boolean_field_accepts_html_and_json_values(raw: Any, expected: bool) -> None:
    assert clean_of(form_data(type="boolean"), {"campo": raw}) == {"campo": expected}


def test_boolean_field_rejects_other_text() -> None:
    assert errors_of(form_data(type="boolean"), {"campo": "quizás"}) == {"campo": "Debe ser sí o no."}


def test_required_form_data_boolean_accepts_false() -> None:
    schema = form_data(type="boolean", validation=rules(("required", None)))
    assert clean_of(schema, {"campo": "false"}) == {"campo": False}


@pytest.mark.parametrize("raw", ["2026-03-02", "02/03/2026", "2/3/2026"])
def test_date_field_accepts_camunda_and_iso_formats_and_stores_iso(raw: str) -> None:
    assert clean_of(form_data(type="date"), {"campo": raw}) == {"campo": "2026-03-02"}


@pytest.mark.parametrize("raw", ["2026-02-30", "30/02/2026", "mañana", "20260302", 20260302])
def test_invalid_date_is_reported(raw: Any) -> None:
    errors = errors_of(form_data(type="date"), {"campo": raw})
    assert errors == {"campo": "Escriba una fecha válida (AAAA-MM-DD)."}


def test_enum_value_must_be_one_of_the_options() -> None:
    schema = form_data(type="enum", values=[{"id": "si", "name": "Sí"}, {"id": "no", "name": "No"}])
    assert clean_of(schema, {"campo": "si"}) == {"campo": "si"}
    assert errors_of(schema, {"campo": "tal vez"}) == {"campo": "Seleccione una de las opciones permitidas."}


# --- Camunda Forms (form-js) ------------------------------------------------------------------


def test_modeler_form_is_read_with_its_id_and_inputs_in_order(clasificar: FormSchema) -> None:
    assert (clasificar.form_id, clasificar.source) == ("clasificar-pqrsd", "formjs")
    assert [f.key for f in clasificar.inputs] == [
        "radicado",
        "tipo",
        "canal",
        "dependencia",
        "peticionario.nombre",
        "peticionario.correo",
        "peticionario.telefono",
        "peticionario.documento",
        "prioridad",
        "dias_prorroga",
        "valor",
        "fecha_hechos",
        "cita",
        "observaciones",
        "motivo_traslado",
        "anexos_verificados",
    ]
    by_key = {f.key: f for f in clasificar.inputs}
    assert by_key["radicado"].readonly
    assert by_key["tipo"].searchable and by_key["tipo"].default == "peticion"
    assert by_key["tipo"].options[1] == Option("queja", "Queja")
    assert by_key["canal"].type == "radio"
    assert by_key["dependencia"].options_key == "dependencias"
    assert by_key["fecha_hechos"].label == "Fecha de los hechos"
    assert (by_key["cita"].type, by_key["cita"].use_24h, by_key["cita"].disallow_past_dates) == (
        "datetime",
        True,
        True,
    )
    assert by_key["peticionario.documento"].description == "Solo números, sin puntos"
    assert by_key["anexos_verificados"].properties == {"ayuda": "Marque después de abrir cada anexo"}


def test_formjs_display_components_stay_in_order_but_are_not_inputs(clasificar: FormSchema) -> None:
    display = [f for f in clasificar.fields if not f.is_input]
    assert [(f.type, f.key) for f in display] == [("text", "Field_0w3a1hx"), ("separator", "Field_1ec8tij")]
    assert display[0].text is not None and display[0].text.startswith("# Clasificación de la PQRSD")
    assert clasificar.fields[0] is display[0]


def test_formjs_submit_button_is_not_a_field(clasificar: FormSchema) -> None:
    assert all(f.key != "submit" for f in clasificar.fields)


def test_formjs_group_fields_are_flattened_with_the_group_label(clasificar: FormSchema) -> None:
    nombre = next(f for f in clasificar.inputs if f.key == "peticionario.nombre")
    assert (nombre.group, nombre.required, nombre.min_length, nombre.max_length) == (
        "Datos del peticionario",
        True,
        3,
        200,
    )


def test_formjs_group_without_path_keeps_keys_at_top_level() -> None:
    schema = form({"type": "group", "label": "Datos", "components": [{"type": "textfield", "key": "nombre"}]})
    assert [(f.key, f.group) for f in schema.inputs] == [("nombre", "Datos")]


def html_submission(**overrides: Any) -> dict[str, Any]:
    submitted: dict[str, Any] = {
        "tipo": "queja",
        "canal": "web",
        "dependencia": "hacienda",
        "peticionario.nombre": "Ana María Rojas",
        "peticionario.correo": "ana.rojas@example.com.co",
        "peticionario.telefono": "+57 300 123 4567",
        "peticionario.documento": "52123456",
        "prioridad": ["adulto_mayor", "discapacidad"],
        "dias_prorroga": "10",
        "valor": "150000.50",
        "fecha_hechos": "2026-02-27",
        "cita": "2026-03-10T09:30",
        "observaciones": "Llamó dos veces.\n",
        "anexos_verificados": "on",
    }
    return {**submitted, **overrides}


def test_html_submission_of_modeler_form_comes_out_json_native(clasificar: FormSchema) -> None:
    current = {"radicado": "2026-ER-000123", "peticionario": {"tipo_persona": "natural"}, **DEPENDENCIAS}
    clean, errors = validate_submission(clasificar, html_submission(), current, today=date(2026, 3, 2))
    assert errors == {}
    assert clean == {
        "tipo": "queja",
        "canal": "web",
        "dependencia": "hacienda",
        "peticionario": {
            "tipo_persona": "natural",
            "nombre": "Ana María Rojas",
            "correo": "ana.rojas@example.com.co",
            "telefono": "+57 300 123 4567",
            "documento": "52123456",
        },
        "prioridad": ["adulto_mayor", "discapacidad"],
        "dias_prorroga": 10,
        "valor": "150000.50",
        "fecha_hechos": "2026-02-27",
        "cita": "2026-03-10T09:30",
        "observaciones": "Llamó dos veces.\n",
        "anexos_verificados": True,
    }


def test_api_submission_with_nested_objects_is_accepted(clasificar: FormSchema) -> None:
    submitted = {
        "tipo": "reclamo",
        "canal": "presencial",
        "dependencia": "externa",
        "motivo_traslado": "Competencia de la Superintendencia.",
        "peticionario": {"nombre": "Luis Pérez"},
        "dias_prorroga": 0,
        "valor": 99.5,
        "anexos_verificados": True,
    }
    clean = clean_of(clasificar, submitted, current=DEPENDENCIAS)
    assert clean["peticionario"] == {"nombre": "Luis Pérez"}
    assert (clean["dias_prorroga"], clean["valor"], clean["motivo_traslado"]) == (
        0,
        "99.5",
        "Competencia de la Superintendencia.",
    )


def test_unknown_member_of_a_nested_object_is_reported(clasificar: FormSchema) -> None:
    submitted = html_submission(peticionario={"nombre": "Ana", "edad": 30})
    errors = errors_of(clasificar, submitted, current=DEPENDENCIAS)
    assert errors == {"peticionario.edad": "Campo desconocido: no hace parte de este formulario."}


def test_readonly_formjs_field_ignores_submitted_value(clasificar: FormSchema) -> None:
    current = {"radicado": "2026-ER-000123", **DEPENDENCIAS}
    clean = clean_of(clasificar, html_submission(radicado="OTRO"), current=current)
    assert "radicado" not in clean


def test_field_hidden_by_a_condition_is_not_required(clasificar: FormSchema) -> None:
    errors = errors_of(clasificar, html_submission(), current=DEPENDENCIAS)
    assert "motivo_traslado" not in errors


def test_required_checkbox_must_be_checked(clasificar: FormSchema) -> None:
    errors = errors_of(clasificar, html_submission(anexos_verificados="false"), current=DEPENDENCIAS)
    assert errors == {"anexos_verificados": "Debe marcar esta casilla."}


def test_select_default_applies_when_the_field_is_left_out(clasificar: FormSchema) -> None:
    submitted = html_submission()
    del submitted["tipo"]
    assert clean_of(clasificar, submitted, current=DEPENDENCIAS)["tipo"] == "peticion"


def test_options_from_task_data_are_enforced(clasificar: FormSchema) -> None:
    errors = errors_of(clasificar, html_submission(dependencia="planeacion"), current=DEPENDENCIAS)
    assert errors == {"dependencia": "Seleccione una de las opciones permitidas."}


def test_options_from_task_data_are_not_enforced_when_the_data_is_missing(clasificar: FormSchema) -> None:
    assert clean_of(clasificar, html_submission(dependencia="planeacion"))["dependencia"] == "planeacion"


def test_options_for_reads_values_key_from_task_data(clasificar: FormSchema) -> None:
    dependencia = next(f for f in clasificar.inputs if f.key == "dependencia")
    assert options_for(dependencia, DEPENDENCIAS) == (
        Option("hacienda", "Secretaría de Hacienda"),
        Option("externa", "externa"),
    )
    assert options_for(dependencia, {}) is None


def test_options_from_an_expression_accept_any_value() -> None:
    schema = one({"type": "select", "valuesExpression": "=opciones"})
    assert clean_of(schema, {"campo": "lo-que-sea"}) == {"campo": "lo-que-sea"}


def test_html_option_text_is_mapped_back_to_typed_option_values() -> None:
    schema = one({"type": "radio", "valuesKey": "niveles"})
    current = {"niveles": [{"label": "Alto", "value": 3}, {"label": "Sí", "value": True}]}
    assert clean_of(schema, {"campo": "3"}, current=current) == {"campo": 3}
    assert clean_of(schema, {"campo": "true"}, current=current) == {"campo": True}


@pytest.mark.parametrize(
    ("raw", "expected"), [("menor", ["menor"]), (["menor", "periodista"], ["menor", "periodista"]), ([], [])]
)
def test_checklist_accepts_a_single_string_or_a_list(
    clasificar: FormSchema, raw: Any, expected: list[str]
) -> None:
    clean = clean_of(clasificar, html_submission(prioridad=raw), current=DEPENDENCIAS)
    assert clean["prioridad"] == expected


@pytest.mark.parametrize("raw", [["menor", "extranjero"], {"menor": True}, 3])
def test_checklist_rejects_values_that_are_not_options(clasificar: FormSchema, raw: Any) -> None:
    errors = errors_of(clasificar, html_submission(prioridad=raw), current=DEPENDENCIAS)
    assert set(errors) == {"prioridad"}
    assert errors["prioridad"] in {
        "Seleccione una de las opciones permitidas.",
        "Debe ser una lista de opciones.",
    }


def test_taglist_is_a_list_of_options() -> None:
    schema = one({"type": "taglist", "values": [{"label": "A", "value": "a"}, {"label": "B", "value": "b"}]})
    assert clean_of(schema, {"campo": ["b", "a"]}) == {"campo": ["b", "a"]}
    assert errors_of(schema, {"campo": ["c"]}) == {"campo": "Seleccione una de las opciones permitidas."}


def test_required_checklist_needs_at_least_one_choice() -> None:
    schema = one(
        {"type": "checklist", "values": [{"label": "A", "value": "a"}], "validate": {"required": True}}
    )
    assert errors_of(schema, {"campo": []}) == {"campo": "Este campo es obligatorio."}


@pytest.mark.parametrize(
    ("raw", "expected"), [("12", 12), ("12.75", 12.75), (3.5, 3.5), ("-0.5", -0.5), (7, 7), ("10.0", 10)]
)
def test_number_field_gives_int_or_float(raw: Any, expected: float) -> None:
    clean = clean_of(one({"type": "number"}), {"campo": raw})
    assert clean == {"campo": expected} and type(clean["campo"]) is type(expected)


@pytest.mark.parametrize("raw", ["12,5", "doce", "1e3", "NaN", float("nan"), float("inf"), False])
def test_number_field_rejects_what_is_not_a_number(raw: Any) -> None:
    errors = errors_of(one({"type": "number"}), {"campo": raw})
    assert errors == {"campo": "Debe ser un número (use punto para los decimales)."}


def test_number_decimal_digits_are_limited() -> None:
    schema = one({"type": "number", "decimalDigits": 2})
    assert errors_of(schema, {"campo": "1.234"}) == {"campo": "Debe tener como máximo 2 decimales."}
    assert clean_of(schema, {"campo": "1.230"}) == {"campo": 1.23}
    whole = one({"type": "number", "decimalDigits": 0})
    assert errors_of(whole, {"campo": "1.5"}) == {"campo": "Debe ser un número entero."}


def test_number_increment_names_the_nearest_valid_values() -> None:
    schema = one({"type": "number", "increment": "0.5"})
    assert errors_of(schema, {"campo": "1.3"}) == {
        "campo": "Debe ser múltiplo de 0.5; los valores válidos más cercanos son 1 y 1.5."
    }
    assert errors_of(schema, {"campo": "-1.3"})["campo"].endswith("son -1.5 y -1.")
    assert clean_of(schema, {"campo": "2.5"}) == {"campo": 2.5}


def test_number_limits_from_formjs_validate(clasificar: FormSchema) -> None:
    errors = errors_of(clasificar, html_submission(dias_prorroga="31"), current=DEPENDENCIAS)
    assert errors == {"dias_prorroga": "Debe ser como máximo 30."}


def test_number_serialized_to_string_keeps_exact_digits() -> None:
    schema = one({"type": "number", "serializeToString": True})
    assert clean_of(schema, {"campo": "12345678901234567890.12"}) == {"campo": "12345678901234567890.12"}


def test_email_validation_type() -> None:
    schema = one({"type": "textfield", "validate": {"validationType": "email"}})
    assert errors_of(schema, {"campo": "ana@"}) == {"campo": "Escriba un correo electrónico válido."}
    assert clean_of(schema, {"campo": " ana@alcaldia.gov.co "}) == {"campo": "ana@alcaldia.gov.co"}


@pytest.mark.parametrize("raw", ["3001234567", "+57 (601) 381 3000", "0057-300-123-4567", "6013813000"])
def test_phone_validation_type_accepts_colombian_numbers(raw: str) -> None:
    schema = one({"type": "textfield", "validate": {"validationType": "phone"}})
    assert clean_of(schema, {"campo": raw}) == {"campo": raw}


@pytest.mark.parametrize("raw", ["123", "llámeme", "+57 300 abc 4567"])
def test_phone_validation_type_rejects_non_numbers(raw: str) -> None:
    schema = one({"type": "textfield", "validate": {"validationType": "phone"}})
    assert errors_of(schema, {"campo": raw}) == {"campo": "Escriba un número de teléfono válido."}


def test_pattern_is_searched_like_form_js_does() -> None:
    loose = one({"type": "textfield", "validate": {"pattern": "[0-9]"}})
    assert clean_of(loose, {"campo": "abc1"}) == {"campo": "abc1"}
    strict = one({"type": "textfield", "validate": {"pattern": "^[0-9]{5,12}$"}})
    assert errors_of(strict, {"campo": "52.123.456"}) == {"campo": "No tiene el formato requerido."}


def test_textarea_keeps_its_whitespace_and_length_limits() -> None:
    schema = one({"type": "textarea", "validate": {"minLength": 2, "maxLength": 10}})
    assert clean_of(schema, {"campo": "  hola\n"}) == {"campo": "  hola\n"}
    assert errors_of(schema, {"campo": "x" * 11}) == {"campo": "Debe tener como máximo 10 caracteres."}


def test_length_limits_written_as_strings_are_read() -> None:
    schema = one({"type": "textfield", "validate": {"minLength": "2", "maxLength": "=limite"}})
    assert (schema.fields[0].min_length, schema.fields[0].max_length) == (2, None)


@pytest.mark.parametrize(
    ("subtype", "raw", "expected"),
    [
        ("date", "2026-03-02", "2026-03-02"),
        ("date", "02/03/2026", "2026-03-02"),
        ("time", "14:30", "14:30"),
        ("time", "14:30:15", "14:30:15"),
        ("time", "09:00Z", "09:00+00:00"),
        ("time", "09:00-05:00", "09:00-05:00"),
        ("datetime", "2026-03-02T14:30", "2026-03-02T14:30"),
        ("datetime", "2026-03-02 14:30", "2026-03-02T14:30"),
        ("datetime", "2026-03-02T14:30:00-05:00", "2026-03-02T14:30-05:00"),
        ("datetime", "2026-03-02T19:30:00Z", "2026-03-02T19:30+00:00"),
    ],
)
def test_datetime_subtypes_are_stored_as_iso_text(subtype: str, raw: str, expected: str) -> None:
    schema = one({"type": "datetime", "subtype": subtype})
    assert clean_of(schema, {"campo": raw}) == {"campo": expected}


@pytest.mark.parametrize(
    ("subtype", "raw", "message"),
    [
        ("date", "2026-13-01", "Escriba una fecha válida (AAAA-MM-DD)."),
        ("time", "25:00", "Escriba una hora válida (HH:MM)."),
        ("time", "2:30 pm", "Escriba una hora válida (HH:MM)."),
        ("datetime", "2026-03-02", "Escriba una fecha y hora válidas (AAAA-MM-DD HH:MM)."),
    ],
)
def test_invalid_datetime_values_are_reported(subtype: str, raw: str, message: str) -> None:
    assert errors_of(one({"type": "datetime", "subtype": subtype}), {"campo": raw}) == {"campo": message}


def test_past_dates_are_refused_when_the_form_says_so() -> None:
    schema = one({"type": "datetime", "subtype": "date", "disallowPassedDates": True})
    today = date(2026, 3, 2)
    assert errors_of(schema, {"campo": "2026-03-01"}, today=today) == {
        "campo": "La fecha no puede ser anterior a hoy."
    }
    assert clean_of(schema, {"campo": "2026-03-02"}, today=today) == {"campo": "2026-03-02"}


def test_feel_readonly_is_treated_as_editable() -> None:
    schema = one({"type": "textfield", "readonly": '=estado = "cerrado"', "disabled": False})
    assert clean_of(schema, {"campo": "nuevo"}, current={"campo": "viejo"}) == {"campo": "nuevo"}


def test_disabled_formjs_field_is_readonly() -> None:
    assert one({"type": "textfield", "disabled": True}).fields[0].readonly


def test_feel_limits_are_left_to_the_browser() -> None:
    schema = one({"type": "number", "validate": {"min": "=minimo", "max": "100"}})
    assert (schema.fields[0].min, schema.fields[0].max) == (None, 100)


# --- dynamic lists ----------------------------------------------------------------------------

ANEXOS = {
    "type": "dynamiclist",
    "id": "Field_anexos",
    "label": "Anexos",
    "path": "anexos",
    "isRepeating": True,
    "allowAddRemove": True,
    "defaultRepetitions": 1,
    "components": [
        {"type": "textfield", "key": "nombre", "label": "Nombre", "validate": {"required": True}},
        {"type": "number", "key": "folios", "label": "Folios", "validate": {"min": 1}},
        {"type": "textfield", "key": "radicado", "label": "Radicado", "readonly": True},
    ],
}


def test_dynamic_list_items_are_validated_one_by_one() -> None:
    schema = form(ANEXOS)
    (anexos,) = schema.inputs
    assert (anexos.type, [f.key for f in anexos.fields]) == ("list", ["nombre", "folios", "radicado"])
    submitted = {"anexos": [{"nombre": "Cédula", "folios": "2"}, {"folios": 0}]}
    assert errors_of(schema, submitted) == {
        "anexos[1].nombre": "Este campo es obligatorio.",
        "anexos[1].folios": "Debe ser como mínimo 1.",
    }


def test_dynamic_list_items_keep_their_readonly_values() -> None:
    current = {"anexos": [{"nombre": "Cédula", "folios": 1, "radicado": "R-1"}]}
    submitted = {
        "anexos": [{"nombre": "Cédula de ciudadanía", "radicado": "X"}, {"nombre": "RUT", "folios": 3}]
    }
    assert clean_of(form(ANEXOS), submitted, current=current) == {
        "anexos": [
            {"nombre": "Cédula de ciudadanía", "folios": 1, "radicado": "R-1"},
            {"nombre": "RUT", "folios": 3},
        ]
    }


@pytest.mark.parametrize("raw", ["Cédula", [["Cédula"]], {"nombre": "x"}])
def test_dynamic_list_must_be_a_list_of_objects(raw: Any) -> None:
    assert errors_of(form(ANEXOS), {"anexos": raw}) == {"anexos": "Debe ser una lista de elementos."}


def test_dynamic_list_item_keys_may_repeat_outer_keys() -> None:
    schema = form({"type": "textfield", "key": "nombre"}, ANEXOS)
    assert [f.key for f in schema.inputs] == ["nombre", "anexos"]


# --- broken .form files -----------------------------------------------------------------------


def document(**overrides: Any) -> str:
    return json.dumps({"type": "default", "id": "f", "schemaVersion": 16, "components": [], **overrides})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{ no es json", "no es un JSON válido"),
        (b"\xff\xfe{}", "no es un JSON válido"),
        ("[]", "debe ser un objeto JSON"),
        (document(id=None), "no tiene 'id'"),
        (document(id="  "), "no tiene 'id'"),
        (document(components=None), "El formulario no tiene una lista 'components'"),
        (document(components={"a": 1}), "no tiene una lista 'components'"),
        (document(components=["textfield"]), "no es un objeto JSON"),
        (
            document(components=[{"type": "slider", "id": "Field_9"}]),
            "'Field_9' \\(slider\\) es de un tipo desconocido",
        ),
        (document(components=[{"type": "filepicker", "key": "a"}]), "no está soportado"),
        (
            document(components=[{"type": "textfield", "id": "Field_1"}]),
            "'Field_1' \\(textfield\\) no tiene 'key'",
        ),
        (document(components=[{"type": "group", "id": "G"}]), "El contenedor 'G' \\(group\\) no tiene"),
        (
            document(components=[{"type": "dynamiclist", "id": "L", "components": []}]),
            "'L' \\(dynamiclist\\) no tiene 'path'",
        ),
        (
            document(components=[{"type": "textfield", "key": "a"}, {"type": "number", "key": "a"}]),
            "La clave 'a' está repetida",
        ),
        (
            document(
                components=[
                    {"type": "textfield", "key": "a"},
                    {"type": "group", "path": "grupo", "components": [{"type": "textfield", "key": "a"}]},
                    {"type": "textfield", "key": "grupo.a"},
                ]
            ),
            "'grupo.a' está repetida",
        ),
        (
            document(components=[{"type": "textfield", "key": "a"}, {"type": "textfield", "key": "a.b"}]),
            "'a' choca con 'a.b'",
        ),
        (document(components=[{"type": "textfield", "key": "a b"}]), "'a b' no es válida"),
        (
            document(components=[{"type": "textfield", "key": "a", "validate": {"pattern": "[0-9"}}]),
            "patrón del campo 'a'",
        ),
        (
            document(components=[{"type": "number", "key": "a", "defaultValue": "diez"}]),
            "valor por defecto del campo 'a'",
        ),
        (
            document(components=[{"type": "number", "key": "a", "validate": {"min": "cero"}}]),
            "'min' del campo 'a'",
        ),
        (
            document(components=[{"type": "number", "key": "a", "increment": "paso"}]),
            "'increment' del campo 'a'",
        ),
    ],
)
def test_broken_form_file_is_rejected_in_spanish(text: str | bytes, message: str) -> None:
    with pytest.raises(FormDefinitionError, match=message):
        parse_formjs(text)


def test_form_definition_error_is_a_value_error() -> None:
    assert issubclass(FormDefinitionError, ValueError)


# --- defaults and storage ---------------------------------------------------------------------


def test_defaults_are_the_initial_values_to_render() -> None:
    schema = form(
        {"type": "textfield", "key": "a", "defaultValue": "hola"},
        {"type": "checkbox", "key": "b", "defaultValue": True},
        {"type": "checklist", "key": "c", "defaultValue": ["x"], "values": [{"label": "X", "value": "x"}]},
        {"type": "number", "key": "d", "defaultValue": 3},
        {"type": "textfield", "key": "e"},
    )
    assert defaults(schema) == {"a": "hola", "b": True, "c": ["x"], "d": 3}


def test_defaults_prefer_current_task_values_by_dotted_key(clasificar: FormSchema) -> None:
    values = defaults(clasificar, {"tipo": "queja", "peticionario": {"nombre": "Ana"}})
    assert values["tipo"] == "queja"
    assert values["peticionario.nombre"] == "Ana"


def test_schema_survives_a_json_round_trip(clasificar: FormSchema) -> None:
    for schema in (clasificar, form(ANEXOS), form_data(type="enum", values=[{"id": "a", "name": "A"}])):
        stored = json.loads(json.dumps(schema.to_dict()))
        assert FormSchema.from_dict(stored) == schema


def test_to_dict_describes_each_field_for_rendering(clasificar: FormSchema) -> None:
    described = clasificar.to_dict()
    assert (described["form_id"], described["source"]) == ("clasificar-pqrsd", "formjs")
    tipo = next(f for f in described["fields"] if f["key"] == "tipo")
    assert tipo["type"] == "select" and tipo["required"] is True
    assert tipo["options"][0] == {"value": "peticion", "label": "Petición de interés general o particular"}
    assert set(tipo) == {f for f in FormField.__dataclass_fields__}
