"""The scheduler folds the dashboard's counters of the hours over, once an hour, so the first page after a quiet
weekend does not: every hour bucket before the current one becomes one row per key, and the counts stay exact."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import text

from engine.clock import FrozenClock
from engine.context import Context
from engine.identity import users
from engine.scheduler import TimerScheduler
from engine.store.uow import UnitOfWork
from engine.supervision import counters
from engine.supervision.scope import Watch
from tests.integration.test_supervision_counters import Writer, _counted, _exact


def _buckets(ctx: Context, before: datetime) -> int:
    stored = before.strftime("%Y-%m-%d %H:%M:%S.%f") if ctx.db.is_sqlite else before  # as the column type
    with UnitOfWork(ctx.db, write=False) as uow:
        return int(
            uow.session.execute(
                text("SELECT count(DISTINCT bucket) FROM supervision_counts WHERE bucket < :hour"),
                {"hour": stored},
            ).scalar_one()
        )


def test_a_scheduler_round_folds_the_hours_over_once_an_hour(ctx: Context, clock: FrozenClock) -> None:
    users.add_user(ctx, "jefa", groups="d1", roles="supervisor")
    writer = Writer(ctx, seed=7)
    for _ in range(200):
        writer.step()
    counters.ensure_state(ctx.db, ctx.settings.semaforo_amarillo, clock.now())
    scheduler = TimerScheduler(ctx, worker="prueba")
    scheduler.run_once()  # folds what lies before this hour

    clock.set(clock.now() + timedelta(days=3, hours=2))  # a weekend nobody looked at the dashboard
    hour = counters.hour_of(clock.now())
    assert _buckets(ctx, hour) > 3  # the moments of the last three days, hour by hour
    scheduler.run_once()
    assert _buckets(ctx, hour) == 1  # all of them folded into one row per key

    watch = Watch(users.get_user(ctx, "jefa"), clock.now(), None, ctx.settings.semaforo_amarillo)
    assert _counted(ctx, watch) == _exact(ctx, watch)


def test_a_scheduler_started_with_a_changed_amarillo_share_rebuilds_the_counters_before_any_page(
    ctx: Context, clock: FrozenClock
) -> None:
    """After a restart with another PHVA_SEMAFORO_AMARILLO the scheduler's first round rebuilds, so the first
    supervisor to open the dashboard does not wait for it (minutes at a million open tasks)."""
    users.add_user(ctx, "jefa", groups="d1", roles="supervisor")
    writer = Writer(ctx, seed=11)
    for _ in range(120):
        writer.step()
    counters.ensure_state(ctx.db, 0.5, clock.now())
    restarted = replace(ctx, settings=replace(ctx.settings, semaforo_amarillo=0.3))
    TimerScheduler(restarted, worker="prueba").run_once()
    with UnitOfWork(ctx.db, write=False) as uow:
        assert uow.session.execute(text("SELECT amarillo_share FROM supervision_state")).scalar_one() == 0.3
    watch = Watch(users.get_user(ctx, "jefa"), clock.now(), None, 0.3)
    assert _counted(ctx, watch) == _exact(ctx, watch)
