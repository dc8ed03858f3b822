"""The acuse de recibo of a radicada PQRSD and the constancia of a verbal petition, as HTML and PDF.

Pure: a `CaseRecord` in, a printable document out; no database, no request. Both formats render the
same `Receipt`, so what the citizen reads on screen and on paper cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from engine.errors import BadInput
from engine.legal.explanation import fecha_larga
from engine.pqrsd.records import CaseRecord

KIND_LABELS = {
    "peticion_general": "Petición de interés general o particular",
    "peticion_interes_general": "Petición de interés general",
    "peticion_interes_particular": "Petición de interés particular",
    "informacion_documentos": "Solicitud de información o documentos",
    "copias": "Solicitud de copias",
    "acceso_informacion_1712": "Solicitud de acceso a información pública (Ley 1712 de 2014)",
    "consulta": "Consulta",
    "queja": "Queja",
    "reclamo": "Reclamo",
    "sugerencia": "Sugerencia",
    "denuncia": "Denuncia",
    "denuncia_corrupcion": "Denuncia por actos de corrupción",
    "felicitacion": "Felicitación",
    "habeas_data_consulta": "Consulta de datos personales (habeas data)",
    "habeas_data_reclamo": "Reclamo de datos personales (habeas data)",
    "peticion_entre_autoridades": "Petición entre autoridades",
    "congresista": "Petición de congresista",
    "informe_congresistas": "Informe solicitado por congresistas",
}
CHANNEL_LABELS = {
    "presencial_ventanilla": "Presencial, en ventanilla",
    "verbal_presencial": "Verbal, en persona",
    "telefonico": "Verbal, por teléfono",
    "correo_electronico": "Correo electrónico",
    "formulario_web": "Formulario web",
    "buzon": "Buzón",
    "correspondencia_fisica": "Correspondencia física",
    "redes_sociales": "Redes sociales",
    "chat": "Chat",
    "traslado_otra_entidad": "Traslado de otra entidad",
}
# Decreto 1166 de 2016: how the petitioner spoke, as the constancia states it (item 8).
VERBAL_CHANNELS = {"verbal_presencial": "en persona", "telefonico": "por teléfono"}
MONTHS_SHORT = (
    "ene.",
    "feb.",
    "mar.",
    "abr.",
    "may.",
    "jun.",
    "jul.",
    "ago.",
    "sept.",
    "oct.",
    "nov.",
    "dic.",
)
CONSULTA_HELP = (
    "Para seguir su petición, consulte el estado con el radicado y este código. "
    "Guárdelo y no lo comparta: con ambos datos se ve el estado de la petición."
)
NOT_THE_ANSWER = "Este documento certifica que la entidad recibió su petición; no es la respuesta."
DECRETO_1166 = "Decreto 1166 de 2016, compilado en el Decreto 1069 de 2015, art. 2.2.3.12.3"
# (regular, bold): DejaVu from Debian's fonts-dejavu-core (the Makefile installs it), else Liberation.
UNICODE_FONTS = (
    (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
     Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")),
    (Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
     Path("/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf")),
)  # fmt: skip
# Core PDF fonts only know Latin-1: Spanish letters, ¿ ¡ « » are in it; typographic dashes and quotes are not.
LATIN1_SUBSTITUTES = str.maketrans({"—": "-", "–": "-", "…": "...", "“": '"', "”": '"', "‘": "'", "’": "'"})

Encoder = Callable[[str], str]  # how text reaches the PDF font


@dataclass(frozen=True)
class Item:
    label: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Receipt:
    """What an acuse (or a constancia) says, before it becomes HTML or PDF."""

    entity: str
    title: str
    radicado: str
    items: tuple[Item, ...]
    due: str
    explanation: tuple[str, ...]
    codigo_consulta: str
    constancia: tuple[Item, ...] = ()  # the 8 items of Decreto 1166, empty on a plain acuse

    @property
    def document_title(self) -> str:
        return f"{self.title} — radicado {self.radicado} — {self.entity}"


# ---- public API -------------------------------------------------------------------------------
def is_verbal(record: CaseRecord) -> bool:
    return record["channel"] in VERBAL_CHANNELS


def acuse_html(
    record: CaseRecord, codigo_consulta: str, entity: str, *, timezone: str = "America/Bogota"
) -> str:
    return to_html(receipt(record, codigo_consulta, entity, timezone=timezone))


def acuse_pdf(
    record: CaseRecord, codigo_consulta: str, entity: str, *, timezone: str = "America/Bogota"
) -> bytes:
    return to_pdf(receipt(record, codigo_consulta, entity, timezone=timezone))


def receipt(
    record: CaseRecord,
    codigo_consulta: str,
    entity: str,
    *,
    official: str | None = None,
    documents: Sequence[str] = (),
    timezone: str = "America/Bogota",
) -> Receipt:
    """The acuse; with `official`, the constancia of a verbal petition (Decreto 1166) as well."""
    tz = ZoneInfo(timezone)
    received = fecha_hora(record["received_at"], tz)
    petitioner = "Anónimo" if record["anonymous"] else (record["petitioner_name"] or "No registrado")
    subject = record["subject"] or "(sin asunto)"
    items = (
        Item("Radicado", (record["radicado"],)),
        Item("Tipo", (kind_label(record),)),
        Item("Canal", (CHANNEL_LABELS.get(record["channel"], record["channel"]),)),
        Item("Fecha y hora de recibo", (received,)),
        Item("Fecha de radicación", (fecha_larga(date.fromisoformat(record["radicacion_date"])),)),
        Item("Peticionario", (petitioner,)),
        Item("Asunto", (subject,)),
    )
    constancia: tuple[Item, ...] = ()
    title = "Acuse de recibo"
    if official is not None:
        constancia = _constancia(record, received, official, documents)
        title = "Acuse de recibo y constancia de petición verbal"
    return Receipt(
        entity=entity, title=title, radicado=record["radicado"], items=items, due=_due_text(record, tz),
        explanation=tuple(record["explanation"]), codigo_consulta=codigo_consulta, constancia=constancia,
    )  # fmt: skip


# ---- contents ---------------------------------------------------------------------------------
def kind_label(record: CaseRecord) -> str:
    label = KIND_LABELS.get(record["kind"]) or record["term"].get("label")
    return str(label or record["kind"])


def fecha_hora(value: str, tz: ZoneInfo) -> str:
    """es-CO date and time as people write it here: 2 mar. 2026, 8:05 a. m."""
    moment = datetime.fromisoformat(value)
    local = moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)
    hour = local.hour % 12 or 12
    meridiem = "a. m." if local.hour < 12 else "p. m."
    return f"{local.day} {MONTHS_SHORT[local.month - 1]} {local.year}, {hour}:{local.minute:02d} {meridiem}"


def _due_text(record: CaseRecord, tz: ZoneInfo) -> str:
    if record["due_date"] is None:
        return (
            "Término suspendido: la entidad le pidió completar la petición (art. 17 CPACA); "
            "vuelve a correr cuando usted la complete."
        )
    text = fecha_larga(date.fromisoformat(record["due_date"]))
    if record["term"].get("unit") == "horas" and record["due_at"]:  # an hour term ends at an hour
        text += f", a las {fecha_hora(record['due_at'], tz).split(', ')[1]}"
    return text


def _constancia(
    record: CaseRecord, received: str, official: str, documents: Sequence[str]
) -> tuple[Item, ...]:
    """Decreto 1166 art. 2.2.3.12.3, items 1 to 8 in its order."""
    manner = VERBAL_CHANNELS.get(record["channel"])
    if manner is None:
        raise BadInput(
            "La constancia de petición verbal es para peticiones recibidas en persona o por teléfono; "
            f"esta llegó por el canal «{CHANNEL_LABELS.get(record['channel'], record['channel'])}»."
        )
    if not official.strip():
        raise BadInput("Falta el nombre del servidor público que recibió la petición verbal.")
    return (
        Item("Número de radicado", (record["radicado"],)),
        Item("Fecha y hora de recibo", (received,)),
        Item("Peticionario", _petitioner_lines(record)),
        Item("Objeto de la petición", (record["subject"] or "No se registró.",)),
        Item("Razones en que se fundamenta", (record["description"] or "No se registraron.",)),
        Item("Documentos que desea presentar", tuple(documents) or ("No se relacionaron documentos.",)),
        Item("Servidor público que la recibió", (official.strip(),)),
        Item("Presentación verbal", (
            f"La petición se presentó verbalmente, {manner}, y quedó radicada con el número "
            f"{record['radicado']}.",
        )),
    )  # fmt: skip


def _petitioner_lines(record: CaseRecord) -> tuple[str, ...]:
    if record["anonymous"]:
        return ("Anónimo: el peticionario no se identificó.",)
    document = " ".join(p for p in (record["document_type"], record["document_number"]) if p)
    lines = [
        f"Nombre: {record['petitioner_name'] or 'no registrado'}",
        f"Documento de identidad: {document or 'no registrado'}",
        f"Dirección física para la respuesta: {record['address'] or 'no suministrada'}",
        f"Correo electrónico para la respuesta: {record['email'] or 'no suministrado'}",
    ]
    if record["phone"]:
        lines.append(f"Teléfono: {record['phone']}")
    return tuple(lines)


# ---- HTML -------------------------------------------------------------------------------------
@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("engine.pqrsd", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def to_html(receipt: Receipt) -> str:
    return (
        _templates()
        .get_template("acuse.html")
        .render(
            receipt=receipt,
            consulta_help=CONSULTA_HELP,
            not_the_answer=NOT_THE_ANSWER,
            decreto_1166=DECRETO_1166,
        )
    )


# ---- PDF --------------------------------------------------------------------------------------
def to_pdf(receipt: Receipt) -> bytes:
    pdf = FPDF(format="A4")
    family, text = _fonts(pdf)
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_title(text(receipt.document_title))
    pdf.set_author(text(receipt.entity))
    pdf.set_creator("phva")
    pdf.set_lang("es-CO")
    pdf.add_page()

    pdf.set_font(family, "B", 12)
    _paragraph(pdf, text(receipt.entity))
    pdf.set_font(family, "B", 18)
    _paragraph(pdf, text(receipt.title), height=9)
    pdf.ln(2)
    _items(pdf, family, text, receipt.items)

    _heading(pdf, family, "Vencimiento")
    pdf.set_font(family, "", 11)
    _paragraph(pdf, text(f"Vence el {receipt.due}"))
    if receipt.explanation:
        pdf.set_font(family, "", 9)
        pdf.ln(1)
        for line in receipt.explanation:
            _paragraph(pdf, text(line), height=4.5)

    _heading(pdf, family, "Código de consulta")
    pdf.set_font(family, "B", 16)
    _paragraph(pdf, text(receipt.codigo_consulta), height=9)
    pdf.set_font(family, "", 10)
    _paragraph(pdf, text(CONSULTA_HELP))

    if receipt.constancia:
        _heading(pdf, family, "Constancia de petición verbal")
        pdf.set_font(family, "", 9)
        _paragraph(pdf, text(DECRETO_1166), height=4.5)
        pdf.ln(1)
        numbered = tuple(
            Item(f"{n}. {item.label}", item.lines) for n, item in enumerate(receipt.constancia, 1)
        )
        _items(pdf, family, text, numbered)

    pdf.ln(6)
    pdf.set_font(family, "", 9)
    _paragraph(pdf, text(NOT_THE_ANSWER), height=4.5)
    return bytes(pdf.output())


def _fonts(pdf: FPDF) -> tuple[str, Encoder]:
    """A Unicode TrueType font when the machine has one; else Helvetica with text kept to Latin-1."""
    for regular, bold in UNICODE_FONTS:
        if regular.is_file() and bold.is_file():
            pdf.add_font("Sans", "", regular)
            pdf.add_font("Sans", "B", bold)
            return "Sans", _unchanged
    return "Helvetica", _latin1


def _unchanged(value: str) -> str:
    return value


def _latin1(value: str) -> str:
    return value.translate(LATIN1_SUBSTITUTES).encode("latin-1", "replace").decode("latin-1")


def _heading(pdf: FPDF, family: str, title: str) -> None:
    pdf.ln(5)
    pdf.set_font(family, "B", 13)
    _paragraph(pdf, title, height=7)


def _paragraph(pdf: FPDF, value: str, height: float = 6) -> None:
    pdf.multi_cell(0, height, value, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _items(pdf: FPDF, family: str, text: Encoder, items: Sequence[Item]) -> None:
    pdf.set_font(family, "", 10)
    label_style = FontFace(emphasis="BOLD")
    with pdf.table(
        col_widths=(36, 64), text_align="LEFT", first_row_as_headings=False,
        borders_layout="HORIZONTAL_LINES", line_height=5.5, padding=1.5,
    ) as table:  # fmt: skip
        for item in items:
            row = table.row()
            row.cell(text(item.label), style=label_style)
            row.cell(text("\n".join(item.lines)))
