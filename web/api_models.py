"""API route of instance migration, on the `/api/v1` blueprint (analysts and administrators)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from engine.errors import BadInput, Forbidden
from engine.workflow import migration
from web.api import body, bp, caller
from web.current import ctx


@bp.post("/migrations")
def migrate_instances() -> Response:
    if not caller().has_role("analista", "admin"):
        raise Forbidden("Solo un analista o un administrador migra instancias.")
    payload = body()
    key = payload.get("key")
    if not isinstance(key, str) or not key.strip() or len(key) > 200:
        raise BadInput("Falta 'key' o no es un texto.", {"key": "La clave del proceso."})
    mapping = payload.get("mapping") or {}
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
    ):
        raise BadInput(
            "'mapping' debe ser un objeto de textos: id_anterior → id_nuevo.", {"mapping": "Objeto."}
        )
    dry_run = payload.get("dry_run", True)
    if not isinstance(dry_run, bool):
        raise BadInput("'dry_run' debe ser true o false.", {"dry_run": "Booleano."})
    report = migration.migrate_instances(
        ctx(), key, _version(payload, "from"), _version(payload, "to"), mapping=mapping, dry_run=dry_run,
        actor=caller().username,
    )  # fmt: skip
    return jsonify(report.to_dict())


def _version(payload: dict[str, Any], name: str) -> int:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 1_000_000:
        raise BadInput(f"'{name}' debe ser un número de versión.", {name: "Entero positivo."})
    return value
