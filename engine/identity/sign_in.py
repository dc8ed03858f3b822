"""Staff sign-in with rate limiting kept in the database, so every web process sees the same count.

- Per user name: at most MAX_FAILURES_PER_USER wrong passwords in WINDOW. An attempt is recorded as a failure
  before its password is checked, under a per-name lock, so a burst can't check more than that.
- Per address: past MAX_FAILURES_PER_SOURCE failures each new attempt waits a backoff that doubles (up to
  MAX_BACKOFF) instead of locking everyone at that address out; after the wait a right password works.
- Unknown and deactivated users cost one scrypt too, so timing doesn't tell which names exist.
"""

from __future__ import annotations

import math
from datetime import timedelta

from engine.context import Context
from engine.errors import PhvaError
from engine.identity.users import UserView, authenticate
from engine.store.uow import UnitOfWork
from engine.store.users import (
    clear_failed_attempts,
    failed_attempts_since,
    last_failure_from,
    lock_sign_in,
    record_attempt,
)

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_SOURCE = 20
MAX_BACKOFF = timedelta(minutes=5)


class TooManyAttempts(PhvaError):
    http_status = 429


def sign_in(ctx: Context, username: str, password: str, source: str) -> UserView | None:
    """The user when the password matches; None when not; TooManyAttempts when locked or backing off."""
    name, source = username.strip().lower()[:120], (source or "?")[:64]
    now = ctx.clock.now()
    with UnitOfWork(ctx.db) as uow:
        lock_sign_in(uow.session, name)
        by_user, by_source = failed_attempts_since(uow.session, now - WINDOW, name, source)
        if by_user >= MAX_FAILURES_PER_USER:
            raise TooManyAttempts("Demasiados intentos fallidos. Espere 15 minutos y vuelva a intentarlo.")
        if by_source >= MAX_FAILURES_PER_SOURCE:
            last = last_failure_from(uow.session, source, now - WINDOW) or now
            wait = min(timedelta(seconds=2 ** (by_source - MAX_FAILURES_PER_SOURCE + 1)), MAX_BACKOFF)
            if now < last + wait:
                seconds = math.ceil((last + wait - now).total_seconds())
                raise TooManyAttempts(
                    f"Demasiados intentos fallidos desde esta dirección. Espere {seconds} segundos y vuelva a "
                    "intentarlo."
                )
        record_attempt(
            uow.session, name, source, now, succeeded=False
        )  # counts until the password proves right
        uow.commit()
    user = authenticate(ctx, name, password)
    if user is not None:
        with UnitOfWork(ctx.db) as uow:  # a success clears this user's failures, so one typo doesn't linger
            clear_failed_attempts(uow.session, name)
            record_attempt(uow.session, name, source, now, succeeded=True)
            uow.commit()
    return user
