"""Safe XML parsing for uploaded BPMN/DMN files: no DTDs, no entities, no network, no huge trees."""

from __future__ import annotations

import re

from lxml import etree

# A document that declares a DTD can carry entity bombs or external entities; BPMN/DMN never need one.
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_DECL_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=", re.IGNORECASE)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


class XmlError(ValueError):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def _looks_binary(content: bytes) -> bool:
    head = content[:1024]
    return b"\x00" in head and not head.startswith(_BOMS[1:])


def parse_xml(content: bytes) -> etree._Element:
    """Parse untrusted bytes, raising XmlError with a Spanish message (and line when known)."""
    if not content.strip():
        raise XmlError("el archivo está vacío")
    if _looks_binary(content):
        raise XmlError("es un archivo binario, no un documento XML")
    if _DOCTYPE.search(content):
        raise XmlError(
            "el documento declara un DOCTYPE o entidades XML; se rechaza por seguridad "
            "(expansión de entidades, entidades externas)"
        )
    if not content.startswith(_BOMS) and not _XML_DECL_ENCODING.match(content):
        try:
            content.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = content[: exc.start].count(b"\n") + 1
            raise XmlError("el archivo no está codificado en UTF-8", line) from None
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        raise XmlError(f"XML mal formado: {exc.msg}", exc.lineno or None) from None
    except (ValueError, LookupError) as exc:
        raise XmlError(f"no se pudo leer como XML: {exc}") from None
    if root is None:
        raise XmlError("no contiene un documento XML")
    # Defence in depth: encodings such as UTF-16 hide a DOCTYPE from the byte scan above.
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise XmlError("el documento declara un DOCTYPE o entidades XML; se rechaza por seguridad")
    return root
