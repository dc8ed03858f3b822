"""notify(): in-app rows and outbox mail by preference, group members expanded, one per key and recipient."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.context import Context
from engine.identity import user_admin, users
from engine.mail.smtp import SmtpSettings
from engine.notifications import events, preferences
from engine.notifications.notify import notify
from engine.store.dependencia_tables import UserGroup
from engine.store.notification_tables import MailOutbox, Notification
from engine.store.tables import User
from engine.store.uow import UnitOfWork
from tests.smtp_server import SENDER

MAIL = SmtpSettings(host="127.0.0.1", port=2525, sender=SENDER)


def _people(ctx: Context) -> None:
    users.add_user(ctx, "ana", groups="planeacion", email="ana@entidad.gov.co")
    users.add_user(ctx, "beto", groups="planeacion,juridica", email="beto@entidad.gov.co")
    users.add_user(ctx, "carla", groups="juridica")  # no address
    users.add_user(ctx, "dario", groups="planeacion_regional", email="dario@entidad.gov.co")


def _send(ctx: Context, **kwargs: object) -> int:
    with UnitOfWork(ctx.db) as uow:
        count = notify(uow.session, ctx, **kwargs)  # type: ignore[arg-type]
        uow.commit()
    return count


def _rows(ctx: Context) -> tuple[list[tuple[str, str]], list[tuple[str, str | None]]]:
    with UnitOfWork(ctx.db, write=False) as uow:
        app = [
            (n.recipient, n.subject)
            for n in uow.session.scalars(select(Notification).order_by(Notification.id))
        ]
        mail = [
            (m.recipient, m.username) for m in uow.session.scalars(select(MailOutbox).order_by(MailOutbox.id))
        ]
    return app, mail


def test_group_members_are_notified_by_their_preference_once_per_key(ctx: Context) -> None:
    ctx.mail = MAIL
    _people(ctx)
    preferences.set_preferences(ctx, "beto", {events.GROUP_TASK: events.BOTH})
    made = dict(event=events.GROUP_TASK, subject="Nueva tarea: Revisar", body="Llegó una tarea.",
                link="/tareas/7", groups=["planeacion"], task_id=7, key="tarea:7")  # fmt: skip
    assert _send(ctx, **made) == 2
    assert _send(ctx, **made) == 2  # the same key again writes nothing new
    app, mail = _rows(ctx)
    assert sorted(app) == [("ana", "Nueva tarea: Revisar"), ("beto", "Nueva tarea: Revisar")]  # not dario
    assert mail == [("beto@entidad.gov.co", "beto")]  # ana keeps the default: in the app only


def test_a_group_notice_reaches_whoever_is_in_the_group_when_it_is_sent(ctx: Context) -> None:
    _people(ctx)
    user_admin.update_user(ctx, "ana", groups="juridica", actor="root")  # ana leaves planeacion
    user_admin.update_user(ctx, "carla", groups="juridica,planeacion", create_groups=True, actor="root")
    user_admin.set_user_active(ctx, "beto", False, actor="root")
    made = dict(event=events.GROUP_TASK, subject="Nueva tarea", body="x", groups=["planeacion"])
    assert _send(ctx, **made) == 1
    assert [r for r, _ in _rows(ctx)[0]] == ["carla"]
    with UnitOfWork(ctx.db, write=False) as uow:  # the membership rows the lookup uses are the users' lists
        rows = uow.session.execute(select(User.username, UserGroup.group_code).join(UserGroup))
        kept = sorted(tuple(r) for r in rows)
        listed = sorted((u.username, g) for u in uow.session.scalars(select(User)) for g in u.groups)
    assert kept == listed and ("carla", "planeacion") in kept and ("ana", "planeacion") not in kept


def test_email_only_without_an_address_falls_back_to_the_app_and_none_silences(ctx: Context) -> None:
    ctx.mail = MAIL
    _people(ctx)
    preferences.set_preferences(ctx, "carla", {events.TASK_ASSIGNED: events.EMAIL})
    preferences.set_preferences(ctx, "ana", {events.TASK_ASSIGNED: events.NONE})
    _send(ctx, event=events.TASK_ASSIGNED, subject="Le asignaron", body="x", users=["carla", "ana", "beto"])
    app, mail = _rows(ctx)
    assert sorted(r for r, _ in app) == ["beto", "carla"]
    assert mail == [("beto@entidad.gov.co", "beto")]


def test_citizen_addresses_get_mail_only_and_nothing_is_queued_when_mail_is_off(ctx: Context) -> None:
    assert _send(ctx, event=events.CITIZEN, subject="Acuse", body="x", emails=["maria@example.co"]) == 0
    assert _rows(ctx) == ([], [])
    ctx.mail = MAIL
    assert _send(ctx, event=events.CITIZEN, subject="Acuse", body="x", emails=["maria@example.co"]) == 1
    assert _rows(ctx) == ([], [("maria@example.co", None)])


@pytest.mark.parametrize("mail_on", [False, True], ids=["mail_off", "mail_on"])
def test_one_insert_select_per_table_writes_the_same_rows_as_the_recipient_query(
    ctx: Context, mail_on: bool
) -> None:
    """notify_members (an INSERT … SELECT per table) against notify_many (a query, then rows from Python): the
    same in-app and outbox rows for every channel, with and without an address, mail on and off, inactive
    users, named users outside the group and a key sent twice."""
    from engine.notifications.notify import Notice, notify_many, notify_members

    ctx.mail = MAIL if mail_on else None
    _people(ctx)
    users.add_user(ctx, "elena", groups="planeacion", email="elena@entidad.gov.co")
    users.add_user(ctx, "fabio", groups="planeacion", email="fabio@entidad.gov.co")
    users.add_user(ctx, "gloria", groups="planeacion")  # no address, chose e-mail
    preferences.set_preferences(ctx, "ana", {events.GROUP_TASK: events.NONE})
    preferences.set_preferences(ctx, "beto", {events.GROUP_TASK: events.EMAIL})
    preferences.set_preferences(ctx, "elena", {events.GROUP_TASK: events.BOTH, events.INCIDENT: events.NONE})
    preferences.set_preferences(ctx, "gloria", {events.GROUP_TASK: events.EMAIL, events.INCIDENT: events.APP})
    user_admin.set_user_active(ctx, "fabio", False, actor="admin")
    found: dict[str, tuple[list[tuple[object, ...]], list[tuple[object, ...]]]] = {}
    ways = (
        ("query", lambda s, n: notify_many(s, ctx, [n])),
        ("insert_select", lambda s, n: notify_members(s, ctx, n)),
    )
    for way, write in ways:
        for event, groups, people in (
            (events.GROUP_TASK, ("planeacion",), ("carla",)),
            (events.INCIDENT, ("planeacion", "juridica"), ()),
            (events.TASK_ASSIGNED, (), ("dario", "nadie")),
        ):
            notice = Notice(event, "Aviso  de\nprueba", "Cuerpo", "/tareas/1", users=people, groups=groups,
                            instance_id=7, task_id=1, key=f"{way}:{event}")  # fmt: skip
            with UnitOfWork(ctx.db) as uow:
                write(uow.session, notice)
                write(uow.session, notice)  # the same key twice: once
                uow.commit()
        n, o = Notification, MailOutbox
        with UnitOfWork(ctx.db, write=False) as uow:
            app = uow.session.execute(
                select(n.recipient, n.event, n.subject, n.body, n.link, n.instance_id, n.task_id, n.read_at)
                .where(n.key.like(f"{way}:%"))
                .order_by(n.event, n.recipient)
            )
            mail = uow.session.execute(
                select(
                    o.recipient,
                    o.username,
                    o.subject,
                    o.body_text,
                    o.body_html,
                    o.attachments,
                    o.event,
                    o.instance_id,
                    o.status,
                    o.attempts,
                    o.last_error,
                    o.sent_at,
                )
                .where(o.key.like(f"{way}:%"))
                .order_by(o.event, o.recipient)
            )
            found[way] = ([tuple(r) for r in app], [tuple(r) for r in mail])
    assert found["query"] == found["insert_select"]
    app_rows = {(r[0], r[1]) for r in found["query"][0]}
    mail_rows = {(r[1], r[6]) for r in found["query"][1]}
    assert ("ana", events.GROUP_TASK) not in app_rows and ("carla", events.GROUP_TASK) in app_rows
    assert ("gloria", events.GROUP_TASK) in app_rows  # e-mail chosen, no address: in the app
    assert ("beto", events.GROUP_TASK) in (mail_rows if mail_on else app_rows)
    assert ("beto", events.GROUP_TASK) not in (app_rows if mail_on else mail_rows)
    assert not any(r[0] == "fabio" for r in found["query"][0])
    assert len(found["query"][1]) == (5 if mail_on else 0), found["query"][1]
