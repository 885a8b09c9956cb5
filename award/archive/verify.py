"""Offline check of a cycle archive: every entry against the manifest, and the audit chain."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from award.archive.builder import MANIFEST, MANIFEST_DIGEST
from award.audit.services import GENESIS_HASH, record_hash


@dataclass
class ArchiveVerdict:
    problems: list[str] = field(default_factory=list)
    checked_files: int = 0
    checked_records: int = 0
    notes: list[str] = field(default_factory=list)  # what the archive says it could not hold

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_archive(path: Path) -> ArchiveVerdict:
    verdict = ArchiveVerdict()
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        verdict.problems.append(f"not a readable ZIP file: {error}")
        return verdict
    with archive:
        names = archive.namelist()
        for duplicate in sorted({name for name in names if names.count(name) > 1}):
            verdict.problems.append(f"{duplicate}: stored more than once")
        try:
            manifest_bytes = archive.read(MANIFEST)
            manifest = json.loads(manifest_bytes)
            files = manifest["files"]
        except (KeyError, ValueError, TypeError):
            verdict.problems.append("manifest.json is missing or unreadable")
            return verdict
        _verify_manifest_digest(archive, manifest_bytes, verdict)
        verdict.notes = [str(note) for note in manifest.get("notes", [])]
        listed = {entry["path"]: entry for entry in files}
        present = set(names) - {MANIFEST, MANIFEST_DIGEST}
        for extra in sorted(present - listed.keys()):
            verdict.problems.append(f"{extra}: not listed in the manifest (added)")
        for name, entry in listed.items():
            if name not in present:
                verdict.problems.append(f"{name}: listed in the manifest but missing (removed)")
                continue
            digest = hashlib.sha256()
            size = 0
            with archive.open(name) as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
                    size += len(chunk)
            if digest.hexdigest() != entry["sha256"] or size != entry.get("size", size):
                verdict.problems.append(f"{name}: SHA-256 differs from the manifest (changed)")
            verdict.checked_files += 1
        if "audit/chain.jsonl" in present:
            hashes = _verify_chain(archive, manifest, verdict)
            if hashes is not None and "audit/cycle-records.jsonl" in present:
                _verify_cycle_records(archive, hashes, verdict)
        else:
            verdict.problems.append("audit/chain.jsonl is missing")
    return verdict


def _verify_manifest_digest(archive: zipfile.ZipFile, manifest_bytes: bytes, verdict: ArchiveVerdict) -> None:
    """manifest.sha256 holds the manifest's own digest: an edited manifest no longer matches it."""
    try:
        recorded = archive.read(MANIFEST_DIGEST).decode("ascii").split()[0]
    except (KeyError, UnicodeDecodeError, IndexError):
        verdict.problems.append(f"{MANIFEST_DIGEST} is missing or unreadable")
        return
    if hashlib.sha256(manifest_bytes).hexdigest() != recorded:
        verdict.problems.append(f"{MANIFEST}: its SHA-256 differs from {MANIFEST_DIGEST} (changed)")


def _verify_chain(archive: zipfile.ZipFile, manifest: dict, verdict: ArchiveVerdict) -> dict[int, str] | None:
    """Re-compute every record's hash and link; the hashes by position, or None when the chain is broken."""
    hashes: dict[int, str] = {}
    expected_prev, expected_seq = GENESIS_HASH, 1
    with archive.open("audit/chain.jsonl") as handle:
        for line in handle:
            try:
                row = json.loads(line)
                fields = {key: row[key] for key in ("seq", "actor_id", "actor_role", "action", "target_type",
                                                     "target_id", "cycle_id", "before", "after", "prev_hash")}
                fields["occurred_at"] = dt.datetime.fromisoformat(row["occurred_at"])
            except (ValueError, KeyError, TypeError):
                verdict.problems.append(f"audit record {expected_seq}: unreadable line in audit/chain.jsonl")
                return None
            if row["seq"] != expected_seq or row["prev_hash"] != expected_prev:
                verdict.problems.append(f"audit record {row['seq']}: the chain is broken here")
                return None
            if record_hash(**fields) != row["hash"]:
                verdict.problems.append(f"audit record {row['seq']}: content does not match its hash")
                return None
            hashes[row["seq"]] = row["hash"]
            expected_prev, expected_seq = row["hash"], expected_seq + 1
            verdict.checked_records += 1
    if expected_prev != manifest.get("audit_chain_head"):
        verdict.problems.append("the audit chain's head differs from the manifest")
        return None
    return hashes


def _verify_cycle_records(archive: zipfile.ZipFile, hashes: dict[int, str], verdict: ArchiveVerdict) -> None:
    """The cycle's own records must be the chain's records, unchanged."""
    with archive.open("audit/cycle-records.jsonl") as handle:
        for line in handle:
            try:
                row = json.loads(line)
                seq, digest = row["seq"], row["hash"]
                same = hashes.get(seq) == digest and record_hash(
                    **{key: row[key] for key in ("seq", "actor_id", "actor_role", "action", "target_type",
                                                 "target_id", "cycle_id", "before", "after", "prev_hash")},
                    occurred_at=dt.datetime.fromisoformat(row["occurred_at"])) == digest
            except (ValueError, KeyError, TypeError):
                same, seq = False, "?"
            if not same:
                verdict.problems.append(f"audit/cycle-records.jsonl: record {seq} differs from the chain")
                return
