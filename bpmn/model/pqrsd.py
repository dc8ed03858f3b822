"""One PQRSD from radicación to closure (Ley 1755 de 2015) and its DMN tables."""

from __future__ import annotations

from _common import (
    DEPENDENCIA_OPTIONS,
    activity,
    area,
    chain,
    check,
    choice,
    day,
    end,
    lane,
    text,
    xor,
)
from etapas import LIDER
from layout_bpmn import Body, Decision, Field, Flow, Node, Process, dmn_document

TIPOS = (
    ("peticion_general", "Petición de interés general o particular"),
    ("informacion_documentos", "Solicitud de información o documentos"),
    ("consulta", "Consulta"),
    ("queja", "Queja"),
    ("reclamo", "Reclamo"),
    ("sugerencia", "Sugerencia"),
    ("denuncia", "Denuncia"),
    ("felicitacion", "Felicitación"),
)
CANALES = (
    ("formulario_web", "Formulario web"),
    ("correo_electronico", "Correo electrónico"),
    ("presencial_ventanilla", "Escrito en ventanilla"),
    ("verbal_presencial", "Verbal presencial"),
    ("telefonico", "Telefónico"),
    ("buzon", "Buzón de sugerencias"),
    ("chat", "Chat"),
)
CONDICIONES = (
    ("normal", "Ninguna"),
    ("prioritaria_art20", "Reconocimiento de un derecho fundamental (art. 20)"),
    ("urgente_vida_integridad", "Peligro inminente para la vida o la integridad (art. 20)"),
    ("periodista", "Periodista en ejercicio de su actividad (art. 20)"),
)
NIVELES = (
    ("autogestion", "Nivel 1: autogestión (información general)"),
    ("punto_atencion", "Nivel 2: se resuelve en el punto de atención"),
    ("area_misional", "Nivel 3: requiere un área misional"),
)
PQRSD_H = dict(
    phva="H",
    proveedor="Ciudadanía; grupos de valor; otras entidades (traslados)",
    cliente="Peticionario; ciudadanía",
)


def _system(node_id: str, kind: str, name: str, group: str, doc: str, **extra: object) -> Node:
    return Node(node_id, kind, name, lane=f"Lane_{group}", doc=doc, **extra)  # type: ignore[arg-type]


# ---- Gestionar la respuesta (embedded subprocess, the three levels of attention) -------------------------
respuesta = Body(
    nodes=[
        Node("Start_Respuesta", "start", "Término corriendo"),
        Node("Gateway_Nivel", "xor", "¿Nivel de atención?", default="Gateway_Reingreso"),
        activity(
            "Task_Autogestion",
            "Responder con autogestión (nivel 1)",
            "atencion_ciudadano",
            "Orientar al peticionario hacia las herramientas de autogestión y responder",
            "Primer nivel de atención: información general disponible en la web, el chat o la línea.",
            [area("respuesta", "Respuesta al peticionario")],
            form="pqrsd_responder_autogestion",
            entradas="PQRSD clasificada",
            salidas="Respuesta de fondo",
            lane=None,
            row=0,
            **PQRSD_H,
        ),
        activity(
            "Task_PuntoAtencion",
            "Resolver en el punto de atención (nivel 2)",
            "atencion_ciudadano",
            "Resolver la petición en el punto de atención",
            "Segundo nivel: peticiones más específicas que se resuelven sin intervención de un área misional.",
            [area("respuesta", "Respuesta al peticionario")],
            form="pqrsd_responder_punto_atencion",
            entradas="PQRSD clasificada",
            salidas="Respuesta de fondo",
            lane=None,
            row=1,
            **PQRSD_H,
        ),
        xor(
            "Gateway_Reingreso",
            "¿Vuelve de una prórroga?",
            "x",
            lane=None,
            row=2,
            default="Task_AsignarDependencia",
        ),
        activity(
            "Task_AsignarDependencia",
            "Asignar la dependencia responsable",
            "atencion_ciudadano",
            "Asignar la PQRSD a la dependencia competente",
            "Tercer nivel: la PQRSD requiere un área misional. Se sugiere la dependencia que indica la tabla de "
            "clasificación.",
            [choice("dependencia", "Dependencia responsable", DEPENDENCIA_OPTIONS)],
            form="pqrsd_asignar_dependencia",
            entradas="PQRSD clasificada",
            salidas="PQRSD asignada",
            lane=None,
            row=3,
            **PQRSD_H,
        ),
        xor("Gateway_Proyectar", "Proyectar", "x", lane=None, row=2),
        activity(
            "Task_ProyectarRespuesta",
            "Proyectar la respuesta",
            "dependencias",
            "Gestionar las peticiones, quejas, reclamos, sugerencias y denuncias de acuerdo con las atribuciones "
            "de la entidad y los términos de tiempo establecidos",
            "Proyecte una respuesta de fondo, clara y oportuna. Si excepcionalmente no puede responder en el "
            "término, solicite la prórroga (art. 14, parágrafo): solo antes del vencimiento y hasta el doble del "
            "término inicial.",
            [
                area("respuesta", "Respuesta proyectada"),
                check("solicitar_prorroga", "¿Solicitar prórroga (art. 14 par.)?"),
                area(
                    "motivo_prorroga",
                    "Motivos de la prórroga",
                    required=False,
                    hide_if="=not(solicitar_prorroga)",
                ),
                day(
                    "nueva_fecha_respuesta",
                    "Nueva fecha de respuesta",
                    required=False,
                    hide_if="=not(solicitar_prorroga)",
                ),
            ],
            form="pqrsd_proyectar_respuesta",
            group="${dependencia}",
            priority="${prioridad_num}",
            due="${fecha_vencimiento}",
            entradas="PQRSD asignada",
            salidas="Respuesta proyectada",
            indicador="Porcentaje de oportunidad en la respuesta a PQRSD",
            riesgo="Respuesta fuera de término (falta disciplinaria)",
            lane=None,
            row=2,
            **PQRSD_H,
        ),
        xor(
            "Gateway_Prorroga", "¿Solicita prórroga?", "x", lane=None, row=2, default="Task_AprobarRespuesta"
        ),
        Node(
            "Task_ValidarProrroga",
            "service",
            "Validar la prórroga",
            topic="pqrsd_validar_prorroga",
            row=3,
            doc="La prórroga procede una sola vez, comunicada antes del vencimiento, con sus motivos y hasta el "
            "doble del término inicial (art. 14 par.). Si no procede, la razón queda en observacion_prorroga.",
        ),
        xor(
            "Gateway_ProrrogaValida",
            "¿Prórroga válida?",
            "x",
            lane=None,
            row=3,
            default="Task_ProyectarRespuesta",
        ),
        activity(
            "Task_ComunicarProrroga",
            "Comunicar la prórroga al peticionario",
            "dependencias",
            "Informar al peticionario, antes del vencimiento, los motivos de la demora y el plazo razonable de "
            "respuesta (art. 14, parágrafo)",
            "El nuevo plazo no puede exceder el doble del término inicial.",
            [text("radicado_oficio_prorroga", "Radicado del oficio de prórroga")],
            form="pqrsd_comunicar_prorroga",
            group="${dependencia}",
            entradas="Solicitud de prórroga",
            salidas="Prórroga comunicada",
            lane=None,
            row=3,
            **PQRSD_H,
        ),
        Node("End_Prorrogada", "end", "Prórroga comunicada", row=3),
        activity(
            "Task_AprobarRespuesta",
            "Revisar y aprobar la respuesta",
            "dependencias",
            "Revisar y aprobar la respuesta proyectada (calidad: coherencia, claridad, calidez, oportunidad)",
            "La aprueba el jefe de la dependencia. Si no se aprueba, vuelve a proyectarse.",
            [
                check("respuesta_aprobada", "¿Se aprueba la respuesta?"),
                area("observaciones_revision", "Observaciones de la revisión", required=False),
            ],
            form="pqrsd_aprobar_respuesta",
            group="${dependencia}",
            priority="${prioridad_num}",
            due="${fecha_vencimiento}",
            entradas="Respuesta proyectada",
            salidas="Respuesta aprobada",
            indicador="Calidad en la respuesta de las PQRSD",
            lane=None,
            row=2,
            **PQRSD_H,
        ),
        xor("Gateway_Aprobada", "¿Aprobada?", "x", lane=None, row=2, default="Task_ProyectarRespuesta"),
        xor("Gateway_RespuestaLista", "Respuesta lista", "x", lane=None, row=0),
        Node("End_Respuesta", "end", "Respuesta aprobada"),
    ],
    flows=[
        Flow("Start_Respuesta", "Gateway_Nivel"),
        Flow("Gateway_Nivel", "Task_Autogestion", "Nivel 1", "${nivel == 'autogestion'}"),
        Flow("Gateway_Nivel", "Task_PuntoAtencion", "Nivel 2", "${nivel == 'punto_atencion'}"),
        Flow("Gateway_Nivel", "Gateway_Reingreso", "Nivel 3"),
        Flow("Gateway_Reingreso", "Gateway_Proyectar", "Sí", "${reingreso}"),
        Flow("Gateway_Reingreso", "Task_AsignarDependencia", "No"),
        Flow("Task_AsignarDependencia", "Gateway_Proyectar"),
        *chain("Gateway_Proyectar", "Task_ProyectarRespuesta", "Gateway_Prorroga"),
        Flow("Gateway_Prorroga", "Task_ValidarProrroga", "Sí", "${solicitar_prorroga}"),
        Flow("Gateway_Prorroga", "Task_AprobarRespuesta", "No"),
        Flow("Task_ValidarProrroga", "Gateway_ProrrogaValida"),
        Flow("Gateway_ProrrogaValida", "Task_ComunicarProrroga", "Sí", "${prorroga_valida}"),
        Flow("Gateway_ProrrogaValida", "Task_ProyectarRespuesta", "No"),
        Flow("Task_ComunicarProrroga", "End_Prorrogada"),
        Flow("Task_AprobarRespuesta", "Gateway_Aprobada"),
        Flow("Gateway_Aprobada", "Gateway_RespuestaLista", "Sí", "${respuesta_aprobada}"),
        Flow("Gateway_Aprobada", "Task_ProyectarRespuesta", "No"),
        Flow("Task_Autogestion", "Gateway_RespuestaLista"),
        Flow("Task_PuntoAtencion", "Gateway_RespuestaLista"),
        Flow("Gateway_RespuestaLista", "End_Respuesta"),
    ],
)
for _node in respuesta.nodes:  # the subprocess draws without lanes; its tasks keep their candidate groups
    _node.lane = None


RADICAR_FIELDS = [
    choice("tipo", "Tipo de PQRSD", TIPOS),
    choice("canal", "Canal de recepción", CANALES),
    text("asunto", "Asunto", max_length=200),
    area("descripcion", "Descripción de la petición"),
    check("anonimo", "Petición anónima"),
    text("nombre", "Nombre del peticionario", required=False, hide_if="=anonimo"),
    Field("correo", "Correo electrónico para la respuesta", "textfield", hide_if="=anonimo"),
    choice("prioridad", "Atención prioritaria (art. 20)", CONDICIONES, default="normal"),
    Field(
        "fecha_recibo",
        "Fecha y hora de recibo (ISO-8601)",
        "textfield",
        True,
        description="La registra el canal: es la base del radicado y de los términos.",
    ),
]

pqrsd = Process(
    key="pqrsd",
    name="Gestión de una PQRSD",
    doc="Una petición, queja, reclamo, sugerencia o denuncia desde su radicación hasta el cierre, según la Ley "
    "1755 de 2015: clasificación y términos por tabla DMN, competencia (traslado, art. 21), completitud "
    "(requerimiento y desistimiento tácito, art. 17), tres niveles de atención, prórroga (art. 14 par.), alertas "
    "a los 2/3 del término y escalamiento al vencer. Los vencimientos son días hábiles del calendario de la entidad. "
    "El caso radicado guarda el estado y el reloj legal: las tareas de servicio pqrsd_* los actualizan y devuelven "
    "al proceso las fechas que esperan sus temporizadores.",
    props={
        "phva": "H",
        "objetivo": "Dar respuesta de fondo, clara y oportuna a cada PQRSD dentro de los términos legales.",
        "alcance": "Inicia con la recepción de la PQRSD en cualquier canal y termina con la "
        "respuesta comunicada y la encuesta de satisfacción.",
        "lider": LIDER,
        "indicadores": "Porcentaje de oportunidad en la respuesta a PQRSD; Calidad en la respuesta de las "
        "PQRSD; % de traslados dentro de 5 días; % de requerimientos art. 17 dentro de 10 días",
        "riesgos": "Respuesta fuera de término; traslado tardío; desistimiento decretado sin el acto motivado",
    },
    lanes=[
        lane("atencion_ciudadano", "Unidad de Atención al Ciudadano (ventanilla)"),
        lane("dependencias", "Dependencia responsable"),
        lane("supervision"),
    ],
    messages={
        "pqrsd_completada": "Message_PqrsdCompletada",
        "pqrsd_encuesta_respondida": "Message_PqrsdEncuestaRespondida",
    },
    body=Body(
        nodes=[
            Node(
                "Start_Pqrsd",
                "start",
                "PQRSD recibida",
                lane="Lane_atencion_ciudadano",
                form="pqrsd_radicar",
                fields=RADICAR_FIELDS,
                doc="Recepción por cualquier canal. Las peticiones verbales se radican con constancia (Decreto 1166 "
                "de 2016) y las anónimas siempre se reciben.",
            ),
            _system(
                "Task_Registrar",
                "service",
                "Registrar la radicación",
                "atencion_ciudadano",
                "Lee del caso radicado la fecha de radicación (fuera de horario o en día no hábil: el siguiente día "
                "hábil), el vencimiento legal y la alerta.",
                topic="pqrsd_registrar",
            ),
            _system(
                "Task_Terminos",
                "rule",
                "Determinar el término legal",
                "atencion_ciudadano",
                "Tabla DMN «terminos_pqrsd»: tipo → término legal, días hábiles y día de la alerta.",
                decision="terminos_pqrsd",
                props={
                    "phva": "P",
                    "proveedor": "Ley 1755 de 2015",
                    "entradas": "Tipo de PQRSD",
                    "salidas": "Término legal",
                    "cliente": "Dependencias",
                },
            ),
            _system(
                "Task_Clasificar",
                "rule",
                "Clasificar prioridad y dependencia",
                "atencion_ciudadano",
                "Tabla DMN «clasificar_pqrsd»: atención prioritaria (art. 20), denuncias anónimas y dependencia "
                "sugerida.",
                decision="clasificar_pqrsd",
                props={
                    "phva": "P",
                    "proveedor": "Ciudadanía",
                    "entradas": "PQRSD radicada",
                    "salidas": "PQRSD tipificada y priorizada",
                    "cliente": "Dependencias",
                },
            ),
            _system(
                "Task_CalcularTerminos",
                "service",
                "Calcular vencimiento y alertas",
                "atencion_ciudadano",
                "La PQRSD queda en trámite: vencimiento en días hábiles, alerta a los 2/3 del término (a los 3 días "
                "si es prioritaria, art. 20), límites de traslado (5 días) y de requerimiento (10 días).",
                topic="pqrsd_en_tramite",
            ),
            xor(
                "Gateway_Urgente",
                "¿Riesgo para la vida o la integridad?",
                "atencion_ciudadano",
                default="Gateway_UrgenteFin",
            ),
            activity(
                "Task_MedidasUrgentes",
                "Adoptar medidas urgentes (art. 20)",
                "supervision",
                "Adoptar de inmediato las medidas de urgencia necesarias para conjurar el peligro",
                "Sin perjuicio del trámite de la petición. Registre las medidas y a quién se informó.",
                [area("medidas_urgentes", "Medidas adoptadas")],
                form="pqrsd_medidas_urgentes",
                priority="${prioridad_num}",
                entradas="PQRSD con riesgo para la vida o la integridad",
                salidas="Medidas urgentes adoptadas",
                **PQRSD_H,
            ),
            xor("Gateway_UrgenteFin", "Trámite normal", "atencion_ciudadano"),
            activity(
                "Task_Verificar",
                "Verificar competencia, completitud y nivel",
                "atencion_ciudadano",
                "Tipificar las PQRSD y verificar la competencia de la entidad, si la petición está completa y el nivel "
                "de atención que requiere",
                "Art. 21: si la entidad no es competente, se traslada dentro de 5 días hábiles. Art. 17: si falta "
                "información necesaria para decidir, se requiere al peticionario dentro de 10 días.",
                [
                    check("competente", "¿La entidad es competente?", default=True),
                    text("entidad_competente", "Entidad competente", required=False, hide_if="=competente"),
                    check("completa", "¿La petición está completa?", default=True),
                    area(
                        "informacion_faltante",
                        "Información o documentos faltantes",
                        required=False,
                        hide_if="=completa",
                    ),
                    choice("nivel", "Nivel de atención", NIVELES, kind="radio", default="area_misional"),
                ],
                form="pqrsd_verificar",
                priority="${prioridad_num}",
                due="${limite_traslado}",
                entradas="PQRSD radicada",
                salidas="PQRSD tipificada con competencia, completitud y nivel",
                indicador="% de traslados dentro de 5 días",
                **PQRSD_H,
            ),
            xor("Gateway_Competente", "¿Es competente?", "atencion_ciudadano", default="Gateway_Completa"),
            activity(
                "Task_Trasladar",
                "Trasladar a la entidad competente",
                "atencion_ciudadano",
                "Remitir la petición a la autoridad competente y enviar copia del oficio remisorio al peticionario "
                "(art. 21)",
                "Dentro de 5 días hábiles desde la recepción. Si ninguna autoridad es competente, infórmelo así.",
                [
                    text("entidad_destino", "Entidad a la que se traslada"),
                    text("radicado_oficio_traslado", "Radicado del oficio remisorio"),
                ],
                form="pqrsd_trasladar",
                due="${limite_traslado}",
                entradas="PQRSD sin competencia",
                salidas="Oficio remisorio",
                row=1,
                **PQRSD_H,
            ),
            _system(
                "Task_RegistrarTraslado",
                "service",
                "Registrar el traslado",
                "atencion_ciudadano",
                "La PQRSD queda trasladada a la entidad competente, con el oficio remisorio y si se hizo dentro "
                "del término (art. 21).",
                topic="pqrsd_trasladar",
                row=1,
            ),
            _system(
                "Task_NotificarTraslado",
                "service",
                "Comunicar el traslado",
                "atencion_ciudadano",
                "Envía al peticionario la copia del oficio remisorio.",
                topic="notificar",
                props={"plantilla": "traslado"},
            ),
            end("End_Trasladada", "PQRSD trasladada", "atencion_ciudadano"),
            xor("Gateway_Completa", "¿Está completa?", "atencion_ciudadano", default="Gateway_Completada"),
            activity(
                "Task_Requerir",
                "Requerir al peticionario (art. 17)",
                "atencion_ciudadano",
                "Requerir al peticionario para que complete la petición dentro del mes siguiente",
                "Dentro de 10 días de la radicación. El término para responder se suspende hasta que el peticionario "
                "aporte lo requerido.",
                [area("texto_requerimiento", "Requerimiento al peticionario")],
                form="pqrsd_requerir",
                due="${limite_requerimiento}",
                entradas="PQRSD incompleta",
                salidas="Requerimiento enviado",
                indicador="% de requerimientos art. 17 dentro de 10 días",
                row=2,
                **PQRSD_H,
            ),
            _system(
                "Task_Suspender",
                "service",
                "Suspender el término",
                "atencion_ciudadano",
                "El término de la PQRSD se suspende y corre el mes del peticionario para completarla (art. 17).",
                topic="pqrsd_requerimiento",
                row=2,
            ),
            _system(
                "Task_NotificarRequerimiento",
                "service",
                "Notificar el requerimiento",
                "atencion_ciudadano",
                "Envía el requerimiento al peticionario.",
                topic="notificar",
                props={"plantilla": "requerimiento"},
                row=2,
            ),
            activity(
                "Task_EsperarComplemento",
                "Registrar el complemento de la petición",
                "atencion_ciudadano",
                "Recibir la información o los documentos que completan la petición",
                "Si el peticionario los entrega en ventanilla, regístrelos aquí. Si los aporta por el portal, llega el "
                "mensaje «pqrsd_completada» (clave de negocio: el radicado). Si vence su mes sin completarla, se "
                "decreta el desistimiento tácito.",
                [area("anexos", "Información o documentos aportados")],
                form="pqrsd_registrar_complemento",
                entradas="Requerimiento enviado",
                salidas="Petición completa",
                row=2,
                **PQRSD_H,
            ),
            Node(
                "Event_Completada",
                "boundary",
                "Completada por el portal",
                attached="Task_EsperarComplemento",
                message="pqrsd_completada",
            ),
            Node(
                "Timer_PlazoCiudadano",
                "boundary",
                "Vence el mes del peticionario",
                attached="Task_EsperarComplemento",
                timer=("timeDate", "${plazo_ciudadano}"),
            ),
            xor("Gateway_Complemento", "Complemento recibido", "atencion_ciudadano", row=2),
            _system(
                "Task_Reactivar",
                "service",
                "Reactivar el término",
                "atencion_ciudadano",
                "Art. 17: el término se reactiva desde el día siguiente al complemento; los días hábiles ya usados "
                "se descuentan (o corre de nuevo, según la configuración de la entidad).",
                topic="pqrsd_reanudar",
                row=2,
            ),
            activity(
                "Task_Desistimiento",
                "Decretar el desistimiento tácito",
                "atencion_ciudadano",
                "Decretar el desistimiento y el archivo del expediente mediante acto administrativo motivado",
                "Se notifica personalmente; solo procede el recurso de reposición. La petición puede presentarse de "
                "nuevo con el lleno de los requisitos.",
                [text("acto_desistimiento", "Número del acto administrativo")],
                form="pqrsd_desistimiento",
                entradas="Plazo del peticionario vencido",
                salidas="Acto de desistimiento",
                row=3,
                **PQRSD_H,
            ),
            _system(
                "Task_RegistrarDesistimiento",
                "service",
                "Registrar el desistimiento",
                "atencion_ciudadano",
                "La PQRSD termina por desistimiento tácito, con el número del acto administrativo (art. 17).",
                topic="pqrsd_desistir",
                row=3,
            ),
            _system(
                "Task_NotificarDesistimiento",
                "service",
                "Notificar el desistimiento",
                "atencion_ciudadano",
                "Notificación personal del acto de desistimiento.",
                topic="notificar",
                props={"plantilla": "desistimiento"},
                row=3,
            ),
            end("End_Desistida", "Desistimiento tácito", "atencion_ciudadano", row=3),
            xor("Gateway_Completada", "Petición completa", "atencion_ciudadano"),
            xor("Gateway_Entrada", "Entrada a la gestión", "dependencias"),
            Node(
                "Sub_Respuesta",
                "subprocess",
                "Gestionar la respuesta",
                lane="Lane_dependencias",
                children=respuesta,
                doc="Tres niveles de atención (autogestión, punto de atención, áreas misionales), proyección, "
                "prórroga y aprobación de la respuesta. Las alertas corren sobre todo el subproceso.",
            ),
            Node(
                "Timer_Alerta",
                "boundary",
                "2/3 del término",
                attached="Sub_Respuesta",
                interrupting=False,
                timer=("timeDate", "${alerta_en}"),
            ),
            Node(
                "Timer_Vencida",
                "boundary",
                "Término vencido",
                attached="Sub_Respuesta",
                interrupting=False,
                timer=("timeDate", "${fecha_vencimiento}"),
            ),
            _system(
                "Task_Alertar",
                "service",
                "Alertar a la dependencia",
                "dependencias",
                "Alerta temprana: quedan pocos días del término.",
                topic="notificar",
                props={"plantilla": "alerta_termino"},
                row=1,
            ),
            end("End_Alertada", "Alerta enviada", "dependencias", row=1),
            activity(
                "Task_Vencida",
                "Atender la PQRSD vencida",
                "supervision",
                "Escalar la PQRSD vencida al supervisor para que se responda de inmediato",
                "El término venció sin respuesta: la respuesta se sigue debiendo. Reasigne o apoye a la dependencia "
                "y registre las acciones (posible falta disciplinaria).",
                [area("acciones_supervisor", "Acciones del supervisor")],
                form="pqrsd_atender_vencida",
                priority="100",
                entradas="PQRSD vencida",
                salidas="PQRSD escalada",
                riesgo="Respuesta fuera de término",
                **PQRSD_H,
            ),
            end("End_Escalada", "Vencida escalada", "supervision"),
            xor("Gateway_Prorrogada", "¿Se prorrogó?", "dependencias", default="Gateway_Anonimo"),
            _system(
                "Task_AplicarProrroga",
                "service",
                "Aplicar la prórroga",
                "dependencias",
                "Comunicado el aviso, el nuevo vencimiento es la fecha pedida, sin pasar del doble del término "
                "inicial (art. 14 par.); la prórroga procede una sola vez.",
                topic="pqrsd_prorrogar",
                row=1,
            ),
            xor(
                "Gateway_Anonimo",
                "¿Peticionario anónimo?",
                "atencion_ciudadano",
                default="Task_NotificarRespuesta",
            ),
            activity(
                "Task_Publicar",
                "Publicar la respuesta (peticionario anónimo)",
                "atencion_ciudadano",
                "Publicar la respuesta en la página web y en la cartelera de la entidad durante 5 días",
                "Las peticiones anónimas no tienen dirección: la publicación es la comunicación de la respuesta.",
                [
                    text("enlace_publicacion_respuesta", "Enlace de la publicación"),
                    day("fecha_publicacion_respuesta", "Fecha de publicación"),
                ],
                form="pqrsd_publicar_respuesta",
                entradas="Respuesta aprobada",
                salidas="Respuesta publicada",
                row=2,
                **PQRSD_H,
            ),
            _system(
                "Task_RegistrarPublicacion",
                "service",
                "Registrar la respuesta publicada",
                "atencion_ciudadano",
                "La publicación es la comunicación de la respuesta: la PQRSD queda respondida.",
                topic="pqrsd_responder",
                row=2,
            ),
            _system(
                "Task_CerrarPublicada",
                "service",
                "Cerrar la PQRSD anónima",
                "atencion_ciudadano",
                "Sin dirección no hay encuesta: respondida, la PQRSD anónima se cierra.",
                topic="pqrsd_cerrar",
                row=2,
            ),
            end("End_Publicada", "Respuesta publicada", "atencion_ciudadano", row=2),
            _system(
                "Task_NotificarRespuesta",
                "service",
                "Comunicar la respuesta",
                "atencion_ciudadano",
                "Envía la respuesta al peticionario por el medio que indicó.",
                topic="notificar",
                props={"plantilla": "respuesta"},
            ),
            _system(
                "Task_RegistrarRespuesta",
                "service",
                "Registrar la respuesta comunicada",
                "atencion_ciudadano",
                "La PQRSD queda respondida: cuándo, por qué medio y si fue dentro del término.",
                topic="pqrsd_responder",
            ),
            activity(
                "Task_Encuesta",
                "Registrar la encuesta de satisfacción",
                "atencion_ciudadano",
                "Medir la satisfacción del peticionario con la respuesta",
                "Si el peticionario la responde en el portal, llega el mensaje «pqrsd_encuesta_respondida» y esta "
                "tarea termina sola. Si no responde en 10 días, el caso se cierra sin encuesta.",
                [
                    choice(
                        "satisfaccion",
                        "¿Qué tan satisfecho está con la respuesta?",
                        (
                            ("5", "Muy satisfecho"),
                            ("4", "Satisfecho"),
                            ("3", "Neutral"),
                            ("2", "Insatisfecho"),
                            ("1", "Muy insatisfecho"),
                        ),
                        kind="radio",
                    ),
                    area("comentarios_encuesta", "Comentarios", required=False),
                ],
                form="pqrsd_encuesta",
                entradas="Respuesta comunicada",
                salidas="Encuesta de satisfacción",
                indicador="Percepción de la satisfacción del cliente-ciudadano",
                **PQRSD_H,
            ),
            Node(
                "Event_EncuestaPortal",
                "boundary",
                "Respondida en el portal",
                attached="Task_Encuesta",
                message="pqrsd_encuesta_respondida",
            ),
            xor("Gateway_Encuesta", "Encuesta recibida", "atencion_ciudadano", row=0),
            _system(
                "Task_RegistrarEncuesta",
                "service",
                "Registrar la encuesta",
                "atencion_ciudadano",
                "La encuesta queda en la tabla de encuestas (pqrsd_surveys), una por caso; la que el peticionario "
                "respondió en el portal ya está registrada.",
                topic="pqrsd_encuesta",
                row=0,
            ),
            Node(
                "Timer_SinEncuesta",
                "boundary",
                "10 días sin respuesta",
                attached="Task_Encuesta",
                timer=("timeDuration", "P10D"),
            ),
            _system(
                "Task_CerrarSinEncuesta",
                "service",
                "Cerrar sin encuesta",
                "atencion_ciudadano",
                "Pasaron 10 días sin respuesta a la encuesta: la PQRSD respondida se cierra.",
                topic="pqrsd_cerrar",
                row=1,
            ),
            end("End_SinEncuesta", "Cerrada sin encuesta", "atencion_ciudadano", row=1),
            _system(
                "Task_Cerrar",
                "service",
                "Cerrar la PQRSD",
                "atencion_ciudadano",
                "Con la encuesta registrada, la PQRSD respondida se cierra.",
                topic="pqrsd_cerrar",
            ),
            end("End_Respondida", "PQRSD respondida", "atencion_ciudadano"),
        ],
        flows=[
            *chain(
                "Start_Pqrsd",
                "Task_Registrar",
                "Task_Terminos",
                "Task_Clasificar",
                "Task_CalcularTerminos",
                "Gateway_Urgente",
            ),
            Flow("Gateway_Urgente", "Task_MedidasUrgentes", "Sí", "${prioridad_atencion == 'urgente'}"),
            Flow("Gateway_Urgente", "Gateway_UrgenteFin", "No"),
            *chain("Task_MedidasUrgentes", "Gateway_UrgenteFin", "Task_Verificar", "Gateway_Competente"),
            Flow("Gateway_Competente", "Task_Trasladar", "No", "${!competente}"),
            Flow("Gateway_Competente", "Gateway_Completa", "Sí"),
            *chain("Task_Trasladar", "Task_RegistrarTraslado", "Task_NotificarTraslado", "End_Trasladada"),
            Flow("Gateway_Completa", "Task_Requerir", "No", "${!completa}"),
            Flow("Gateway_Completa", "Gateway_Completada", "Sí"),
            *chain(
                "Task_Requerir",
                "Task_Suspender",
                "Task_NotificarRequerimiento",
                "Task_EsperarComplemento",
                "Gateway_Complemento",
                "Task_Reactivar",
                "Gateway_Completada",
            ),
            Flow("Event_Completada", "Gateway_Complemento"),
            *chain(
                "Timer_PlazoCiudadano",
                "Task_Desistimiento",
                "Task_RegistrarDesistimiento",
                "Task_NotificarDesistimiento",
                "End_Desistida",
            ),
            *chain("Gateway_Completada", "Gateway_Entrada", "Sub_Respuesta", "Gateway_Prorrogada"),
            Flow("Gateway_Prorrogada", "Task_AplicarProrroga", "Sí", "${prorrogada}"),
            Flow("Gateway_Prorrogada", "Gateway_Anonimo", "No"),
            Flow("Task_AplicarProrroga", "Gateway_Entrada"),
            Flow("Gateway_Anonimo", "Task_Publicar", "Sí", "${anonimo}"),
            Flow("Gateway_Anonimo", "Task_NotificarRespuesta", "No"),
            *chain("Task_Publicar", "Task_RegistrarPublicacion", "Task_CerrarPublicada", "End_Publicada"),
            *chain(
                "Task_NotificarRespuesta",
                "Task_RegistrarRespuesta",
                "Task_Encuesta",
                "Gateway_Encuesta",
                "Task_RegistrarEncuesta",
                "Task_Cerrar",
                "End_Respondida",
            ),
            Flow("Event_EncuestaPortal", "Gateway_Encuesta"),
            *chain("Timer_SinEncuesta", "Task_CerrarSinEncuesta", "End_SinEncuesta"),
            *chain("Timer_Alerta", "Task_Alertar", "End_Alertada"),
            *chain("Timer_Vencida", "Task_Vencida", "End_Escalada"),
        ],
    ),
)


# The engine's guards on user tasks, as `camunda:properties` (README, «Cómo dibujar en Camunda Modeler para que
# corra aquí»): four eyes, a confirmation before an irreversible choice, what a redo task shows first.
GUARDS = {
    "Task_Verificar": {
        "phva:confirmar": "competente=false: ¿Confirma que la entidad no es competente? La PQRSD se trasladará a "
        "la entidad competente (art. 21) y su trámite termina aquí.",
    },
    "Task_Desistimiento": {
        "phva:confirmar": "¿Confirma el desistimiento tácito? Se archiva el expediente y la PQRSD termina; solo "
        "procede el recurso de reposición.",
    },
    "Task_ProyectarRespuesta": {"phva:mostrar": "observaciones_revision"},
    "Task_AprobarRespuesta": {"phva:cuatroOjos": "Task_ProyectarRespuesta"},
}
# Escalation ladders (README, «Escaleras de escalamiento»): notices and a reassignment on the business-day clock,
# leaving the 2/3 alert and the overdue escalation task to the model's own timers, so nothing fires twice.
LADDERS = {
    "Task_ProyectarRespuesta": {
        "escalamiento": "50%:avisar_responsable; 100%-1d:avisar_supervisor; 100%+2d:reasignar_supervisor; "
        "100%+5d:avisar_jefe",
    },
    "Task_AprobarRespuesta": {"escalamiento": "100%-1d:avisar_responsable; 100%:avisar_supervisor"},
}
for _node in [*pqrsd.body.nodes, *respuesta.nodes]:
    _node.props.update(GUARDS.get(_node.id, {}))
    _node.props.update(LADDERS.get(_node.id, {}))

PROCESSES = [pqrsd]  # the monthly report is in informe.py


# ---- DMN tables ------------------------------------------------------------------------------------------
terminos = Decision(
    id="terminos_pqrsd",
    name="Término legal de la PQRSD",
    doc="Ley 1755 de 2015, art. 14: 15 días hábiles por regla general, 10 para documentos e información, 30 para "
    "consultas. dias_alerta es el día hábil de la alerta temprana (2/3 del término).",
    inputs=[("Tipo de PQRSD", "tipo", "string")],
    outputs=[
        ("Término (tabla de términos)", "termino", "string"),
        ("Días hábiles", "dias_termino", "integer"),
        ("Día de alerta (2/3)", "dias_alerta", "integer"),
    ],
    rules=[
        (['"peticion_general"'], ['"peticion_general"', "15", "10"], "Art. 14, inciso 1"),
        (['"informacion_documentos"'], ['"informacion_documentos"', "10", "6"], "Art. 14, num. 1"),
        (['"consulta"'], ['"consulta"', "30", "20"], "Art. 14, num. 2"),
        (['"queja"'], ['"queja"', "15", "10"], "Arts. 13-14; Ley 190 de 1995, art. 55"),
        (['"reclamo"'], ['"reclamo"', "15", "10"], "Arts. 13-14; Ley 190 de 1995, art. 55"),
        (['"sugerencia"'], ['"sugerencia"', "15", "10"], "Regla general"),
        (['"denuncia"'], ['"denuncia"', "15", "10"], "Arts. 13-14; Ley 1474 de 2011, art. 76"),
        (['"felicitacion"'], ['"felicitacion"', "15", "10"], "Sin término legal: acuse recomendado"),
        (["-"], ['"peticion_general"', "15", "10"], "Cualquier otro tipo: regla general"),
    ],
)

clasificacion = Decision(
    id="clasificar_pqrsd",
    name="Prioridad y dependencia de la PQRSD",
    doc="Art. 20 (atención prioritaria), denuncias anónimas (Ley 962 de 2005, art. 81) y dependencia sugerida.",
    inputs=[
        ("Prioridad declarada (art. 20)", "prioridad", "string"),
        ("Tipo de PQRSD", "tipo", "string"),
        ("Anónima", "anonimo", "boolean"),
    ],
    outputs=[
        ("Prioridad de atención", "prioridad_atencion", "string"),
        ("Prioridad (número)", "prioridad_num", "integer"),
        ("Dependencia sugerida", "dependencia_sugerida", "string"),
        ("Tratamiento", "tratamiento", "string"),
    ],
    rules=[
        (
            ['"urgente_vida_integridad"', "-", "-"],
            ['"urgente"', "90", '"atencion_ciudadano"', '"medidas_urgentes"'],
            "Peligro inminente para la vida o la integridad: medidas de urgencia",
        ),
        (
            ['"prioritaria_art20"', "-", "-"],
            ['"prioritaria"', "75", '"dependencias"', '"prioritaria_art20"'],
            "Reconocimiento de un derecho fundamental para evitar un perjuicio irremediable",
        ),
        (
            ['"periodista"', "-", "-"],
            ['"preferente"', "60", '"comunicaciones"', '"preferente_periodista"'],
            "Periodista en ejercicio de su actividad",
        ),
        (
            ["-", '"denuncia"', "true"],
            ['"normal"', "50", '"control_interno"', '"denuncia_anonima"'],
            "Denuncia anónima: se recibe; la acción exige hechos verificables",
        ),
        (["-", '"denuncia"', "-"], ['"normal"', "50", '"control_interno"', '"denuncia"'], "Denuncia"),
        (
            ["-", '"queja","reclamo"', "-"],
            ['"normal"', "50", '"dependencias"', '"ordinario"'],
            "Queja o reclamo",
        ),
        (["-", "-", "-"], ['"normal"', "50", '"atencion_ciudadano"', '"ordinario"'], "Trámite ordinario"),
    ],
)

FILES = {
    "bpmn/terminos_pqrsd.dmn": dmn_document(terminos),
    "bpmn/clasificar_pqrsd.dmn": dmn_document(clasificacion),
}
