"""Hostile input stops at the door: ids past a bigint are unknown addresses, and query strings, forms and JSON
bodies with NUL bytes, lone surrogates or NaN get a 400 with the reason, and JSON nested or with texts past the
instance data limits a 422 naming the field, before any view runs."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, current_app, request
from werkzeug.routing import IntegerConverter, Map

from engine.errors import BadInput, ValidationFailed
from engine.limits import BIGINT_MAX, DataLimits, data_issue, text_problem


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` that matches only ids a bigint column can hold: larger ones are a 404, not a database error."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", BIGINT_MAX)
        super().__init__(map, *args, **kwargs)


def _reject(constant: str) -> Any:
    raise ValueError(constant)


def init_app(app: Flask) -> None:
    """Call before registering blueprints: the converter applies to the rules added afterwards."""
    app.url_map.converters["int"] = BoundedIntConverter

    @app.before_request
    def check_input() -> None:
        for source, values in (("la dirección", request.args), ("el formulario", request.form)):
            for key, value in values.items(multi=True):
                if not isinstance(key, str):  # a multipart part with a malformed name
                    raise BadInput(f"Un campo de {source} no tiene un nombre válido.")
                problem = text_problem(key) or text_problem(value)
                if problem:
                    raise BadInput(f"El campo '{_printable(key)}' de {source} {problem}.", {key: problem})
        for value in (request.view_args or {}).values():
            if isinstance(value, str) and (problem := text_problem(value)):
                raise BadInput(f"La dirección {problem}.")
        if request.is_json and request.content_length:
            _check_json_body()


def _check_json_body() -> None:
    raw = request.get_data(cache=True)
    try:
        payload = json.loads(raw, parse_constant=_reject)
    except ValueError as error:
        if str(error) in {"NaN", "Infinity", "-Infinity"}:
            raise BadInput("El JSON no admite NaN ni Infinity.") from None
        raise BadInput("El cuerpo no es JSON válido.") from None
    except RecursionError:
        raise ValidationFailed(
            "El JSON está anidado demasiado profundo.", {"body": "Demasiados niveles."}
        ) from None
    limits = current_app.extensions["phva"].settings.data_limits
    # size is the instance's business (checked where data is kept); here nesting, texts and bad values
    issue = data_issue(
        payload, DataLimits(max_kb=2**62, max_depth=limits.max_depth, max_string=limits.max_string)
    )
    if issue is not None:
        refusal = ValidationFailed if issue.over_limit else BadInput
        message = f"El cuerpo JSON no se acepta: contiene {issue.text}{issue.where()}."
        raise refusal(message, {issue.field or "body": f"Contiene {issue.text}."})


def _printable(key: str) -> str:
    return key.replace("\x00", "\\0").encode("utf-8", "backslashreplace").decode("utf-8")
