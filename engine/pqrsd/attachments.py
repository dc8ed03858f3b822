"""Attachments of PQRSD cases: attach files at filing, on the case or on one of its tasks; list and download them.

Every file is checked by its content (`files.check_upload`) before anything is stored: a batch is stored whole
or not at all. The bytes go to the content-addressed `FileStore`, then the rows and the audit event are written
in one transaction. Who may see the case may attach to it and download its files (`access.may_view_case`, the
rule of `views.case_for`); on a task, who may see that open task.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput, Conflict, Forbidden, NotFound, ValidationFailed
from engine.identity import access
from engine.identity.users import UserView, acting_user
from engine.pqrsd.files import FORMATS, CheckedFile, FileStore, UploadRules, check_upload
from engine.store import attachments as attachment_store
from engine.store import cases as case_store
from engine.store import tasks as task_rows
from engine.store.audit import audit
from engine.store.legal_tables import CaseAttachment, PqrsdCase
from engine.store.uow import UnitOfWork
from engine.workflow import views

FIELD = "anexos"  # the multipart field of the web form and the API
MAX_FILES = 20
MAX_NOTE_CHARS = 1000


@dataclass(frozen=True)
class Upload:
    """A file that passed `check_upload`, with its bytes, waiting to be stored."""

    checked: CheckedFile
    content: bytes


class AttachmentRecord(TypedDict):
    sha256: str
    name: str
    media_type: str
    size: int
    purpose: str  # radicacion | caso | tarea
    description: str | None
    task_id: int | None
    task_name: str | None
    uploaded_at: str  # ISO, in the entity's zone
    uploaded_by: str | None


class UploadLimits(TypedDict):
    max_mb: int
    types: str  # "PDF, JPG, …" for people
    accept: str  # ".pdf,.jpg,…" for the file input


def upload_limits(ctx: Context) -> UploadLimits:
    kinds = ctx.settings.upload_types
    return UploadLimits(
        max_mb=ctx.settings.max_upload_mb,
        types=", ".join(kind.upper() for kind in kinds),
        accept=",".join(ext for kind in kinds for ext in FORMATS[kind].extensions),
    )


def check_files(ctx: Context, files: Sequence[tuple[str, bytes]]) -> list[Upload]:
    """Every (name, bytes) checked by its content, before anything is stored; the first bad one is refused."""
    if len(files) > MAX_FILES:
        raise _refused(f"Envió {len(files)} archivos; se admiten hasta {MAX_FILES} a la vez.")
    rules = UploadRules.from_settings(ctx.settings)
    uploads: list[Upload] = []
    for name, content in files:
        try:
            checked = check_upload(name, content, rules)
        except BadInput as error:  # ValidationFailed (422) or PayloadTooLarge (413): keep the status
            raise type(error)(error.message, {FIELD: error.message}) from None
        twin = next((u.checked.name for u in uploads if u.checked.sha256 == checked.sha256), None)
        if twin is not None:
            raise _refused(f"«{checked.name}» y «{twin}» son el mismo archivo; envíelo una sola vez.")
        uploads.append(Upload(checked, content))
    return uploads


def attach(
    ctx: Context,
    radicado: str,
    user: UserView | str,
    files: Sequence[tuple[str, bytes]],
    *,
    task_id: int | None = None,
    note: str | None = None,
) -> list[AttachmentRecord]:
    """Attach files to the case, or to one of its open tasks: all of them, or none."""
    if not files:
        raise _refused("Elija al menos un archivo para anexar.")
    description = (note or "").strip() or None
    if description is not None and len(description) > MAX_NOTE_CHARS:
        message = f"La descripción tiene {len(description)} caracteres; el máximo es {MAX_NOTE_CHARS}."
        raise ValidationFailed(message, {"descripcion": message})
    uploads = check_files(ctx, files)
    return _store(ctx, radicado, user, uploads, task_id=task_id, description=description)


def attach_at_filing(
    ctx: Context, radicado: str, user: UserView | str, uploads: Sequence[Upload]
) -> list[AttachmentRecord]:
    """The files given with a filing: checked with `check_files` before `file_pqrsd`, stored right after it."""
    if not uploads:
        return []
    return _store(ctx, radicado, user, uploads, task_id=None, description=None, at_filing=True)


def attachments_of(ctx: Context, radicado: str, user: UserView | str) -> list[AttachmentRecord]:
    with UnitOfWork(ctx.db, write=False) as uow:
        case = _visible_case(uow.session, radicado, acting_user(uow.session, user))
        tz = ZoneInfo(ctx.settings.timezone)
        return [
            _record(row, task_name, tz)
            for row, task_name in attachment_store.attachments_of_case(uow.session, case.id)
        ]


def download(ctx: Context, radicado: str, sha256: str, user: UserView | str) -> tuple[str, str, bytes]:
    """(name, media type, bytes) of a file on the case, for who may see the case."""
    with UnitOfWork(ctx.db, write=False) as uow:
        case = _visible_case(uow.session, radicado, acting_user(uow.session, user))
        row = attachment_store.attachment_of_case(uow.session, case.id, sha256)
        if row is None:
            raise NotFound(f"La PQRSD {case.radicado} no tiene ese anexo.")
        name, media_type = row.name, row.media_type
    return name, media_type, FileStore.from_settings(ctx.settings).open(sha256)


def _store(
    ctx: Context,
    radicado: str,
    user: UserView | str,
    uploads: Sequence[Upload],
    *,
    task_id: int | None,
    description: str | None,
    at_filing: bool = False,
) -> list[AttachmentRecord]:
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        acting = acting_user(session, user)
        case = _visible_case(session, radicado, acting)
        task_name = _open_task_of_case(session, case, task_id, acting) if task_id is not None else None
        _refuse_already_attached(session, case, uploads)
        store = FileStore.from_settings(ctx.settings)
        for upload in uploads:  # before the rows: a committed row always finds its bytes
            store.put(upload.content)
        purpose = "radicacion" if at_filing else "tarea" if task_id is not None else "caso"
        common = {
            "case_id": case.id, "purpose": purpose, "description": description, "task_id": task_id,
            "uploaded_at": ctx.clock.now(), "uploaded_by": acting.username,
        }  # fmt: skip
        try:
            rows = attachment_store.add_attachments(
                session, [{**common, **asdict(u.checked)} for u in uploads]
            )
        except IntegrityError:  # the same file, attached by someone else between our check and our insert
            raise Conflict("Otro usuario anexó el mismo archivo a la vez; recargue la página.") from None
        names = ", ".join(f"«{u.checked.name}»" for u in uploads)
        where = " al radicarla" if at_filing else f" en la tarea «{task_name}»" if task_name else ""
        audit(
            session, ctx, instance_id=case.instance_id, task_id=task_id, action="pqrsd_anexo",
            actor=acting.username, summary=f"Anexó {names} a la PQRSD {case.radicado}{where}",
            after={"anexos": [{"nombre": u.checked.name, "sha256": u.checked.sha256, "bytes": u.checked.size}
                              for u in uploads]},
        )  # fmt: skip
        tz = ZoneInfo(ctx.settings.timezone)
        records = [_record(row, task_name, tz) for row in rows]
        uow.commit()
    return records


def _visible_case(session: Session, radicado: str, acting: UserView) -> PqrsdCase:
    """The case, if the user may see it: the rule of `views.case_for`, inside the caller's transaction."""
    case = case_store.case_by_radicado(session, radicado.strip())
    if case is None:
        raise NotFound(f"No existe el radicado «{radicado}».")
    detail = views.instance_detail(session, case.instance_id) if case.instance_id else None
    tasks = detail["tasks"] if detail is not None else []
    if not access.may_view_case(acting, case.created_by, detail["started_by"] if detail else None, tasks):
        raise Forbidden(f"No tiene acceso a la PQRSD {radicado}.")
    return case


def _open_task_of_case(session: Session, case: PqrsdCase, task_id: int, acting: UserView) -> str:
    """The task's name, if it is an open task of this case that the user may see."""
    task = task_rows.load_task(session, task_id)
    if task is None or task.instance_id != case.instance_id:
        raise NotFound(f"La PQRSD {case.radicado} no tiene la tarea {task_id}.")
    if not access.may_see_task(acting, task.assignee, task.candidate_users, task.candidate_groups):
        raise Forbidden(f"La tarea {task_id} no está asignada a '{acting.username}' ni a sus dependencias.")
    if task.state != "ready":
        raise Conflict(f"La tarea {task_id} ya terminó; anexe el archivo al caso.")
    return task.name


def _refuse_already_attached(session: Session, case: PqrsdCase, uploads: Sequence[Upload]) -> None:
    on_case = attachment_store.names_on_case(session, case.id, [u.checked.sha256 for u in uploads])
    for upload in uploads:
        if upload.checked.sha256 in on_case:
            raise _refused(
                f"«{upload.checked.name}» ya está anexado a la PQRSD {case.radicado} "
                f"como «{on_case[upload.checked.sha256]}»."
            )


def _record(row: CaseAttachment, task_name: str | None, tz: ZoneInfo) -> AttachmentRecord:
    return AttachmentRecord(
        sha256=row.sha256, name=row.name, media_type=row.media_type, size=row.size, purpose=row.purpose,
        description=row.description, task_id=row.task_id, task_name=task_name,
        uploaded_at=row.uploaded_at.astimezone(tz).isoformat(), uploaded_by=row.uploaded_by,
    )  # fmt: skip


def _refused(message: str) -> ValidationFailed:
    return ValidationFailed(message, {FIELD: message})
