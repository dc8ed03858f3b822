"""Which open items' due dates move when the entity's closures change (PQRSD_RULES §3.4)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from engine.legal.calendar import BusinessCalendar, Closure, LegalInputError
from engine.legal.deadlines import Suspension, due_date, due_in
from engine.legal.explanation import DueDate
from engine.legal.terms import TermTable, TermUnit


@dataclass(frozen=True)
class OpenItem:
    """A case still running: either `kind` (term from the table) or an explicit `amount` + `unit`."""

    id: str
    received_at: datetime | date
    kind: str | None = None
    amount: int | None = None
    unit: TermUnit = TermUnit.HABILES
    suspensions: tuple[Suspension, ...] = ()

    @property
    def suspended(self) -> bool:
        return any(s.compliance_at is None for s in self.suspensions)


@dataclass(frozen=True)
class DueChange:
    id: str
    old: DueDate
    new: DueDate

    @property
    def earlier(self) -> bool:
        """Moving a due date earlier needs the case owner notified (PQRSD_RULES §3.4)."""
        return self.new.value < self.old.value

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "old_due_date": self.old.day.isoformat(),
            "new_due_date": self.new.day.isoformat(),
            "earlier": self.earlier,
            "new": self.new.to_dict(),
        }


def due_for(calendar: BusinessCalendar, terms: TermTable, item: OpenItem) -> DueDate | None:
    """The item's current due date; None while an art. 17 suspension waits for the citizen."""
    if item.suspended:
        return None
    if item.amount is not None:
        return due_in(calendar, item.received_at, item.amount, item.unit, suspensions=item.suspensions)
    if item.kind is None:
        raise LegalInputError(f"El ítem {item.id} no tiene tipo ni término.")
    return due_date(calendar, terms, item.kind, item.received_at, suspensions=item.suspensions)


def recalculate(
    items: Iterable[OpenItem],
    calendar: BusinessCalendar,
    terms: TermTable,
    new_closures: Iterable[Closure],
) -> list[DueChange]:
    """Due dates that differ between `calendar` and the same calendar with `new_closures`, in input order."""
    changed = calendar.with_closures(new_closures)
    changes: list[DueChange] = []
    for item in items:
        old, new = due_for(calendar, terms, item), due_for(changed, terms, item)
        if old is not None and new is not None and old.value != new.value:
            changes.append(DueChange(item.id, old, new))
    return changes
