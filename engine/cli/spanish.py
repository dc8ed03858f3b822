"""Click's own words (usage line, help headings, bad-input errors) in Spanish, so a mistyped `phva` command
is answered in the language of the rest of the CLI.

Click looks its messages up through `gettext` bound in each of its modules; `install` rebinds those lookups
to this table. A message missing here stays in English, it is never lost.
"""

from __future__ import annotations

import sys

MESSAGES = {
    "Usage:": "Uso:",
    "Options": "Opciones",
    "Commands": "Órdenes",
    "Positional arguments": "Argumentos",
    "Show this message and exit.": "Muestra esta ayuda y termina.",
    "default: {default}": "por omisión: {default}",
    "required": "obligatorio",
    "env var: {var}": "variable de entorno: {var}",
    "Aborted!": "Cancelado.",
    "Error: {message}": "Error: {message}",
    "Try '{command} {option}' for help.": "Vea '{command} {option}' para la ayuda.",
    "Missing command.": "Falta la orden.",
    "No such command {name!r}.": "No existe la orden {name!r}.",
    "No such option {name!r}.": "No existe la opción {name!r}.",
    "Did you mean {possibility}?": "¿Quiso decir {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(¿Quiso decir una de: {possibilities}?)",
    "Got unexpected extra argument ({args})": "Sobra un argumento ({args})",
    "Got unexpected extra arguments ({args})": "Sobran argumentos ({args})",
    "Missing argument": "Falta el argumento",
    "Missing option": "Falta la opción",
    "Missing parameter": "Falta el parámetro",
    "Missing parameter: {param_name}": "Falta el parámetro: {param_name}",
    "Missing {param_type}": "Falta {param_type}",
    "Invalid value for {param_hint}: {message}": "Valor inválido en {param_hint}: {message}",
    "Invalid value: {message}": "Valor inválido: {message}",
    "Option {name!r} does not take a value.": "La opción {name!r} no lleva valor.",
    "Option {name!r} requires an argument.": "La opción {name!r} necesita un valor.",
    "Option {name!r} requires {nargs} arguments.": "La opción {name!r} necesita {nargs} valores.",
    "Argument {name!r} takes {nargs} values.": "El argumento {name!r} lleva {nargs} valores.",
    "{value!r} is not a valid {number_type}.": "{value!r} no es un {number_type} válido.",
    "{value} is not in the range {range}.": "{value} está fuera del rango {range}.",
    "{value!r} is not {choice}.": "{value!r} no es {choice}.",
    "{value!r} is not one of {choices}.": "{value!r} no es ninguno de {choices}.",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "{value!r} no es un sí o no válido. Valores reconocidos: {states}"
    ),
    "{value!r} does not match the format {format}.": "{value!r} no tiene el formato {format}.",
    "{value!r} does not match the formats {formats}.": "{value!r} no tiene ninguno de los formatos {formats}.",
    "{value!r} is not a valid UUID.": "{value!r} no es un UUID válido.",
    "file": "El archivo",
    "directory": "La carpeta",
    "path": "La ruta",
    "{name} {filename!r} does not exist.": "{name} {filename!r} no existe.",
    "{name} {filename!r} is a file.": "{name} {filename!r} es un archivo.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} es una carpeta.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} no se puede leer.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} no se puede escribir.",
    "Could not open file {filename!r}: {message}": "No se pudo abrir el archivo {filename!r}: {message}",
}
# The names click gives its number and flag types in "… is not a valid {number_type}" and in metavars.
TYPE_NAMES = {
    "IntParamType": "entero",
    "IntRange": "entero",
    "FloatParamType": "número",
    "FloatRange": "número",
    "BoolParamType": "sí/no",
}
_CLICK_MODULES = ("core", "exceptions", "formatting", "parser", "types", "decorators", "termui")


def gettext(message: str) -> str:
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return gettext(singular if n == 1 else plural)


def install() -> None:
    import click

    for name in _CLICK_MODULES:
        module = sys.modules.get(f"click.{name}")
        if module is None:
            continue
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]
    for type_name, spanish in TYPE_NAMES.items():
        getattr(click.types, type_name).name = spanish
