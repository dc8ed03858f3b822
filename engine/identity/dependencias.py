"""Dependencias (groups): they exist before a user or a model names them; created, renamed, deactivated.

The code is what users' groups, task candidates and `camunda:candidateGroups` hold, so it never changes;
the name is what people read. Every change is audited.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput, Conflict, NotFound
from engine.store import dependencias as store
from engine.store.audit import audit
from engine.store.uow import UnitOfWork

_CODE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")


@dataclass(frozen=True)
class DependenciaView:
    code: str
    name: str
    active: bool
    created_at: str
    members: tuple[str, ...] = ()  # active users who belong to it
    open_tasks: int = 0  # open tasks offered to it

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "active": self.active,
            "created_at": self.created_at,
            "members": list(self.members),
            "open_tasks": self.open_tasks,
        }


def default_name(code: str) -> str:
    return code.replace("_", " ").replace("-", " ").strip().capitalize() or code


# ---- reading ----------------------------------------------------------------------------------
def list_dependencias(ctx: Context, *, include_inactive: bool = True) -> list[DependenciaView]:
    """Every dependencia with its active members and open tasks (three queries, whatever the count)."""
    with UnitOfWork(ctx.db, write=False) as uow:
        session = uow.session
        rows = store.all_dependencias(session)
        members = store.active_members(session)
        tasks = store.open_tasks_by_group(session)
    return [
        DependenciaView(
            r.code,
            r.name,
            r.active,
            r.created_at.isoformat(),
            tuple(sorted(members.get(r.code, ()))),
            tasks.get(r.code, 0),
        )
        for r in rows
        if include_inactive or r.active
    ]


def get_dependencia(ctx: Context, code: str) -> DependenciaView:
    found = next((d for d in list_dependencias(ctx) if d.code == code.strip()), None)
    if found is None:
        raise NotFound(f"No existe la dependencia «{code}».")
    return found


def dependencia_exists(ctx: Context, code: str) -> bool:
    """True for an active dependencia."""
    with UnitOfWork(ctx.db, write=False) as uow:
        return store.known_codes(uow.session, [code.strip()]).get(code.strip(), False)


def unknown_dependencias(session: Session, codes: Collection[str]) -> dict[str, str]:
    """Of `codes`, those that are no active dependencia, each with why ("no existe", "está inactiva")."""
    known = store.known_codes(session, set(codes))
    return {
        code: "está inactiva" if code in known else "no existe"
        for code in sorted(set(codes))
        if not known.get(code, False)
    }


def suggestion(session: Session, code: str) -> str:
    """' (¿quiso decir «x»?)' for a mistyped code, or ''."""
    active = [r.code for r in store.all_dependencias(session) if r.active]
    close = difflib.get_close_matches(code, active, n=3, cutoff=0.6)
    return f" (¿quiso decir {' o '.join(f'«{c}»' for c in close)}?)" if close else ""


def require_dependencias(
    session: Session, ctx: Context, codes: Collection[str], *, create: bool, actor: str | None
) -> list[str]:
    """Refuse codes that are no active dependencia — or, with `create`, create the missing ones (not the
    inactive: those are reactivated by hand). Returns the codes created. In the caller's transaction."""
    unknown = unknown_dependencias(session, codes)
    missing = [code for code, why in unknown.items() if why == "no existe"]
    if not unknown:
        return []
    if create and len(missing) == len(unknown):
        return create_in(session, ctx, {code: default_name(code) for code in missing}, actor=actor)
    lines = [f"«{code}» {why}{suggestion(session, code) if why == 'no existe' else ''}"
             for code, why in unknown.items()]  # fmt: skip
    raise BadInput(
        f"Dependencia desconocida: {'; '.join(lines)}. Créela o reactívela antes "
        "(phva dependencias, o Administración → Dependencias).",
        {"groups": "; ".join(lines)},
    )


# ---- changing ---------------------------------------------------------------------------------
def check_code(code: str) -> str:
    code = code.strip()
    if not _CODE.match(code):
        raise BadInput(
            f"Código de dependencia inválido «{code}»: use minúsculas, números, '.', '_' o '-' "
            "(2 a 60 caracteres), p. ej. atencion_ciudadano.",
            {"code": "Minúsculas, números, '.', '_' o '-'."},
        )
    return code


def _check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise BadInput(
            "Escriba el nombre de la dependencia (hasta 200 caracteres).", {"name": "Es obligatorio."}
        )
    return name


def create_in(session: Session, ctx: Context, named: Mapping[str, str], *, actor: str | None) -> list[str]:
    """Create the dependencias of `named` (code → name) that do not exist yet; returns the codes created."""
    checked = {check_code(code): _check_name(name) for code, name in named.items()}
    existing = store.known_codes(session, checked)
    new = sorted((code, name) for code, name in checked.items() if code not in existing)
    store.insert_dependencias(session, new, ctx.clock.now())
    for code, name in new:
        audit(session, ctx, instance_id=None, action="dependencia_created", actor=actor,
              summary=f"Creó la dependencia «{code}» ({name})", after={"code": code, "name": name})  # fmt: skip
    return [code for code, _ in new]


def create_dependencia(
    ctx: Context, code: str, name: str | None = None, *, actor: str | None
) -> DependenciaView:
    code = check_code(code)
    with UnitOfWork(ctx.db) as uow:
        if store.dependencia(uow.session, code) is not None:
            raise Conflict(f"La dependencia «{code}» ya existe.", {"code": "Ya existe."})
        create_in(uow.session, ctx, {code: name or default_name(code)}, actor=actor)
        uow.commit()
    return get_dependencia(ctx, code)


def rename_dependencia(ctx: Context, code: str, name: str, *, actor: str | None) -> DependenciaView:
    name = _check_name(name)
    with UnitOfWork(ctx.db) as uow:
        before = _existing(uow.session, code)
        store.update_dependencia(uow.session, before.code, name=name)
        audit(uow.session, ctx, instance_id=None, action="dependencia_renamed", actor=actor,
              summary=f"Cambió el nombre de la dependencia «{before.code}»: {before.name} → {name}",
              before={"name": before.name}, after={"name": name})  # fmt: skip
        uow.commit()
    return get_dependencia(ctx, code)


def set_dependencia_active(ctx: Context, code: str, active: bool, *, actor: str | None) -> DependenciaView:
    """Deactivating is refused while active users belong to it or open tasks are offered to it."""
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        row = _existing(session, code)
        if row.active == active:
            raise Conflict(f"La dependencia «{row.code}» ya está {'activa' if active else 'inactiva'}.")
        if not active:
            _check_unused(session, row.code)
        store.update_dependencia(session, row.code, active=active)
        audit(session, ctx, instance_id=None, action="dependencia_activated" if active else "dependencia_deactivated",
              actor=actor, summary=f"{'Reactivó' if active else 'Desactivó'} la dependencia «{row.code}»",
              before={"active": row.active}, after={"active": active})  # fmt: skip
        uow.commit()
    return get_dependencia(ctx, code)


def _existing(session: Session, code: str) -> store.DependenciaRow:
    row = store.dependencia(session, code.strip())
    if row is None:
        raise NotFound(f"No existe la dependencia «{code}».")
    return row


def _check_unused(session: Session, code: str) -> None:
    members = sorted(store.active_members(session).get(code, []))
    tasks = store.open_tasks_by_group(session, [code]).get(code, 0)
    reasons = []
    if members:
        shown = ", ".join(members[:5]) + (f" y {len(members) - 5} más" if len(members) > 5 else "")
        reasons.append(f"{len(members)} usuario(s) activo(s) ({shown})")
    if tasks:
        reasons.append(f"{tasks} tarea(s) abierta(s)")
    if reasons:
        raise Conflict(
            f"No se puede desactivar la dependencia «{code}»: tiene {' y '.join(reasons)}. "
            "Cambie de dependencia a esos usuarios y reasigne esas tareas antes."
        )
