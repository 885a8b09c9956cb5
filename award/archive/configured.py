"""The archive as this app is configured: where the files it copies are kept, the certificates' check
address. Interface level (reads ``current_app``)."""

from __future__ import annotations

from flask import current_app

from award.archive.builder import ArchiveStorage
from award.certificates.configured import public_verify_url


def archive_storage() -> ArchiveStorage:
    return ArchiveStorage.from_config(current_app.config, current_app.instance_path, verify_url=public_verify_url)
