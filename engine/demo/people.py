"""The demo's staff: two funcionarios per dependencia (the approver of an answer is never its drafter), a
supervisor and an analyst, all with one shared password kept beside the admin's."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from engine.context import Context
from engine.identity import users

PASSWORD_FILE = "demo-password.txt"
# dependencia → (drafter, approver): display names of a mid-sized alcaldía's staff
STAFF = {
    "atencion_ciudadano": ("Ana Rojas", "Carlos Mejía"),
    "dependencias": ("Jorge Pardo", "Lucía Fernández"),
    "juridica": ("Laura Gómez", "Andrés Salazar"),
    "secretaria_general": ("Pedro Lozano", "Beatriz Acosta"),
    "planeacion": ("Diana Cruz", "Mauricio León"),
    "talento_humano": ("Rosa Quintero", "Felipe Arango"),
    "comunicaciones": ("Camilo Ortiz", "Valentina Ríos"),
    "control_interno": ("Marta Ríos", "Hernán Duarte"),
    "alta_direccion": ("Gustavo Peña", "Elena Cárdenas"),
    "supervision": ("Sofía Vargas", "Ricardo Mora"),
}
ANALYST = ("analista", "Paula Herrera")


@dataclass(frozen=True)
class Staff:
    by_group: dict[str, tuple[str, str]]  # dependencia → (first user, second user)
    analyst: str
    password: str

    def users(self) -> list[str]:
        return [name for pair in self.by_group.values() for name in pair] + [self.analyst]


def username(display: str) -> str:
    first, last = display.lower().split()[:2]
    return f"{first}.{last}".translate(str.maketrans("áéíóúñ", "aeioun"))


def ensure_staff(ctx: Context) -> Staff:
    """Create the demo users that do not exist yet; an existing one keeps its password."""
    secret = ctx.settings.instance_dir / PASSWORD_FILE
    password = _password(secret)
    existing = {u.username for u in users.list_users(ctx)}
    by_group: dict[str, tuple[str, str]] = {}
    for group, names in STAFF.items():
        pair = (username(names[0]), username(names[1]))
        roles = "supervisor" if group == "supervision" else "funcionario"
        for name, display in zip(pair, names, strict=True):
            if name not in existing:
                users.add_user(ctx, name, password=password, roles=roles, groups=group, display_name=display,
                               actor="demo")  # fmt: skip
        by_group[group] = pair
    if ANALYST[0] not in existing:
        users.add_user(ctx, ANALYST[0], password=password, roles="analista", groups="planeacion",
                       display_name=ANALYST[1], actor="demo")  # fmt: skip
    return Staff(by_group, ANALYST[0], password)


def _password(secret: Path) -> str:
    if secret.exists():
        return secret.read_text().strip()
    password = secrets.token_urlsafe(9)
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text(password + "\n")
    secret.chmod(0o600)
    return password
