"""From the frozen shortlist to the award, through the web routes: office, three leaders, the public."""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import select

from award.audit.models import AuditRecord
from award.auth.models import Role
from award.awards.models import Award, AwardStatus
from award.awards.numbers import is_well_formed_certificate_number
from award.awards.services import award_history
from award.cycles.models import Stage
from award.db import utcnow
from award.notice.models import Objection, PublicNotice
from award.notifications.models import Notification
from tests.approval.world import pdf_bytes, shortlisted_cycle

ID_NUMBER = "11010519491231002X"  # the standard's own example; the check digit is valid


def test_shortlist_to_award_through_the_browser(app, db, client, login, make_user, make_organization, make_cycle):
    leaders = [make_user(Role.LEADER, name=f"领导{n}") for n in range(3)]
    supervisor = make_user(Role.SUPERVISOR)
    world = shortlisted_cycle(db, make_user=make_user, make_organization=make_organization, make_cycle=make_cycle)
    cycle, (first, second, third) = world.cycle, world.applications
    assert {e.application_id for e in world.snapshot.shortlist} == {first.id, second.id, third.id}
    staff = {a.id: make_user(Role.ENTERPRISE, organization=a.organization) for a in world.applications}

    # The office opens the vote; leaders are told.
    login(world.office)
    closes = (utcnow() + dt.timedelta(days=2)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    response = client.post(f"/approval/cycles/{cycle.id}/open",
                           data={"closes_at": closes.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert db.scalar(select(Notification.id).where(Notification.user_id == leaders[0].id,
                                                   Notification.kind == "vote_opened")) is not None
    client.post("/logout")

    # Each leader votes on a phone; the third rejects the third candidate; one leader tries twice.
    plan = {
        leaders[0]: {first.id: "approve", second.id: "approve", third.id: "reject"},
        leaders[1]: {first.id: "approve", second.id: "abstain", third.id: "reject"},
        leaders[2]: {first.id: "approve", second.id: "approve", third.id: "approve"},
    }
    for leader, votes in plan.items():
        login(leader)
        page = client.get(f"/approval/cycles/{cycle.id}/ballot").get_data(as_text=True)
        assert "甲精密制造有限公司" in page and page.count('class="ballot-card') == 3
        # Results stay closed to leaders while the vote is open.
        assert client.get(f"/approval/cycles/{cycle.id}/results").status_code == 403
        for application_id, choice in votes.items():
            response = client.post(f"/approval/cycles/{cycle.id}/ballot/{application_id}",
                                   data={"choice": choice, "comment": "同意" if choice == "approve" else "意见"})
            assert response.status_code == 302
        again = client.post(f"/approval/cycles/{cycle.id}/ballot/{first.id}", data={"choice": "reject"})
        assert again.status_code == 409
        assert "already voted" in again.get_data(as_text=True)
        client.post("/logout")

    # The office closes the vote; the outcome is computed and the supervisor sees it.
    login(world.office)
    assert client.post(f"/approval/cycles/{cycle.id}/close").status_code == 302
    client.post("/logout")
    login(supervisor)
    page = client.get(f"/approval/cycles/{cycle.id}").get_data(as_text=True)
    assert page.count("<mark>Approved</mark>") == 2  # the third: 1 of 3 approved
    client.post("/logout")
    login(leaders[0])
    assert client.post(f"/approval/cycles/{cycle.id}/ballot/{third.id}", data={"choice": "approve"}).status_code == 409
    results = client.get(f"/approval/cycles/{cycle.id}/results")
    assert results.status_code == 200 and "Not approved" in results.get_data(as_text=True)
    client.post("/logout")

    # The office publishes the public notice; the cycle moves to the notice stage.
    login(world.office)
    response = client.post(f"/notices/cycles/{cycle.id}/publish",
                           data={"award_title": "2026年度市长质量奖", "benefits": "证书、奖牌和奖金50万元",
                                 "contact": "市市场监管局 0512-12345678"})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.expire_all()
    assert cycle.stage is Stage.NOTICE
    notice = db.scalars(select(PublicNotice).where(PublicNotice.cycle_id == cycle.id)).one()
    client.post("/logout")

    # The public reads the notice without logging in and files a real-name objection against the second.
    public = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "甲精密制造有限公司" in public and "乙电子有限公司" in public and "丙新材料有限公司" not in public
    assert "证书、奖牌和奖金50万元" in public and "How to object" in public
    second_candidate = next(c for c in notice.candidates if c.application_id == second.id)
    response = client.post(f"/notices/{notice.id}/object", data={
        "candidate": str(second_candidate.id), "name": "张三", "id_number": ID_NUMBER, "phone": "13912345678",
        "text": "该企业申报材料中的质量数据与实际不符。", "evidence": (io.BytesIO(pdf_bytes()), "证据.pdf"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    objection = db.scalars(select(Objection)).one()
    assert db.scalar(select(Notification.id).where(Notification.user_id == world.office.id,
                                                   Notification.kind == "objection_received")) is not None

    # The period runs: the final list cannot be confirmed yet.
    login(world.office)
    refused = client.post(f"/awards/cycles/{cycle.id}/confirm")
    assert refused.status_code == 409 and "objection(s) still need an outcome" in refused.get_data(as_text=True)
    # The office upholds the objection: the second is withdrawn, recorded.
    response = client.post(f"/notices/objections/{objection.id}/decide",
                           data={"outcome": "upheld", "reason": "经核查，数据不实。",
                                 "answer": "经核查，您反映的情况属实，该单位已撤销。"})
    assert response.status_code == 302
    # The period ends (set-up: move the notice back in time).
    notice.published_at -= dt.timedelta(days=30)
    notice.ends_at = utcnow() - dt.timedelta(minutes=1)
    db.commit()
    response = client.post(f"/awards/cycles/{cycle.id}/confirm")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.expire_all()
    assert cycle.stage is Stage.AWARDED
    awards = db.scalars(select(Award).where(Award.cycle_id == cycle.id)).all()
    assert [a.application_id for a in awards] == [first.id]
    award = awards[0]
    assert is_well_formed_certificate_number(award.certificate_number)
    assert award.valid_until.year == award.awarded_on.year + 4
    told = dict(db.execute(select(Notification.user_id, Notification.kind)
                           .where(Notification.kind.in_(["application_awarded", "application_not_awarded"]))).all())
    assert told == {staff[first.id].id: "application_awarded", staff[second.id].id: "application_not_awarded",
                    staff[third.id].id: "application_not_awarded"}
    assert db.scalar(select(Notification.id).where(Notification.user_id == staff[third.id].id,
                                                   Notification.kind == "application_shortlisted")) is not None

    # Revocation: the award is revoked and the ban starts.
    assert client.post(f"/awards/{award.id}/revoke", data={"reason": ""}).status_code == 422
    response = client.post(f"/awards/{award.id}/revoke", data={"reason": "申报材料造假"})
    assert response.status_code == 302
    db.expire_all()
    assert award.status is AwardStatus.REVOKED and award.ban_until.year == award.revoked_on.year + 3
    history = award_history(db, first.organization.credit_code)
    assert history[0].status is AwardStatus.REVOKED and history[0].ban_until == award.ban_until
    client.post("/logout")
    login(supervisor)
    assert "申报材料造假" in client.get(f"/awards/{award.id}").get_data(as_text=True)
    actions = set(db.scalars(select(AuditRecord.action).where(AuditRecord.cycle_id == cycle.id)))
    assert {"approval.vote_opened", "approval.ballot_cast", "approval.vote_closed", "notice.published",
            "notice.objection_filed", "notice.objection_decided", "notice.candidate_withdrawn", "award.granted",
            "award.revoked"} <= actions
