"""A filtered dashboard summary read from the dashboard's rows equals the exact counts over the case and task
tables, for the entity and for one dependencia, after random writes, whatever the filter."""

from __future__ import annotations

from typing import Any

import pytest

from engine.context import Context
from engine.identity import users
from engine.store.uow import UnitOfWork
from engine.supervision import dashboard, filtered
from engine.supervision.filters import SupervisionQuery
from engine.supervision.scope import watch_for
from tests.integration.test_supervision_counters import Writer

FILTERS: list[dict[str, Any]] = [
    {"tipo": "queja"}, {"canal": "telefonico"}, {"funcionario": "u1"}, {"funcionario": "-"},
    {"dependencia": "d1"}, {"dependencia": "-"}, {"semaforo": "rojo"}, {"semaforo": "sin_termino"},
    {"tipo": "queja", "semaforo": "amarillo"}, {"proceso": "tablero"}, {"canal": "formulario_web", "dependencia": "d2"},
]  # fmt: skip


@pytest.mark.parametrize("who", ["entidad", "jefa"])
def test_a_filtered_summary_from_the_rows_equals_the_exact_counts(ctx: Context, who: str) -> None:
    writer = Writer(ctx, seed=23)
    for _ in range(150):
        writer.step()
    users.add_user(ctx, "jefa", groups="d1", roles="supervisor")
    users.add_user(ctx, "entidad", groups="supervision", roles="supervisor")
    w = watch_for(ctx, users.get_user(ctx, who))
    for criteria in FILTERS:
        q = SupervisionQuery(**criteria)
        scope = filtered.rows_scope(w.groups, q)
        assert scope is not None
        with UnitOfWork(ctx.db, write=False) as uow:
            s = uow.session
            rows = filtered.grouped(s, q, scope, w.now)
            fast = (
                dashboard._from_rows(rows["caso"], "tipo"),
                dashboard._from_rows(rows["tarea"], "funcionario"),
            )
            exact = (
                dashboard._grouped(s, dashboard._case_statement(s, w, q), "tipo"),
                dashboard._grouped(s, dashboard._task_statement(s, w, q), "funcionario"),
            )
        for a, b in zip(_plain(fast), _plain(exact), strict=True):
            assert a[:2] == b[:2], criteria
            for d in set(a[2]) | set(b[2]):
                assert a[2].get(d) == b[2].get(d), (criteria, d)
        assert dashboard.summary(ctx, w.user, q)["casos"]["total"] == exact[0]["total"]


def _plain(sections: Any) -> Any:
    """Rows with a count, as sets (the order of equal totals is the same either way, but not the point)."""
    out = []
    for section in sections:
        by = {d: {(r["value"], tuple(sorted((k, v) for k, v in r["counts"].items() if v))) for r in rows if r["total"]}
              for d, rows in section["by"].items()}  # fmt: skip
        out.append((section["total"], section["semaforo"], {d: v for d, v in by.items() if v}))
    return out
