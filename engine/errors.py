"""Errors every entry point (CLI, web, scheduler) maps to a user message and an exit/HTTP code."""

from __future__ import annotations

from collections.abc import Mapping


class PhvaError(Exception):
    """Base class: `message` is shown to the user (Spanish), `details` maps fields to messages."""

    exit_code = 1
    http_status = 400

    def __init__(self, message: str, details: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, str] = dict(details or {})


class BadInput(PhvaError):
    """The caller sent something invalid; nothing was written."""

    exit_code = 2
    http_status = 400


class ValidationFailed(BadInput):
    """Submitted data failed its form: `details` holds one message per field."""

    http_status = 422


class PayloadTooLarge(BadInput):
    """An upload is over the configured size limit; `details` names the field."""

    http_status = 413


class NotFound(PhvaError):
    exit_code = 2
    http_status = 404


class Forbidden(PhvaError):
    exit_code = 1
    http_status = 403


class Conflict(PhvaError):
    """Someone else changed the same thing first (optimistic lock, task no longer ready)."""

    exit_code = 1
    http_status = 409


class IncidentRaised(PhvaError):
    """The engine hit an error running the model; the instance is marked with an incident."""

    exit_code = 1
    http_status = 409


class DatabaseNotReady(PhvaError):
    """The schema is missing or old: `phva init` creates or upgrades it."""

    exit_code = 1
    http_status = 503
