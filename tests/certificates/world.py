"""An awarded cycle with certificates and feedback reports, built from rows (no review round).

The world's enterprise user holds one award ("own"); another organization holds the other; a third
application was ranked below the cut-off and only has a feedback report. The cycle has a seal and a
finished batch job, so that every certificates route has something to show.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

from flask import Flask
from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from award.applications.models import Application, ApplicationStatus
from award.auth.models import User
from award.awards.models import Award
from award.awards.numbers import new_certificate_number
from award.certificates import services
from award.certificates.seals import SealStore
from award.cycles.models import Cycle, Stage
from award.db import utcnow
from award.files import FileStore
from award.jobs.models import Job, JobState
from award.jobs.results import keep_result
from award.jobs.services import inputs_hash
from award.ranking.models import RankingSnapshot, ShortlistEntry

# Share of each category's points an applicant scored, per position on the list.
SHARES = (Decimal("0.85"), Decimal("0.78"), Decimal("0.50"))
CATEGORY_POINTS = {"4.1": 110, "4.2": 90, "4.3": 90, "4.4": 130, "4.5": 100, "4.6": 80, "4.7": 400}


def png_seal(size: int = 200) -> bytes:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((5, 5, size - 5, size - 5), outline=(200, 0, 0, 255), width=8)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def ranked_snapshot(db: Session, cycle: Cycle, applications: list[Application], *,
                    cutoff: Decimal = Decimal(600)) -> RankingSnapshot:
    """A frozen ranking with every GB/T 19580 category; totals below the cut-off stay off the shortlist."""
    snapshot = RankingSnapshot(cycle_id=cycle.id, version=1, method="trimmed_mean", cutoff_score=cutoff,
                               awards_count=2, settings={}, content_hash="0" * 64)
    for position, (application, share) in enumerate(zip(applications, SHARES, strict=False), start=1):
        categories = {cid: str((points * share).quantize(Decimal("0.01"))) for cid, points in CATEGORY_POINTS.items()}
        total = sum(Decimal(value) for value in categories.values())
        shortlisted = total >= cutoff
        snapshot.entries.append(ShortlistEntry(
            application_id=application.id, position=position, rank=position,
            organization_name=application.org_name, sector="C", status="ok", sheet_count=5, total=total,
            categories=categories, method_totals={}, in_shortlist=shortlisted,
            reason=None if shortlisted else "below_cutoff", robustness="stable"))
    db.add(snapshot)
    db.flush()
    return snapshot


def certificates_world(db: Session, app: Flask, *, users: dict[str, User], make_cycle, make_organization,  # noqa: ANN001
                       root: Path) -> dict[str, object]:
    cycle = make_cycle(stage=Stage.AWARDED)
    own_organization = users["enterprise"].organization
    applications = [Application(cycle_id=cycle.id, organization_id=own_organization.id,
                                status=ApplicationStatus.ELIGIBLE, org_name=own_organization.name, sector="C")]
    for _ in range(2):
        organization = make_organization()
        applications.append(Application(cycle_id=cycle.id, organization_id=organization.id,
                                        status=ApplicationStatus.ELIGIBLE, org_name=organization.name, sector="C"))
    db.add_all(applications)
    db.flush()
    ranked_snapshot(db, cycle, applications)
    awarded_on = dt.date(cycle.year, 1, 15)
    awards = [Award(cycle_id=cycle.id, application_id=application.id, organization_id=application.organization_id,
                    organization_name=application.org_name, title=f"{cycle.year}年度市长质量奖", awarded_on=awarded_on,
                    valid_until=dt.date(cycle.year + 4, 1, 14), certificate_number=new_certificate_number(cycle.year))
              for application in applications[:2]]
    db.add_all(awards)
    db.flush()

    app.config["FILES_ROOT"] = str(root)  # seals and job results: the one file store
    services.update_certificate_texts(db, actor=users["office"], cycle=cycle, award_title="苏州市市长质量奖",
                                      authority="苏州市人民政府", issue_date=dt.date(cycle.year, 1, 20))
    services.replace_seal(db, actor=users["office"], cycle=cycle, data=png_seal(), store=SealStore(root))
    job = finished_batch(db, root, cycle=cycle, office=users["office"])
    db.commit()
    return {"cert_cycle_id": cycle.id, "own_award_id": awards[0].id, "other_award_id": awards[1].id,
            "certificate_number": awards[0].certificate_number, "own_feedback_id": applications[0].id,
            "other_feedback_id": applications[2].id, "batch_job_id": job.id}


def finished_batch(db: Session, root: Path, *, cycle, office: User, total: int = 2,  # noqa: ANN001
                   data: bytes = b"%PDF-1.7\n%%EOF\n") -> Job:
    """A batch job of the cycle that a worker finished, with its result in the file store at ``root``."""
    inputs = {"cycle_id": cycle.id}
    now = utcnow()
    digest = keep_result(db, FileStore(root), data=data).sha256
    job = Job(kind=services.BATCH_KIND, inputs=inputs, inputs_hash=inputs_hash(services.BATCH_KIND, inputs),
              state=JobState.DONE, started_by_id=office.id, done=total, total=total, attempts=1, max_attempts=3,
              result_sha256=digest, result_name=services.batch_file_name(cycle), result_mime="application/pdf",
              error_detail="", created_at=now, started_at=now, finished_at=now, updated_at=now)
    db.add(job)
    db.flush()
    return job
