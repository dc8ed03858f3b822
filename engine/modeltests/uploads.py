"""Model tests sent from the model page with the files they test, run before anything is deployed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.identity.users import UserView
from engine.modeltests import runner, spec
from engine.workflow.model_pages import check_analyst


def run_uploaded(user: UserView, name: str, raw: bytes, files: Mapping[str, bytes]) -> dict[str, Any]:
    check_analyst(user)
    result = runner.run_file(spec.load_uploaded(name, raw, files))
    return {**result.to_dict(), "file": name, "lines": list(result.lines())}
