"""The caracterización de proceso (format of the entities' published sheets) of a deployed process, as md or html.

Read from the BPMN sources stored with the latest deployed version of the process and of every process it
calls: the documented process is the executed one.
"""

from __future__ import annotations

from html import escape

from sqlalchemy import select

from engine.context import Context
from engine.errors import NotFound
from engine.modeling.caracterizacion import PHVA_NAMES, Caracterizacion, ProcessNotFound, Row, build, by_phva
from engine.store.definitions import definition_sources
from engine.store.tables import ProcessDefinition
from engine.store.uow import UnitOfWork

COLUMNS = ("Proveedor", "Entradas", "PHVA", "Actividades", "Salidas", "Usuarios / clientes")


def caracterizacion(ctx: Context, key: str, version: int | None = None) -> Caracterizacion:
    """`version`: that version of `key` (the processes it calls: their latest); None: the latest of each."""
    with UnitOfWork(ctx.db, write=False) as uow:
        session = uow.session
        cache: dict[str, list[bytes] | None] = {}

        def sources(process_key: str) -> list[bytes] | None:
            if process_key not in cache:
                query = select(ProcessDefinition.id).where(ProcessDefinition.key == process_key)
                if version is not None and process_key == key:
                    query = query.where(ProcessDefinition.version == version)
                definition_id = session.scalar(query.order_by(ProcessDefinition.version.desc()).limit(1))
                stored = None if definition_id is None else definition_sources(session, definition_id)
                cache[process_key] = (
                    None
                    if stored is None
                    else [str(s["content"]).encode() for s in stored if str(s["name"]).endswith(".bpmn")]
                )
            return cache[process_key]

        try:
            return build(key, sources)
        except ProcessNotFound as missing:
            if version is not None and missing.args[0] == key:
                raise NotFound(f"No existe la versión {version} del proceso '{key}'.") from missing
            raise NotFound(f"No hay un proceso desplegado con la clave '{missing.args[0]}'.") from missing


def _activity(row: Row) -> tuple[str, str]:
    return row.actividad, row.descripcion if row.descripcion and row.descripcion != row.actividad else ""


def to_markdown(sheet: Caracterizacion) -> str:
    def cell(text: str) -> str:
        return " ".join(text.replace("|", "\\|").split()) or "—"

    lines = [
        f"# Caracterización del proceso: {sheet.nombre}",
        "",
        "| | |",
        "|---|---|",
        f"| **Objetivo** | {cell(sheet.objetivo)} |",
        f"| **Alcance** | {cell(sheet.alcance)} |",
        f"| **Líder del proceso** | {cell(sheet.lider)} |",
        f"| **Etapas** | {cell('; '.join(sheet.etapas))} |",
        "",
        "## Descripción del proceso",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for row in by_phva(sheet.filas):
        name, text = _activity(row)
        activity = f"**{cell(name)}**" + (f": {cell(text)}" if text else "") + f" _({cell(row.etapa)})_"
        letter = f"{row.phva} ({PHVA_NAMES.get(row.phva, row.phva)})"
        lines.append(
            f"| {cell(row.proveedor)} | {cell(row.entradas)} | {letter} | {activity} | "
            f"{cell(row.salidas)} | {cell(row.cliente)} |"
        )
    for title, items in (("Indicadores", sheet.indicadores), ("Riesgos", sheet.riesgos)):
        lines += ["", f"## {title}", "", *[f"- {item}" for item in items or ["(no definidos en el modelo)"]]]
    return "\n".join(lines) + "\n"


STYLE = """body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;width:100%;margin:1rem 0;font-size:.85rem}
th,td{border:1px solid #777;padding:.35rem;vertical-align:top;text-align:left}
th{background:#e8eef5}td.phva{text-align:center;font-weight:bold}.etapa{color:#555;font-style:italic}
@media print{body{margin:0}tr{page-break-inside:avoid}}"""


def to_html(sheet: Caracterizacion) -> str:
    e = escape
    head = "".join(
        f"<tr><th>{label}</th><td>{e(value) or '—'}</td></tr>"
        for label, value in (
            ("Objetivo", sheet.objetivo),
            ("Alcance", sheet.alcance),
            ("Líder del proceso", sheet.lider),
            ("Etapas", "; ".join(sheet.etapas)),
        )
    )
    rows = []
    for row in by_phva(sheet.filas):
        name, text = _activity(row)
        activity = f"<strong>{e(name)}</strong>" + (f": {e(text)}" if text else "")
        rows.append(
            f"<tr><td>{e(row.proveedor)}</td><td>{e(row.entradas)}</td>"
            f'<td class="phva" title="{e(PHVA_NAMES.get(row.phva, row.phva))}">{e(row.phva)}</td>'
            f'<td>{activity} <span class="etapa">({e(row.etapa)})</span></td>'
            f"<td>{e(row.salidas)}</td><td>{e(row.cliente)}</td></tr>"
        )
    lists = "".join(
        f"<h2>{title}</h2><ul>"
        + "".join(f"<li>{e(item)}</li>" for item in items or ["(no definidos)"])
        + "</ul>"
        for title, items in (("Indicadores", sheet.indicadores), ("Riesgos", sheet.riesgos))
    )
    return (
        f'<!DOCTYPE html>\n<html lang="es-CO"><head><meta charset="utf-8">'
        f"<title>Caracterización: {e(sheet.nombre)}</title><style>{STYLE}</style></head><body>"
        f"<h1>Caracterización del proceso: {e(sheet.nombre)}</h1><table>{head}</table>"
        f"<h2>Descripción del proceso</h2><table><thead><tr>"
        + "".join(f"<th>{c}</th>" for c in COLUMNS)
        + f"</tr></thead><tbody>{''.join(rows)}</tbody></table>{lists}</body></html>\n"
    )
