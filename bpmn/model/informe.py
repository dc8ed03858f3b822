"""The monthly PQRSD report (seed 001: reportes mensuales estadísticos), started by its cycle timer or by hand."""

from __future__ import annotations

from _common import activity, area, chain, check, day, end, lane, text, xor
from etapas import LIDER
from layout_bpmn import Body, Flow, Node, Process

PERIODO = """hoy = datetime.now(timezone.utc) - timedelta(hours=5)
corte = date(hoy.year, hoy.month, 1)
anterior = corte - timedelta(days=1)
periodo_desde = date(anterior.year, anterior.month, 1).isoformat()
periodo_hasta = corte.isoformat()"""
INFORME_V = dict(
    phva="V",
    proveedor="Proceso de atención al ciudadano (PQRSD del periodo)",
    cliente="Alta dirección; control interno; ciudadanía (sección de transparencia)",
)

informe = Process(
    key="informe_pqrsd",
    name="Informe mensual de PQRSD",
    doc="Cada mes (doce informes por vigencia) consolida las estadísticas de PQRSD del mes anterior, redacta el "
    "informe con recomendaciones, lo revisa y lo publica (Ley 1474 de 2011 art. 76; Ley 1712 de 2014 art. 11).",
    props={
        "phva": "V",
        "objetivo": "Informar mensualmente las PQRSD recibidas, su oportunidad y las "
        "recomendaciones de mejora.",
        "alcance": "Inicia con el corte mensual y termina con el informe publicado.",
        "lider": LIDER,
        "indicadores": "Informes publicados a tiempo",
        "riesgos": "Informe con datos incompletos o publicado tarde",
    },
    lanes=[lane("atencion_ciudadano"), lane("secretaria_general"), lane("comunicaciones")],
    body=Body(
        nodes=[
            Node(
                "Start_Informe",
                "start",
                "Cada mes",
                lane="Lane_atencion_ciudadano",
                timer=("timeCycle", "R12/P1M"),
                doc="Temporizador cíclico: un informe por mes durante la vigencia (doce ciclos).",
            ),
            Node(
                "Task_Periodo",
                "script",
                "Definir el periodo del informe",
                lane="Lane_atencion_ciudadano",
                doc="El periodo es el mes calendario anterior al corte.",
                script=PERIODO,
            ),
            Node(
                "Task_EstadisticasInforme",
                "service",
                "Consolidar las estadísticas del periodo",
                lane="Lane_atencion_ciudadano",
                doc="Generar reportes mensuales estadísticos para el análisis de PQRSD "
                "(consulta de solo lectura a las tablas del motor).",
                topic="estadisticas_pqrsd",
                props={
                    "phva": "V",
                    "proveedor": "Motor phva",
                    "entradas": "PQRSD del periodo",
                    "salidas": "Estadísticas de PQRSD",
                    "cliente": "Atención al ciudadano",
                },
            ),
            activity(
                "Task_RedactarInforme",
                "Analizar y redactar el informe",
                "atencion_ciudadano",
                "Elaborar el informe de PQRSD y de desempeño de los canales con recomendaciones",
                "Incluya las recomendaciones de los particulares para mejorar el servicio (seed 002) y las acciones "
                "de mejora sugeridas.",
                [
                    area("analisis_informe", "Análisis del periodo"),
                    area("recomendaciones_informe", "Recomendaciones"),
                ],
                form="informe_redactar",
                entradas="Estadísticas de PQRSD",
                salidas="Informe de PQRSD",
                **INFORME_V,
            ),
            activity(
                "Task_RevisarInforme",
                "Revisar el informe",
                "secretaria_general",
                "Revisar y aprobar el informe de PQRSD",
                "Si no se aprueba, vuelve a redactarse con las observaciones.",
                [
                    check("informe_aprobado", "¿Se aprueba el informe?"),
                    area("observaciones_informe", "Observaciones", required=False),
                ],
                form="informe_revisar",
                entradas="Informe de PQRSD",
                salidas="Informe aprobado",
                **INFORME_V,
            ),
            xor(
                "Gateway_InformeAprobado", "¿Aprobado?", "secretaria_general", default="Task_RedactarInforme"
            ),
            activity(
                "Task_PublicarInforme",
                "Publicar el informe",
                "comunicaciones",
                "Publicar el informe de PQRSD en la sección de transparencia y acceso a la información pública",
                "Registre el enlace de la publicación.",
                [
                    text("enlace_informe", "Enlace de la publicación"),
                    day("fecha_publicacion_informe", "Fecha"),
                ],
                form="informe_publicar",
                entradas="Informe aprobado",
                salidas="Informe de PQRSD publicado",
                **INFORME_V,
            ),
            end("End_Informe", "Informe publicado", "comunicaciones"),
        ],
        flows=[
            *chain(
                "Start_Informe",
                "Task_Periodo",
                "Task_EstadisticasInforme",
                "Task_RedactarInforme",
                "Task_RevisarInforme",
                "Gateway_InformeAprobado",
            ),
            Flow("Gateway_InformeAprobado", "Task_PublicarInforme", "Sí", "${informe_aprobado}"),
            Flow("Gateway_InformeAprobado", "Task_RedactarInforme", "No"),
            *chain("Task_PublicarInforme", "End_Informe"),
        ],
    ),
)

for _node in informe.body.nodes:
    if _node.id == "Task_RedactarInforme":
        _node.props["phva:mostrar"] = "observaciones_informe"

PROCESSES = [informe]
