"""Instance data past its limits over the API: 422 naming the field, nothing started (issue 15 §2)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.web.conftest import bearer, engine


def _nested(levels: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    inner = data
    for _ in range(levels):
        inner["n"] = {}
        inner = inner["n"]
    return data


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        (
            {"asunto": "x" * 100_001},
            "data",
            "texto de 100001 caracteres (el máximo es 100000) en 'data.asunto'",
        ),
        (_nested(40), "data", "anidados a más de 32 niveles"),
        ({f"campo{i}": "x" * 90_000 for i in range(13)}, "data", "KB de datos (el máximo es 1024 KB)"),
    ],
    ids=["long-text", "nested", "total-size"],
)
def test_start_over_a_data_limit_is_422_naming_the_field(
    any_app: Flask, data: dict[str, Any], field: str, reason: str
) -> None:
    ctx = engine(any_app)
    client = any_app.test_client()
    payload = {"process_key": "atender_solicitud", "data": {"solicitante": "ana", "tipo": "queja", **data}}
    response = client.post("/api/v1/process-instances", headers=bearer(ctx, "ana"), json=payload)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert reason in response.json["error"]
    assert field in response.json["details"]
    listed = client.get("/api/v1/process-instances", headers=bearer(ctx, "root"))
    assert listed.status_code in (200, 405) and not (listed.json or {}).get("items")


def test_json_too_deep_to_parse_is_422(any_app: Flask) -> None:
    ctx = engine(any_app)
    raw = '{"process_key": "atender_solicitud", "data": ' + '{"n": ' * 5000 + "{}" + "}" * 5000 + "}"
    response = any_app.test_client().post(
        "/api/v1/process-instances", headers=bearer(ctx, "ana"), data=raw, content_type="application/json"
    )
    assert response.status_code == 422 and "anidado demasiado profundo" in response.json["error"]
