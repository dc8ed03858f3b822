"""The monthly PQRSD report (seed 001: reportes mensuales estadísticos), started by its cycle timer or by hand."""

from __future__ import annotations

from _common import activity, area, chain, check, day, end, lane, start, text, xor
from etapas import LIDER
from layout_bpmn import Body, Flow, Node, Process

INFORME_V = dict(
    phva="V",
    proveedor="Proceso de atención al ciudadano (PQRSD del periodo)",
    cliente="Alta dirección; control interno; ciudadanía (sección de transparencia)",
)

informe = Process(
    key="informe_pqrsd",
    name="Informe mensual de PQRSD",
    doc="Cada mes (doce informes por vigencia) consolida las cifras de PQRSD del mes anterior, redacta el "
    "informe con recomendaciones, lo revisa y lo publica (Ley 1474 de 2011 art. 76; Ley 1712 de 2014 art. 11). "
    "Un analista también lo inicia a mano para el periodo que elija.",
    props={
        "phva": "V",
        "objetivo": "Informar mensualmente las PQRSD recibidas, su oportunidad y las "
        "recomendaciones de mejora.",
        "alcance": "Inicia con el corte mensual (o el periodo elegido) y termina con el informe publicado.",
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
                doc="Temporizador cíclico: un informe por mes durante la vigencia (doce ciclos), del mes anterior.",
            ),
            start(
                "Start_InformePeriodo",
                "Informe de un periodo",
                "atencion_ciudadano",
                row=1,
                doc="Inicio a mano: el analista elige el periodo (por defecto, el mes anterior) y el informe "
                "arranca de inmediato, sin esperar el temporizador.",
                form="informe_periodo",
                fields=[
                    day(
                        "periodo_desde",
                        "Desde",
                        required=False,
                        description="Vacío: el primer día del mes de «Hasta» o, sin fechas, del mes anterior.",
                    ),
                    day(
                        "periodo_hasta",
                        "Hasta (inclusive)",
                        required=False,
                        description="Vacío: el último día del mes de «Desde».",
                    ),
                ],
            ),
            Node(
                "Task_EstadisticasInforme",
                "service",
                "Consolidar las cifras del periodo",
                lane="Lane_atencion_ciudadano",
                doc="Generar reportes mensuales estadísticos para el análisis de PQRSD: toma del reporte de PQRSD "
                "los totales, la oportunidad y los cuatro indicadores del periodo, y deja el enlace al reporte "
                "completo en «enlace_reporte».",
                topic="informe_pqrsd_cifras",
                props={
                    "phva": "V",
                    "proveedor": "Reporte de PQRSD (motor phva)",
                    "entradas": "PQRSD del periodo",
                    "salidas": "Cifras del periodo e indicadores",
                    "cliente": "Atención al ciudadano",
                },
            ),
            activity(
                "Task_RedactarInforme",
                "Analizar y redactar el informe",
                "atencion_ciudadano",
                "Elaborar el informe de PQRSD y de desempeño de los canales con recomendaciones",
                "Las cifras del periodo están en «cifras» y el reporte completo en «enlace_reporte». Incluya las "
                "recomendaciones de los particulares para mejorar el servicio (seed 002) y las acciones de mejora "
                "sugeridas.",
                [
                    area("analisis_informe", "Análisis del periodo"),
                    area("recomendaciones_informe", "Recomendaciones"),
                ],
                form="informe_redactar",
                entradas="Cifras del periodo e indicadores",
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
            Flow("Start_InformePeriodo", "Task_EstadisticasInforme"),
            *chain(
                "Start_Informe",
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
        _node.props["phva:mostrar"] = "observaciones_informe,enlace_reporte"

PROCESSES = [informe]
