"""The PHVA cycle that runs the five stages, and the improvement action it starts from Verificar."""

from __future__ import annotations

from _common import DEPENDENCIA_OPTIONS, activity, area, chain, check, choice, day, end, lane, start, xor
from etapas import ALCANCE, LIDER
from layout_bpmn import Body, Flow, Node, Process

MEJORA_A = dict(
    phva="A",
    proveedor="Seguimiento del relacionamiento; control interno; auditorías",
    cliente="Proceso de atención al ciudadano; dependencias; entes de control",
)

accion_mejora = Process(
    key="accion_mejora",
    name="Acción de mejora",
    doc="Plan de mejoramiento para un indicador por debajo de su meta (o un hallazgo de auditoría, riesgo "
    "materializado o PQRSD recurrente): análisis de causas, acción, ejecución, verificación de eficacia y "
    "lecciones aprendidas (Actuar).",
    props={
        "phva": "A",
        "objetivo": "Eliminar las causas de las desviaciones detectadas en el seguimiento y "
        "documentar las lecciones aprendidas.",
        "alcance": "Inicia con la brecha detectada y termina con la acción verificada como eficaz.",
        "lider": LIDER,
        "indicadores": "Acciones de mejora cerradas como eficaces en el plazo",
        "riesgos": "Acciones que no atacan la causa raíz; vencimiento de planes de mejoramiento",
    },
    lanes=[lane("secretaria_general"), lane("dependencias"), lane("control_interno")],
    body=Body(
        nodes=[
            start(
                "Start_Mejora",
                "Indicador bajo la meta",
                "secretaria_general",
                doc="La abre el seguimiento (una por indicador y periodo, clave mejora-<indicador>-<periodo>) con "
                "el indicador, su resultado y su meta; también se inicia a mano ante un hallazgo de auditoría.",
            ),
            activity(
                "Task_AnalizarCausas",
                "Analizar las causas",
                "secretaria_general",
                "Analizar las causas de la desviación detectada (indicadores, riesgos, PQRSD, satisfacción del "
                "cliente, entre otros)",
                "El indicador («indicador_nombre»), su resultado («valor») y su meta («meta») del periodo vienen del "
                "seguimiento; la brecha está en «brechas» y el reporte del periodo en «enlace_reporte».",
                [
                    choice(
                        "metodo_analisis",
                        "Método de análisis",
                        (
                            ("cinco_porques", "Cinco porqués"),
                            ("ishikawa", "Espina de pescado (Ishikawa)"),
                            ("lluvia_ideas", "Lluvia de ideas"),
                        ),
                    ),
                    area("causa_raiz", "Causa raíz identificada"),
                ],
                form="mejora_analizar_causas",
                entradas="Resultados de indicadores; brechas; informes de auditoría",
                salidas="Causa raíz identificada",
                **MEJORA_A,
            ),
            activity(
                "Task_FormularAccion",
                "Formular la acción de mejora",
                "secretaria_general",
                "Formular las acciones de mejora a que haya lugar con base en los resultados de la verificación",
                "Defina la acción, su tipo, la dependencia responsable y la fecha límite (plan de mejoramiento).",
                [
                    choice(
                        "tipo_accion",
                        "Tipo de acción",
                        (("correctiva", "Correctiva"), ("preventiva", "Preventiva"), ("mejora", "De mejora")),
                    ),
                    area("accion", "Acción"),
                    choice("dependencia_accion", "Dependencia responsable", DEPENDENCIA_OPTIONS),
                    day("fecha_limite_accion", "Fecha límite"),
                ],
                form="mejora_formular_accion",
                entradas="Causa raíz",
                salidas="Plan de mejoramiento",
                **MEJORA_A,
            ),
            activity(
                "Task_EjecutarAccion",
                "Ejecutar la acción de mejora",
                "dependencias",
                "Ejecutar la acción de mejora formulada en el plan de mejoramiento",
                "Adjunte o describa las evidencias de la ejecución.",
                [area("evidencias_accion", "Evidencias de la ejecución")],
                form="mejora_ejecutar_accion",
                entradas="Plan de mejoramiento",
                salidas="Planes de mejoramiento implementados",
                due="${fecha_limite_accion}",
                **MEJORA_A,
            ),
            activity(
                "Task_VerificarEficacia",
                "Verificar la eficacia de la acción",
                "control_interno",
                "Verificar la eficacia de la acción de mejora",
                "Si la acción no fue eficaz, se formula de nuevo.",
                [
                    check("accion_eficaz", "¿La acción fue eficaz?"),
                    area("verificacion_eficacia", "Verificación"),
                ],
                form="mejora_verificar_eficacia",
                entradas="Evidencias de la ejecución",
                salidas="Acción verificada",
                indicador="Acciones de mejora eficaces",
                **MEJORA_A,
            ),
            xor("Gateway_Eficaz", "¿Acción eficaz?", "control_interno", default="Task_FormularAccion"),
            activity(
                "Task_LeccionesAprendidas",
                "Documentar las lecciones aprendidas",
                "secretaria_general",
                "Divulgar buenas prácticas y lecciones aprendidas del proceso de atención y relación con el "
                "ciudadano",
                "Registre lo aprendido para la siguiente vigencia.",
                [area("lecciones_aprendidas", "Lecciones aprendidas y buenas prácticas")],
                form="mejora_lecciones_aprendidas",
                entradas="Acción verificada",
                salidas="Buenas prácticas y lecciones aprendidas divulgadas",
                **MEJORA_A,
            ),
            end("End_Mejora", "Acción de mejora cerrada", "secretaria_general"),
        ],
        flows=[
            *chain(
                "Start_Mejora",
                "Task_AnalizarCausas",
                "Task_FormularAccion",
                "Task_EjecutarAccion",
                "Task_VerificarEficacia",
                "Gateway_Eficaz",
            ),
            Flow("Gateway_Eficaz", "Task_LeccionesAprendidas", "Sí", "${accion_eficaz}"),
            Flow("Gateway_Eficaz", "Task_FormularAccion", "No"),
            *chain("Task_LeccionesAprendidas", "End_Mejora"),
        ],
    ),
)

# What the task shows first (README, «Cómo dibujar en Camunda Modeler para que corra aquí»): the gap it acts on.
for _node in accion_mejora.body.nodes:
    if _node.id == "Task_AnalizarCausas":
        _node.props["phva:mostrar"] = "brechas,enlace_reporte"


def _stage(node_id: str, name: str, called: str, group: str, phva: str, doc: str) -> Node:
    return Node(node_id, "call", name, lane=f"Lane_{group}", called=called, doc=doc, props={"phva": phva})


ciclo = Process(
    key="ciclo_phva",
    name="Relacionamiento con la ciudadanía: ciclo PHVA",
    doc="La cadena de valor del relacionamiento con la ciudadanía como un ciclo que se repite cada vigencia: "
    "conocer y formular (Planear), desarrollar (Hacer), seguimiento (Verificar), acción de mejora y ajustes a "
    "la oferta (Actuar). Un indicador por debajo de su meta abre una acción de mejora (una instancia de "
    "accion_mejora por indicador y periodo).",
    props={
        "phva": "PHVA",
        "objetivo": "Gestionar los escenarios y mecanismos de relacionamiento con la ciudadanía para facilitar, "
        "agilizar y garantizar el acceso al ejercicio de los derechos de los grupos de valor, mejorar su "
        "experiencia y aumentar la confianza en la entidad.",
        "alcance": ALCANCE,
        "lider": LIDER,
        "indicadores": "Porcentaje de oportunidad en la respuesta a PQRSD (meta ≥ 95 %); Percepción de la "
        "satisfacción del cliente-ciudadano (meta ≥ 80 %); Calidad en la respuesta de las PQRSD; Nivel de "
        "servicio en el canal presencial; Oportunidad en la gestión de trámites; Trámites y servicios racionalizados",
        "riesgos": "Respuestas a PQRSD fuera de los términos legales; caracterización desactualizada; "
        "canales de atención no disponibles; acciones de mejora que no atacan la causa raíz",
    },
    lanes=[
        lane("planeacion"),
        lane("atencion_ciudadano"),
        lane("control_interno"),
        lane("secretaria_general"),
        lane("alta_direccion"),
    ],
    body=Body(
        nodes=[
            start("Start_Ciclo", "Inicio de la vigencia", "planeacion"),
            _stage(
                "Call_Conocer",
                "Conocer a la ciudadanía y grupos de valor",
                "conocer_ciudadania",
                "planeacion",
                "P",
                "Planear: caracterización de la ciudadanía, usuarios y grupos de valor.",
            ),
            _stage(
                "Call_Formular",
                "Formular la estrategia de relacionamiento",
                "formular_estrategia",
                "planeacion",
                "P",
                "Planear: estrategia, indicadores, socialización y capacitación.",
            ),
            _stage(
                "Call_Desarrollar",
                "Desarrollar los escenarios de interacción",
                "desarrollar_interaccion",
                "atencion_ciudadano",
                "H",
                "Hacer: canales, participación y rendición de cuentas.",
            ),
            _stage(
                "Call_Seguimiento",
                "Hacer seguimiento al relacionamiento",
                "seguimiento_relacionamiento",
                "control_interno",
                "V",
                "Verificar: línea base, indicadores del reporte de PQRSD frente a sus metas, realimentación. Cada "
                "indicador bajo su meta abre su propia acción de mejora (proceso accion_mejora), que sigue su curso "
                "mientras el ciclo continúa.",
            ),
            _stage(
                "Call_Proponer",
                "Proponer ajustes a la oferta institucional",
                "proponer_ajustes_oferta",
                "secretaria_general",
                "A",
                "Actuar: propuesta de ajuste a la oferta institucional.",
            ),
            activity(
                "Task_DecidirCiclo",
                "Decidir el siguiente ciclo",
                "alta_direccion",
                "Revisar los resultados del ciclo y decidir el inicio del siguiente periodo",
                "El Comité revisa los resultados y decide si el ciclo continúa en la siguiente vigencia. Las acciones "
                "de mejora abiertas por el seguimiento están en «acciones_mejora».",
                [
                    check(
                        "continuar_ciclo", "¿Continuar con el ciclo en la siguiente vigencia?", default=True
                    ),
                    area("decision_comite", "Decisión y orientaciones del Comité"),
                ],
                form="ciclo_decidir_siguiente",
                phva="A",
                proveedor="Todas las etapas del ciclo",
                entradas="Resultados del ciclo",
                salidas="Decisión del Comité sobre el siguiente ciclo",
                cliente="Todos los procesos",
            ),
            xor("Gateway_Continuar", "¿Continuar?", "alta_direccion", default="End_Ciclo"),
            Node(
                "Timer_SiguientePeriodo",
                "timer_catch",
                "Inicio de la siguiente vigencia",
                lane="Lane_alta_direccion",
                timer=("timeDuration", "P1Y"),
                row=1,
                doc="Espera un año (la vigencia) antes de volver a caracterizar.",
            ),
            end("End_Ciclo", "Ciclo cerrado", "alta_direccion"),
        ],
        flows=[
            *chain(
                "Start_Ciclo",
                "Call_Conocer",
                "Call_Formular",
                "Call_Desarrollar",
                "Call_Seguimiento",
                "Call_Proponer",
                "Task_DecidirCiclo",
                "Gateway_Continuar",
            ),
            Flow("Gateway_Continuar", "Timer_SiguientePeriodo", "Sí", "${continuar_ciclo}"),
            Flow("Gateway_Continuar", "End_Ciclo", "No"),
            Flow("Timer_SiguientePeriodo", "Call_Conocer"),
        ],
    ),
)

PROCESSES = [ciclo, accion_mejora]
