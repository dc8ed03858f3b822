"""The request's engine context and signed-in user, for views and templates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import current_app
from flask_login import current_user
from flask_login import login_required as _login_required

from engine.context import Context
from engine.identity.users import UserView

View = TypeVar("View", bound=Callable[..., Any])


def login_required(view: View) -> View:
    """flask-login's decorator with its type kept (flask-login ships no type hints)."""
    return cast(View, _login_required(view))


def ctx() -> Context:
    found = current_app.extensions["phva"]
    assert isinstance(found, Context)
    return found


def me() -> UserView:
    view = getattr(current_user, "view", None)
    assert isinstance(view, UserView), "page needs a signed-in user"
    return view
