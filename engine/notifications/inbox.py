"""A user's notifications as the web shows them: the unread count, a page of them, and marking them read."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from engine.context import Context
from engine.errors import NotFound
from engine.notifications import events
from engine.store import notifications as store
from engine.store.uow import UnitOfWork

PER_PAGE = 20


@dataclass(frozen=True)
class NotificationItem:
    id: int
    event: str
    event_label: str
    subject: str
    body: str
    link: str | None
    created_at: datetime
    read: bool

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "event": self.event, "subject": self.subject, "body": self.body,
                "link": self.link, "created_at": self.created_at.isoformat(), "read": self.read}  # fmt: skip


@dataclass(frozen=True)
class NotificationPage:
    items: list[NotificationItem]
    total: int
    unread: int
    page: int
    pages: int


def unread_count(ctx: Context, username: str) -> int:
    """The bell: one indexed count."""
    with UnitOfWork(ctx.db, write=False) as uow:
        return store.unread_count(uow.session, username)


def notification_page(
    ctx: Context, username: str, page: int = 1, per_page: int = PER_PAGE
) -> NotificationPage:
    """Newest first."""
    page = max(page, 1)
    with UnitOfWork(ctx.db, write=False) as uow:
        total = store.count_of(uow.session, username)
        unread = store.unread_count(uow.session, username)
        rows = store.page_of(uow.session, username, offset=(page - 1) * per_page, limit=per_page)
        items = [NotificationItem(n.id, n.event, events.label(n.event), n.subject, n.body, n.link, n.created_at,
                                  n.read_at is not None) for n in rows]  # fmt: skip
    return NotificationPage(items, total, unread, page, max(1, math.ceil(total / per_page)))


def mark_read(ctx: Context, username: str, notification_id: int | None = None) -> str | None:
    """Mark one notification (or, with no id, all) of the user read; returns the one's link. Another
    user's notification is unknown here (404), never theirs to change."""
    with UnitOfWork(ctx.db) as uow:
        link = None
        if notification_id is not None:
            found = store.notification_of(uow.session, notification_id)
            if found is None or found.recipient != username:
                raise NotFound(f"No existe la notificación {notification_id}.")
            link = found.link
        store.mark_read(uow.session, username, ctx.clock.now(), notification_id)
        uow.commit()
    return link
