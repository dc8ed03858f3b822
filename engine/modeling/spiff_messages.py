"""SpiffWorkflow's parse refusals, said in Spanish with what to change in Camunda Modeler.

SpiffWorkflow raises `ValidationException` with English text ("Cancel Events may only be used with
transactions"); the deploy report must speak the analyst's language. A message not listed here keeps its
text, marked as SpiffWorkflow's, so nothing is hidden.
"""

from __future__ import annotations

import re

# (pattern on SpiffWorkflow's message, Spanish text; {0}… are the pattern's groups)
_KNOWN: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), spanish)
    for pattern, spanish in (
        (
            r"^Cancel Events may only be used with transactions",
            "un evento de cancelación solo puede usarse en un subproceso de transacción (bpmn:transaction), "
            "como en Camunda",
        ),
        (
            r"^Exactly one start event is required in a SubWorkflow Task; found (\d+)",
            "un subproceso necesita exactamente un evento de inicio sin tipo; tiene {0}",
        ),
        (
            r"^A SubWorkflow Must contain an End event",
            "el subproceso no tiene evento de fin",
        ),
        (
            r"^Ad hoc subprocesses may not contain start or end events",
            "un subproceso ad hoc no puede tener eventos de inicio ni de fin",
        ),
        (
            r"^Sequential ordering for ad hoc subprocesses not supported",
            'el orden secuencial de los subprocesos ad hoc no está soportado; use ordering="Parallel"',
        ),
        (
            r"^Multiple outgoing flows are not supported for tasks of type",
            "este tipo de elemento no admite varios flujos de salida; ponga una compuerta después de él",
        ),
        (
            r"^Conditional event definition with missing condition",
            "el evento condicional no tiene condición",
        ),
        (
            r"^Non-default exclusive outgoing sequence flow without condition",
            "un flujo de salida de la compuerta exclusiva no tiene condición y no es el flujo por defecto",
        ),
        (
            r"^A loopMaximum or loopCondition must be specified for Loop Tasks",
            "el bucle estándar (standardLoopCharacteristics) necesita loopMaximum o loopCondition",
        ),
        (
            r"^A multiinstance task must specify .*cardinality or",
            "la multiinstancia necesita camunda:collection o loopCardinality (y solo uno de los dos)",
        ),
        (r"^Could not find messageRef from message event definition: (.*)", "el mensaje «{0}» no existe"),
        (
            r"^((Message|Signal|Error|Escalation)) identifier is missing from bpmn xml",
            "falta el id de {0} (bpmn:{1})",
        ),
        (r"^Invalid Script Task\.\s+No Script Provided", "la tarea de script no tiene script"),
        (r"^Duplicate process ID: (.*)", "el id de proceso «{0}» está repetido en el despliegue"),
        (r"^No start event found", "el proceso no tiene evento de inicio"),
        (r"^There is no support implemented for this task type", "este tipo de elemento no está soportado"),
    )
)
_KINDS = {
    "Message": "un mensaje",
    "Signal": "una señal",
    "Error": "un error",
    "Escalation": "un escalamiento",
}


def spanish(message: str) -> str:
    """The deploy report's text for a SpiffWorkflow validation message."""
    for pattern, text in _KNOWN:
        found = pattern.search(message.strip())
        if found:
            groups = found.groups()
            return text.format(*(_KINDS.get(g, g) if i == 0 else g.lower() for i, g in enumerate(groups)))
    return f"SpiffWorkflow no acepta el modelo: {message}"
