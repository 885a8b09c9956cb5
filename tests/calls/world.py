"""Objects of the calls area for the access matrix (tests/test_access.py `world`)."""

from __future__ import annotations

from pathlib import Path

from award.applications.evidence import EvidenceStore
from award.calls import services
from award.cycles.models import Cycle, Stage

from .files import pdf_bytes

TEXT = services.CallText(title="关于开展市长质量奖申报工作的通知", body="各有关单位：\n\n现将申报工作通知如下。",
                         guidelines="一、申报条件\n二、申报材料", contact="评审办公室 0512-65220000")


def calls_world(db, app, *, users, cycle: Cycle, make_cycle, root: Path) -> dict[str, int]:
    """The matrix cycle's call, published with a file; another cycle's call, a draft with a file."""
    app.config["FILES_ROOT"] = str(root)
    store, limits, office = EvidenceStore(root), services.CallLimits(), users["office"]
    published = services.save_call(db, actor=office, cycle=cycle, text=TEXT)
    published_file = services.add_call_attachment(db, actor=office, call=published, data=pdf_bytes(),
                                                  filename="申报书.pdf", store=store, limits=limits)
    services.publish_call(db, actor=office, call=published)
    draft_cycle = make_cycle(stage=Stage.DRAFT)
    draft = services.save_call(db, actor=office, cycle=draft_cycle, text=TEXT)
    draft_file = services.add_call_attachment(db, actor=office, call=draft, data=pdf_bytes(), filename="草稿.pdf",
                                              store=store, limits=limits)
    db.commit()
    return {"call_file_id": published_file.id, "draft_call_cycle_id": draft_cycle.id,
            "draft_call_file_id": draft_file.id}
