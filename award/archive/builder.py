"""Writing a cycle archive: entries are streamed into the ZIP file and hashed as they are written.

Areas contribute sections with @archive_section; each yields (path, content) pairs where content
is bytes or an iterable of byte chunks, so a large cycle never sits in memory. The manifest
(manifest.json, written last) lists every entry with its size and SHA-256, and the audit chain's
head hash, so `archive verify` can check the file offline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.audit.models import AuditRecord
from award.audit.services import record, verify_chain
from award.auth.models import User
from award.cycles.models import Cycle, Stage
from award.db import utcnow
from award.errors import DomainError
from award.i18n import _

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
ARCHIVABLE_STAGES = (Stage.AWARDED, Stage.CLOSED)
Content = bytes | Iterable[bytes]
Section = Callable[[Session, Cycle], Iterator[tuple[str, Content]]]
_SECTIONS: list[tuple[str, Section]] = []


def archive_section(name: str) -> Callable[[Section], Section]:
    """Register a generator of (path, content) for every archive; `name` prefixes the paths."""

    def register(section: Section) -> Section:
        _SECTIONS.append((name, section))
        return section

    return register


@dataclass(frozen=True)
class ArchiveSummary:
    path: Path
    entries: int
    bytes_written: int
    chain_head: str


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode()


def jsonl_chunks(rows: Iterable[Any]) -> Iterator[bytes]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False, sort_keys=True, default=str).encode() + b"\n"


def build_archive(session: Session, *, actor: User | None, cycle: Cycle, target: Path) -> ArchiveSummary:
    """Write the archive of a closed (or awarded) cycle to target."""
    if cycle.stage not in ARCHIVABLE_STAGES:
        raise DomainError(_("Only an awarded or closed cycle can be archived."), code="not_archivable")
    verdict = verify_chain(session)
    if not verdict.ok:
        raise DomainError(_("The audit trail is broken (%(problem)s); fix it before archiving.",
                            problem=verdict.problem), code="chain_broken")
    files: list[dict[str, Any]] = []
    total = 0
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for prefix, section in _SECTIONS:
            for path, content in section(session, cycle):
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
        manifest = {
            "format": FORMAT_VERSION,
            "cycle": {"id": cycle.id, "year": cycle.year, "title": cycle.title, "stage": cycle.stage.value},
            "created_at": utcnow().isoformat(),
            "audit_chain_head": verdict.head_hash,
            "audit_records": verdict.checked,
            "files": files,
        }
        archive.writestr(MANIFEST, json_bytes(manifest))
    partial.replace(target)
    record(session, actor=actor, action="cycle.archived", target_type="cycle", target_id=cycle.id,
           cycle_id=cycle.id, after={"files": len(files), "bytes": total, "chain_head": verdict.head_hash})
    return ArchiveSummary(target, len(files), total, verdict.head_hash)


# --------------------------------------------------------------------------- built-in sections


@archive_section("cycle")
def _cycle_settings(session: Session, cycle: Cycle) -> Iterator[tuple[str, Content]]:
    yield "settings.json", json_bytes({
        "id": cycle.id, "year": cycle.year, "title": cycle.title, "stage": cycle.stage.value,
        "awards_count": cycle.awards_count, "cutoff_score": str(cycle.cutoff_score),
        "experts_per_application": cycle.experts_per_application, "onsite_review": cycle.onsite_review,
        "eligibility": cycle.eligibility, "rubric_key": cycle.rubric_key, "rubric_hash": cycle.rubric_hash,
        "deadlines": {d.stage.value: d.due_at.isoformat() for d in cycle.deadlines},
    })
    yield f"rubric-{cycle.rubric_key}.toml", cycle.rubric_text.encode("utf-8")


def _audit_row(row: AuditRecord) -> dict[str, Any]:
    return {
        "seq": row.seq, "occurred_at": row.occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": row.actor_id, "actor_role": row.actor_role, "action": row.action,
        "target_type": row.target_type, "target_id": row.target_id, "cycle_id": row.cycle_id,
        "before": row.before, "after": row.after, "prev_hash": row.prev_hash, "hash": row.hash,
    }


@archive_section("audit")
def _audit_trail(session: Session, cycle: Cycle) -> Iterator[tuple[str, Content]]:
    # The whole chain, so its links can be checked offline; the cycle's own records beside it.
    ordered = select(AuditRecord).order_by(AuditRecord.seq).execution_options(yield_per=1000)
    yield "chain.jsonl", jsonl_chunks(_audit_row(r) for r in session.scalars(ordered))
    own = ordered.where(AuditRecord.cycle_id == cycle.id)
    yield "cycle-records.jsonl", jsonl_chunks(_audit_row(r) for r in session.scalars(own))
