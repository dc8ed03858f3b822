"""`phva users`: accounts, roles, dependencias, API tokens and passwords."""

from __future__ import annotations

import click

from engine.cli.base import cli, context, emit, handled, json_option
from engine.identity import users


@cli.group("users", help="Usuarios, roles y dependencias.")
def users_group() -> None:
    pass


@users_group.command("add", help="Crea un usuario.")
@click.argument("name")
@click.option("--groups", default="", help="Dependencias separadas por comas.")
@click.option("--roles", default="funcionario", help="Roles: funcionario, supervisor, analista, admin.")
@click.option("--password", help="Contraseña (mínimo 8 caracteres).")
@click.option("--display-name")
@click.option("--email")
@json_option
@handled
def users_add(
    name: str,
    groups: str,
    roles: str,
    password: str | None,
    display_name: str | None,
    email: str | None,
    as_json: bool,
) -> None:
    view = users.add_user(
        context(), name, password=password, roles=roles, groups=groups, display_name=display_name, email=email
    )
    emit(view.to_dict(), as_json, lambda r: [f"Usuario '{r['username']}' creado."])


@users_group.command("list", help="Lista usuarios.")
@json_option
@handled
def users_list(as_json: bool) -> None:
    rows = [u.to_dict() for u in users.list_users(context())]
    emit(
        rows,
        as_json,
        lambda rs: [
            f"{r['username']:<20} roles={','.join(r['roles'])} dependencias={','.join(r['groups'])}"
            for r in rs
        ],
    )


@users_group.command("token", help="Emite un token para la API.")
@click.argument("name")
@handled
def users_token(name: str) -> None:
    click.echo(users.issue_token(context(), name))


@users_group.command("password", help="Cambia la contraseña de un usuario.")
@click.argument("name")
@click.password_option()
@handled
def users_password(name: str, password: str) -> None:
    users.set_password(context(), name, password)
    click.echo("Contraseña actualizada.")
