"""Life after the award for the access matrix: a follow-up report with a file on each award of the
certificates' world, and a re-assessment cycle of the world enterprise's award."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Flask
from sqlalchemy.orm import Session

from award.applications.evidence import EvidenceStore
from award.auth.models import User
from award.awards import after, reassessment
from award.awards.models import Award
from award.i18n import local_zone
from tests.calls.files import pdf_bytes


def after_world(db: Session, app: Flask, *, users: dict[str, User], own_award_id: int, other_award_id: int,
                root: Path) -> dict[str, int]:
    store = EvidenceStore(app.config["FILES_ROOT"])
    reports = {}
    for key, award_id in (("own", own_award_id), ("other", other_award_id)):
        award = db.get(Award, award_id)
        assert award is not None
        report = after.submit_report(
            db, actor=users["enterprise"] if key == "own" else None, award=award, store=store, zone=local_zone(),
            now=dt.datetime(award.awarded_on.year, 6, 1, 4, tzinfo=dt.UTC),
            report=after.ReportInput(year=award.awarded_on.year, experience="质量月活动经验分享",
                                     improvements="一次合格率提升", data=pdf_bytes(), filename="跟踪报告.pdf"))
        reports[key] = report.id
    own = db.get(Award, own_award_id)
    assert own is not None
    cycle = reassessment.open_reassessment(
        db, actor=users["office"], today=own.awarded_on,
        plan=reassessment.ReassessmentPlan(year=own.valid_until.year, title="市长质量奖复审（访问矩阵）",
                                           award_ids=[own_award_id]))
    row = reassessment.reassessments_of(db, cycle)[0]
    db.commit()
    return {"own_report_id": reports["own"], "other_report_id": reports["other"], "reassess_cycle_id": cycle.id,
            "reassessment_id": row.id}
