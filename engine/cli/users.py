"""`phva users`: accounts, roles, dependencias, API tokens and passwords."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from engine.cli.base import actor, cli, context, emit, handled, json_option
from engine.errors import BadInput
from engine.identity import dependencias, user_admin, users


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
@click.option("--create", is_flag=True, help="Crea las dependencias que no existan (si no, se rechazan).")
@json_option
@handled
def users_add(
    name: str,
    groups: str,
    roles: str,
    password: str | None,
    display_name: str | None,
    email: str | None,
    create: bool,
    as_json: bool,
) -> None:
    ctx = context()
    known = {d.code for d in dependencias.list_dependencias(ctx)}
    with _create_hint():
        view = users.add_user(ctx, name, password=password, roles=roles, groups=groups, display_name=display_name,
                              email=email, create_groups=create, actor=actor())  # fmt: skip
    created = [g for g in view.groups if g not in known]
    emit(
        view.to_dict(),
        as_json,
        lambda r: (
            [f"Usuario '{r['username']}' creado."]
            + ([f"Dependencias creadas: {', '.join(created)}."] if created else [])
        ),
    )


@contextmanager
def _create_hint() -> Iterator[None]:
    """An unknown group from the command line: say how to create it in passing."""
    try:
        yield
    except BadInput as error:
        if "groups" in error.details:
            error.message += " Para crearla con el usuario, repita con --create."
        raise


@users_group.command("set", help="Cambia dependencias, roles, nombre o correo de un usuario.")
@click.argument("name")
@click.option("--groups", help="Dependencias separadas por comas (reemplazan las actuales; '' ninguna).")
@click.option("--roles", help="Roles separados por comas (reemplazan los actuales).")
@click.option("--display-name")
@click.option("--email", help="Correo ('' lo quita).")
@click.option("--create", is_flag=True, help="Crea las dependencias que no existan.")
@json_option
@handled
def users_set(
    name: str,
    groups: str | None,
    roles: str | None,
    display_name: str | None,
    email: str | None,
    create: bool,
    as_json: bool,
) -> None:
    with _create_hint():
        view = user_admin.update_user(context(), name, groups=groups, roles=roles, display_name=display_name,
                                      email=email, create_groups=create, actor=actor())  # fmt: skip
    emit(view.to_dict(), as_json, lambda r: [f"Usuario '{r['username']}' actualizado."])


@users_group.command("deactivate", help="Desactiva un usuario: pierde el acceso en su próxima petición.")
@click.argument("name")
@json_option
@handled
def users_deactivate(name: str, as_json: bool) -> None:
    done = user_admin.set_user_active(context(), name, False, actor=actor())
    note = (
        f" Tiene {done.assigned_open_tasks} tarea(s) abierta(s) asignada(s): reasígnelas."
        if done.assigned_open_tasks
        else ""
    )
    emit(done.user.to_dict(), as_json, lambda r: [f"Usuario '{r['username']}' desactivado.{note}"])


@users_group.command("activate", help="Reactiva un usuario desactivado.")
@click.argument("name")
@json_option
@handled
def users_activate(name: str, as_json: bool) -> None:
    done = user_admin.set_user_active(context(), name, True, actor=actor())
    emit(done.user.to_dict(), as_json, lambda r: [f"Usuario '{r['username']}' reactivado."])


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


@users_group.command(
    "token", help="Emite un token para la API (vence en PHVA_TOKEN_DAYS días, 90 por defecto)."
)
@click.argument("name")
@click.option("--days", type=click.IntRange(1, 3650), help="Días de vigencia del token.")
@handled
def users_token(name: str, days: int | None) -> None:
    click.echo(users.issue_token(context(), name, days))


@users_group.command("password", help="Cambia la contraseña de un usuario (o genera una con --generate).")
@click.argument("name")
@click.option("--generate", is_flag=True, help="Genera una contraseña y la imprime una vez.")
@click.password_option(required=False, prompt_required=False)
@handled
def users_password(name: str, generate: bool, password: str | None) -> None:
    if not generate and password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    generated = user_admin.reset_password(context(), name, None if generate else password, actor=actor())
    click.echo(f"Contraseña nueva de '{name}': {generated}" if generated else "Contraseña actualizada.")
