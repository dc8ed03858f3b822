"""The PQRSD term table as data: the version in force, its history, and a new version with one term changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from engine.context import Context
from engine.errors import BadInput, NotFound
from engine.legal.terms import TermRow, TermTable, TermUnit
from engine.pqrsd import legal_data as legal
from engine.store import legal as legal_store
from engine.store.audit import audit
from engine.store.uow import UnitOfWork


def terms(ctx: Context, version: int | None = None) -> dict[str, Any]:
    """The term table in force (or an older version): rows, version number and content fingerprint."""
    legal.ensure_legal_data(ctx)
    if not legal.tables_ready(ctx):
        table = legal.snapshot(ctx, ()).terms
        return {"version": None, "fingerprint": table.version, "note": "Tabla incorporada (sin base de datos)",
                "rows": table.to_dicts()}  # fmt: skip
    with UnitOfWork(ctx.db, write=False) as uow:
        session = uow.session
        head = legal_store.term_version_row(session, version or None)  # 0, like None: the latest
        if head is None:
            raise NotFound(f"No existe la versión {version} de la tabla de términos.")
        table = legal.load_terms(session, head.version)
        return {"version": head.version, "fingerprint": head.fingerprint, "note": head.note,
                "created_at": head.created_at.isoformat(), "created_by": head.created_by,
                "rows": table.to_dicts()}  # fmt: skip


def term_versions(ctx: Context) -> list[dict[str, Any]]:
    legal.require_tables(ctx)
    legal.ensure_legal_data(ctx)
    with UnitOfWork(ctx.db, write=False) as uow:
        rows = legal_store.term_version_rows(uow.session)
        return [{"version": r.version, "fingerprint": r.fingerprint, "note": r.note,
                 "created_at": r.created_at.isoformat(), "created_by": r.created_by} for r in rows]  # fmt: skip


def set_term(
    ctx: Context,
    kind: str,
    amount: int,
    *,
    unit: TermUnit | None = None,
    valid_from: date | None = None,
    legal_basis: str | None = None,
    label: str | None = None,
    prorroga_max: int | None = None,
    note: str | None = None,
    actor: str | None = None,
) -> dict[str, Any]:
    """A new version of the term table where `kind` has this term from `valid_from` (default today).

    Cases already filed keep their version; the row in force before `valid_from` is closed the day before.
    """
    legal.require_tables(ctx)
    if amount < 0:
        raise BadInput(f"Término no válido: {amount}; debe ser cero o positivo.")
    if not kind.strip() or not kind.replace("_", "").isalnum():
        raise BadInput(
            f"Tipo no válido: «{kind}»; use letras, números y guiones bajos (p. ej. peticion_general)."
        )
    legal.ensure_legal_data(ctx, actor=actor)
    start = valid_from or legal.local_date_of(ctx, ctx.clock.now())
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        current = legal_store.latest_term_version(session) or 0
        table = legal.load_terms(session, current)
        rows = _with_term(table, kind, amount, unit, start, legal_basis, label, prorroga_max)
        text = note or f"{kind}: {amount} {(unit or rows[-1].unit).value} desde {start.isoformat()}"
        new = legal.store_term_version(session, current + 1, rows, note=text, at=ctx.clock.now(), actor=actor)
        legal.bump_revision(session, ctx, actor)
        audit(session, ctx, instance_id=None, action="pqrsd_terms_changed", actor=actor,
              summary=f"Nueva versión {current + 1} de la tabla de términos: {text}",
              before={"version": current, "fingerprint": table.version},
              after={"version": current + 1, "fingerprint": new.version})  # fmt: skip
        uow.commit()
    ctx.legal.invalidate()
    return terms(ctx, current + 1)


def _with_term(
    table: TermTable,
    kind: str,
    amount: int,
    unit: TermUnit | None,
    start: date,
    legal_basis: str | None,
    label: str | None,
    prorroga_max: int | None,
) -> list[TermRow]:
    """The table's rows with `kind` changed from `start`; the new row is last."""
    rows = list(table)
    same_kind = [r for r in rows if r.kind == kind]
    if not same_kind and not (legal_basis and label):
        raise BadInput(f"El tipo «{kind}» es nuevo: indique también su nombre y su fundamento legal.")
    covering = next((r for r in same_kind if r.covers(start)), None)
    later = [r.valid_from for r in same_kind if r.valid_from > start]
    base = covering or (
        same_kind[-1] if same_kind else TermRow(kind, amount, TermUnit.HABILES, start, None, "", "")
    )
    valid_to = covering.valid_to if covering else (min(later) - timedelta(days=1) if later else None)
    new = replace(base, amount=amount, unit=unit or base.unit, valid_from=start, valid_to=valid_to,
                  legal_basis=legal_basis or base.legal_basis, label=label or base.label,
                  prorroga_max=prorroga_max if prorroga_max is not None else base.prorroga_max)  # fmt: skip
    if covering is not None:
        rows.remove(covering)
        if covering.valid_from < start:
            rows.append(replace(covering, valid_to=start - timedelta(days=1)))
    return [*rows, new]
