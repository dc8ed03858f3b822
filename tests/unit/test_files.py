"""PQRSD attachments: uploads are judged by their bytes, stored once by sha256, never outside the store."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.config import UPLOAD_TYPES, Settings
from engine.errors import BadInput, NotFound, PayloadTooLarge, ValidationFailed
from engine.pqrsd import files
from engine.pqrsd.files import MB, CheckedFile, FileStore, UploadRules, check_upload

# --- real files, built byte by byte (pdfinfo, file(1) and Pillow open them) ---


def make_pdf() -> bytes:
    text = b"BT /F1 12 Tf 20 100 Td (Derecho de peticion) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    pdf = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(pdf)


def make_png() -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1×1, 8-bit RGB
    pixels = zlib.compress(b"\x00\x00\x80\x00")  # filter byte, then one green pixel
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def make_jpeg() -> bytes:
    def segment(marker: int, data: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(data) + 2) + data

    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    quant = b"\x00" + b"\x01" * 64
    frame = struct.pack(">BHHB", 8, 1, 1, 1) + b"\x01\x11\x00"  # 1×1 grayscale, baseline
    dc_table = b"\x00" + b"\x01" + b"\x00" * 15 + b"\x00"  # one 1-bit code: difference 0
    ac_table = b"\x10" + b"\x01" + b"\x00" * 15 + b"\x00"  # one 1-bit code: end of block
    scan = b"\x01\x01\x00\x00\x3f\x00"
    return (
        b"\xff\xd8"
        + segment(0xE0, jfif)
        + segment(0xDB, quant)
        + segment(0xC0, frame)
        + segment(0xC4, dc_table + ac_table)
        + segment(0xDA, scan)
        + b"\x3f"  # bits 0 (DC) 0 (EOB), padded with ones
        + b"\xff\xd9"
    )


def make_zip(parts: dict[str, bytes], *, first_stored: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if first_stored is not None:
            archive.writestr(first_stored, parts[first_stored], compress_type=zipfile.ZIP_STORED)
        for name, data in parts.items():
            if name != first_stored:
                archive.writestr(name, data)
    return buffer.getvalue()


OOXML_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>%s</Types>'
)
RELATIONSHIPS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">%s</Relationships>'
)
OFFICE_DOCUMENT = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def make_docx(main_type: bytes = files.WORD_MAIN) -> bytes:
    override = b'<Override PartName="/word/document.xml" ContentType="%s"/>' % main_type
    return make_zip(
        {
            "[Content_Types].xml": OOXML_TYPES % override,
            "_rels/.rels": RELATIONSHIPS
            % (
                b'<Relationship Id="rId1" Type="%s/officeDocument" Target="word/document.xml"/>'
                % OFFICE_DOCUMENT
            ),
            "word/document.xml": (
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                b"<w:body><w:p><w:r><w:t>Derecho de petici\xc3\xb3n</w:t></w:r></w:p></w:body></w:document>"
            ),
        }
    )


def make_xlsx() -> bytes:
    sheet_type = b"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    overrides = (
        b'<Override PartName="/xl/workbook.xml" ContentType="%s"/>'
        b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="%s"/>' % (files.EXCEL_MAIN, sheet_type)
    )
    main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    return make_zip(
        {
            "[Content_Types].xml": OOXML_TYPES % overrides,
            "_rels/.rels": RELATIONSHIPS
            % (
                b'<Relationship Id="rId1" Type="%s/officeDocument" Target="xl/workbook.xml"/>'
                % OFFICE_DOCUMENT
            ),
            "xl/workbook.xml": (
                b'<workbook xmlns="%s" xmlns:r="%s"><sheets><sheet name="Hoja1" sheetId="1" r:id="rId1"/>'
                b"</sheets></workbook>" % (main, OFFICE_DOCUMENT)
            ),
            "xl/_rels/workbook.xml.rels": RELATIONSHIPS
            % (
                b'<Relationship Id="rId1" Type="%s/worksheet" Target="worksheets/sheet1.xml"/>'
                % OFFICE_DOCUMENT
            ),
            "xl/worksheets/sheet1.xml": (
                b'<worksheet xmlns="%s"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>PQRSD</t></is>'
                b"</c></row></sheetData></worksheet>" % main
            ),
        }
    )


def make_odt(mimetype: bytes = files.ODT_MIMETYPE) -> bytes:
    office = b"urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    return make_zip(
        {
            "mimetype": mimetype,
            "META-INF/manifest.xml": (
                b'<?xml version="1.0" encoding="UTF-8"?>\n'
                b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
                b' manifest:version="1.2">'
                b'<manifest:file-entry manifest:full-path="/" manifest:media-type="%s"/>'
                b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                b"</manifest:manifest>" % mimetype
            ),
            "content.xml": (
                b'<?xml version="1.0" encoding="UTF-8"?>\n'
                b'<office:document-content xmlns:office="%s" '
                b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
                b"<office:body><office:text><text:p>Derecho de petici\xc3\xb3n</text:p></office:text>"
                b"</office:body></office:document-content>" % office
            ),
        },
        first_stored="mimetype",
    )


# An MS-DOS/PE executable: the "MZ" header, a PE offset, and the stub every Windows linker writes.
EXE = b"MZ\x90\x00" + b"\x00" * 56 + struct.pack("<I", 0x80) + b"This program cannot be run in DOS mode.\r\n"

SAMPLES: dict[str, tuple[str, Callable[[], bytes], str]] = {
    "pdf": ("Derecho de petición.pdf", make_pdf, "application/pdf"),
    "jpg": ("foto del predio.jpg", make_jpeg, "image/jpeg"),
    "png": ("captura.png", make_png, "image/png"),
    "docx": (
        "solicitud.docx",
        make_docx,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xlsx": ("relación.xlsx", make_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "odt": ("carta.odt", make_odt, "application/vnd.oasis.opendocument.text"),
}
RULES = UploadRules()


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "files")


def receive(store: FileStore, filename: str, content: bytes, rules: UploadRules = RULES) -> CheckedFile:
    """What the radicación does with an attachment: check it, and only then store its bytes."""
    checked = check_upload(filename, content, rules)
    store.put(content)
    return checked


def stored_files(store: FileStore) -> list[Path]:
    return sorted(path for path in store.root.rglob("*") if path.is_file()) if store.root.exists() else []


def refusal(store: FileStore, filename: str, content: bytes, rules: UploadRules = RULES) -> str:
    with pytest.raises(ValidationFailed) as refused:
        receive(store, filename, content, rules)
    assert stored_files(store) == []
    assert refused.value.details == {"archivo": refused.value.message}
    return refused.value.message


# --- check_upload: accepted ---


def test_every_configurable_type_has_a_real_sample() -> None:
    assert set(SAMPLES) == set(UPLOAD_TYPES) == set(files.FORMATS)


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_each_allowed_type_is_accepted_by_its_content(kind: str, store: FileStore) -> None:
    filename, make, media_type = SAMPLES[kind]
    content = make()

    checked = receive(store, filename, content)

    sha256 = hashlib.sha256(content).hexdigest()
    assert checked == CheckedFile(filename, media_type, len(content), sha256)
    assert store.open(sha256) == content


@pytest.mark.parametrize("filename", ["FOTO.JPG", "foto.jpeg", "Foto.JPEG"])
def test_jpeg_extension_is_case_insensitive_and_may_be_spelled_jpeg(filename: str) -> None:
    assert check_upload(filename, make_jpeg(), RULES).media_type == "image/jpeg"


def test_stored_name_is_the_cleaned_base_name() -> None:
    checked = check_upload("  Peticio\u0301n de informacio\u0301n.pdf \t", make_pdf(), RULES)

    assert checked.name == "Petición de información.pdf"  # trimmed, accents composed (NFC)


def test_file_of_exactly_the_limit_is_accepted() -> None:
    pdf = make_pdf()
    content = pdf + b"\n" * (10 * MB - len(pdf))

    assert check_upload("expediente.pdf", content, RULES).size == 10 * MB


# --- check_upload: refused, and nothing stored ---


def test_exe_renamed_pdf_is_refused(store: FileStore) -> None:
    message = refusal(store, "factura.pdf", EXE)

    assert "«factura.pdf»" in message
    assert "no corresponde a ningún tipo conocido" in message
    assert "PDF, JPG, PNG, DOCX, XLSX, ODT" in message


def test_pdf_named_png_is_refused_and_told_the_right_extension(store: FileStore) -> None:
    message = refusal(store, "escaneo.png", make_pdf())

    assert "es un PDF pero su nombre termina en «.png»" in message
    assert "«.png»" in message
    assert "«.pdf»" in message


def test_file_without_extension_is_refused(store: FileStore) -> None:
    assert "no tiene extensión" in refusal(store, "escaneo", make_pdf())


def test_type_the_entity_does_not_allow_is_refused_listing_the_allowed_ones(store: FileStore) -> None:
    message = refusal(store, "captura.png", make_png(), UploadRules(allowed=("pdf", "docx")))

    assert "es un PNG, tipo que no se admite" in message
    assert "Tipos permitidos: PDF, DOCX" in message


def test_empty_file_is_refused(store: FileStore) -> None:
    assert refusal(store, "anexo.pdf", b"") == "El archivo «anexo.pdf» está vacío."


def test_file_one_byte_over_ten_megabytes_is_too_large(store: FileStore) -> None:
    pdf = make_pdf()
    content = pdf + b"\n" * (10 * MB + 1 - len(pdf))

    with pytest.raises(PayloadTooLarge) as refused:
        receive(store, "expediente.pdf", content)

    error = refused.value
    assert (error.http_status, error.exit_code) == (413, 2)
    assert error.message == "El archivo «expediente.pdf» pesa 10.485.761 bytes: supera el máximo de 10 MB."
    assert error.details == {"archivo": error.message}
    assert stored_files(store) == []


def test_limit_follows_the_settings(store: FileStore) -> None:
    rules = UploadRules.from_settings(
        Settings(database_url="sqlite://", instance_dir=Path(), max_upload_mb=1)
    )
    pdf = make_pdf()

    with pytest.raises(PayloadTooLarge, match="supera el máximo de 1 MB"):
        receive(store, "expediente.pdf", pdf + b"\n" * MB, rules)


@pytest.mark.parametrize(
    "filename",
    ["../etc/passwd.pdf", "expedientes/anexo.pdf", "C:\\Users\\ana\\anexo.pdf", "..pdf", "anexo..pdf"],
)
def test_name_with_a_path_is_refused(filename: str, store: FileStore) -> None:
    assert "incluye una ruta" in refusal(store, filename, make_pdf())


@pytest.mark.parametrize(
    "filename",
    [
        "anexo\x00.pdf",
        "anexo\r\nX-Inyectado: 1.pdf",
        "anexo\x7f.pdf",
        "factura\u202efdp.exe",  # right-to-left override: shows as "facturaexe.pdf"
        "anexo\u200b.pdf",  # zero-width space
    ],
)
def test_name_with_control_or_invisible_characters_is_refused(filename: str, store: FileStore) -> None:
    message = refusal(store, filename, make_pdf())

    assert "caracteres de control o invisibles" in message
    assert filename not in message  # never echoed back


def test_name_over_200_characters_is_refused(store: FileStore) -> None:
    longest = "a" * 196 + ".pdf"
    assert check_upload(longest, make_pdf(), RULES).name == longest

    message = refusal(store, "a" + longest, make_pdf())

    assert message == "El nombre del archivo tiene 201 caracteres; el máximo es 200. Acórtelo."


def test_nameless_file_is_refused(store: FileStore) -> None:
    assert refusal(store, "  ", make_pdf()) == "El archivo no tiene nombre."


def big_entry_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", OOXML_TYPES % b"")
        with archive.open("word/document.xml", "w", force_zip64=True) as document:
            zeros = bytes(MB)
            for _ in range(files.MAX_UNPACKED_BYTES // MB + 1):
                document.write(zeros)
    return buffer.getvalue()


def many_entries_bomb() -> bytes:
    parts = dict.fromkeys((f"word/media/{n}.xml" for n in range(files.MAX_ZIP_ENTRIES)), b"")
    docx = zipfile.ZipFile(io.BytesIO(make_docx()))
    return make_zip({name: docx.read(name) for name in docx.namelist()} | parts)


@pytest.mark.parametrize("make_bomb", [big_entry_bomb, many_entries_bomb])
def test_zip_bomb_renamed_docx_is_refused_without_unpacking(
    make_bomb: Callable[[], bytes], store: FileStore
) -> None:
    bomb = make_bomb()
    assert len(bomb) < 10 * MB

    message = refusal(store, "contrato.docx", bomb)

    assert "declara más de 1000 partes o más de 256 MB al descomprimirlo" in message
    assert "bomba ZIP" in message


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("solicitud.docx", make_zip({"[Content_Types].xml": OOXML_TYPES % b""})),
        ("solicitud.docx", make_zip({"word/document.xml": b"<w:document/>"})),
        (  # a macro-enabled .docm renamed: word/document.xml is there, its content type is not a docx's
            "solicitud.docx",
            make_docx(main_type=b"application/vnd.ms-word.document.macroEnabled.main+xml"),
        ),
        ("relacion.xlsx", make_zip({"xl/workbook.xml": b"<workbook/>"})),
        ("carta.odt", make_odt(mimetype=b"application/vnd.oasis.opendocument.spreadsheet")),
        ("carta.odt", make_zip({"content.xml": b"<office:document-content/>"})),
        ("anexos.docx", make_zip({"anexo.pdf": make_pdf()})),
        ("solicitud.docx", make_docx()[:-30]),  # truncated: no central directory
    ],
    ids=[
        "only-content-types",
        "no-content-types",
        "docm",
        "xlsx-no-types",
        "ods",
        "odt-no-mimetype",
        "zip",
        "cut",
    ],
)
def test_zip_that_is_not_really_that_document_is_refused(
    filename: str, content: bytes, store: FileStore
) -> None:
    assert "no corresponde a ningún tipo conocido" in refusal(store, filename, content)


# --- settings ---


def test_upload_settings_defaults(tmp_path: Path) -> None:
    settings = Settings.from_env({"PHVA_INSTANCE_DIR": str(tmp_path)})

    assert settings.files_dir == tmp_path.resolve() / "files"
    assert UploadRules.from_settings(settings) == UploadRules(
        10 * MB, ("pdf", "jpg", "png", "docx", "xlsx", "odt")
    )
    assert FileStore.from_settings(settings).root == tmp_path.resolve() / "files"


def test_settings_from_environment(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "PHVA_FILES_DIR": str(tmp_path / "adjuntos"),
            "PHVA_MAX_UPLOAD_MB": "25",
            "PHVA_UPLOAD_TYPES": " PDF, png,pdf ",
        }
    )

    assert settings.files_dir == tmp_path.resolve() / "adjuntos"
    assert UploadRules.from_settings(settings) == UploadRules(25 * MB, ("pdf", "png"))


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("PHVA_MAX_UPLOAD_MB", "0", "mayor que cero, no «0»"),
        ("PHVA_MAX_UPLOAD_MB", "diez", "mayor que cero, no «diez»"),
        ("PHVA_MAX_UPLOAD_MB", "2.5", "número entero"),
        ("PHVA_UPLOAD_TYPES", "pdf,exe,gif", "no admite «exe, gif»"),
        ("PHVA_UPLOAD_TYPES", " , ", "está vacío"),
    ],
)
def test_bad_upload_setting_stops_startup_naming_the_variable(
    variable: str, value: str, problem: str
) -> None:
    with pytest.raises(BadInput) as refused:
        Settings.from_env({variable: value})

    assert refused.value.message.startswith(variable)
    assert problem in refused.value.message


# --- FileStore ---


def test_put_stores_content_under_its_sha256(store: FileStore) -> None:
    content = make_pdf()

    key = store.put(content)

    assert key == hashlib.sha256(content).hexdigest()
    assert stored_files(store) == [store.root / key[:2] / key[2:4] / key]
    assert store.exists(key)
    assert store.open(key) == content


def test_same_content_twice_is_stored_once(store: FileStore) -> None:
    first = store.put(make_png())
    second = store.put(make_png())

    assert first == second
    assert len(stored_files(store)) == 1


def test_put_writes_a_temporary_file_beside_the_target_and_renames_it(
    store: FileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    renames: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def recording_replace(source: str, target: Path) -> None:
        renames.append((Path(source), Path(target)))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", recording_replace)

    key = store.put(make_pdf())

    [(source, target)] = renames
    assert source.parent == target.parent
    assert target == store.root / key[:2] / key[2:4] / key
    assert [path.name for path in stored_files(store)] == [key]  # no temporary file left behind


def test_failed_write_leaves_neither_the_file_nor_a_temporary(
    store: FileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(handle: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    content = make_pdf()

    with pytest.raises(OSError, match="No space left"):
        store.put(content)

    assert stored_files(store) == []
    monkeypatch.undo()
    assert not store.exists(hashlib.sha256(content).hexdigest())


KEY = hashlib.sha256(b"anexo").hexdigest()


@pytest.mark.parametrize(
    "key",
    ["../x", KEY.upper(), KEY[:63], KEY + "0", "../" + KEY[3:], KEY[:62] + "/.", "", KEY[:63] + "g"],
    ids=["traversal", "uppercase", "63-chars", "65-chars", "traversal-64", "slash", "empty", "non-hex"],
)
@pytest.mark.parametrize("operation", ["open", "exists"])
def test_store_refuses_any_key_that_is_not_a_sha256(operation: str, key: str, store: FileStore) -> None:
    store.put(b"anexo")

    with pytest.raises(BadInput, match="64 caracteres hexadecimales en minúscula"):
        getattr(store, operation)(key)


def test_absent_file_is_not_found(store: FileStore) -> None:
    assert not store.exists(KEY)

    with pytest.raises(NotFound, match="No encontramos el archivo"):
        store.open(KEY)
