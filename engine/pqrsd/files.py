"""PQRSD attachments as files: what an upload may be, decided by its content, and where its bytes live.

Pure: no database, no Flask. A case records the `CheckedFile`; the bytes go to the `FileStore` under their sha256.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import lzma
import os
import tempfile
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from engine.config import UPLOAD_TYPES, Settings
from engine.errors import BadInput, NotFound, PayloadTooLarge, ValidationFailed

MB = 1024 * 1024
FIELD = "archivo"
MAX_NAME_CHARS = 200
MAX_ZIP_ENTRIES = 1000
MAX_UNPACKED_BYTES = 256 * MB  # declared by all entries together; past it a "document" is a zip bomb
MAX_PART_BYTES = MB  # the parts read to recognise a format: [Content_Types].xml, mimetype

WORD_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
# What corrupt or hostile ZIP data raises from zipfile and its decompressors.
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, RuntimeError, ValueError)
HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class Format:
    media_type: str
    extensions: tuple[str, ...]


FORMATS = {
    "pdf": Format("application/pdf", (".pdf",)),
    "jpg": Format("image/jpeg", (".jpg", ".jpeg")),
    "png": Format("image/png", (".png",)),
    "docx": Format("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    "xlsx": Format("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    "odt": Format("application/vnd.oasis.opendocument.text", (".odt",)),
}


@dataclass(frozen=True)
class UploadRules:
    max_bytes: int = 10 * MB
    allowed: tuple[str, ...] = UPLOAD_TYPES

    @classmethod
    def from_settings(cls, settings: Settings) -> UploadRules:
        return cls(max_bytes=settings.max_upload_mb * MB, allowed=settings.upload_types)


@dataclass(frozen=True)
class CheckedFile:
    name: str  # the cleaned base name, for display and downloads
    media_type: str
    size: int
    sha256: str


def check_upload(filename: str, content: bytes, rules: UploadRules) -> CheckedFile:
    name = clean_name(filename)
    if not content:
        raise _refused(f"El archivo «{name}» está vacío.")
    if len(content) > rules.max_bytes:
        message = (
            f"El archivo «{name}» pesa {_bytes(len(content))}: supera el máximo de {_size(rules.max_bytes)}."
        )
        raise PayloadTooLarge(message, {FIELD: message})
    allowed = ", ".join(kind.upper() for kind in rules.allowed)
    kind = detect_type(content)
    if kind is None or kind not in rules.allowed:
        found = (
            f"es un {kind.upper()}, tipo que no se admite"
            if kind
            else "no corresponde a ningún tipo conocido"
        )
        raise _refused(
            f"El contenido de «{name}» {found}. Tipos permitidos: {allowed} "
            "(el tipo se reconoce por el contenido, no por la extensión)."
        )
    extension = os.path.splitext(name)[1].lower()
    expected = FORMATS[kind].extensions
    if extension not in expected:
        ends = f"termina en «{extension}»" if extension else "no tiene extensión"
        raise _refused(
            f"El archivo «{name}» es un {kind.upper()} pero su nombre {ends}; renómbrelo con la extensión "
            f"«{expected[0]}» y vuelva a enviarlo."
        )
    return CheckedFile(name, FORMATS[kind].media_type, len(content), hashlib.sha256(content).hexdigest())


def clean_name(filename: str) -> str:
    name = unicodedata.normalize("NFC", filename).strip()
    if not name:
        raise _refused("El archivo no tiene nombre.")
    # Cc, Cf, Cs: line breaks could forge headers, bidi overrides could disguise "exe.pdf" as a PDF.
    if any(unicodedata.category(char) in {"Cc", "Cf", "Cs"} for char in name):
        raise _refused(
            "El nombre del archivo tiene caracteres de control o invisibles; cámbielo y vuelva a enviarlo."
        )
    if len(name) > MAX_NAME_CHARS:
        raise _refused(
            f"El nombre del archivo tiene {len(name)} caracteres; el máximo es {MAX_NAME_CHARS}. Acórtelo."
        )
    if "/" in name or "\\" in name or ".." in name:
        raise _refused(
            f"El nombre «{name}» incluye una ruta («/», «\\» o «..»); envíe solo el nombre del archivo."
        )
    return name


def detect_type(content: bytes) -> str | None:
    """The FORMATS key the bytes really are, or None; a ZIP too big to be a document is refused."""
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n") and content[12:16] == b"IHDR":
        return "png"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                return _office_type(archive)
        except ZIP_ERRORS:
            return None
    return None


def _office_type(archive: zipfile.ZipFile) -> str | None:
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES or sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
        raise _refused(
            f"El archivo es un comprimido que declara más de {MAX_ZIP_ENTRIES} partes o más de "
            f"{_size(MAX_UNPACKED_BYTES)} al descomprimirlo: no lo abrimos, puede ser una bomba ZIP."
        )
    names = {entry.filename for entry in entries}
    if "[Content_Types].xml" in names:
        content_types = _read_part(archive, "[Content_Types].xml")
        if "word/document.xml" in names and WORD_MAIN in content_types:
            return "docx"
        if "xl/workbook.xml" in names and EXCEL_MAIN in content_types:
            return "xlsx"
    if "mimetype" in names and _read_part(archive, "mimetype") == ODT_MIMETYPE:
        return "odt"
    return None


def _read_part(archive: zipfile.ZipFile, part: str) -> bytes:
    info = archive.getinfo(part)
    if info.file_size > MAX_PART_BYTES:
        return b""
    with archive.open(info) as stream:
        return stream.read(MAX_PART_BYTES)


def _refused(message: str) -> ValidationFailed:
    return ValidationFailed(message, {FIELD: message})


def _bytes(count: int) -> str:
    return f"{count:,} bytes".replace(",", ".")


def _size(count: int) -> str:
    return f"{count // MB} MB" if count % MB == 0 else _bytes(count)


class FileStore:
    """Content-addressed: each distinct content lives once, at root/ab/cd/<sha256>."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @classmethod
    def from_settings(cls, settings: Settings) -> FileStore:
        return cls(settings.files_dir or settings.instance_dir / "files")

    def put(self, content: bytes) -> str:
        key = hashlib.sha256(content).hexdigest()
        target = self._path(key)
        if target.is_file():
            return key
        target.parent.mkdir(parents=True, exist_ok=True)
        # Same directory, so os.replace is a rename: readers see the whole file or none.
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        _fsync_directory(target.parent)
        return key

    def open(self, sha256: str) -> bytes:
        try:
            return self._path(sha256).read_bytes()
        except FileNotFoundError:
            raise NotFound("No encontramos el archivo solicitado.") from None

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def _path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not HEX.issuperset(sha256):
            raise BadInput(
                "El identificador del archivo no es válido: son 64 caracteres hexadecimales en minúscula."
            )
        return self.root / sha256[:2] / sha256[2:4] / sha256


def _fsync_directory(directory: Path) -> None:
    # So the new name itself survives a power cut, not only the bytes.
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
