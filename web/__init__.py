"""The web app: staff pages, the JSON API and (to come) supervision, portal and modelling, over `engine`."""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Loaded when first asked for (`flask --app web`, `from web import create_app`), so `phva timers` need not.
    if name == "create_app":
        from web.app import create_app

        return create_app
    raise AttributeError(name)
