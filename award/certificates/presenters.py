"""What the certificate pages show, computed from the domain (no request, no rendering)."""

from __future__ import annotations

from award.certificates import batch as batches
from award.certificates.fonts import missing_font_message
from award.i18n import _


def batch_message(status: batches.BatchStatus) -> str:
    """Where a batch stands, in a sentence for the office."""
    if status.state == batches.DONE:
        return _("Done: %(count)s certificates in one PDF.", count=status.total)
    if status.state == batches.RUNNING:
        return _("Laying out certificate %(done)s of %(total)s …", done=status.done, total=status.total)
    if status.error == "font_missing":
        return missing_font_message()
    if status.error == "interrupted":
        return _("The printing was interrupted (the server restarted). Start it again.")
    return _("The printing failed: %(detail)s", detail=status.detail)
