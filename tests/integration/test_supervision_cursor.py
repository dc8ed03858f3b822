"""The dashboard's lists page by a keyset cursor: walked page by page they give the whole list in order, with no
row twice and none skipped, even while new cases and tasks arrive between the pages; a forged cursor is refused.

Both ways a list is read: an index range over the dashboard's rows (the entity, one dependencia) and the case
and task tables (a supervisor of several dependencias, a text search).
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from flask import Flask

from engine.context import Context
from engine.errors import BadInput
from engine.identity import users
from engine.supervision import items
from engine.supervision.filters import SupervisionQuery
from tests.integration.test_supervision_counters import Writer

WHO = {"root": ("admin", ""), "jefa": ("supervisor", "d1"), "dos": ("supervisor", "d1,d2")}
LISTS = [
    ("root", {"ver": "casos"}), ("root", {"ver": "tareas"}), ("root", {"ver": "casos", "semaforo": "rojo"}),
    ("root", {"ver": "tareas", "semaforo": "verde"}), ("root", {"ver": "tareas", "dependencia": "d2"}),
    ("jefa", {"ver": "tareas", "semaforo": "verde"}), ("jefa", {"ver": "casos"}),
    ("dos", {"ver": "casos"}), ("dos", {"ver": "tareas"}), ("root", {"ver": "tareas", "q": "Tarea"}),
    ("root", {"ver": "casos", "q": "R-"}),
]  # fmt: skip


@pytest.fixture
def filled(ctx: Context) -> Writer:
    writer = Writer(ctx, seed=11)
    for _ in range(90):
        writer.new_instance()
    for name, (roles, groups) in WHO.items():
        users.add_user(ctx, name, roles=roles, groups=groups)
    return writer


def _key(item: Any) -> tuple[Any, ...]:
    return (item["kind"], item["radicado"], item["task_id"])


def _walk(ctx: Context, who: str, criteria: dict[str, str], between: Any = None) -> list[Any]:
    user, seen, cursor = users.get_user(ctx, who), [], None
    while True:
        page = items.items(ctx, user, SupervisionQuery(**criteria, per_page=2, cursor=cursor))  # type: ignore[arg-type]
        assert page["page"] == (0 if cursor else 1) and len(page["items"]) <= 2
        seen += [_key(i) for i in page["items"]]
        cursor = page["next"]
        if cursor is None:
            return seen
        if between is not None:
            between()


@pytest.mark.parametrize(("who", "criteria"), LISTS)
def test_cursor_pages_give_the_whole_list_in_order_even_while_rows_arrive(
    filled: Writer, ctx: Context, who: str, criteria: dict[str, str]
) -> None:
    whole = items.items(ctx, users.get_user(ctx, who), SupervisionQuery(**criteria, per_page=200))  # type: ignore[arg-type]
    expected = [_key(i) for i in whole["items"]]
    assert whole["next"] is None and len(expected) > 5, "the fixture should fill a few pages"
    assert _walk(ctx, who, criteria) == expected
    walked = _walk(ctx, who, criteria, between=lambda: [filled.new_instance() for _ in range(2)])
    assert len(walked) == len(set(walked)), "a row came twice"
    assert set(expected) <= set(walked), "a row that was there all along was skipped"
    # what arrived behind the cursor was walked where it sorts: the walk is the final list's order
    final = [_key(i) for i in items.export(ctx, users.get_user(ctx, who), SupervisionQuery(**criteria))]  # type: ignore[arg-type]
    assert [k for k in final if k in set(walked)] == walked


def test_a_cursor_of_another_list_or_forged_is_refused_in_spanish(filled: Writer, ctx: Context) -> None:
    root = users.get_user(ctx, "root")
    cursor = items.items(ctx, root, SupervisionQuery(ver="casos", per_page=2))["next"]
    assert cursor is not None
    forged = [
        base64.urlsafe_b64encode(raw.encode()).decode()
        for raw in (
            "casos.e3|ayer|1",
            "casos.e3|2026-03-02T13:00:00|1",
            "casos.e3|2026-03-02T13:00:00+00:00|-1",
        )
    ]
    for wrong in ("basura", "x" * 300, *forged):
        with pytest.raises(BadInput, match="cursor"):
            items.items(ctx, root, SupervisionQuery(ver="casos", cursor=wrong))
    for other in (
        SupervisionQuery(ver="tareas", cursor=cursor),
        SupervisionQuery(ver="casos", semaforo="verde", cursor=cursor),
    ):
        with pytest.raises(BadInput, match="cursor"):
            items.items(ctx, root, other)


def test_the_api_hands_the_next_page_as_a_link(filled: Writer, ctx: Context) -> None:
    from web import create_app

    app: Flask = create_app({"TESTING": True, "SECRET_KEY": "test"}, context=ctx)
    headers = {"Authorization": f"Bearer {users.issue_token(ctx, 'jefa')}"}
    client = app.test_client()
    whole = client.get("/api/v1/supervision/items?ver=tareas&limit=200", headers=headers).get_json()
    seen, link = [], "/api/v1/supervision/items?ver=tareas&limit=3"
    while link:
        page = client.get(link, headers=headers).get_json()
        seen += [i["task_id"] for i in page["items"]]
        link = page["next"]
    assert seen == [i["task_id"] for i in whole["items"]] and len(seen) > 3
    bad = client.get("/api/v1/supervision/items?cursor=basura", headers=headers)
    assert bad.status_code == 400 and "cursor" in bad.get_json()["error"].lower()
