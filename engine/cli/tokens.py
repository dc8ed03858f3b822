"""`phva users tokens|revoke`: the API tokens of a user, listed and revoked (only their hashes are stored)."""

from __future__ import annotations

import click

from engine.cli.base import actor, context, emit, handled, json_option
from engine.cli.users import users_group
from engine.identity import users


@users_group.command("tokens", help="Lista los tokens de la API de un usuario, con su vencimiento.")
@click.argument("name")
@json_option
@handled
def users_tokens(name: str, as_json: bool) -> None:
    rows = [
        {
            "id": t.id,
            "created_at": t.created_at.isoformat(),
            "expires_at": t.expires_at.isoformat() if t.expires_at else None,
            "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
        }
        for t in users.list_tokens(context(), name)
    ]
    emit(
        rows,
        as_json,
        lambda rs: [f"{r['id']:>6}  emitido {r['created_at']}  vence {r['expires_at']}" for r in rs],
    )


@users_group.command("revoke", help="Revoca un token de la API por su número (ver 'phva users tokens').")
@click.argument("token_id", type=click.IntRange(1, 2**63 - 1))
@handled
def users_revoke(token_id: int) -> None:
    users.revoke_token(context(), token_id, actor=actor())
    click.echo(f"Token {token_id} revocado.")
