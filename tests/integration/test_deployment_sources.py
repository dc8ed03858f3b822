"""Issue 15 §3: a deployment's files are stored once, the versions refer to them; 0017 moves older copies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from engine.context import Context
from engine.modeling.definitions import SourceFile
from engine.store import definitions as store
from engine.store.db import Database
from engine.store.tables import DeploymentSource, ProcessDefinition
from engine.store.uow import UnitOfWork
from engine.workflow.deployments import DeployOutcome, deploy
from tests.conftest import make_empty_database_url


def _processes(count: int) -> bytes:
    body = "".join(
        f'<bpmn:process id="p{i}" isExecutable="true"><bpmn:startEvent id="s{i}"/>'
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="s{i}" targetRef="e{i}"/><bpmn:endEvent id="e{i}"/>'
        "</bpmn:process>"
        for i in range(count)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
        'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">'
        f"{body}</bpmn:definitions>"
    ).encode()


def test_a_file_with_many_processes_is_stored_once(ctx: Context) -> None:
    content = _processes(30)
    outcome = deploy(ctx, [SourceFile("muchos.bpmn", content)])
    assert outcome.report.ok, outcome.report.problems
    assert len(outcome.new_versions) == 30
    with UnitOfWork(ctx.db, write=False) as uow:
        copies = uow.session.scalar(select(func.count()).select_from(DeploymentSource))
        p7 = uow.session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == "p7"))
        assert p7 is not None
        sources = store.definition_sources(uow.session, p7)
        files = store.deployment_files(uow.session, outcome.deployment_id or 0)
    assert copies == 1
    assert sources == [{"name": "muchos.bpmn", "content": content.decode()}]
    assert files == sources


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    return Database(make_empty_database_url(request.param, request, tmp_path))


def test_upgrading_moves_every_stored_source_once_and_downgrading_brings_them_back(
    empty_db: Database,
) -> None:
    from alembic import command

    from engine.store.schema import alembic_config

    shared = {"name": "a.bpmn", "content": "<a/>"}
    called = {"name": "b.bpmn", "content": "<b/>"}
    rows = [
        (1, 1, "p", "a.bpmn", [shared, called]),
        (2, 1, "q", "a.bpmn", [shared]),
        (3, 2, "p", "a.bpmn", []),
    ]
    config = alembic_config(empty_db.url)
    with empty_db.write_engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0016")
        for did in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO deployments (id, created_at, files, summary) VALUES (:id, :at, '[]', '{}')"
                ),
                {"id": did, "at": "2026-03-02 13:00:00"},
            )
        for pid, did, key, file, sources in rows:
            conn.execute(
                text(
                    "INSERT INTO process_definitions (id, deployment_id, key, version, name, file, content_hash,"
                    " spec_json, sources, properties, form_refs, deployed_at) VALUES (:id, :did, :key, :v, :key,"
                    " :file, 'h', '{}', :sources, '{}', '[]', '2026-03-02 13:00:00')"
                ),
                {"id": pid, "did": did, "key": key, "v": did, "file": file, "sources": json.dumps(sources)},
            )
        conn.execute(
            text(
                "INSERT INTO process_instances (id, definition_id, process_key, version, status, state, row_version,"
                " completed_activities, started_at, updated_at) VALUES (1, 1, 'p', 1, 'running', '{}', 1,"
                " '[]', '2026-03-02 13:00:00', '2026-03-02 13:00:00')"
            )
        )
        conn.commit()
        command.upgrade(config, "0017")
        conn.commit()
        moved = conn.execute(
            text("SELECT deployment_id, name, content FROM deployment_sources ORDER BY deployment_id, name")
        ).all()
        names = dict(conn.execute(text("SELECT id, source_files FROM process_definitions")).all())
        command.downgrade(config, "0016")
        conn.commit()
        back = dict(conn.execute(text("SELECT id, sources FROM process_definitions")).all())
    assert [tuple(r) for r in moved] == [(1, "a.bpmn", "<a/>"), (1, "b.bpmn", "<b/>")]
    assert {k: _json(v) for k, v in names.items()} == {1: ["a.bpmn", "b.bpmn"], 2: ["a.bpmn"], 3: []}
    assert {k: _json(v) for k, v in back.items()} == {1: [shared, called], 2: [shared], 3: []}
    empty_db.dispose()


def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


def _versions(outcome: DeployOutcome) -> list[tuple[str, int]]:
    return [(v["key"], v["version"]) for v in outcome.new_versions]


def test_a_resaved_file_is_no_new_version_a_moved_shape_is(ctx: Context) -> None:
    root = Path(__file__).resolve().parents[2]
    bpmn, dmn = (
        (root / "bpmn" / "pqrsd.bpmn").read_bytes(),
        (root / "bpmn" / "terminos_pqrsd.dmn").read_bytes(),
    )
    forms = [SourceFile(p.name, p.read_bytes()) for p in sorted((root / "forms").glob("pqrsd_*.form"))]
    first = deploy(ctx, [SourceFile("pqrsd.bpmn", bpmn), SourceFile("terminos_pqrsd.dmn", dmn), *forms])
    assert first.report.ok, first.report.problems
    resaved = bpmn.replace(b'exporterVersion="5.20.0"', b'exporterVersion="5.31.0"').replace(b"\n  ", b"\n\t")
    again = deploy(ctx, [SourceFile("pqrsd.bpmn", resaved), SourceFile("terminos_pqrsd.dmn", dmn), *forms])
    assert again.new_versions == []
    assert ("pqrsd", 1) in [(u["key"], u["version"]) for u in again.unchanged]
    moved = bpmn.replace(b'<dc:Bounds x="', b'<dc:Bounds x="1', 1)
    third = deploy(ctx, [SourceFile("pqrsd.bpmn", moved), SourceFile("terminos_pqrsd.dmn", dmn), *forms])
    assert _versions(third) == [("pqrsd", 2)]


def test_a_version_stored_with_the_old_byte_hash_is_recognised(ctx: Context) -> None:
    from engine.modeling.definitions import legacy_content_hash

    content = _processes(1)
    deploy(ctx, [SourceFile("uno.bpmn", content)])
    with UnitOfWork(ctx.db) as uow:  # as a deploy before revision 0017 stored it
        uow.session.execute(
            ProcessDefinition.__table__.update().values(
                content_hash=legacy_content_hash([SourceFile("uno.bpmn", content)])
            )
        )
        uow.commit()
    assert deploy(ctx, [SourceFile("uno.bpmn", content)]).new_versions == []
