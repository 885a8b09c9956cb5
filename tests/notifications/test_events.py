"""Each event reaches the right people: an in-app notice and an e-mail through a real SMTP relay."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from award.app_db import get_database
from award.applications.models import Application, ApplicationStatus, RuleOutcome
from award.applications.notices import (
    application_result,
    application_returned,
    application_screened,
    application_shortlisted,
)
from award.applications.services import Decision, automatic_findings, return_application, screen_application
from award.auth.models import Role
from award.cycles.models import Stage
from award.db import utcnow
from award.notice.services import objection_received
from award.notifications import events
from award.notifications.kinds import Kind
from award.notifications.models import Notification
from award.notifications.outbox import MailSettings, send_due
from award.rounds.notices import conflict_declared, expert_assigned
from award.scoring.notices import consensus_disagreement, panel_complete, sheet_reopened

ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def scene(db, make_cycle, make_user, make_organization):
    organization = make_organization(name="苏州恒润精密机械有限公司")
    applicant = make_user(Role.ENTERPRISE, organization=organization)
    cycle = make_cycle(stage=Stage.APPLICATION, title="市长质量奖")
    application = Application(cycle_id=cycle.id, organization_id=organization.id,
                              status=ApplicationStatus.SUBMITTED, org_name=organization.name)
    db.add(application)
    db.commit()
    return {"applicant": applicant, "application": application, "cycle": cycle,
            "office": make_user(Role.OFFICE), "expert": make_user(Role.EXPERT, name="王建国"),
            "leaders": [make_user(Role.LEADER), make_user(Role.LEADER)]}


def _deliver(app, db) -> None:
    db.commit()
    result = send_due(get_database(app).session_factory, MailSettings.from_config(app.config))
    assert result.failed == 0 and result.retried == 0


def _event_calls(s):
    a = s["application"]
    closes = utcnow() + dt.timedelta(days=3)
    return {
        "returned": (lambda db: application_returned(db, application=a, reason="缺少证明材料。"),
                     [s["applicant"]], Kind.APPLICATION_RETURNED),
        "eligible": (lambda db: application_screened(db, application=a, eligible=True),
                     [s["applicant"]], Kind.APPLICATION_ELIGIBLE),
        "ineligible": (lambda db: application_screened(db, application=a, eligible=False, reason="经营不满5年"),
                       [s["applicant"]], Kind.APPLICATION_INELIGIBLE),
        "shortlisted": (lambda db: application_shortlisted(db, application=a),
                        [s["applicant"]], Kind.APPLICATION_SHORTLISTED),
        "awarded": (lambda db: application_result(db, application=a, awarded=True, link="/feedback/1"),
                    [s["applicant"]], Kind.APPLICATION_AWARDED),
        "not_awarded": (lambda db: application_result(db, application=a, awarded=False, link="/feedback/1"),
                        [s["applicant"]], Kind.APPLICATION_NOT_AWARDED),
        "assigned": (lambda db: expert_assigned(db, expert=s["expert"], application=a, link="/review/1"),
                     [s["expert"]], Kind.EXPERT_ASSIGNED),
        "reopened": (lambda db: sheet_reopened(db, expert=s["expert"], application=a, reason="4.7 缺少依据",
                                                      link="/review/1"), [s["expert"]], Kind.SHEET_REOPENED),
        "panel_complete": (lambda db: panel_complete(db, leader=s["expert"], application=a, link="/review/1",
                                                            round_id=1), [s["expert"]], Kind.PANEL_COMPLETE),
        "disagreement": (lambda db: consensus_disagreement(
            db, member=s["expert"], author=s["leaders"][0], application=a, item="4.7.2", reason="缺少第三方数据",
            link="/review/1", remark_id=1), [s["expert"]], Kind.CONSENSUS_DISAGREEMENT),
        "vote_opened": (lambda db: events.vote_opened(db, cycle=s["cycle"], closes_at=closes, link="/votes/1",
                                                      vote_id=1), s["leaders"], Kind.VOTE_OPENED),
        "objection": (lambda db: objection_received(db, application=a, link="/notice/1"),
                      [s["office"]], Kind.OBJECTION_RECEIVED),
        "conflict": (lambda db: conflict_declared(db, expert=s["expert"], application=a, link="/review/1"),
                     [s["office"]], Kind.CONFLICT_DECLARED),
    }


EVENTS = ["returned", "eligible", "ineligible", "shortlisted", "awarded", "not_awarded", "assigned", "reopened",
          "panel_complete", "disagreement", "vote_opened", "objection", "conflict"]


@pytest.mark.parametrize("event", EVENTS)
def test_each_event_gives_a_notice_and_an_email(app, db, scene, smtp_server, event):
    call, recipients, kind = _event_calls(scene)[event]
    call(db)
    _deliver(app, db)
    for user in recipients:
        notices = db.scalars(select(Notification).where(Notification.user_id == user.id)).all()
        assert [n.kind for n in notices] == [kind.value]
        [mail] = [m for m in smtp_server.received if m["To"] == user.email]
        assert notices[0].title in mail["Subject"]
        assert mail.get_body(("html",)) is not None and mail.get_body(("plain",)) is not None
    assert len(smtp_server.received) == len(recipients)  # nobody else hears of it


def test_return_for_correction_is_wired_into_the_service(app, db, scene, smtp_server):
    """The applications service notifies by itself, in the transaction of the return."""
    application = scene["application"]
    return_application(db, actor=scene["office"], application=application, reason="请补充4.7结果数据。")
    _deliver(app, db)
    [mail] = smtp_server.received
    assert mail["To"] == scene["applicant"].email
    assert "请补充4.7结果数据。" in mail.get_body(("plain",)).get_content()
    assert f"/applications/{application.id}/edit" in mail.get_body(("plain",)).get_content()


def test_screening_is_wired_into_the_service_and_notifies_only_on_a_change(app, db, scene, smtp_server):
    application, office = scene["application"], scene["office"]
    application.cycle.stage = Stage.SCREENING
    db.commit()
    findings = automatic_findings(db, application, zone=ZONE)
    decisions = {f.rule: Decision(RuleOutcome.PASS, "人工核实") for f in findings}
    screen_application(db, actor=office, application=application, decisions=decisions, zone=ZONE)
    screen_application(db, actor=office, application=application, decisions=decisions, zone=ZONE)  # no change
    decisions["no_penalty"] = Decision(RuleOutcome.FAIL, "2026年受到行政处罚")
    screen_application(db, actor=office, application=application, decisions=decisions, zone=ZONE)
    _deliver(app, db)
    kinds = db.scalars(select(Notification.kind).where(Notification.user_id == scene["applicant"].id)
                       .order_by(Notification.id)).all()
    assert kinds == [Kind.APPLICATION_ELIGIBLE.value, Kind.APPLICATION_INELIGIBLE.value]
    assert len(smtp_server.received) == 2
    assert "2026年受到行政处罚" in smtp_server.received[1].get_body(("plain",)).get_content()
