"""Staff sign-in with rate limiting kept in the database, so every web process sees the same count."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from engine.context import Context
from engine.errors import PhvaError
from engine.identity.users import UserView, authenticate
from engine.store.uow import UnitOfWork
from engine.store.web_tables import LoginAttempt

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_SOURCE = 20


class TooManyAttempts(PhvaError):
    http_status = 429


def sign_in(ctx: Context, username: str, password: str, source: str) -> UserView | None:
    """The user when the password matches; None when not; TooManyAttempts when locked for a while."""
    name, source = username.strip().lower()[:120], (source or "?")[:64]
    now = ctx.clock.now()
    with UnitOfWork(ctx.db, write=False) as uow:
        failures = (
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.at > now - WINDOW, LoginAttempt.succeeded.is_(False))
        )
        by_user = uow.session.scalar(failures.where(LoginAttempt.username == name)) or 0
        by_source = uow.session.scalar(failures.where(LoginAttempt.source == source)) or 0
    if by_user >= MAX_FAILURES_PER_USER or by_source >= MAX_FAILURES_PER_SOURCE:
        raise TooManyAttempts("Demasiados intentos fallidos. Espere 15 minutos y vuelva a intentarlo.")
    user = authenticate(ctx, name, password) if name and password else None
    with UnitOfWork(ctx.db) as uow:
        if user is not None:  # a success clears this user's failures, so one typo doesn't linger
            uow.session.execute(
                delete(LoginAttempt).where(LoginAttempt.username == name, LoginAttempt.succeeded.is_(False))
            )
        uow.session.add(LoginAttempt(username=name, source=source, at=now, succeeded=user is not None))
        uow.commit()
    return user
