"""Instance migration: move the running instances of one version of a process onto another, with a dry run.

Each instance moves in its own transaction under the optimistic lock and is audited; an instance that cannot
move safely is left as it is, with the reason in the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from engine.context import Context
from engine.errors import BadInput, NotFound, PhvaError
from engine.runtime.migration import apply_migration, plan_migration
from engine.store import migration as store
from engine.store.audit import audit
from engine.store.definitions import spec_json
from engine.store.instances import load_instance
from engine.store.uow import UnitOfWork
from engine.workflow.runs import advance, load_run, save_run

MAX_INSTANCES = 10_000  # per call: a larger version is migrated in several calls


@dataclass
class InstanceOutcome:
    instance_id: int
    business_key: str | None
    migrated: bool  # False on a dry run, and for a refused instance
    mapped: list[tuple[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rearmed: list[str] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)


@dataclass
class MigrationReport:
    key: str
    from_version: int
    to_version: int
    dry_run: bool
    instances: list[InstanceOutcome] = field(default_factory=list)

    @property
    def migrated(self) -> int:
        return sum(i.migrated for i in self.instances)

    @property
    def refused(self) -> int:
        return sum(bool(i.refusals) for i in self.instances)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "migrated": self.migrated, "refused": self.refused}


def parse_mapping(pairs: Sequence[str]) -> dict[str, str]:
    """`old=new` pairs (the CLI's --map) as a mapping; BadInput names a malformed one."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise BadInput(f"Correspondencia inválida «{pair}»: use id_anterior=id_nuevo.", {"map": pair})
        mapping[old.strip()] = new.strip()
    return mapping


def migrate_instances(
    ctx: Context,
    key: str,
    from_version: int,
    to_version: int,
    *,
    mapping: Mapping[str, str] | None = None,
    dry_run: bool = True,
    actor: str | None = None,
    instance_ids: Sequence[int] | None = None,
) -> MigrationReport:
    if from_version == to_version:
        raise BadInput("Las versiones de origen y destino son la misma.", {"to": str(to_version)})
    mapping = dict(mapping or {})
    with UnitOfWork(ctx.db, write=False) as uow:
        source = store.definition_version(uow.session, key, from_version)
        target = store.definition_version(uow.session, key, to_version)
        for version, found in ((from_version, source), (to_version, target)):
            if found is None:
                raise NotFound(f"No existe la versión {version} del proceso '{key}'.")
        assert source is not None and target is not None
        source_id, target_id = source.id, target.id
        ids = (
            list(instance_ids)
            if instance_ids is not None
            else store.open_instance_ids(uow.session, source.id, MAX_INSTANCES)
        )
        new_spec, new_subs = ctx.specs(target_id, lambda: spec_json(uow.session, target_id))
    _check_mapping(mapping, new_spec, new_subs)
    report = MigrationReport(key, from_version, to_version, dry_run)
    for instance_id in ids:
        report.instances.append(
            _migrate_one(ctx, instance_id, source_id, (target_id, to_version), mapping, dry_run, actor)
        )
    return report


def _check_mapping(mapping: Mapping[str, str], spec: Any, subs: Mapping[str, Any]) -> None:
    known = set(spec.task_specs) | {name for s in subs.values() for name in s.task_specs}
    unknown = sorted(new for new in mapping.values() if new not in known)
    if unknown:
        raise BadInput(
            f"La versión nueva no tiene los elementos {', '.join(unknown)} que nombra la correspondencia.",
            {"map": ", ".join(unknown)},
        )


def _migrate_one(
    ctx: Context,
    instance_id: int,
    source_id: int,
    target: tuple[int, int],
    mapping: Mapping[str, str],
    dry_run: bool,
    actor: str | None,
) -> InstanceOutcome:
    target_id, target_version = target
    try:
        with UnitOfWork(ctx.db) as uow:
            session = uow.session
            ref = load_instance(session, instance_id)
            if ref is None or ref.definition_id != source_id:
                return InstanceOutcome(
                    instance_id, None, False, refusals=["ya no es de la versión de origen"]
                )
            if ref.status not in ("running", "incident"):
                return InstanceOutcome(instance_id, ref.business_key, False, refusals=[f"está {ref.status}"])
            run = load_run(ctx, session, ref)
            new_spec, new_subs = ctx.specs(target_id, lambda: spec_json(session, target_id))
            plan = plan_migration(run, new_spec, new_subs, mapping)
            outcome = InstanceOutcome(
                instance_id, ref.business_key, False, plan.mapped, plan.removed, plan.rearmed,
                sorted(run.data()), plan.refusals,
            )  # fmt: skip
            if dry_run or not plan.safe:
                return outcome
            apply_migration(run, plan, new_spec, new_subs, ctx.clock)
            old_version = ref.version
            store.move_instance(session, ref.id, ref.row_version, target_id, target_version)
            ref.definition_id, ref.version = target_id, target_version
            incident = advance(ctx, session, ref, run)
            store.move_open_tasks(session, ref.id, plan.mapped)
            save_run(ctx, session, ref, run, incident=incident)
            audit(session, ctx, instance_id=ref.id, action="instance_migrated", actor=actor,
                  summary=f"Migró de la versión {old_version} a la {target_version}",
                  after={"mapeo": dict(mapping), "elementos": [f"{a}→{b}" for a, b in plan.mapped],
                         "rearmados": plan.rearmed})  # fmt: skip
            uow.commit()
            outcome.migrated = True
            return outcome
    except PhvaError as error:  # a conflict or a model problem on this instance: the others go on
        return InstanceOutcome(instance_id, None, False, refusals=[error.message])
