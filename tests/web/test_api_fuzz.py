"""Issue 15 §6: schemathesis generates requests from /api/v1/openapi.json — valid, invalid and hostile — and
no answer is a 500 or fails to match the documented schema."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings

from tests.web.conftest import bearer, engine, start_solicitud
from web.api import openapi_document

EXAMPLES = 25  # per operation: bounded, so the whole API takes seconds
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.content_type_conformance,
]
OPERATIONS = [
    f"{method.upper()} {path}" for path, item in openapi_document()["paths"].items() for method in item
]


@pytest.mark.parametrize("label", OPERATIONS)
def test_the_api_never_answers_500_and_always_matches_its_schema(app: Flask, label: str) -> None:
    ctx = engine(app)
    start_solicitud(ctx)  # something to find: a task and an instance
    headers = bearer(ctx, "root")
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app).find_operation_by_label(label)
    assert operation is not None, label

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case: Any) -> None:
        response = case.call(headers={**(case.headers or {}), **headers})
        case.validate_response(response, checks=CHECKS)

    run()
