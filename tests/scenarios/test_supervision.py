"""The supervision dashboard over real PQRSD filed at past dates: each semáforo state in the counts and in the
lists, for a supervisor of one dependencia and for the supervision group; constant statements per page."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import BadInput, Forbidden
from engine.identity import users
from engine.pqrsd import radicacion, tray
from engine.pqrsd.views import case_detail
from engine.supervision import dashboard, items
from engine.supervision.filters import parse_filters
from engine.workflow import inbox, tasks
from tests.scenarios.conftest import Scenario
from tests.scenarios.test_pqrsd import AREA, peticion
from tests.sql_count import counting

# Received before Monday 2 March 2026 08:00 (the clock), a 15-business-day petición is, today:
RECEIVED = {
    "rojo": "2026-02-02T10:00:00-05:00",  # 20 business days ago: due on 23 February
    "alerta": "2026-02-13T10:00:00-05:00",  # 11 of 15 used: past two thirds
    "amarillo": "2026-02-18T10:00:00-05:00",  # 8 of 15: past half
    "verde": "2026-02-27T10:00:00-05:00",  # 1 of 15
}


def file_case(sc: Scenario, received: str, dependencia: str | None = None, **changes: Any) -> str:
    case = radicacion.file_pqrsd(
        sc.ctx, peticion(fecha_recibo=received, **changes), actor="u.atencion_ciudadano"
    )
    if dependencia is not None:
        sc.walk(case["instance_id"], AREA, ("Task_AsignarDependencia", {"dependencia": dependencia}))
    return case["radicado"]


def watcher(sc: Scenario, name: str, groups: str, roles: str = "supervisor") -> users.UserView:
    users.add_user(sc.ctx, name, groups=groups, roles=roles)
    return users.get_user(sc.ctx, name)


def listed(sc: Scenario, user: users.UserView, **args: str) -> list[str]:
    page = items.items(sc.ctx, user, parse_filters(args))
    return [i["radicado"] or "" for i in page["items"]]


def test_each_semaforo_state_appears_in_the_counts_and_lists(any_db: Scenario) -> None:
    sc = any_db
    juridica = {state: file_case(sc, moment, "juridica") for state, moment in RECEIVED.items()}
    planeacion = file_case(sc, RECEIVED["verde"], "planeacion", canal="correo_electronico")
    # The bandeja's colour rule (Python) agrees with the dates chosen.
    colours = {
        c["radicado"]: c["semaforo"] for c in tray.cases(sc.ctx, "u.juridica", tray.CaseQuery())["items"]
    }
    assert colours == {r: s for s, r in juridica.items()}

    everyone = users.get_user(sc.ctx, "u.supervision")  # supervisor of the supervision group: the entity
    jefa = watcher(sc, "jefa.juridica", "juridica")
    whole = dashboard.summary(sc.ctx, everyone, parse_filters({}))
    assert whole["scope"] is None
    assert whole["casos"]["semaforo"] == {
        "verde": 2, "amarillo": 1, "alerta": 1, "rojo": 1, "suspendida": 0, "sin_termino": 0,
    }  # fmt: skip
    by_dep = {r["value"]: r["counts"] for r in whole["casos"]["by"]["dependencia"]}
    assert by_dep["planeacion"]["verde"] == 1 and by_dep["juridica"]["rojo"] == 1
    # One open answer task per case, and the overdue one escalated to supervision ("Atender la PQRSD vencida").
    assert whole["tareas"]["semaforo"] == {**whole["casos"]["semaforo"], "rojo": 2}
    assert listed(sc, everyone, ver="tareas", semaforo="rojo", dependencia="supervision") == [
        juridica["rojo"]
    ]
    canales = {r["value"]: r for r in whole["casos"]["by"]["canal"]}
    assert (
        canales["correo_electronico"]["total"] == 1
        and canales["correo_electronico"]["label"] == "Correo electrónico"
    )

    mine = dashboard.summary(sc.ctx, jefa, parse_filters({}))
    assert mine["scope"] == ["juridica"]
    assert mine["casos"]["semaforo"] == {
        "verde": 1, "amarillo": 1, "alerta": 1, "rojo": 1, "suspendida": 0, "sin_termino": 0,
    }  # fmt: skip
    for state, radicado in juridica.items():
        assert listed(sc, jefa, semaforo=state) == [radicado]
        assert listed(sc, jefa, ver="tareas", semaforo=state) == [radicado]
    assert sorted(listed(sc, everyone, semaforo="verde")) == sorted([juridica["verde"], planeacion])
    assert listed(sc, jefa, dependencia="planeacion") == []  # not hers to watch
    assert listed(sc, everyone, dependencia="planeacion", ver="tareas") == [planeacion]


def test_list_rows_say_who_holds_it_when_it_is_due_and_the_business_days_left(sc: Scenario) -> None:
    late = file_case(sc, RECEIVED["rojo"], "juridica")
    everyone = users.get_user(sc.ctx, "u.supervision")
    (case,) = items.items(sc.ctx, everyone, parse_filters({"semaforo": "rojo"}))["items"]
    assert (case["radicado"], case["vence_el"], case["dias_habiles"]) == (late, "2026-02-23", -5)
    assert (
        case["responsable"] == "supervision, juridica"
        and case["asunto"] == "Estado de mi solicitud de subsidio"
    )
    assert case["ultima_actividad"] is not None
    answer = parse_filters({"semaforo": "rojo", "ver": "tareas", "dependencia": "juridica"})
    (task,) = items.items(sc.ctx, everyone, answer)["items"]
    assert (task["tarea"], task["responsable"], task["dias_habiles"]) == (
        "Proyectar la respuesta",
        "juridica",
        -5,
    )
    # The inbox shows the same colour for that task.
    (shown,) = inbox.inbox(
        sc.ctx, users.get_user(sc.ctx, "u.juridica"), inbox.InboxQuery(view="dependencia")
    )["items"]
    assert shown["semaforo"] == task["semaforo"] == "rojo"


def _costs(sc: Scenario, user: users.UserView) -> dict[str, int]:
    costs = {}
    for ver in ("casos", "tareas"):
        dashboard.summary(sc.ctx, user, parse_filters({}))  # warm: the legal calendar is read once
        with counting(sc.ctx.db) as summary_cost:
            dashboard.summary(sc.ctx, user, parse_filters({}))
        with counting(sc.ctx.db) as list_cost:
            items.items(sc.ctx, user, parse_filters({"ver": ver, "limit": "200"}))
        costs[f"resumen {ver}"], costs[f"lista {ver}"] = (
            len(summary_cost.statements),
            len(list_cost.statements),
        )
    return costs


def test_the_dashboard_costs_the_same_statements_with_5_or_50_cases(sc: Scenario) -> None:
    everyone = users.get_user(sc.ctx, "u.supervision")
    jefa = watcher(sc, "jefa.atencion", "atencion_ciudadano")

    def file(count: int, start: int) -> None:
        for n in range(start, start + count):
            radicado = file_case(sc, RECEIVED[list(RECEIVED)[n % 4]], asunto=f"Caso {n}")
            if n % 3 == 0:  # some claimed, so the page names people
                instance_id = radicacion_instance(sc, radicado)
                tasks.claim_task(
                    sc.ctx, int(sc.task(instance_id, "Task_Verificar")["id"]), "u.atencion_ciudadano"
                )

    file(5, 0)
    few = {"entidad": _costs(sc, everyone), "dependencia": _costs(sc, jefa)}
    file(45, 5)
    many = {"entidad": _costs(sc, everyone), "dependencia": _costs(sc, jefa)}
    assert few == many
    assert max(many["entidad"].values()) <= 4, (
        many
    )  # cases, tasks, people, processes; count, page, holders, audit
    assert items.items(sc.ctx, jefa, parse_filters({"limit": "200"}))["total"] == 50


def radicacion_instance(sc: Scenario, radicado: str) -> int:
    instance_id = case_detail(sc.ctx, radicado, "u.atencion_ciudadano")["instance_id"]
    assert instance_id is not None
    return instance_id


def test_bad_filters_are_refused_in_spanish_and_staff_without_the_role_see_nothing(sc: Scenario) -> None:
    with pytest.raises(BadInput, match="Semáforo desconocido «morado»"):
        parse_filters({"semaforo": "morado"})
    with pytest.raises(BadInput, match="'ver' debe ser"):
        parse_filters({"ver": "todo"})
    with pytest.raises(BadInput, match="'pagina' debe ser un número"):
        parse_filters({"pagina": "0"})
    with pytest.raises(Forbidden, match="supervisores y administradores"):
        dashboard.summary(sc.ctx, users.get_user(sc.ctx, "u.juridica"), parse_filters({}))
