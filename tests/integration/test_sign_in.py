"""Issue 15 finding 8: sign-in limits that a burst can't exceed, that don't reveal which names exist, and that
slow an address down instead of locking the owner of a right password out."""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from engine.clock import FrozenClock
from engine.context import Context
from engine.identity import users
from engine.identity.sign_in import MAX_FAILURES_PER_SOURCE, MAX_FAILURES_PER_USER, TooManyAttempts, sign_in

RIGHT = "clave-correcta-1"


def _attempt(ctx: Context, name: str, password: str, source: str = "10.0.0.1") -> str:
    try:
        return "ok" if sign_in(ctx, name, password, source) is not None else "wrong"
    except TooManyAttempts:
        return "locked"


def test_a_burst_checks_no_more_wrong_passwords_than_the_limit(ctx: Context) -> None:
    users.add_user(ctx, "ana", password=RIGHT)
    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(lambda i: _attempt(ctx, "ana", f"mala-{i}", f"10.0.1.{i}"), range(40)))
    assert outcomes.count("wrong") == MAX_FAILURES_PER_USER
    assert outcomes.count("locked") == 40 - MAX_FAILURES_PER_USER
    assert _attempt(ctx, "ana", RIGHT, "10.0.2.1") == "locked"  # the right password right after the burst too


def test_unknown_names_cost_as_much_as_real_ones(sqlite_ctx: Context) -> None:
    users.add_user(sqlite_ctx, "ana", password=RIGHT)

    def median_ms(name: str) -> float:
        times = []
        for i in range(5):
            start = time.perf_counter()
            _attempt(sqlite_ctx, name, "mala", f"10.0.3.{i}")
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)

    real, unknown = median_ms("ana"), median_ms("nadie")
    assert unknown > real * 0.6, (unknown, real)


def test_an_address_with_many_failures_backs_off_and_then_a_right_password_works(
    ctx: Context, clock: FrozenClock
) -> None:
    users.add_user(ctx, "ana", password=RIGHT)
    for i in range(MAX_FAILURES_PER_SOURCE):
        assert _attempt(ctx, f"otro{i}", "mala", "10.9.9.9") == "wrong"
    with pytest.raises(TooManyAttempts, match="Espere 2 segundos"):
        sign_in(ctx, "ana", RIGHT, "10.9.9.9")
    assert _attempt(ctx, "ana", RIGHT, "10.1.1.1") == "ok"  # other addresses are not held back
    clock.advance(timedelta(seconds=2))
    assert _attempt(ctx, "ana", RIGHT, "10.9.9.9") == "ok"
    assert _attempt(ctx, "beto", "mala", "10.9.9.9") == "wrong"  # one more try after the wait…
    with pytest.raises(TooManyAttempts, match="Espere 4 segundos"):  # …and the next waits twice as long
        sign_in(ctx, "beto", "mala", "10.9.9.9")
