"""Settings from environment variables (documented in README.md → Configuración)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from engine.errors import BadInput
from engine.limits import MAX_DATA_KB, MAX_DEPTH, MAX_STRING, DataLimits

# The formats engine.pqrsd.files recognises by their content.
UPLOAD_TYPES = ("pdf", "jpg", "png", "docx", "xlsx", "odt")


@dataclass(frozen=True)
class Settings:
    database_url: str
    instance_dir: Path
    timezone: str = "America/Bogota"
    bpmn_dir: Path = Path("bpmn")
    forms_dir: Path = Path("forms")
    secret_key: str | None = None
    run_scheduler: bool = True
    radicado_format: str = "AAAA-NNNNNN"  # AAAA: year of receipt; a run of N: the zero-padded number
    entity_name: str = "La entidad"  # printed on the acuse and the constancia
    semaforo_amarillo: float = 0.5  # share of a term (business days) from which it shows amarillo
    semaforo_alerta: float = 2 / 3  # share of a term at which its alert is due
    handler_modules: tuple[str, ...] = ()
    files_dir: Path | None = None  # None: <instance_dir>/files
    max_upload_mb: int = 10
    upload_types: tuple[str, ...] = UPLOAD_TYPES
    portal_human_check: bool = True  # the citizens' portal asks a question only people answer
    portal_max_filings: int = 10  # radicaciones per client address per hour
    portal_max_lookup_failures: int = 10  # wrong radicado or código per client address per 15 minutes
    portal_min_fill_seconds: int = 3  # a filing form sent faster than this was not typed by a person
    supervision_group: str = "supervision"  # its supervisors watch and reassign across the entity
    base_url: str = "http://localhost:5000"  # absolute links in mail (PHVA_BASE_URL)
    digest_hour: int = 7  # local hour of the daily digest, business days only
    mail_max_attempts: int = 6  # then the message is failed and an incident of kind "mail" opens
    turno_estandar_min: int = 15  # the counter's standard wait (minutes): the canal presencial indicator
    calidad_muestra: int = 10  # answers per month drawn for the quality review
    mail_retry_seconds: float = 60.0  # first retry; doubles after every failed attempt
    token_days: int = 90  # validity of a new API token (PHVA_TOKEN_DAYS)
    require_model_tests: bool = (
        False  # a deploy from Camunda Modeler runs the model tests kept beside the models
    )
    model_tests_dir: Path | None = None  # where those *.test.yaml are (None: bpmn_dir)
    auth_cache_seconds: float = 5.0  # who a token or session is, kept in process (PHVA_AUTH_CACHE_SECONDS)
    db_pool_size: int = 5  # PostgreSQL connections kept per process (PHVA_DB_POOL_SIZE)
    db_pool_recycle: int = 1800  # seconds before a connection is replaced (PHVA_DB_POOL_RECYCLE)
    db_pgbouncer: bool = False  # the database URL is PgBouncer in transaction mode (PHVA_DB_PGBOUNCER)
    script_timeout: float = 2.0  # seconds (wall clock) for one step's scripts and expressions
    script_memory_mb: int = 256  # memory one step's scripts and expressions may take (PHVA_SCRIPT_MEMORY_MB)
    data_limits: DataLimits = field(default_factory=DataLimits)  # instance data: KB, depth, text length

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        instance_dir = Path(env.get("PHVA_INSTANCE_DIR", "instance")).resolve()
        url = env.get("PHVA_DATABASE_URL") or f"sqlite:///{instance_dir / 'phva.db'}"
        return cls(
            database_url=url,
            instance_dir=instance_dir,
            timezone=env.get("PHVA_TIMEZONE", "America/Bogota"),
            bpmn_dir=Path(env.get("PHVA_BPMN_DIR", "bpmn")),
            forms_dir=Path(env.get("PHVA_FORMS_DIR", "forms")),
            secret_key=env.get("PHVA_SECRET_KEY"),
            run_scheduler=env.get("PHVA_SCHEDULER", "on").lower() not in {"off", "0", "false", "no"},
            radicado_format=env.get("PHVA_RADICADO_FORMAT", "AAAA-NNNNNN").strip(),
            entity_name=env.get("PHVA_ENTITY_NAME", "").strip() or "La entidad",
            semaforo_amarillo=_share(env.get("PHVA_SEMAFORO_AMARILLO") or "50", "PHVA_SEMAFORO_AMARILLO"),
            semaforo_alerta=_share(env.get("PHVA_SEMAFORO_ALERTA") or "2/3", "PHVA_SEMAFORO_ALERTA"),
            handler_modules=tuple(
                m.strip() for m in env.get("PHVA_SERVICE_HANDLERS", "").split(",") if m.strip()
            ),
            files_dir=Path(env.get("PHVA_FILES_DIR") or instance_dir / "files").resolve(),
            max_upload_mb=_upload_mb(env.get("PHVA_MAX_UPLOAD_MB") or "10"),
            upload_types=_upload_types(env.get("PHVA_UPLOAD_TYPES") or ",".join(UPLOAD_TYPES)),
            portal_human_check=env.get("PHVA_PORTAL_HUMAN_CHECK", "on").strip().lower()
            not in {"off", "0", "false", "no"},
            portal_max_filings=_whole(
                env.get("PHVA_PORTAL_MAX_FILINGS") or "10", "PHVA_PORTAL_MAX_FILINGS", 1, 10_000
            ),
            portal_max_lookup_failures=_whole(
                env.get("PHVA_PORTAL_MAX_LOOKUP_FAILURES") or "10",
                "PHVA_PORTAL_MAX_LOOKUP_FAILURES",
                1,
                10_000,
            ),
            portal_min_fill_seconds=_whole(
                env.get("PHVA_PORTAL_MIN_FILL_SECONDS") or "3", "PHVA_PORTAL_MIN_FILL_SECONDS", 0, 3600
            ),
            supervision_group=(env.get("PHVA_SUPERVISION_GROUP") or "").strip() or "supervision",
            base_url=_base_url(env.get("PHVA_BASE_URL") or "http://localhost:5000"),
            digest_hour=_whole(env.get("PHVA_DIGEST_HOUR") or "7", "PHVA_DIGEST_HOUR", 0, 23),
            mail_max_attempts=_whole(
                env.get("PHVA_MAIL_MAX_ATTEMPTS") or "6", "PHVA_MAIL_MAX_ATTEMPTS", 1, 100
            ),
            turno_estandar_min=_whole(
                env.get("PHVA_TURNO_ESTANDAR_MIN") or "15", "PHVA_TURNO_ESTANDAR_MIN", 1, 480
            ),
            calidad_muestra=_whole(env.get("PHVA_CALIDAD_MUESTRA") or "10", "PHVA_CALIDAD_MUESTRA", 1, 1000),
            token_days=_whole(env.get("PHVA_TOKEN_DAYS") or "90", "PHVA_TOKEN_DAYS", 1, 3650),
            require_model_tests=env.get("PHVA_REQUIRE_MODEL_TESTS", "").strip().lower()
            in {"1", "on", "true", "yes"},
            model_tests_dir=Path(env["PHVA_MODEL_TESTS_DIR"]) if env.get("PHVA_MODEL_TESTS_DIR") else None,
            auth_cache_seconds=_whole(
                env.get("PHVA_AUTH_CACHE_SECONDS") or "5", "PHVA_AUTH_CACHE_SECONDS", 0, 300
            ),
            db_pool_size=_whole(env.get("PHVA_DB_POOL_SIZE") or "5", "PHVA_DB_POOL_SIZE", 1, 500),
            db_pool_recycle=_whole(
                env.get("PHVA_DB_POOL_RECYCLE") or "1800", "PHVA_DB_POOL_RECYCLE", 10, 86_400
            ),
            db_pgbouncer=_on(env.get("PHVA_DB_PGBOUNCER") or "off"),
            script_timeout=_seconds(env.get("PHVA_SCRIPT_TIMEOUT") or "2", "PHVA_SCRIPT_TIMEOUT", 0.05, 600),
            script_memory_mb=_whole(
                env.get("PHVA_SCRIPT_MEMORY_MB") or "256", "PHVA_SCRIPT_MEMORY_MB", 16, 65_536
            ),
            data_limits=DataLimits(
                max_kb=_whole(
                    env.get("PHVA_MAX_INSTANCE_DATA_KB") or str(MAX_DATA_KB),
                    "PHVA_MAX_INSTANCE_DATA_KB",
                    1,
                    1_048_576,
                ),
                max_depth=_whole(
                    env.get("PHVA_MAX_DATA_DEPTH") or str(MAX_DEPTH), "PHVA_MAX_DATA_DEPTH", 2, 200
                ),
                max_string=_whole(
                    env.get("PHVA_MAX_STRING_LENGTH") or str(MAX_STRING),
                    "PHVA_MAX_STRING_LENGTH",
                    200,
                    100_000_000,
                ),
            ),
        )


def _upload_mb(raw: str) -> int:
    value = int(raw) if raw.strip().isdecimal() else 0
    if value < 1:
        raise BadInput(
            f"PHVA_MAX_UPLOAD_MB debe ser un número entero de megabytes mayor que cero, no «{raw}»."
        )
    return value


def _upload_types(raw: str) -> tuple[str, ...]:
    types = tuple(dict.fromkeys(t.strip().lower() for t in raw.split(",") if t.strip()))
    unknown = [t for t in types if t not in UPLOAD_TYPES]
    if unknown or not types:
        problem = f"no admite «{', '.join(unknown)}»" if unknown else "está vacío"
        raise BadInput(
            f"PHVA_UPLOAD_TYPES {problem}: use uno o más de {', '.join(UPLOAD_TYPES)}, separados por comas."
        )
    return types


def _share(text: str, name: str) -> float:
    """A share of a term, written as a percentage (50, 66.7) or a fraction (2/3)."""
    raw = text.strip().replace(",", ".")
    try:
        value = float(Fraction(raw)) if "/" in raw else float(raw) / 100
    except (ValueError, ZeroDivisionError):
        value = 0.0
    if not 0 < value <= 1:
        raise BadInput(f"{name} debe ser un porcentaje entre 1 y 100 (o una fracción como 2/3), no «{text}».")
    return value


def _base_url(raw: str) -> str:
    url = raw.strip().rstrip("/")
    if not url.startswith(("http://", "https://")) or " " in url:
        raise BadInput(f"PHVA_BASE_URL debe ser la dirección de la aplicación (https://…), no «{raw}».")
    return url


def _whole(raw: str, name: str, low: int, high: int) -> int:
    if not (raw.strip().isdecimal() and low <= int(raw) <= high):
        raise BadInput(f"{name} debe ser un número entero entre {low} y {high}, no «{raw}».")
    return int(raw)


def _seconds(raw: str, name: str, low: float, high: float) -> float:
    try:
        value = float(raw.strip().replace(",", "."))
    except ValueError:
        value = -1.0
    if not low <= value <= high:
        raise BadInput(f"{name} debe ser un número de segundos entre {low:g} y {high:g}, no «{raw}».")
    return value


def _on(raw: str) -> bool:
    return raw.strip().lower() in {"on", "1", "true", "yes", "si", "sí"}
