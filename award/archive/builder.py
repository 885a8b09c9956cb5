"""Writing a cycle archive: entries are streamed into the ZIP file and hashed as they are written.

Sections are registered with @archive_section (award/archive/sections.py holds them and the registry,
one small function each); each yields (path, content) pairs where content is bytes or an iterable of byte
chunks, so a large cycle (evidence files, score sheets, the audit chain) never sits in memory.
The manifest (manifest.json, written last) lists every entry with its size and SHA-256, the audit
chain's head hash and any notes (files that could not be archived); manifest.sha256 holds the
manifest's own digest, so `archive verify` can check the file offline.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from award.applications.evidence import EvidenceStore
from award.archive.sections import ArchiveContext, json_bytes, sections
from award.audit.services import record, verify_chain
from award.auth.models import Role, User
from award.certificates.fonts import FontLookup, installed_cjk_families
from award.certificates.seals import SealStore
from award.certificates.services import VerifyUrl
from award.cycles.models import Cycle, Stage
from award.db import utcnow
from award.errors import Conflict, NotAllowed
from award.files import files_root
from award.i18n import _, local_zone
from award.jobs.models import Job
from award.jobs.services import start_job

MANIFEST = "manifest.json"
MANIFEST_DIGEST = "manifest.sha256"
FORMAT_VERSION = 2
ARCHIVABLE_STAGES = (Stage.AWARDED, Stage.CLOSED)
@dataclass(frozen=True)
class ArchiveSummary:
    path: Path
    entries: int
    bytes_written: int
    chain_head: str
    manifest_sha256: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArchiveStorage:
    """Where the uploaded files live and how certificates link to their check page (from the app's config)."""

    files_root: Path
    verify_url: VerifyUrl
    zone: ZoneInfo = field(default_factory=local_zone)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], instance_path: str | Path, *,
                    verify_url: VerifyUrl) -> ArchiveStorage:
        """The same file store the uploads and the certificate pages use."""
        return cls(
            files_root=files_root(config, instance_path),
            verify_url=verify_url,
            zone=ZoneInfo(config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai"),
        )


ARCHIVE_KIND = "archive.cycle"


def _check_archivable(session: Session, actor: User | None, cycle: Cycle) -> Any:
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can archive a cycle."))
    if cycle.stage not in ARCHIVABLE_STAGES:
        raise Conflict(_("Only an awarded or closed cycle can be archived."), code="not_archivable")
    verdict = verify_chain(session)
    if not verdict.ok:
        raise Conflict(_("The audit trail is broken (%(problem)s); fix it before archiving.",
                            problem=verdict.problem), code="chain_broken")
    return verdict


def queue_archive(session: Session, *, actor: User | None, cycle: Cycle) -> tuple[Job, bool]:
    """Queue the archive of the cycle as a job of the worker (or give the one already queued or running);
    the same checks as building it, so a refusal shows at once rather than on the job's page."""
    _check_archivable(session, actor, cycle)
    return start_job(session, started_by=actor, kind=ARCHIVE_KIND, inputs={"cycle_id": cycle.id})


def build_archive(
    session: Session, *, actor: User | None, cycle: Cycle, target: Path, storage: ArchiveStorage | None = None,
    font_lookup: FontLookup = installed_cjk_families,
) -> ArchiveSummary:
    """Write the archive of an awarded (or closed) cycle to target; record it in the audit trail."""
    verdict = _check_archivable(session, actor, cycle)
    context = ArchiveContext(session=session, cycle=cycle, font_lookup=font_lookup)
    if storage is not None:
        context.evidence = EvidenceStore(storage.files_root)
        context.objection_evidence = EvidenceStore(storage.files_root)
        context.seals = SealStore(storage.files_root)
        context.visit_photos = EvidenceStore(storage.files_root)
        context.verify_url = storage.verify_url
        context.today = utcnow().astimezone(storage.zone).date()
        context.zone = storage.zone
    files: list[dict[str, Any]] = []
    total = 0
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            for prefix, section in sections().items():
                for path, content in section(context):
                    name = f"{prefix}/{path}"
                    digest = hashlib.sha256()
                    size = 0
                    with archive.open(name, "w", force_zip64=True) as entry:
                        for chunk in [content] if isinstance(content, bytes) else content:
                            entry.write(chunk)
                            digest.update(chunk)
                            size += len(chunk)
                    files.append({"path": name, "size": size, "sha256": digest.hexdigest()})
                    total += size
            manifest = json_bytes({
                "format": FORMAT_VERSION,
                "cycle": {"id": cycle.id, "year": cycle.year, "title": cycle.title, "stage": cycle.stage.value},
                "created_at": utcnow().isoformat(),
                "audit_chain_head": verdict.head_hash,
                "audit_records": verdict.checked,
                "notes": context.notes,
                "files": files,
            })
            manifest_sha256 = hashlib.sha256(manifest).hexdigest()
            archive.writestr(MANIFEST, manifest)
            archive.writestr(MANIFEST_DIGEST, f"{manifest_sha256}  {MANIFEST}\n")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    record(session, actor=actor, action="cycle.archived", target_type="cycle", target_id=cycle.id,
           cycle_id=cycle.id, after={"files": len(files), "bytes": total, "chain_head": verdict.head_hash,
                                     "manifest_sha256": manifest_sha256, "notes": len(context.notes)})
    return ArchiveSummary(target, len(files), total, verdict.head_hash, manifest_sha256, tuple(context.notes))
