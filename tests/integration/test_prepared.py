"""Prepared statements (engine.store.prepared) give what SQLAlchemy gives, on SQLite and PostgreSQL: the same
rows and types, the same errors, the statement seen by listeners, and the same write under pipeline mode."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from engine.context import Context
from engine.identity import users
from engine.store.prepared import Prepared
from engine.store.tables import User
from engine.store.uow import UnitOfWork
from tests.sql_count import counting

_U: Table = User.__table__  # type: ignore[assignment]
_BY_NAME = select(_U.c.id, _U.c.username, _U.c.roles, _U.c.groups, _U.c.active, _U.c.created_at).where(
    _U.c.username == bindparam("name")
)
_RENAME = (
    update(_U)
    .where(_U.c.username == bindparam("old"), _U.c.active.is_(True))
    .values(display_name=bindparam("shown"))
)


def test_rows_equal_sqlalchemys_with_their_types(ctx: Context) -> None:
    users.add_user(ctx, "ana", groups="pqrsd,juridica")
    prepared = Prepared(_BY_NAME)
    with UnitOfWork(ctx.db) as uow:
        expected = uow.session.connection().execute(_BY_NAME, {"name": "ana"}).one()
        got = prepared.one_or_none(uow.session, {"name": "ana"})
        assert tuple(got) == tuple(expected)
        assert got.username == "ana" and got.groups == ["juridica", "pqrsd"]  # JSON read back as a list
        assert isinstance(got.created_at, datetime) and got.created_at.tzinfo is not None
        assert prepared.one_or_none(uow.session, {"name": "nadie"}) is None


def test_a_write_counts_rows_and_is_seen_by_the_listeners(ctx: Context) -> None:
    users.add_user(ctx, "ana", groups="pqrsd")
    prepared = Prepared(_RENAME)
    for pipelined in (False, True):
        with counting(ctx.db) as count, UnitOfWork(ctx.db, pipelined=pipelined) as uow:
            assert prepared.execute(uow.session, {"old": "ana", "shown": f"Ana {pipelined}"}) == 1
            assert prepared.execute(uow.session, {"old": "nadie", "shown": "x"}) == 0
            uow.commit()
        assert [s.split()[:2] for s in count.statements[:2]] == [["UPDATE", "users"]] * 2, count
        assert count.commits == 1 and count.write_transactions == 1
        with UnitOfWork(ctx.db, write=False) as uow:
            shown = uow.session.scalar(select(_U.c.display_name).where(_U.c.username == "ana"))
        assert shown == f"Ana {pipelined}"


def test_a_driver_error_is_sqlalchemys_and_the_transaction_is_left_clean(ctx: Context) -> None:
    users.add_user(ctx, "ana", groups="pqrsd")
    prepared = Prepared(insert(_U).returning(_U.c.id))
    row: dict[str, Any] = {"username": "ana", "display_name": "Otra", "email": None, "password_hash": "x", "roles": [],
           "groups": [], "active": True, "session_version": 1, "created_at": datetime.now(UTC)}  # fmt: skip
    with pytest.raises(IntegrityError), UnitOfWork(ctx.db) as uow:
        prepared.scalar_one(uow.session, row)
    with UnitOfWork(ctx.db) as uow:  # the pooled connection is usable again
        new_id = prepared.scalar_one(uow.session, {**row, "username": "beto"})
        uow.commit()
    with UnitOfWork(ctx.db, write=False) as uow:
        assert uow.session.scalar(select(_U.c.username).where(_U.c.id == new_id)) == "beto"


def test_shapes_it_does_not_run_go_to_sqlalchemy(ctx: Context) -> None:
    users.add_user(ctx, "ana", groups="pqrsd")
    users.add_user(ctx, "beto", groups="pqrsd")
    expanding = Prepared(select(_U.c.username).where(_U.c.username.in_(bindparam("names", expanding=True))))
    with UnitOfWork(ctx.db, write=False) as uow:
        found = expanding.rows(uow.session, {"names": ["ana", "beto", "nadie"]})
    assert sorted(r.username for r in found) == ["ana", "beto"]
    several = Prepared(insert(_U).returning(_U.c.username))
    row: dict[str, Any] = {"display_name": "X", "email": None, "password_hash": "x", "roles": [], "groups": [],
                           "active": True, "session_version": 1, "created_at": datetime.now(UTC)}  # fmt: skip
    with UnitOfWork(ctx.db) as uow:  # one row runs prepared, several are one batched statement by SQLAlchemy
        assert [r.username for r in several.rows(uow.session, [{**row, "username": "caro"}])] == ["caro"]
        many = several.rows(uow.session, [{**row, "username": "dani"}, {**row, "username": "eli"}])
        uow.commit()
    assert sorted(r.username for r in many) == ["dani", "eli"]
