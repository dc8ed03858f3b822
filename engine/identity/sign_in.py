"""Staff sign-in with rate limiting kept in the database, so every web process sees the same count."""

from __future__ import annotations

from datetime import timedelta

from engine.context import Context
from engine.errors import PhvaError
from engine.identity.users import UserView, authenticate
from engine.store.uow import UnitOfWork
from engine.store.users import clear_failed_attempts, failed_attempts_since, record_attempt

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
        by_user, by_source = failed_attempts_since(uow.session, now - WINDOW, name, source)
    if by_user >= MAX_FAILURES_PER_USER or by_source >= MAX_FAILURES_PER_SOURCE:
        raise TooManyAttempts("Demasiados intentos fallidos. Espere 15 minutos y vuelva a intentarlo.")
    user = authenticate(ctx, name, password) if name and password else None
    with UnitOfWork(ctx.db) as uow:
        if user is not None:  # a success clears this user's failures, so one typo doesn't linger
            clear_failed_attempts(uow.session, name)
        record_attempt(uow.session, name, source, now, succeeded=user is not None)
        uow.commit()
    return user
