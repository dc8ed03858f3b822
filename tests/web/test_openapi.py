"""The OpenAPI document validates and matches the routes the API really serves."""

from __future__ import annotations

import re

from flask import Flask
from openapi_spec_validator import validate

from web.api import openapi_document


def test_openapi_document_is_valid_and_served(app: Flask) -> None:
    served = app.test_client().get("/api/v1/openapi.json")
    assert served.status_code == 200
    validate(served.json)
    assert served.json == openapi_document()


def test_every_api_route_is_documented_and_every_documented_path_exists(app: Flask) -> None:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            routes |= {(path, m.lower()) for m in rule.methods or () if m not in {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, item in openapi_document()["paths"].items() for method in item}
    assert routes == documented


def test_documented_error_statuses_carry_the_error_schema() -> None:
    document = openapi_document()
    shared = document["components"]["responses"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if "$ref" in response:
                    response = shared[response["$ref"].removeprefix("#/components/responses/")]
                if status.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (path, method, status)
    # every operation but this document's own says what a database outage answers (web/http.py)
    unavailable = {"$ref": "#/components/responses/Unavailable"}
    assert all(
        operation["responses"].get("503") == unavailable
        for path, item in document["paths"].items()
        for operation in item.values()
        if path != "/openapi.json"
    )
    assert "Retry-After" in shared["Unavailable"]["headers"]
