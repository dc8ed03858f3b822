"""The guards the pqrsd model puts on its user tasks: four eyes, confirmation, the reviewer's comment."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from engine.cli import cli
from engine.errors import Forbidden, ValidationFailed
from engine.identity import users
from engine.workflow import guards, task_views, tasks
from tests.scenarios.conftest import Scenario, sample
from tests.scenarios.test_pqrsd import AREA, radicar

DRAFTER, REVIEWER = "u.dependencias", "jefe.dependencias"
AL_AREA = (AREA, ("Task_AsignarDependencia", {"dependencia": "dependencias"}))


def _drafted(sc: Scenario) -> tuple[int, int]:
    """A petition whose answer DRAFTER drafted: the instance and its approval task."""
    users.add_user(sc.ctx, REVIEWER, groups="dependencias", roles="funcionario")
    pid = radicar(sc)
    sc.walk(pid, *AL_AREA)
    draft = sc.task(pid, "Task_ProyectarRespuesta")
    tasks.complete_task(sc.ctx, draft["id"], DRAFTER, {"respuesta": "Se expide el certificado."})
    return pid, sc.task(pid, "Task_AprobarRespuesta")["id"]


def test_the_drafter_of_an_answer_may_not_approve_it(sc: Scenario) -> None:
    pid, approval = _drafted(sc)
    with pytest.raises(Forbidden, match=r"Proyectar la respuesta.*cuatro ojos"):
        tasks.complete_task(sc.ctx, approval, DRAFTER, {"respuesta_aprobada": True})
    assert sc.task(pid, "Task_AprobarRespuesta")["id"] == approval  # still open, nothing written
    page = task_views.task_page(sc.ctx, approval, DRAFTER)
    assert page["refusal"] is not None and "cuatro ojos" in page["refusal"]
    assert not (page["can"]["complete"] or page["can"]["claim"] or page["can"]["draft"])


def test_the_drafter_can_neither_claim_the_approval_nor_be_assigned_it(sc: Scenario) -> None:
    pid, approval = _drafted(sc)
    with pytest.raises(Forbidden, match="cuatro ojos"):
        tasks.claim_task(sc.ctx, approval, DRAFTER)  # holding it would block the case
    users.add_user(sc.ctx, "jefa.dependencias", groups="dependencias", roles="supervisor")
    with pytest.raises(Forbidden, match=f"asignar la tarea a '{DRAFTER}'"):
        tasks.assign_task(sc.ctx, approval, "jefa.dependencias", DRAFTER)
    assert sc.task(pid, "Task_AprobarRespuesta")["assignee"] is None
    assert tasks.assign_task(sc.ctx, approval, "jefa.dependencias", REVIEWER)["assignee"] == REVIEWER


def test_another_official_of_the_dependencia_approves_it(sc: Scenario) -> None:
    pid, approval = _drafted(sc)
    assert task_views.task_page(sc.ctx, approval, REVIEWER)["refusal"] is None
    tasks.complete_task(sc.ctx, approval, REVIEWER, {"respuesta_aprobada": True})
    assert "Task_AprobarRespuesta" in sc.instance(pid)["completed_activities"]


def test_whoever_drafted_any_version_stays_barred_after_a_redo(sc: Scenario) -> None:
    pid, approval = _drafted(sc)
    users.add_user(sc.ctx, "otra.dependencias", groups="dependencias", roles="funcionario")
    tasks.complete_task(sc.ctx, approval, REVIEWER, {"respuesta_aprobada": False})
    redo = sc.task(pid, "Task_ProyectarRespuesta")["id"]
    tasks.complete_task(sc.ctx, redo, "otra.dependencias", {"respuesta": "Versión corregida."})
    second = sc.task(pid, "Task_AprobarRespuesta")["id"]
    for barred in (DRAFTER, "otra.dependencias"):
        with pytest.raises(Forbidden, match="cuatro ojos"):
            tasks.complete_task(sc.ctx, second, barred, {"respuesta_aprobada": True})
    tasks.complete_task(sc.ctx, second, REVIEWER, {"respuesta_aprobada": True})


def test_the_reviewers_comment_heads_the_redo_task_with_its_label(sc: Scenario) -> None:
    pid, approval = _drafted(sc)
    comment = "Falta citar el artículo 14."
    tasks.complete_task(
        sc.ctx, approval, REVIEWER, {"respuesta_aprobada": False, "observaciones_revision": comment}
    )
    page = task_views.task_page(sc.ctx, sc.task(pid, "Task_ProyectarRespuesta")["id"], DRAFTER)
    assert page["callout"] == [
        {
            "key": "observaciones_revision",
            "label": "Observaciones de la revisión",
            "type": "textarea",
            "value": comment,
        }
    ]
    assert "observaciones_revision" not in {v["key"] for v in page["fields"]}  # said once, on top


def test_a_first_draft_has_no_review_callout(sc: Scenario) -> None:
    pid = radicar(sc)
    sc.walk(pid, *AL_AREA)
    page = task_views.task_page(sc.ctx, sc.task(pid, "Task_ProyectarRespuesta")["id"], DRAFTER)
    assert page["callout"] == []


def test_a_transfer_for_lack_of_competence_needs_confirmation(sc: Scenario) -> None:
    pid = radicar(sc)
    verify = sc.task(pid, "Task_Verificar")
    answers = sample("pqrsd_verificar", {"competente": False, "entidad_competente": "Supersalud"})
    with pytest.raises(ValidationFailed) as refused:
        tasks.complete_task(sc.ctx, verify["id"], "u.atencion_ciudadano", answers)
    assert refused.value.message.startswith("Esta decisión pide confirmación: ¿Confirma que la entidad")
    assert set(refused.value.details) == {guards.CONFIRM_FIELD}
    assert sc.task(pid, "Task_Verificar")["id"] == verify["id"]  # nothing written
    tasks.complete_task(sc.ctx, verify["id"], "u.atencion_ciudadano", answers, confirmed=True)
    assert sc.task(pid, "Task_Trasladar")
    completed = [h for h in sc.instance(pid)["history"] if h["action"] == "task_completed"]
    assert "confirmó: ¿Confirma que la entidad no es competente?" in completed[-1]["summary"]


def test_the_cli_confirms_with_a_flag(sc: Scenario) -> None:
    pid = radicar(sc)
    verify = sc.task(pid, "Task_Verificar")["id"]
    data = json.dumps({"competente": False, "entidad_competente": "Supersalud", "nivel": "area_misional"})
    args = ["complete", str(verify), "--user", "u.atencion_ciudadano", "--data", data]
    refused = CliRunner().invoke(cli, args, obj=sc.ctx)
    assert refused.exit_code == 2 and "pide confirmación" in refused.output
    assert CliRunner().invoke(cli, [*args, "--confirmar"], obj=sc.ctx).exit_code == 0
    assert sc.task(pid, "Task_Trasladar")


def test_a_competent_petition_needs_no_confirmation(sc: Scenario) -> None:
    pid = radicar(sc)
    verify = sc.task(pid, "Task_Verificar")
    tasks.complete_task(sc.ctx, verify["id"], "u.atencion_ciudadano", sample("pqrsd_verificar"))
    assert sc.task(pid, "Task_AsignarDependencia")


def test_other_errors_and_the_missing_confirmation_come_together(sc: Scenario) -> None:
    pid = radicar(sc)
    verify = sc.task(pid, "Task_Verificar")
    answers = sample("pqrsd_verificar", {"competente": False, "nivel": ""})
    with pytest.raises(ValidationFailed) as refused:
        tasks.complete_task(sc.ctx, verify["id"], "u.atencion_ciudadano", answers)
    assert refused.value.message == "Revise los datos del formulario."
    assert set(refused.value.details) == {"nivel", guards.CONFIRM_FIELD}


def test_desistimiento_is_confirmed_every_time(sc: Scenario) -> None:
    pid = radicar(sc)
    sc.walk(pid, ("Task_Verificar", {"completa": False}), "Task_Requerir")
    sc.advance(days=36)  # the petitioner's month ran out
    task = sc.task(pid, "Task_Desistimiento")
    answers = {"acto_desistimiento": "Resolución 045 de 2026"}
    with pytest.raises(ValidationFailed, match="desistimiento tácito"):
        tasks.complete_task(sc.ctx, task["id"], "u.atencion_ciudadano", answers)
    tasks.complete_task(sc.ctx, task["id"], "u.atencion_ciudadano", answers, confirmed=True)
    assert "End_Desistida" in sc.instance(pid)["completed_activities"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("competente=false: ¿Seguro?", guards.Confirmation("¿Seguro?", "competente", ("false",))),
        ("nivel = traslado, archivo : ¿Cierra el caso?", guards.Confirmation("¿Cierra el caso?", "nivel",
                                                                            ("traslado", "archivo"))),
        ("aprobado=True: ¿A: b?", guards.Confirmation("¿A: b?", "aprobado", ("true",))),
        ("¿Confirma el archivo? Nota: no hay vuelta atrás.",
         guards.Confirmation("¿Confirma el archivo? Nota: no hay vuelta atrás.")),
    ],
)  # fmt: skip
def test_the_confirmation_property_reads_variable_values_and_question(
    text: str, expected: guards.Confirmation
) -> None:
    assert guards.confirmation({"properties": {guards.CONFIRM: text}}) == expected


def test_a_confirmation_rule_applies_to_its_values_only() -> None:
    rule = guards.Confirmation("¿Seguro?", "competente", ("false",))
    assert rule.applies({"competente": False}) and not rule.applies({"competente": True})
    assert guards.Confirmation("¿Seguro?").applies({})
    assert guards.confirmation({"properties": {}}) is None
