import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from engine.errors import BadInput
from engine.pqrsd import acuse
from engine.pqrsd.acuse import acuse_html, acuse_pdf, receipt, to_html, to_pdf
from engine.pqrsd.records import CaseRecord
from tests.conftest import IN_CI

ENTITY = "Alcaldía de San Andrés de Cuerquía"
CODE = "K7P4-QX92-M3RT"
OFFICIAL = "Ana Lucía Bermúdez Ñustes"
EXPLANATION = [
    "Recibida el lunes 2 de marzo de 2026 a las 08:05 (hora de Bogotá).",
    "Término: 15 días hábiles (Art. 14 CPACA (sustituido por Ley 1755 de 2015), inciso 1).",
    "Día 15 (último día del término): martes 24 de marzo de 2026.",
]
SPANISH = "¿Dónde está mi «subsidio»? ¡Pingüino, camión, árbol, índice, ñandú, útil!"


def case_record(**changes: Any) -> CaseRecord:
    record = CaseRecord(
        radicado="2026-000123",
        kind="peticion_interes_general",
        channel="formulario_web",
        anonymous=False,
        priority="normal",
        status="radicada",
        received_at="2026-03-02T13:05:00+00:00",  # 8:05 a. m. in Bogotá
        radicacion_date="2026-03-02",
        radicacion_policy="A",
        due_date="2026-03-24",
        due_at="2026-03-24T23:59:59-05:00",
        original_due_date="2026-03-24",
        term_version=1,
        term_key="peticion_general@2022-05-18",
        term={"kind": "peticion_general", "amount": 15, "unit": "habiles", "label": "Petición"},
        instance_id=7,
        suspensions=[],
        prorroga=None,
        traslado=None,
        explanation=list(EXPLANATION),
        petitioner_name="María José Güiza Peña",
        document_type="CC",
        document_number="1020304050",
        email="maria.guiza@example.co",
        phone="3001234567",
        address="Calle 10 # 5-20, San Andrés de Cuerquía",
        subject=SPANISH,
        description="Solicito información sobre el estado del subsidio de vivienda.",
    )
    record.update(changes)  # type: ignore[typeddict-item]
    return record


def visible_text(html: str) -> str:
    """What a reader sees: the text between the tags, entities decoded, whitespace collapsed."""
    parts: list[str] = []
    parser = HTMLParser()
    parser.handle_data = parts.append  # type: ignore[method-assign]
    parser.feed(html[html.index("<body>") :])
    return " ".join(" ".join(parts).split())


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text as pdftotext (poppler-utils) extracts it, whitespace collapsed."""
    if shutil.which("pdftotext") is None:
        message = "pdftotext is not installed (make test-deps installs poppler-utils)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    path = tmp_path / "acuse.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return " ".join(result.stdout.decode("utf-8").split())


def citizen_facts() -> list[str]:
    return [
        ENTITY,
        "Acuse de recibo",
        "2026-000123",
        "Petición de interés general",
        "Formulario web",
        "2 mar. 2026, 8:05 a. m.",
        "lunes 2 de marzo de 2026",
        "Vence el martes 24 de marzo de 2026",
        *EXPLANATION,
        CODE,
        "consulte el estado con el radicado y este código",
        SPANISH,
        "María José Güiza Peña",
    ]


# ---- HTML -------------------------------------------------------------------------------------
def test_acuse_html_shows_what_the_citizen_relies_on() -> None:
    text = visible_text(acuse_html(case_record(), CODE, ENTITY))

    for fact in citizen_facts():
        assert fact in text, fact
    assert "Constancia de petición verbal" not in text


def test_acuse_html_is_a_complete_self_contained_page() -> None:
    html = acuse_html(case_record(), CODE, ENTITY)

    assert html.lstrip().lower().startswith("<!doctype html>")
    assert '<html lang="es-CO">' in html
    assert '<meta charset="utf-8">' in html
    assert "<title>Acuse de recibo — radicado 2026-000123 — " in html
    assert html.count("<h1>") == 1
    assert "@media print" in html
    assert "<link" not in html and "src=" not in html and "<script" not in html
    assert html.rstrip().endswith("</html>")


def test_hostile_text_is_escaped_in_the_html() -> None:
    record = case_record(
        subject="<script>alert('x')</script>", petitioner_name='"><img src=x onerror=alert(1)>'
    )

    html = acuse_html(record, "<b>code</b>", "Entidad & <i>Cía</i>")

    assert "<script" not in html and "<img" not in html and "<b>code" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Entidad &amp; &lt;i&gt;Cía&lt;/i&gt;" in html


def test_received_time_is_shown_in_the_entity_zone_whatever_offset_the_record_uses() -> None:
    afternoon_utc = case_record(received_at="2026-03-02T22:40:00Z")
    local_offset = case_record(received_at="2026-03-02T17:40:00-05:00")

    for record in (afternoon_utc, local_offset):
        assert "2 mar. 2026, 5:40 p. m." in acuse_html(record, CODE, ENTITY)
    assert "1 sept. 2026, 12:00 p. m." in acuse_html(
        case_record(received_at="2026-09-01T12:00:00-05:00"), CODE, ENTITY
    )


def test_anonymous_petition_shows_anonimo_and_no_contact_data() -> None:
    html = acuse_html(case_record(anonymous=True, petitioner_name=None, email=None), CODE, ENTITY)

    assert "Anónimo" in html
    assert "María José" not in html


def test_suspended_term_says_why_there_is_no_due_date() -> None:
    html = acuse_html(case_record(due_date=None, due_at=None), CODE, ENTITY)

    assert "Término suspendido" in html and "art. 17 CPACA" in html


def test_hour_term_shows_the_hour_it_ends() -> None:
    record = case_record(
        kind="urgente", term={"unit": "horas", "label": "Atención urgente"}, due_at="2026-03-03T08:05:00-05:00",
        due_date="2026-03-03",
    )  # fmt: skip

    html = acuse_html(record, CODE, ENTITY)

    assert "Vence el <strong>martes 3 de marzo de 2026, a las 8:05 a. m.</strong>" in html
    assert "Atención urgente" in html  # a kind without a label of its own takes the term's


# ---- constancia of a verbal petition (Decreto 1166) -------------------------------------------
@pytest.mark.parametrize(
    ("channel", "manner"), [("verbal_presencial", "en persona"), ("telefonico", "por teléfono")]
)
def test_constancia_lists_the_eight_items_of_decreto_1166(channel: str, manner: str) -> None:
    record = case_record(channel=channel)

    html = to_html(
        receipt(record, CODE, ENTITY, official=OFFICIAL, documents=["Copia de la cédula (1 folio)"])
    )

    assert "Acuse de recibo y constancia de petición verbal" in html
    assert "art. 2.2.3.12.3" in html
    constancia = html[html.index('<ol class="constancia">') : html.index("</ol>")]
    assert constancia.count("<li>") == 8
    for expected in (
        "Número de radicado:", "2026-000123",
        "Fecha y hora de recibo:", "2 mar. 2026, 8:05 a. m.",
        "Peticionario:", "Nombre: María José Güiza Peña", "Documento de identidad: CC 1020304050",
        "Dirección física para la respuesta: Calle 10 # 5-20", "Correo electrónico para la respuesta: maria.guiza",
        "Objeto de la petición:", SPANISH,
        "Razones en que se fundamenta:", "estado del subsidio de vivienda",
        "Documentos que desea presentar:", "Copia de la cédula (1 folio)",
        "Servidor público que la recibió:", OFFICIAL,
        f"La petición se presentó verbalmente, {manner}, y quedó radicada con el número 2026-000123.",
    ):  # fmt: skip
        assert expected in constancia, expected
    for fact in citizen_facts()[3:]:  # the acuse is all there too, with its own channel
        if fact != "Formulario web":
            assert fact in visible_text(html), fact


def test_constancia_of_an_anonymous_petition_without_documents() -> None:
    record = case_record(channel="telefonico", anonymous=True, petitioner_name=None, description=None)

    html = to_html(receipt(record, CODE, ENTITY, official=OFFICIAL))

    assert "Anónimo: el peticionario no se identificó." in html
    assert "No se relacionaron documentos." in html
    assert "No se registraron." in html
    assert "1020304050" not in html


def test_constancia_is_only_for_verbal_petitions() -> None:
    with pytest.raises(BadInput, match="en persona o por teléfono"):
        to_html(receipt(case_record(channel="correo_electronico"), CODE, ENTITY, official=OFFICIAL))


def test_constancia_needs_the_receiving_official() -> None:
    with pytest.raises(BadInput, match="servidor público"):
        to_pdf(receipt(case_record(channel="verbal_presencial"), CODE, ENTITY, official="  "))


# ---- PDF --------------------------------------------------------------------------------------
def test_acuse_pdf_text_reads_back_with_spanish_letters(tmp_path: Path) -> None:
    if not any(regular.is_file() for regular, _ in acuse.UNICODE_FONTS) and IN_CI:
        pytest.fail("no Unicode TrueType font (make test-deps installs fonts-dejavu-core)")

    pdf = acuse_pdf(case_record(), CODE, ENTITY)

    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path)
    for fact in citizen_facts():
        assert fact in text, fact


def test_acuse_pdf_with_core_fonts_only_still_renders_spanish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(acuse, "UNICODE_FONTS", ())
    record = case_record(subject=f"{SPANISH} — “cita” …")

    text = pdf_text(acuse_pdf(record, CODE, ENTITY), tmp_path)

    for fact in citizen_facts():
        if fact != SPANISH:
            assert fact in text, fact
    assert f'{SPANISH} - "cita" ...' in text  # what Latin-1 lacks becomes its plain look-alike


def test_constancia_pdf_has_the_official_and_the_verbal_statement(tmp_path: Path) -> None:
    record = case_record(channel="telefonico", subject="<script>alert(1)</script> " + "x" * 300)

    text = pdf_text(to_pdf(receipt(record, CODE, ENTITY, official=OFFICIAL)), tmp_path)

    assert "Constancia de petición verbal" in text
    assert OFFICIAL in text
    assert (
        "La petición se presentó verbalmente, por teléfono, y quedó radicada con el número 2026-000123."
        in text
    )
    assert "<script>alert(1)</script>" in text  # a PDF has no markup to inject: the text is shown as typed
