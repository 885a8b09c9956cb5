"""The office's archive button on a cycle."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, send_file, url_for

from award.app_db import get_session
from award.archive.builder import ArchiveStorage, build_archive, store_archive
from award.auth.access import actor, office_required
from award.certificates.configured import font_lookup, public_verify_url
from award.cycles.models import Cycle
from award.files import FileStore
from award.views import get_or_404, on_refusal

bp = Blueprint("archive", __name__)


@bp.route("/cycles/<int:cycle_id>/archive", methods=["POST"])
@office_required
def create_archive(cycle_id: int):
    session = get_session()
    cycle = get_or_404(Cycle, cycle_id)
    on_refusal(lambda _: redirect(url_for("cycles.show_cycle", cycle_id=cycle.id)))
    store = FileStore.from_config(current_app.config, current_app.instance_path)
    target = store.scratch_path(".zip")
    storage = ArchiveStorage.from_config(current_app.config, current_app.instance_path, verify_url=public_verify_url)
    build_archive(session, actor=actor(), cycle=cycle, target=target, storage=storage, font_lookup=font_lookup())
    blob = store_archive(session, store, target)  # kept in the file store, where every host finds it
    session.commit()  # the audit record of the archive must not depend on the download finishing
    return send_file(store.path_of(blob.sha256), mimetype="application/zip", as_attachment=True,
                     download_name=f"{cycle.year}-{cycle.id}-archive.zip")
