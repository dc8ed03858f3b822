"""deployment sources stored once, versions by content (issues 13 and 15)

Every process row kept a copy of all its files (a 5,000-process file was stored 5,000 times). The files move
to deployment_sources, once per deployment and name; a process row keeps the names (source_files).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 00:00:00
"""

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

import engine.store.tables

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_definitions = sa.table(
    "process_definitions",
    sa.column("id", sa.Integer()),
    sa.column("deployment_id", sa.Integer()),
    sa.column("file", sa.String()),
    sa.column("sources", sa.JSON()),
    sa.column("source_files", sa.JSON()),
)
_sources = sa.table(
    "deployment_sources",
    sa.column("deployment_id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("content", sa.Text()),
    sa.column("content_hash", sa.String()),
)


def _loaded(value: Any) -> list[Any]:
    loaded = json.loads(value) if isinstance(value, str) else value
    return list(loaded or [])


def upgrade() -> None:
    op.create_table(
        "deployment_sources",
        sa.Column("id", engine.store.tables.Id, nullable=False),
        sa.Column("deployment_id", engine.store.tables.Id, nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_deployment_sources_deployment_id_deployments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployment_sources")),
        sa.UniqueConstraint("deployment_id", "name", name=op.f("uq_deployment_sources_deployment_id")),
    )
    # Plain ALTER TABLE (SQLite ≥ 3.35 drops columns in place): a batch copy of process_definitions would
    # trip the foreign keys of the instances that point at it.
    op.add_column(
        "process_definitions", sa.Column("source_files", sa.JSON(), server_default="[]", nullable=False)
    )
    connection = op.get_bind()
    stored: set[tuple[int, str]] = set()
    rows = connection.execute(
        sa.select(
            _definitions.c.id, _definitions.c.deployment_id, _definitions.c.file, _definitions.c.sources
        )
    ).all()
    for definition_id, deployment_id, file, sources in rows:
        names = []
        for source in _loaded(sources):
            name, content = str(source["name"]), str(source["content"])
            names.append(name)
            if (deployment_id, name) in stored:
                continue  # the same file of the same deployment, kept by an earlier process row
            stored.add((deployment_id, name))
            digest = hashlib.sha256(content.encode()).hexdigest()
            connection.execute(
                _sources.insert().values(
                    deployment_id=deployment_id, name=name, content=content, content_hash=digest
                )
            )
        names.sort(key=lambda n: (n != file, n))
        connection.execute(
            _definitions.update().where(_definitions.c.id == definition_id).values(source_files=names)
        )
    _drop_default("source_files")
    op.drop_column("process_definitions", "sources")


def downgrade() -> None:
    op.add_column("process_definitions", sa.Column("sources", sa.JSON(), server_default="[]", nullable=False))
    connection = op.get_bind()
    files: dict[tuple[int, str], str] = {
        (deployment_id, name): content
        for deployment_id, name, content in connection.execute(
            sa.select(_sources.c.deployment_id, _sources.c.name, _sources.c.content)
        ).all()
    }
    rows = connection.execute(
        sa.select(_definitions.c.id, _definitions.c.deployment_id, _definitions.c.source_files)
    ).all()
    for definition_id, deployment_id, names in rows:
        copies = [
            {"name": name, "content": files[(deployment_id, name)]}
            for name in sorted(_loaded(names))
            if (deployment_id, name) in files
        ]
        connection.execute(
            _definitions.update().where(_definitions.c.id == definition_id).values(sources=copies)
        )
    _drop_default("sources")
    op.drop_column("process_definitions", "source_files")
    op.drop_table("deployment_sources")


def _drop_default(column: str) -> None:
    # SQLite cannot drop a column default in place, and the models read no default anywhere.
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("process_definitions", column, server_default=None)
