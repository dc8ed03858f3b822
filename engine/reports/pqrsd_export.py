"""The informe de PQRSD as blocks (title, columns, rows) and from them every format: CSV, XLSX (one sheet per
block, numbers as numbers), HTML (the page's body and the printed document) with the SVG charts, and PDF."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from engine.reports import charts
from engine.reports.pqrsd_model import PqrsdReport
from engine.reports.printing import print_pdf

Cell = str | int | float | None
TIMELINESS = {
    "respondidas_a_tiempo": "Respondidas a tiempo",
    "respondidas_tarde": "Respondidas fuera de término",
    "abiertas_en_termino": "Abiertas dentro del término",
    "abiertas_vencidas": "Abiertas vencidas",
    "abiertas_suspendidas": "Abiertas con el término suspendido (requerimiento)",
    "terminadas_sin_respuesta": "Terminadas sin respuesta (traslado, desistimiento, archivo)",
}
MANAGEMENT = {
    "prorrogas": "Prórrogas (art. 14 par.)",
    "casos_con_requerimiento": "PQRSD con requerimiento (art. 17)",
    "requerimientos": "Requerimientos (art. 17)",
    "desistimientos_tacitos": "Desistimientos tácitos (art. 17)",
    "desistimientos_expresos": "Desistimientos expresos (art. 18)",
    "archivos": "Archivadas (art. 19)",
    "traslados": "Traslados por competencia (art. 21)",
    "traslados_a_tiempo": "Traslados dentro de los 5 días",
}
COUNTER = {
    "emitidos": "Turnos emitidos",
    "atendidos": "Turnos atendidos",
    "abandonados": "Turnos abandonados",
    "dentro_del_estandar": "Atendidos dentro del estándar",
    "espera_promedio_min": "Espera promedio (min)",
    "atencion_promedio_min": "Atención promedio (min)",
    "tasa_abandono": "Tasa de abandono (%)",
    "estandar_minutos": "Estándar de espera (min)",
}
COUNT_BLOCKS = {
    "por_tipologia": "Por tipología",
    "por_canal": "Por canal",
    "por_dependencia": "Por dependencia",
    "por_tipo_peticionario": "Por tipo de peticionario",
    "por_enfoque_diferencial": "Por enfoque diferencial",
    "por_territorio": "Por territorio",
    "temas": "Temas más recurrentes",
}


@dataclass(frozen=True)
class Block:
    key: str
    title: str  # also the XLSX sheet's name (at most 31 characters)
    columns: tuple[str, ...]
    rows: Sequence[tuple[Cell, ...]]
    note: str = ""


def _yes(value: bool | None) -> str:
    return "—" if value is None else ("Sí" if value else "No")


def blocks(report: PqrsdReport) -> list[Block]:
    d = report.to_dict()
    t = d["totales"]
    summary = [
        ("Entidad", d["entidad"]),
        ("Periodo", f"{d['periodo']['desde']} a {d['periodo']['hasta']} ({d['periodo']['dias']} días)"),
        ("Dependencia", d["dependencia"] or "Toda la entidad"),
        ("PQRSD recibidas", t["recibidas"]),
        (f"Periodo anterior ({d['periodo_anterior']['desde']} a {d['periodo_anterior']['hasta']})",
         t["periodo_anterior"]),
        ("Variación", t["variacion"]),
        ("Variación (%)", t["variacion_pct"]),
        ("Anuladas (no se cuentan)", t["anuladas"]),
        *[("Método", line) for line in d["metodo"]],
    ]  # fmt: skip
    result = [
        Block("resumen", "Resumen", ("Concepto", "Valor"), summary),
        Block(
            "indicadores",
            "Indicadores",
            ("Indicador", "Fórmula", "Numerador", "Valor numerador", "Denominador", "Valor denominador",
             "Resultado (%)", "Meta (%)", "Cumple la meta"),
            [(i.name, i.formula, i.numerator_label, i.numerator, i.denominator_label, i.denominator, i.value,
              i.meta, _yes(i.meets_goal)) for i in report.indicators],
        ),
    ]  # fmt: skip
    for key, title in COUNT_BLOCKS.items():
        result.append(Block(key, title, ("Concepto", "PQRSD"), [(c["nombre"], c["total"]) for c in d[key]]))
    result += [
        Block("oportunidad", "Oportunidad", ("Estado al corte", "PQRSD"),
              [(TIMELINESS[k], v) for k, v in d["oportunidad"].items()]),
        Block("tiempos", "Tiempos de respuesta", ("Tipología", "Respondidas", "Promedio (días hábiles)",
                                                  "p90 (días hábiles)"),
              [(r["nombre"], r["respondidas"], r["promedio_dias_habiles"], r["p90_dias_habiles"])
               for r in d["tiempos_respuesta"]]),
        Block("gestion", "Gestión legal", ("Concepto", "PQRSD"), [(MANAGEMENT[k], v) for k, v in d["gestion"].items()]),
        Block("traslados", "Traslados", ("Entidad destino", "Trasladadas", "Dentro de término"),
              [(r["entidad"], r["total"], r["a_tiempo"]) for r in d["traslados"]]),
        _access_block(d["acceso_informacion"]),
        Block("denuncias", "Denuncias", ("Concepto", "Valor"),
              [("Denuncias recibidas", d["denuncias"]["recibidas"]), ("Respondidas", d["denuncias"]["respondidas"]),
               ("Trasladadas", d["denuncias"]["trasladadas"]),
               *[(f"Enviadas a {r['entidad']}", r["total"]) for r in d["denuncias"]["destinos"]]]),
        Block("calidad", "Calidad", ("Criterio", "Cumplen", "Porcentaje"),
              [("Respuestas evaluadas", d["calidad"]["evaluadas"], None),
               ("Cumplen los cinco criterios", d["calidad"]["cumplen_todos"], None),
               *[(c["nombre"], c["cumplen"], c["porcentaje"]) for c in d["calidad"]["criterios"]]]),
        Block("satisfaccion", "Satisfacción", ("Calificación", "Encuestas"),
              [("Encuestas válidas", d["satisfaccion"]["encuestas_validas"]),
               ("Promedio (1 a 5)", d["satisfaccion"]["promedio"]),
               *[(f"{r['calificacion']} — {r['nombre']}", r["total"]) for r in d["satisfaccion"]["por_calificacion"]],
               *[(f"Origen: {r['origen']}", r["total"]) for r in d["satisfaccion"]["por_origen"]]]),
        Block("canal_presencial", "Canal presencial", ("Concepto", "Valor"),
              [(COUNTER[k], d["canal_presencial"][k]) for k in COUNTER]),
        Block("recomendaciones", "Recomendaciones", ("Radicado", "Recibida", "Sugerencia", "Detalle", "Estado"),
              [(r["radicado"], r["received_at"][:10], r["asunto"], r["descripcion"], r["estado"].replace("_", " "))
               for r in d["recomendaciones"]],
              note="Las sugerencias recibidas en el periodo, como recomendaciones para la oferta institucional."),
        Block("acciones_mejora", "Acciones de mejora", ("Proceso", "Clave", "Estado", "Abierta", "Cerrada",
                                                        "Indicador", "Valor", "Meta", "Tareas abiertas"),
              [(a["id"], a["clave"], a["estado"], a["abierta"], a["cerrada"], a["indicador"], a["valor"], a["meta"],
                "; ".join(a["tareas_abiertas"])) for a in d["acciones_mejora"]],
              note="Acciones de mejora (proceso accion_mejora) abiertas en el periodo y las anteriores aún abiertas."),
    ]  # fmt: skip
    return result


def _access_block(a: dict[str, Any]) -> Block:
    rows: list[tuple[Cell, ...]] = [
        ("a) Solicitudes recibidas", None, None, a["recibidas"]),
        ("b) Trasladadas a otra entidad", None, None, a["trasladadas"]),
        ("c) Tiempo promedio de respuesta (días hábiles)", None, None, a["promedio_dias_habiles"]),
        ("d) Solicitudes en que se negó el acceso", None, None, a["negadas"]),
    ]
    for r in a["solicitudes"]:
        rows.append(
            (
                r["radicado"],
                r["recibida"],
                r["respondida"] or r["estado"].replace("_", " "),
                r["dias_habiles"],
            )
        )
    return Block("acceso_informacion", "Acceso a la información", ("Concepto o radicado", "Recibida",
                                                                  "Respondida", "Valor o días hábiles"), rows,
                 note="Decreto 103 de 2015, art. 52: recibidas, trasladadas, tiempo de respuesta de cada una y negadas.")  # fmt: skip


def report_charts(report: PqrsdReport) -> list[charts.Chart]:
    d = report.to_dict()
    return [
        charts.against_goals(
            "Indicadores frente a su meta", [(i.name, i.value, i.meta) for i in report.indicators]
        ),
        charts.bars("PQRSD por tipología", [(c["nombre"], c["total"]) for c in d["por_tipologia"]]),
        charts.bars("PQRSD por canal", [(c["nombre"], c["total"]) for c in d["por_canal"]]),
        charts.bars("Oportunidad al corte", [(TIMELINESS[k], v) for k, v in d["oportunidad"].items()]),
        charts.bars(
            "Tiempo promedio de respuesta por tipología",
            [(r["nombre"], r["promedio_dias_habiles"] or 0) for r in d["tiempos_respuesta"]],
            unit="días hábiles",
        ),
        charts.bars(
            "Encuestas de satisfacción por calificación",
            [
                (f"{r['calificacion']} — {r['nombre']}", r["total"])
                for r in d["satisfaccion"]["por_calificacion"]
            ],
        ),
    ]


# ---- CSV and XLSX ----------------------------------------------------------------------------------------
def _safe(value: Cell) -> Cell:
    """No formula runs when a spreadsheet opens a text that starts like one."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def to_csv(report: PqrsdReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for block in blocks(report):
        writer.writerow([block.title])
        writer.writerow(block.columns)
        for row in block.rows:
            writer.writerow(["" if v is None else _safe(v) for v in row])
        writer.writerow([])
    return "\ufeff" + out.getvalue()  # BOM: spreadsheets open UTF-8 right


def to_xlsx(report: PqrsdReport) -> bytes:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    bold = Font(bold=True)
    for block in blocks(report):
        sheet = book.create_sheet(block.title[:31])
        sheet.append(list(block.columns))
        for cell in sheet[1]:
            cell.font = bold
        for row in block.rows:
            sheet.append([_safe(v) for v in row])
        if block.note:
            sheet.append([])
            sheet.append([block.note])
        for index, column in enumerate(block.columns, start=1):
            width = max([len(column), *(len(str(r[index - 1] or "")) for r in block.rows)])
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(max(width + 2, 10), 60)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ---- HTML and PDF ----------------------------------------------------------------------------------------
def _cell(value: Cell) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".").replace(",", " ").replace(".", ",")
    if isinstance(value, int):
        return f"{value:,}".replace(",", " ")
    return escape(value)


def _table(block: Block) -> str:
    numeric = [
        all(isinstance(r[i], int | float) or r[i] is None for r in block.rows)
        for i in range(len(block.columns))
    ]
    head = "".join(
        f'<th scope="col"{" class=num" if n else ""}>{escape(c)}</th>'
        for c, n in zip(block.columns, numeric, strict=True)
    )
    body = (
        "".join(
            "<tr>"
            + "".join(
                f"<td{' class=num' if n else ''}>{_cell(v)}</td>" for v, n in zip(row, numeric, strict=True)
            )
            + "</tr>"
            for row in block.rows
        )
        or f'<tr><td colspan="{len(block.columns)}" class="muted">Sin registros en el periodo.</td></tr>'
    )
    note = f'<p class="muted">{escape(block.note)}</p>' if block.note else ""
    return (f'<section class="report-block" id="bloque-{block.key}"><h2>{escape(block.title)}</h2>{note}'
            f'<div class="table-wrap" tabindex="0" role="region" aria-label="Tabla: {escape(block.title)}"><table class="report-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div></section>")  # fmt: skip


def body_html(report: PqrsdReport) -> str:
    """The report's content (charts and one table per block): the page shows it, the PDF prints it."""
    figures = "".join(
        f'<figure class="report-chart">{c.svg}<figcaption>{escape(c.title)}</figcaption></figure>'
        for c in report_charts(report)
    )
    return f'<div class="report-charts">{figures}</div>' + "".join(_table(b) for b in blocks(report))


PRINT_STYLE = """body{font-family:"DejaVu Sans",Arial,sans-serif;margin:1.5rem;color:#1b1f24;font-size:11pt}
h1{font-size:16pt;margin:0 0 .25rem}h2{font-size:12.5pt;margin:1.25rem 0 .4rem}
.report-charts{display:grid;grid-template-columns:1fr 1fr;gap:.75rem;align-items:start}.report-chart{margin:0;break-inside:avoid}
.report-chart figcaption{font-size:9pt;color:#4a5360}.report-table{border-collapse:collapse;width:100%;font-size:9.5pt}
.report-table th,.report-table td{border:1px solid #8a919c;padding:.25rem .4rem;text-align:left;vertical-align:top}
.report-table th{background:#e8eef5}.num{text-align:right}.muted{color:#4a5360}
.report-block{break-inside:avoid-page}@page{size:A4;margin:14mm}"""


def document_html(report: PqrsdReport) -> str:
    period = report.period
    scope = f" — {escape(report.dependencia)}" if report.dependencia else ""
    return (
        '<!DOCTYPE html>\n<html lang="es-CO"><head><meta charset="utf-8">'
        f"<title>Informe de PQRSD {period.start.isoformat()} a {period.end.isoformat()}</title>"
        f"<style>{PRINT_STYLE}</style></head><body>"
        f"<h1>Informe de PQRSD: {escape(report.entity)}{scope}</h1>"
        f'<p class="muted">Periodo del {period.start.isoformat()} al {period.end.isoformat()} · '
        f"{escape(report.method[-1])}</p>"  # the cut-off, in the entity's time
        f"{body_html(report)}</body></html>\n"
    )


def to_pdf(report: PqrsdReport) -> bytes:
    with TemporaryDirectory() as folder:
        target = Path(folder) / "informe.pdf"
        print_pdf(document_html(report), target)
        return target.read_bytes()


def file_name(report: PqrsdReport, extension: str) -> str:
    scope = f"-{report.dependencia}" if report.dependencia else ""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in scope)
    return (
        f"informe-pqrsd-{report.period.start.isoformat()}-a-{report.period.end.isoformat()}{safe}.{extension}"
    )
