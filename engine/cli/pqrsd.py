"""`phva pqrsd …`: radicar, consultar and the editable term table."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from engine.cli.base import actor, cli, context, emit, handled, json_option
from engine.legal.explanation import fecha_larga
from engine.legal.inputs import parse_days
from engine.legal.typed import parse_day, parse_unit
from engine.pqrsd import case_actions, term_table
from engine.pqrsd import radicacion as pqrsd_service
from engine.pqrsd.filing import CHANNELS, DOCUMENT_TYPES, PETITIONER_TYPES, PRIORITIES


@cli.group("pqrsd", help="Peticiones, quejas, reclamos, sugerencias y denuncias (Ley 1755 de 2015).")
def pqrsd_group() -> None:
    pass


@pqrsd_group.command(
    "radicar", help="Radica una PQRSD: asigna el radicado, calcula el vencimiento e inicia el proceso."
)
@click.option(
    "--tipo", "kind", required=True, help="Tipo (peticion_general, queja, consulta…; ver `pqrsd terms`)."
)
@click.option(
    "--recibido",
    metavar="FECHA",
    help="Fecha y hora de recibo: dd/mm/aaaa [hh:mm] o ISO (por defecto, ahora).",
)
@click.option(
    "--canal", default="presencial_ventanilla", show_default=True, help=f"Canal: {', '.join(CHANNELS)}."
)
@click.option("--anonimo", is_flag=True, help="Peticionario anónimo.")
@click.option("--prioridad", default="normal", show_default=True, help=", ".join(PRIORITIES))
@click.option("--tipo-peticionario", help=", ".join(PETITIONER_TYPES))
@click.option("--nombre", help="Nombre del peticionario (obligatorio salvo --anonimo).")
@click.option("--tipo-documento", help=", ".join(DOCUMENT_TYPES))
@click.option("--documento", help="Número de documento.")
@click.option("--correo", help="Correo electrónico para notificaciones.")
@click.option("--telefono")
@click.option("--direccion")
@click.option("--asunto", required=True)
@click.option("--descripcion", required=True, help="Objeto y razones de la petición.")
@click.option("--autoriza-notificacion", is_flag=True, help="Autoriza notificación electrónica (Ley 1581).")
@click.option("--reserva-identidad", is_flag=True, help="Denunciante con reserva de identidad.")
@click.option("--explain", is_flag=True, help="Explica el cálculo del vencimiento.")
@json_option
@handled
def radicar_command(kind: str, recibido: str | None, canal: str, anonimo: bool, prioridad: str,
                    tipo_peticionario: str | None, nombre: str | None, tipo_documento: str | None,
                    documento: str | None, correo: str | None, telefono: str | None, direccion: str | None,
                    asunto: str, descripcion: str, autoriza_notificacion: bool, reserva_identidad: bool,
                    explain: bool, as_json: bool) -> None:  # fmt: skip
    raw = {"tipo": kind, "fecha_recibo": recibido, "canal": canal, "anonimo": anonimo, "prioridad": prioridad,
           "tipo_peticionario": tipo_peticionario, "nombre": nombre, "tipo_documento": tipo_documento,
           "numero_documento": documento, "correo": correo, "telefono": telefono, "direccion": direccion,
           "asunto": asunto, "descripcion": descripcion, "autoriza_notificacion_electronica": autoriza_notificacion,
           "reserva_identidad": reserva_identidad}  # fmt: skip
    record = pqrsd_service.file_pqrsd(context(), raw, actor=actor())
    emit(record, as_json, lambda r: _case_lines(r, explain))
    if record.get("process_error"):
        click.echo(f"Aviso: el proceso pqrsd quedó con un incidente: {record['process_error']}", err=True)


@pqrsd_group.command("consultar", help="Muestra una PQRSD por su radicado.")
@click.argument("radicado")
@click.option("--explain", is_flag=True, help="Explica el cálculo del vencimiento.")
@json_option
@handled
def consultar_command(radicado: str, explain: bool, as_json: bool) -> None:
    emit(pqrsd_service.consultar(context(), radicado), as_json, lambda r: _case_lines(r, explain))


def _case_lines(record: dict[str, Any], explain: bool) -> list[str]:
    due = record["due_date"]
    lines = [
        f"Radicado: {record['radicado']}",
        f"Fecha de vencimiento: {due} ({fecha_larga(date.fromisoformat(due))}, 23:59:59)" if due
        else "Fecha de vencimiento: suspendida (art. 17 CPACA, esperando al peticionario)",
        f"Tipo: {record['kind']} · canal: {record['channel']} · estado: {record['status']}",
        f"Recibida: {record['received_at']} · radicación: {record['radicacion_date']}",
        f"Código de consulta: {record['codigo_consulta']}",
    ]  # fmt: skip
    if record.get("instance_id"):
        lines.append(f"Proceso pqrsd: instancia {record['instance_id']}")
    if explain:
        lines += record["explanation"]
    return lines


@pqrsd_group.group("terms", invoke_without_command=True, help="Tabla de términos legales (versionada).")
@click.option("--version", "version", metavar="N", help="Una versión anterior de la tabla.")
@click.option("--all", "show_all", is_flag=True, help="Incluye filas que ya no están vigentes.")
@json_option
@click.pass_context
@handled
def terms_group(click_ctx: click.Context, version: str | None, show_all: bool, as_json: bool) -> None:
    if click_ctx.invoked_subcommand is not None:
        return
    number = parse_days(version) if version is not None else None
    table = term_table.terms(context(), number)
    if not show_all and not as_json:
        table = {**table, "rows": [r for r in table["rows"] if r["valid_to"] is None]}
    emit(table, as_json, _terms_lines)


def _terms_lines(table: dict[str, Any]) -> list[str]:
    head = f"Tabla de términos versión {table['version'] or 'incorporada'} ({table['fingerprint']}): {table['note']}"
    lines = [head]
    for r in table["rows"]:
        until = f" hasta {r['valid_to']}" if r["valid_to"] else ""
        extra = f", prórroga hasta {r['prorroga_max']}" if r["prorroga_max"] is not None else ""
        lines.append(f"  {r['kind']:<36} {r['amount']:>3} {r['unit']:<10} desde {r['valid_from']}{until}{extra}"
                     f" — {r['legal_basis']}")  # fmt: skip
    return lines


@terms_group.command("set", help="Crea una versión nueva de la tabla con el término de un tipo cambiado.")
@click.argument("kind", metavar="TIPO")
@click.option("--days", "amount", required=True, metavar="N", help="Término (en la unidad indicada).")
@click.option("--unit", help="habiles | calendario | meses | horas (por defecto, la actual).")
@click.option("--from", "valid_from", metavar="FECHA", help="Vigente desde (por defecto, hoy).")
@click.option("--basis", "legal_basis", help="Fundamento legal.")
@click.option("--label", help="Nombre del tipo.")
@click.option("--prorroga-max", metavar="N", help="Término total máximo con prórroga.")
@click.option("--note", help="Motivo del cambio (queda en la versión y en la auditoría).")
@json_option
@handled
def terms_set(kind: str, amount: str, unit: str | None, valid_from: str | None, legal_basis: str | None,
              label: str | None, prorroga_max: str | None, note: str | None, as_json: bool) -> None:  # fmt: skip
    table = term_table.set_term(
        context(), kind.strip(), parse_days(amount), unit=parse_unit(unit) if unit else None,
        valid_from=parse_day(valid_from) if valid_from else None, legal_basis=legal_basis, label=label,
        prorroga_max=parse_days(prorroga_max) if prorroga_max else None, note=note, actor=actor(),
    )  # fmt: skip
    emit(table, as_json, lambda t: [f"Tabla de términos versión {t['version']}: {t['note']}."])


@terms_group.command("versions", help="Lista las versiones de la tabla de términos.")
@json_option
@handled
def terms_versions(as_json: bool) -> None:
    rows = term_table.term_versions(context())
    emit(rows, as_json, lambda rs: [f"{r['version']:>3}  {r['created_at'][:10]}  {r['created_by'] or '-'}  {r['note']}"
                                    for r in rs])  # fmt: skip


# ---- legal actions: one command each, the same service as POST /api/v1/pqrsd/{radicado}/<acción> ----------
_ACTION_OPTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "requerimiento": (("--faltantes", "Qué información o documentos faltan (art. 17)."),
                      ("--fecha", "Cuándo se requirió (por defecto, ahora).")),
    "reanudar": (("--fecha", "Cuándo completó la petición el peticionario."), ("--nota", "Qué aportó.")),
    "prorrogar": (("--motivo", "Motivos de la demora (art. 14 par.)."), ("--nueva-fecha", "Nueva fecha (dd/mm/aaaa)."),
                  ("--fecha-aviso", "Cuándo se comunicó la prórroga.")),
    "trasladar": (("--entidad", "Entidad competente (art. 21)."), ("--oficio", "Radicado del oficio remisorio."),
                  ("--fecha", "Cuándo se trasladó.")),
    "desistir": (("--motivo", "Motivo del desistimiento."), ("--acto", "Acto administrativo."),
                 ("--fecha", "Cuándo.")),
    "archivar": (("--motivo", "Motivo del archivo (art. 19)."), ("--fecha", "Cuándo.")),
    "responder": (("--medio", "Medio de envío de la respuesta."), ("--radicado-salida", "Radicado de salida."),
                  ("--fecha", "Cuándo se envió.")),
}  # fmt: skip
_ACTION_HELP = {
    "requerimiento": "Requiere al peticionario (art. 17): suspende el término.",
    "reanudar": "Registra que el peticionario completó la petición: el término se reanuda.",
    "prorrogar": "Prorroga el término una vez, antes de vencer, hasta el doble (art. 14 par.).",
    "trasladar": "Traslada a la entidad competente (art. 21): la PQRSD queda trasladada.",
    "desistir": "Registra el desistimiento (expreso; --tacito tras un requerimiento sin respuesta).",
    "archivar": "Archiva una petición oscura no aclarada (art. 19).",
    "responder": "Registra el envío de la respuesta: medio, radicado de salida y fecha.",
}


def _action_command(action: str) -> None:
    @pqrsd_group.command(action, help=_ACTION_HELP[action])
    @click.argument("radicado")
    @json_option
    @handled
    def command(radicado: str, as_json: bool, **options: Any) -> None:
        raw = {name: value for name, value in options.items() if value not in (None, False)}
        record = case_actions.act(context(), radicado, action, raw, actor())
        emit(record, as_json, lambda r: _case_lines(r, False))

    for flag, text in reversed(_ACTION_OPTIONS[action]):
        command = click.option(flag, flag.removeprefix("--").replace("-", "_"), help=text)(command)
    if action == "desistir":
        command = click.option("--tacito", is_flag=True, help="Desistimiento tácito (art. 17).")(command)


for _action in _ACTION_OPTIONS:
    _action_command(_action)
