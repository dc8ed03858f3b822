"""The five stages of the value chain (seed 004), one process each, with the entities' PHVA detail.

Every activity of the value chain is a user task whose documentation starts with the activity text as the
national guidance publishes it; the result of each activity is recorded as data through its form.
"""

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
    number,
    percent,
    start,
    text,
    xor,
)
from layout_bpmn import Body, Flow, Node, Process

LIDER = "Secretario(a) General"
ALCANCE = (
    "Inicia con la caracterización de las necesidades e intereses de la ciudadanía y los grupos de valor, "
    "continúa con el diseño, implementación, seguimiento y evaluación de la estrategia de relacionamiento, "
    "y finaliza con la formulación de acciones para la mejora de la oferta institucional."
)


def stage_props(phva: str, objetivo: str, indicadores: str, riesgos: str) -> dict[str, str]:
    return {
        "phva": phva,
        "objetivo": objetivo,
        "alcance": ALCANCE,
        "lider": LIDER,
        "indicadores": indicadores,
        "riesgos": riesgos,
    }


# ---- Conocer (P) ----------------------------------------------------------------------------------------
MECANISMOS = (
    ("encuesta", "Encuesta"),
    ("entrevista", "Entrevista"),
    ("grupo_focal", "Grupos focales"),
    ("registros_administrativos", "Registros administrativos (PQRSD, trámites, turnos)"),
    ("fuentes_secundarias", "Fuentes secundarias (DANE, SISBÉN, estudios)"),
)
CONOCER_P = dict(
    phva="P",
    proveedor="DNP; Función Pública; procesos de la entidad",
    cliente="Todos los procesos; grupos de valor",
)

conocer = Process(
    key="conocer_ciudadania",
    name="Conocer a la ciudadanía, los usuarios y grupos de valor",
    doc="Etapa de la cadena de valor del relacionamiento con la ciudadanía: caracterización de la ciudadanía, "
    "usuarios y grupos de interés e identificación de sus necesidades (Planear).",
    props=stage_props(
        "P",
        "Caracterizar a la ciudadanía, los usuarios y grupos de valor e identificar sus necesidades, intereses, "
        "expectativas y preferencias para optimizar la oferta de bienes y servicios.",
        "Caracterización actualizada en la vigencia (sí/no); segmentos con necesidades identificadas",
        "Caracterización desactualizada o sin fuentes confiables; baja participación en la recolección",
    ),
    lanes=[lane("planeacion"), lane("atencion_ciudadano"), lane("alta_direccion"), lane("comunicaciones")],
    body=Body(
        nodes=[
            start("Start_Conocer", "Inicio de la caracterización", "planeacion"),
            activity(
                "Task_ConformarGrupo",
                "Conformar el grupo de trabajo y definir objetivos",
                "planeacion",
                "Conformar un grupo de trabajo, establecer la dependencia responsable del ejercicio, definir los "
                "objetivos, y elegir el mecanismo de recolección de la información",
                "Registre quiénes integran el grupo, la dependencia que lidera el ejercicio, los objetivos y el "
                "mecanismo de recolección (guía de caracterización de Función Pública / DNP).",
                [
                    choice(
                        "dependencia_caracterizacion",
                        "Dependencia responsable del ejercicio",
                        DEPENDENCIA_OPTIONS,
                    ),
                    area("integrantes_grupo", "Integrantes del grupo de trabajo"),
                    area("objetivos_caracterizacion", "Objetivos de la caracterización"),
                    choice("mecanismo_recoleccion", "Mecanismo de recolección de información", MECANISMOS),
                ],
                form="conocer_conformar_grupo",
                entradas="Guía de caracterización de ciudadanía y grupos de valor; "
                "planeación estratégica; normatividad vigente",
                salidas="Grupo de trabajo conformado; objetivos y mecanismo de recolección definidos",
                **CONOCER_P,
            ),
            activity(
                "Task_AnalizarCaracteristicas",
                "Analizar, consolidar y segmentar",
                "atencion_ciudadano",
                "Analizar y consolidar las características, necesidades, los intereses, las expectativas y las "
                "preferencias de la población objetivo, clasificarlas y agruparlas en segmentos",
                "Use las variables geográficas, demográficas, intrínsecas y de comportamiento; incluya los datos de "
                "PQRSD, encuestas de satisfacción y turnos atendidos.",
                [
                    area("variables_analizadas", "Variables analizadas y fuentes"),
                    number("numero_segmentos", "Número de segmentos identificados", min=1),
                    area("segmentos", "Segmentos y sus características"),
                    area("necesidades_identificadas", "Necesidades, intereses y preferencias identificados"),
                ],
                form="conocer_analizar_caracteristicas",
                entradas="Información recolectada; informes de PQRSD; resultados de encuestas",
                salidas="Caracterización de la ciudadanía, usuarios y grupos de interés e "
                "identificación de necesidades",
                riesgo="Sesgo o insuficiencia de la información recolectada",
                **CONOCER_P,
            ),
            activity(
                "Task_ValidarCaracterizacion",
                "Validar la caracterización",
                "alta_direccion",
                "Validar la caracterización con el Comité Institucional de Gestión y Desempeño",
                "Si no se aprueba, registre las observaciones: el equipo vuelve a consolidar el análisis.",
                [
                    check("caracterizacion_aprobada", "¿Se aprueba la caracterización?"),
                    area("observaciones_caracterizacion", "Observaciones", required=False),
                ],
                form="conocer_validar_caracterizacion",
                entradas="Caracterización consolidada",
                salidas="Caracterización aprobada o devuelta con observaciones",
                **CONOCER_P,
            ),
            xor(
                "Gateway_Aprobada",
                "¿Caracterización aprobada?",
                "alta_direccion",
                default="Task_AnalizarCaracteristicas",
            ),
            activity(
                "Task_DivulgarCaracterizacion",
                "Socializar y divulgar la caracterización",
                "comunicaciones",
                "Coordinar la socialización y divulgación de la caracterización de la ciudadanía, los usuarios y "
                "grupos de valor para la optimización de la oferta de bienes y servicios, de acuerdo con los "
                "objetivos establecidos",
                "Publique el documento en la sección de transparencia y socialícelo con los líderes de proceso.",
                [
                    area("canales_divulgacion", "Canales y espacios de divulgación"),
                    day("fecha_publicacion_caracterizacion", "Fecha de publicación"),
                    text("enlace_caracterizacion", "Enlace de publicación", required=False),
                ],
                form="conocer_divulgar_caracterizacion",
                entradas="Caracterización aprobada",
                salidas="Caracterización de la ciudadanía publicada y socializada",
                **CONOCER_P,
            ),
            end("End_Conocer", "Caracterización publicada", "comunicaciones"),
        ],
        flows=[
            *chain(
                "Start_Conocer",
                "Task_ConformarGrupo",
                "Task_AnalizarCaracteristicas",
                "Task_ValidarCaracterizacion",
                "Gateway_Aprobada",
            ),
            Flow("Gateway_Aprobada", "Task_DivulgarCaracterizacion", "Sí", "${caracterizacion_aprobada}"),
            Flow("Gateway_Aprobada", "Task_AnalizarCaracteristicas", "No"),
            *chain("Task_DivulgarCaracterizacion", "End_Conocer"),
        ],
    ),
)


# ---- Formular (P) ---------------------------------------------------------------------------------------
FORMULAR_P = dict(
    phva="P",
    proveedor="Direccionamiento estratégico; Función Pública; procesos de la entidad",
    cliente="Todos los procesos; servidores públicos; grupos de valor",
)

formular = Process(
    key="formular_estrategia",
    name="Formular la estrategia de relacionamiento con la ciudadanía",
    doc="Etapa de la cadena de valor: estrategia o modelo de interacción con la ciudadanía, los usuarios y grupos "
    "de valor en el ámbito de MIPG, con sus indicadores, socialización y capacitación (Planear).",
    props=stage_props(
        "P",
        "Formular la estrategia o el modelo de interacción con la ciudadanía, los usuarios y grupos de valor, "
        "con sus indicadores y sistema de seguimiento.",
        "Porcentaje de oportunidad en la respuesta a PQRSD (meta ≥ 95 %); percepción de satisfacción (meta ≥ 80 %)",
        "Estrategia formulada sin insumos de diagnóstico; baja apropiación por parte de las dependencias",
    ),
    lanes=[
        lane("planeacion"),
        lane("atencion_ciudadano"),
        lane("dependencias"),
        lane("secretaria_general"),
        lane("talento_humano"),
        lane("comunicaciones"),
    ],
    body=Body(
        nodes=[
            start("Start_Formular", "Caracterización disponible", "planeacion"),
            activity(
                "Task_RecopilarInformacion",
                "Recopilar información del relacionamiento actual",
                "planeacion",
                "Recopilar información sobre el relacionamiento actual con la ciudadanía como caracterizaciones, "
                "autodiagnósticos de Mipg, informes de gestión, informes de PQRSD, informes e índices de organismos "
                "de control, encuestas de percepción y satisfacción ciudadana, Furag, reporte de trámites registrados "
                "en Suit, informes de seguimiento a los procesos disciplinarios, y otra que considere indispensable "
                "la entidad",
                "Registre las fuentes consultadas y los principales hallazgos del diagnóstico.",
                [
                    area("fuentes_consultadas", "Fuentes consultadas"),
                    area("hallazgos_diagnostico", "Hallazgos del diagnóstico"),
                    percent(
                        "puntaje_furag",
                        "Puntaje FURAG de la política de servicio al ciudadano",
                        required=False,
                    ),
                ],
                form="formular_recopilar_informacion",
                entradas="Caracterizaciones; autodiagnósticos MIPG; informes de PQRSD; FURAG; SUIT",
                salidas="Diagnóstico del relacionamiento actual",
                **FORMULAR_P,
            ),
            activity(
                "Task_FormasRelacionamiento",
                "Identificar las formas de relacionamiento",
                "atencion_ciudadano",
                "Identificar y analizar las formas de relacionamiento institucional (con quién, para qué, cómo, y "
                "dónde) y establecer la interacción del relacionamiento con otros procesos y las dependencias de la "
                "entidad",
                "Incluya canales de atención, participación ciudadana, rendición de cuentas e información pública.",
                [
                    area(
                        "formas_relacionamiento",
                        "Formas de relacionamiento (con quién, para qué, cómo, dónde)",
                    ),
                    area("procesos_relacionados", "Procesos y dependencias relacionados"),
                ],
                form="formular_formas_relacionamiento",
                entradas="Diagnóstico del relacionamiento actual",
                salidas="Espacios de participación y rendición de cuentas incidentes en la gestión institucional",
                **FORMULAR_P,
            ),
            activity(
                "Task_IdentificarOferta",
                "Identificar y actualizar la oferta institucional",
                "dependencias",
                "Identificar, consolidar y actualizar la oferta de bienes y servicios por procesos",
                "Incluya trámites y OPA registrados en el SUIT y servicios distintos a trámites.",
                [
                    number("tramites_opa", "Trámites y OPA registrados en el SUIT", min=0),
                    area("servicios_ofrecidos", "Servicios distintos a trámites y OPA"),
                    check("oferta_actualizada", "¿La oferta publicada está actualizada?"),
                ],
                form="formular_identificar_oferta",
                entradas="Portafolio de trámites y servicios; SUIT",
                salidas="Trámites, otros procedimientos y consultas de acceso a la información identificados, "
                "actualizados y racionalizados",
                **FORMULAR_P,
            ),
            activity(
                "Task_DisenarEstrategia",
                "Diseñar la estrategia, indicadores y seguimiento",
                "planeacion",
                "Diseñar la estrategia o el modelo, los indicadores y el sistema de seguimiento de relacionamiento "
                "con la ciudadanía, con el objetivo de orientar las actuaciones de la entidad con sus grupos de valor",
                "Registre además las metas de la vigencia en la tabla de metas de los indicadores (administración): "
                "con ellas compara la etapa de seguimiento.",
                [
                    area("estrategia_relacionamiento", "Estrategia o modelo de relacionamiento"),
                    area("indicadores_estrategia", "Indicadores y sistema de seguimiento"),
                    percent("meta_oportunidad", "Meta: oportunidad en la respuesta a PQRSD (%)", default=95),
                    percent(
                        "meta_satisfaccion", "Meta: percepción de satisfacción ciudadana (%)", default=80
                    ),
                ],
                form="formular_disenar_estrategia",
                entradas="Diagnóstico; formas de relacionamiento; oferta institucional",
                salidas="Canales de atención a la ciudadanía accesibles; pautas de servicio a la ciudadanía",
                indicador="Porcentaje de oportunidad en la respuesta a PQRSD",
                riesgo="Indicadores sin línea base ni metas verificables",
                **FORMULAR_P,
            ),
            activity(
                "Task_SocializarLideres",
                "Socializar la estrategia con los líderes",
                "secretaria_general",
                "Coordinar la socialización de la estrategia o el modelo de relacionamiento, con los líderes de las "
                "dependencias y de los procesos",
                "Registre las observaciones de las dependencias y si la estrategia requiere ajustes.",
                [
                    day("fecha_socializacion_lideres", "Fecha de la socialización"),
                    area(
                        "observaciones_dependencias",
                        "Observaciones de las dependencias y procesos",
                        required=False,
                    ),
                    check("requiere_ajustes", "¿La estrategia requiere ajustes?"),
                ],
                form="formular_socializar_lideres",
                entradas="Estrategia de relacionamiento diseñada",
                salidas="Observaciones de las dependencias y procesos",
                **FORMULAR_P,
            ),
            xor("Gateway_Ajustes", "¿Requiere ajustes?", "secretaria_general", default="Gateway_Unir"),
            activity(
                "Task_AjustarEstrategia",
                "Ajustar la estrategia y los indicadores",
                "planeacion",
                "Ajustar la estrategia o el modelo y los indicadores de relacionamiento con la ciudadanía, con base "
                "en las observaciones de las dependencias y procesos",
                "Describa los ajustes hechos a la estrategia y a los indicadores.",
                [area("ajustes_estrategia", "Ajustes realizados")],
                form="formular_ajustar_estrategia",
                entradas="Observaciones de las dependencias y procesos",
                salidas="Estrategia e indicadores ajustados",
                row=1,
                **FORMULAR_P,
            ),
            xor("Gateway_Unir", "Estrategia lista", "secretaria_general"),
            activity(
                "Task_Capacitar",
                "Sensibilizar y capacitar a los servidores",
                "talento_humano",
                "Coordinar la sensibilización y capacitación sobre la estrategia o el modelo de relacionamiento con "
                "la ciudadanía, a los servidores de la entidad",
                "Incluya el protocolo de atención, lenguaje claro y la política de protección de datos personales.",
                [
                    number("servidores_capacitados", "Servidores capacitados", min=0),
                    area("temas_capacitacion", "Temas tratados"),
                ],
                form="formular_capacitar",
                entradas="Estrategia de relacionamiento adoptada; protocolo de atención",
                salidas="Estrategia de fortalecimiento de habilidades y competencias en los grupos de valor y "
                "servidores públicos para la optimización de la relación con la ciudadanía",
                indicador="Servidores capacitados en la estrategia",
                **FORMULAR_P,
            ),
            activity(
                "Task_SocializarGrupos",
                "Socializar con la entidad y los grupos de valor",
                "comunicaciones",
                "Coordinar la socialización con la entidad y los grupos de valor, de la estrategia o el modelo de "
                "relacionamiento con la ciudadanía",
                "Publique la estrategia en lenguaje claro e inclusivo en los canales de la entidad.",
                [
                    area("medios_socializacion", "Medios y espacios usados"),
                    day("fecha_publicacion_estrategia", "Fecha de publicación de la estrategia"),
                ],
                form="formular_socializar_grupos",
                entradas="Estrategia de relacionamiento adoptada",
                salidas="Información pública en lenguaje claro e inclusivo con acceso oportuno y de calidad",
                **FORMULAR_P,
            ),
            end("End_Formular", "Estrategia adoptada y socializada", "comunicaciones"),
        ],
        flows=[
            *chain(
                "Start_Formular",
                "Task_RecopilarInformacion",
                "Task_FormasRelacionamiento",
                "Task_IdentificarOferta",
                "Task_DisenarEstrategia",
                "Task_SocializarLideres",
                "Gateway_Ajustes",
            ),
            Flow("Gateway_Ajustes", "Task_AjustarEstrategia", "Sí", "${requiere_ajustes}"),
            Flow("Gateway_Ajustes", "Gateway_Unir", "No"),
            *chain(
                "Task_AjustarEstrategia",
                "Gateway_Unir",
                "Task_Capacitar",
                "Task_SocializarGrupos",
                "End_Formular",
            ),
        ],
    ),
)


# ---- Desarrollar (H) ------------------------------------------------------------------------------------
DESARROLLAR_H = dict(
    phva="H",
    proveedor="Atención y relación con el ciudadano; dependencias; ciudadanía",
    cliente="Grupos de valor; todos los procesos",
)

desarrollar = Process(
    key="desarrollar_interaccion",
    name="Desarrollar los escenarios y la interacción con los grupos de valor",
    doc="Etapa de la cadena de valor: escenarios de relacionamiento (canales de atención en tres niveles, "
    "participación ciudadana, rendición de cuentas) en coordinación con las dependencias (Hacer). "
    "Cada PQRSD recibida en los canales se gestiona con el proceso «pqrsd».",
    props=stage_props(
        "H",
        "Desarrollar los escenarios y la interacción con los grupos de valor, en coordinación con las dependencias.",
        "Nivel de servicio en el canal presencial; ciudadanos atendidos por canal; satisfacción por canal",
        "Canales no disponibles o sin protocolo; respuestas fuera de término",
    ),
    lanes=[lane("secretaria_general"), lane("atencion_ciudadano"), lane("dependencias"), lane("planeacion")],
    body=Body(
        nodes=[
            start("Start_Desarrollar", "Estrategia adoptada", "secretaria_general"),
            activity(
                "Task_ArticularDependencias",
                "Articular la implementación con las dependencias",
                "secretaria_general",
                "Articular con las dependencias la implementación de la estrategia o el modelo y los indicadores de "
                "relacionamiento con la ciudadanía",
                "Acuerde compromisos y cronograma en mesas de trabajo con las dependencias (política de operación 4).",
                [
                    area("compromisos_dependencias", "Compromisos acordados con las dependencias"),
                    area("cronograma_implementacion", "Cronograma de implementación"),
                ],
                form="desarrollar_articular",
                entradas="Estrategia de relacionamiento; indicadores",
                salidas="Compromisos de implementación por dependencia",
                **DESARROLLAR_H,
            ),
            activity(
                "Task_PonerEnMarcha",
                "Poner en marcha los escenarios",
                "atencion_ciudadano",
                "Poner en marcha los escenarios y la interacción con los grupos de valor",
                "Active los canales y los espacios del periodo; las tres líneas siguientes corren en paralelo.",
                [area("escenarios_activados", "Escenarios y canales activados")],
                form="desarrollar_poner_en_marcha",
                entradas="Compromisos de implementación",
                salidas="Escenarios de relacionamiento en operación",
                **DESARROLLAR_H,
            ),
            Node("Gateway_Escenarios", "and", "Escenarios en paralelo", lane="Lane_atencion_ciudadano"),
            activity(
                "Task_OperarCanales",
                "Administrar los canales de atención (tres niveles)",
                "atencion_ciudadano",
                "Administrar la atención en los canales presencial, virtual y telefónico en tres niveles: "
                "autogestión, punto de atención y áreas misionales",
                "Primer nivel: herramientas de autogestión; segundo: se resuelve en el punto de atención; tercero: "
                "requiere la intervención de las áreas misionales. Las peticiones verbales se radican con constancia "
                "(Decreto 1166 de 2016).",
                [
                    number("ciudadanos_atendidos", "Ciudadanos atendidos en el periodo", min=0),
                    number("pqrsd_recibidas", "PQRSD recibidas en los canales", min=0),
                    number(
                        "minutos_espera_promedio",
                        "Tiempo promedio de espera en el canal presencial (min)",
                        min=0,
                    ),
                ],
                form="desarrollar_operar_canales",
                entradas="Protocolos de servicio; solicitudes de la ciudadanía",
                salidas="PQRSD atendidas; canales de atención operando a satisfacción",
                indicador="Nivel de servicio en el canal presencial",
                **DESARROLLAR_H,
            ),
            activity(
                "Task_Participacion",
                "Realizar los espacios de participación ciudadana",
                "dependencias",
                "Desarrollar los espacios de participación ciudadana, colaboración y co-creación con las "
                "dependencias responsables",
                "Registre los espacios realizados y los aportes de la ciudadanía.",
                [
                    number("espacios_participacion", "Espacios de participación realizados", min=0),
                    number("participantes", "Participantes", min=0),
                ],
                form="desarrollar_participacion",
                entradas="Plan de participación ciudadana",
                salidas="Espacios de participación ciudadana realizados",
                **DESARROLLAR_H,
            ),
            activity(
                "Task_RendicionCuentas",
                "Realizar la rendición de cuentas",
                "planeacion",
                "Realizar los espacios de rendición de cuentas que permitan contar, escuchar y proponer",
                "Registre la fecha, los asistentes y los compromisos adquiridos con la ciudadanía.",
                [
                    day("fecha_rendicion_cuentas", "Fecha de la rendición de cuentas"),
                    number("asistentes_rendicion", "Asistentes", min=0),
                    area("compromisos_rendicion", "Compromisos adquiridos", required=False),
                ],
                form="desarrollar_rendicion_cuentas",
                entradas="Informe de gestión",
                salidas="Espacios de rendición de cuentas realizados",
                **DESARROLLAR_H,
            ),
            Node("Gateway_Reunir", "and", "Escenarios cumplidos", lane="Lane_atencion_ciudadano"),
            activity(
                "Task_MedirSatisfaccion",
                "Medir la satisfacción de la ciudadanía",
                "atencion_ciudadano",
                "Medir la satisfacción del cliente a través de diferentes mecanismos",
                "Consolide las encuestas aplicadas después de la atención y después de la respuesta.",
                [
                    number("encuestas_aplicadas", "Encuestas aplicadas", min=0),
                    number("encuestas_satisfechos", "Encuestas con calificación 4 o 5", min=0),
                ],
                form="desarrollar_medir_satisfaccion",
                entradas="Encuestas de satisfacción",
                salidas="Informe de encuestas de satisfacción a los usuarios",
                indicador="Percepción de la satisfacción del cliente-ciudadano",
                **DESARROLLAR_H,
            ),
            activity(
                "Task_SeguimientoImplementacion",
                "Hacer seguimiento a la implementación",
                "secretaria_general",
                "Hacer seguimiento a la implementación y ejecución de la estrategia o el modelo de relacionamiento "
                "con la ciudadanía",
                "Registre el avance y las alertas para la etapa de seguimiento.",
                [
                    percent("avance_implementacion", "Avance de la implementación (%)"),
                    area("alertas_implementacion", "Alertas y dificultades", required=False),
                ],
                form="desarrollar_seguimiento_implementacion",
                entradas="Reportes de los escenarios",
                salidas="Actividades para la implementación de los escenarios ejecutadas",
                **DESARROLLAR_H,
            ),
            end("End_Desarrollar", "Escenarios ejecutados", "secretaria_general"),
        ],
        flows=[
            *chain(
                "Start_Desarrollar", "Task_ArticularDependencias", "Task_PonerEnMarcha", "Gateway_Escenarios"
            ),
            Flow("Gateway_Escenarios", "Task_OperarCanales"),
            Flow("Gateway_Escenarios", "Task_Participacion"),
            Flow("Gateway_Escenarios", "Task_RendicionCuentas"),
            Flow("Task_OperarCanales", "Gateway_Reunir"),
            Flow("Task_Participacion", "Gateway_Reunir"),
            Flow("Task_RendicionCuentas", "Gateway_Reunir"),
            *chain(
                "Gateway_Reunir",
                "Task_MedirSatisfaccion",
                "Task_SeguimientoImplementacion",
                "End_Desarrollar",
            ),
        ],
    ),
)


# ---- Seguimiento (V) ------------------------------------------------------------------------------------
SEGUIMIENTO_V = dict(
    phva="V",
    proveedor="Atención y relación con el ciudadano; dependencias",
    cliente="Atención y relación con el ciudadano; fortalecimiento institucional; grupos de valor",
)
seguimiento = Process(
    key="seguimiento_relacionamiento",
    name="Seguimiento a la implementación del relacionamiento con la ciudadanía",
    doc="Etapa de la cadena de valor: línea base, seguimiento a la gestión del relacionamiento y a la experiencia "
    "ciudadana, espacios de realimentación (Verificar). Mide los indicadores del reporte de PQRSD frente a sus metas, "
    "abre una acción de mejora por cada uno bajo la meta y deja `indicadores_bajo_meta` y `brechas` para el ciclo.",
    props=stage_props(
        "V",
        "Hacer seguimiento a la gestión del relacionamiento y evaluar la experiencia de la ciudadanía.",
        "Porcentaje de oportunidad en la respuesta a PQRSD; percepción de la satisfacción; calidad de las respuestas",
        "Mediciones sin línea base; indicadores calculados con datos incompletos",
    ),
    lanes=[
        lane("planeacion"),
        lane("atencion_ciudadano"),
        lane("control_interno"),
        lane("secretaria_general"),
    ],
    body=Body(
        nodes=[
            start("Start_Seguimiento", "Periodo de seguimiento", "planeacion"),
            activity(
                "Task_LineaBase",
                "Definir la línea base y el periodo",
                "planeacion",
                "Definir la línea base de seguimiento de la gestión institucional y de la experiencia ciudadana en "
                "el relacionamiento, de acuerdo con la oferta institucional de bienes y servicios",
                "Las metas son las de la vigencia en la tabla de metas de los indicadores (administración).",
                [
                    area("linea_base", "Línea base"),
                    day("periodo_desde", "Periodo: desde"),
                    day("periodo_hasta", "Periodo: hasta (inclusive)"),
                ],
                form="seguimiento_linea_base",
                entradas="Estrategia e indicadores; oferta institucional",
                salidas="Línea base de seguimiento",
                **SEGUIMIENTO_V,
            ),
            Node(
                "Task_Estadisticas",
                "service",
                "Medir los indicadores frente a sus metas",
                lane="Lane_atencion_ciudadano",
                topic="seguimiento_indicadores",
                doc="Generar reportes mensuales estadísticos para el análisis de PQRSD: toma del reporte de PQRSD "
                "los cuatro indicadores del periodo (oportunidad, calidad, satisfacción, canal presencial) con la "
                "meta de su vigencia. Cada indicador bajo su meta abre una acción de mejora (una por indicador y "
                "periodo) y queda en «brechas»; `indicadores_bajo_meta` lo dice al ciclo.",
                props={
                    "phva": "V",
                    "proveedor": "Reporte de PQRSD (motor phva); tabla de metas de los indicadores",
                    "entradas": "PQRSD, encuestas, revisiones de calidad y turnos del periodo",
                    "salidas": "Indicadores frente a metas; acciones de mejora abiertas",
                    "cliente": "Atención al ciudadano; control interno; secretaría general",
                },
            ),
            activity(
                "Task_HacerSeguimiento",
                "Hacer seguimiento a la gestión y a la experiencia",
                "control_interno",
                "Hacer seguimiento a la gestión del relacionamiento y a la experiencia ciudadana",
                "Los resultados de los indicadores están en «indicadores», las brechas en «brechas», las acciones de "
                "mejora abiertas en «acciones_mejora» y el reporte completo en «enlace_reporte».",
                [area("analisis_seguimiento", "Análisis de resultados")],
                form="seguimiento_hacer_seguimiento",
                entradas="Indicadores frente a metas; encuestas de satisfacción; matriz de riesgos",
                salidas="Mediciones de seguimiento a la gestión del "
                "relacionamiento y evaluación de la experiencia de la ciudadanía",
                indicador="Porcentaje de oportunidad en la respuesta a PQRSD; percepción de la satisfacción; "
                "calidad en la respuesta; nivel de servicio en el canal presencial",
                riesgo="Resultados de indicadores no reportados a tiempo",
                **SEGUIMIENTO_V,
            ),
            activity(
                "Task_Realimentacion",
                "Realimentar a las dependencias",
                "secretaria_general",
                "Coordinar y desarrollar espacios de realimentación con las dependencias sobre el relacionamiento "
                "con la ciudadanía",
                "Presente los resultados y las brechas a las dependencias; registre las conclusiones.",
                [
                    day("fecha_realimentacion", "Fecha del espacio de realimentación"),
                    area("conclusiones_realimentacion", "Conclusiones"),
                ],
                form="seguimiento_realimentacion",
                entradas="Mediciones de seguimiento; brechas",
                salidas="Realimentación a la oferta institucional de bienes y servicios, de acuerdo a las "
                "necesidades, los intereses, las expectativas y las preferencias de los grupos de valor",
                **SEGUIMIENTO_V,
            ),
            end("End_Seguimiento", "Seguimiento realizado", "secretaria_general"),
        ],
        flows=chain(
            "Start_Seguimiento",
            "Task_LineaBase",
            "Task_Estadisticas",
            "Task_HacerSeguimiento",
            "Task_Realimentacion",
            "End_Seguimiento",
        ),
    ),
)


# ---- Proponer ajustes (A) -------------------------------------------------------------------------------
PROPONER_A = dict(
    phva="A",
    proveedor="Atención y relación con el ciudadano; seguimiento del relacionamiento",
    cliente="Todos los procesos; grupos de valor",
)

proponer = Process(
    key="proponer_ajustes_oferta",
    name="Proponer ajustes a la oferta institucional de bienes y servicios",
    doc="Etapa de la cadena de valor: análisis de la oferta institucional y propuesta de ajuste (Actuar).",
    props=stage_props(
        "A",
        "Optimizar la oferta institucional de bienes y servicios a partir de la interacción con la ciudadanía.",
        "Trámites y servicios racionalizados; propuestas de ajuste implementadas",
        "Propuestas de ajuste sin respaldo normativo o sin recursos",
    ),
    lanes=[
        lane("juridica"),
        lane("atencion_ciudadano"),
        lane("planeacion"),
        lane("secretaria_general"),
        lane("alta_direccion"),
    ],
    body=Body(
        nodes=[
            start("Start_Proponer", "Resultados del seguimiento", "juridica"),
            activity(
                "Task_AnalizarNormatividad",
                "Analizar la oferta frente a la normatividad",
                "juridica",
                "Analizar la oferta de bienes y servicios con base en la normatividad vigente aplicable a cada proceso",
                "Verifique que los requisitos sean claros y ajustados a la ley antitrámites (Decreto 2106 de 2019).",
                [
                    area("normas_revisadas", "Normas revisadas"),
                    area(
                        "requisitos_a_ajustar", "Requisitos o trámites que requieren ajuste", required=False
                    ),
                ],
                form="proponer_analizar_normatividad",
                entradas="Oferta institucional; normograma",
                salidas="Análisis normativo de la oferta",
                **PROPONER_A,
            ),
            activity(
                "Task_ValidarPertinencia",
                "Validar pertinencia, calidad y cobertura",
                "atencion_ciudadano",
                "Estudiar y validar la pertinencia, calidad y cobertura de la oferta de bienes y servicios y su "
                "orientación a la ciudadanía",
                "Use la caracterización, las PQRSD y las encuestas de satisfacción.",
                [
                    area("hallazgos_pertinencia", "Hallazgos de pertinencia y calidad"),
                    percent("cobertura_oferta", "Cobertura estimada de la oferta (%)", required=False),
                ],
                form="proponer_validar_pertinencia",
                entradas="Caracterización; informes de PQRSD; encuestas",
                salidas="Validación de pertinencia, calidad y cobertura",
                **PROPONER_A,
            ),
            activity(
                "Task_AnalizarAlineacion",
                "Analizar la alineación con la planeación",
                "planeacion",
                "Analizar la alineación de la oferta institucional de bienes y servicios con la dirección y "
                "planeación institucional",
                "Contraste con el plan de desarrollo, el plan de acción y los proyectos de inversión.",
                [area("alineacion_planeacion", "Análisis de alineación")],
                form="proponer_analizar_alineacion",
                entradas="Plan de desarrollo; plan de acción institucional",
                salidas="Análisis de alineación de la oferta",
                **PROPONER_A,
            ),
            activity(
                "Task_GenerarPropuesta",
                "Generar la propuesta de ajuste",
                "secretaria_general",
                "Generar la propuesta de ajuste a la oferta institucional",
                "Incluya las acciones de racionalización de trámites y las buenas prácticas y lecciones aprendidas.",
                [
                    area("propuesta_ajuste", "Propuesta de ajuste a la oferta institucional"),
                    number("tramites_a_racionalizar", "Trámites a racionalizar", min=0, required=False),
                ],
                form="proponer_generar_propuesta",
                entradas="Análisis normativo, de pertinencia y de alineación",
                salidas="Oferta institucional de bienes y servicios optimizada y alineada a partir de la interacción "
                "con los ciudadanos, usuarios y grupos de valor, reconociendo sus características, necesidades, "
                "intereses, expectativas y preferencias",
                indicador="Trámites y servicios racionalizados",
                **PROPONER_A,
            ),
            activity(
                "Task_AprobarPropuesta",
                "Aprobar la propuesta de ajuste",
                "alta_direccion",
                "Aprobar la propuesta de ajuste en el Comité Institucional de Gestión y Desempeño",
                "Si no se aprueba, la propuesta vuelve a la Secretaría General con las observaciones.",
                [
                    check("propuesta_aprobada", "¿Se aprueba la propuesta?"),
                    area("observaciones_propuesta", "Observaciones", required=False),
                ],
                form="proponer_aprobar_propuesta",
                entradas="Propuesta de ajuste",
                salidas="Propuesta de ajuste aprobada",
                **PROPONER_A,
            ),
            xor(
                "Gateway_PropuestaAprobada",
                "¿Propuesta aprobada?",
                "alta_direccion",
                default="Task_GenerarPropuesta",
            ),
            end("End_Proponer", "Propuesta de ajuste aprobada", "alta_direccion"),
        ],
        flows=[
            *chain(
                "Start_Proponer",
                "Task_AnalizarNormatividad",
                "Task_ValidarPertinencia",
                "Task_AnalizarAlineacion",
                "Task_GenerarPropuesta",
                "Task_AprobarPropuesta",
                "Gateway_PropuestaAprobada",
            ),
            Flow("Gateway_PropuestaAprobada", "End_Proponer", "Sí", "${propuesta_aprobada}"),
            Flow("Gateway_PropuestaAprobada", "Task_GenerarPropuesta", "No"),
        ],
    ),
)

# The follow-up shows its gaps and the report first (README, «Cómo dibujar en Camunda Modeler para que corra aquí»).
for _node in seguimiento.body.nodes:
    if _node.id == "Task_HacerSeguimiento":
        _node.props["phva:mostrar"] = "brechas,enlace_reporte"

PROCESSES = [conocer, formular, desarrollar, seguimiento, proponer]
