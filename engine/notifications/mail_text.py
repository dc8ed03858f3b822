"""The text and HTML of a notification mail: the body, an absolute link (PHVA_BASE_URL), and a footer."""

from __future__ import annotations

from html import escape

from engine.context import Context

PREFERENCES_PATH = "/notificaciones/preferencias"


def absolute(ctx: Context, link: str) -> str:
    return link if link.startswith(("http://", "https://")) else f"{ctx.settings.base_url}/{link.lstrip('/')}"


def mail_bodies(ctx: Context, subject: str, body: str, link: str | None) -> tuple[str, str]:
    entity = ctx.settings.entity_name
    footer = (
        f"Este aviso lo envía {entity} desde el sistema PHVA. Elija qué avisos recibe y por dónde en "
        f"{absolute(ctx, PREFERENCES_PATH)}"
    )
    url = absolute(ctx, link) if link else None
    text = body.rstrip() + (f"\n\nÁbralo aquí: {url}" if url else "") + f"\n\n--\n{footer}\n"
    paragraphs = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in body.strip().split("\n\n"))
    button = f'<p><a href="{escape(url)}">Ábralo aquí</a> ({escape(url)})</p>' if url else ""
    html = (
        f'<!doctype html><html lang="es"><head><meta charset="utf-8"><title>{escape(subject)}</title></head>'
        f"<body>{paragraphs}{button}<hr><p><small>{escape(footer)}</small></p></body></html>"
    )
    return text, html
