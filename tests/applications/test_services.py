"""Application life cycle: drafts, submission, return, withdrawal, and the state machine."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from award.applications import services
from award.applications.models import ApplicationStatus as S
from award.applications.services import TRANSITIONS
from award.audit.models import AuditRecord
from award.auth.models import Role
from award.cycles.models import Stage
from award.cycles.services import advance_cycle
from award.db import utcnow
from award.errors import DomainError, NotAllowed
from award.inputs import InvalidInput

from .conftest import complete_profile, full_texts


def audit_actions(db, application) -> list[str]:
    return list(db.scalars(select(AuditRecord.action).where(AuditRecord.target_type == "application",
                                                            AuditRecord.target_id == str(application.id))
                           .order_by(AuditRecord.seq)))


def test_transitions_table_is_one_table_without_duplicates():
    pairs = [(t.source, t.target) for t in TRANSITIONS]
    assert len(pairs) == len(set(pairs))
    assert (S.DRAFT, S.SUBMITTED) in pairs and (S.SUBMITTED, S.RETURNED) in pairs
    assert (S.ELIGIBLE, S.DRAFT) not in pairs and (S.WITHDRAWN, S.SUBMITTED) not in pairs


def test_one_application_per_organization_and_cycle(db, draft, enterprise, open_cycle):
    with pytest.raises(DomainError, match="already has an application"):
        services.start_application(db, actor=enterprise, cycle=open_cycle)


@pytest.mark.parametrize("stage", [Stage.DRAFT, Stage.SCREENING, Stage.DOCUMENT_REVIEW])
def test_applying_only_while_the_cycle_takes_applications(db, make_cycle, enterprise, stage):
    with pytest.raises(DomainError):
        services.start_application(db, actor=enterprise, cycle=make_cycle(stage=stage))


def test_only_enterprises_apply(db, open_cycle, office):
    with pytest.raises(NotAllowed):
        services.start_application(db, actor=office, cycle=open_cycle)


def test_draft_keeps_partial_text_and_only_rubric_items(db, draft, enterprise, open_cycle):
    texts = {"4.1.2": "半成品", "nope": "ignored"}
    services.save_draft(db, actor=enterprise, application=draft, profile=complete_profile(address=""),
                        self_assessment=texts)
    assert draft.self_assessment["4.1.2"] == "半成品"
    assert "nope" not in draft.self_assessment
    assert len(draft.self_assessment) == 23  # every GB/T 19580 item has a slot
    assert draft.status is S.DRAFT


def test_self_assessment_over_the_cycle_limit_is_refused(db, draft, enterprise, open_cycle, office):
    services.set_max_self_assessment_chars(db, actor=office, cycle=open_cycle, value=1000)
    with pytest.raises(DomainError, match="at most 1,000"):
        services.save_draft(db, actor=enterprise, application=draft, profile=complete_profile(),
                            self_assessment={"4.1.2": "字" * 1001})
    assert draft.self_assessment == {}


def test_unknown_sector_is_refused(db, draft, enterprise):
    with pytest.raises(DomainError, match="sector"):
        services.save_draft(db, actor=enterprise, application=draft, profile=complete_profile(sector="Z"),
                            self_assessment={})


def test_incomplete_application_cannot_be_submitted(db, draft, enterprise, open_cycle):
    texts = full_texts(open_cycle)
    texts["4.7.7"] = "  "
    services.save_draft(db, actor=enterprise, application=draft, profile=complete_profile(district=""),
                        self_assessment=texts)
    with pytest.raises(DomainError) as error:
        services.submit_application(db, actor=enterprise, application=draft)
    assert "district" in error.value.message and "4.7.7" in error.value.message
    assert draft.status is S.DRAFT


def test_submit_makes_it_read_only(db, make_submitted, open_cycle, enterprise):
    application = make_submitted(open_cycle, enterprise)
    assert application.status is S.SUBMITTED and application.submitted_at is not None
    with pytest.raises(DomainError, match="read-only"):
        services.save_draft(db, actor=enterprise, application=application, profile=complete_profile(),
                            self_assessment=full_texts(open_cycle, "改过"))
    assert application.self_assessment["4.1.2"].endswith("我们建立了系统的方法。")


def test_late_submission_is_refused_with_the_deadline(db, draft, enterprise, open_cycle):
    services.save_draft(db, actor=enterprise, application=draft, profile=complete_profile(),
                        self_assessment=full_texts(open_cycle))
    late = open_cycle.deadline(Stage.APPLICATION) + dt.timedelta(minutes=1)
    with pytest.raises(DomainError, match="deadline was") as error:
        services.submit_application(db, actor=enterprise, application=draft, now=late)
    assert str(open_cycle.deadline(Stage.APPLICATION).astimezone().year) in error.value.message
    assert draft.status is S.DRAFT


def test_return_needs_a_reason_and_allows_resubmission(db, make_submitted, open_cycle, enterprise, office):
    application = make_submitted(open_cycle, enterprise)
    with pytest.raises(DomainError, match="reason"):
        services.return_application(db, actor=office, application=application, reason=" ")
    services.return_application(db, actor=office, application=application, reason="营业执照扫描件不清晰")
    assert application.status is S.RETURNED
    services.save_draft(db, actor=enterprise, application=application, profile=complete_profile(employees=1300),
                        self_assessment=full_texts(open_cycle))
    services.submit_application(db, actor=enterprise, application=application)
    assert application.status is S.SUBMITTED
    assert [e.to_status for e in application.events] == [S.SUBMITTED, S.RETURNED, S.SUBMITTED]
    assert application.events[1].reason == "营业执照扫描件不清晰"
    assert audit_actions(db, application).count("application.submitted") == 2
    assert "application.returned" in audit_actions(db, application)


def test_enterprise_cannot_return_and_office_cannot_submit(db, make_submitted, draft, open_cycle, make_user, office):
    application = make_submitted(open_cycle, make_user(Role.ENTERPRISE))
    with pytest.raises(NotAllowed):
        services.return_application(db, actor=make_user(Role.ENTERPRISE), application=application, reason="x")
    with pytest.raises(NotAllowed):
        services.submit_application(db, actor=office, application=draft)


def test_another_enterprise_cannot_touch_the_application(db, draft, make_user, open_cycle):
    stranger = make_user(Role.ENTERPRISE)
    with pytest.raises(NotAllowed):
        services.save_draft(db, actor=stranger, application=draft, profile=complete_profile(), self_assessment={})
    with pytest.raises(NotAllowed):
        services.withdraw_application(db, actor=stranger, application=draft)


def test_withdraw_before_the_deadline_and_reopen(db, make_submitted, open_cycle, enterprise):
    application = make_submitted(open_cycle, enterprise)
    services.withdraw_application(db, actor=enterprise, application=application)
    assert application.status is S.WITHDRAWN
    services.reopen_application(db, actor=enterprise, application=application)
    assert application.status is S.DRAFT
    assert "application.withdrawn" in audit_actions(db, application)


def test_withdraw_after_the_deadline_is_refused(db, make_submitted, open_cycle, enterprise):
    application = make_submitted(open_cycle, enterprise)
    late = open_cycle.deadline(Stage.APPLICATION) + dt.timedelta(seconds=1)
    with pytest.raises(DomainError, match="deadline was"):
        services.withdraw_application(db, actor=enterprise, application=application, now=late)
    assert application.status is S.SUBMITTED


def test_screening_guard_blocks_document_review(db, make_submitted, open_cycle, enterprise, office):
    make_submitted(open_cycle, enterprise)
    open_cycle.stage = Stage.SCREENING
    db.flush()
    with pytest.raises(DomainError, match="1 submitted applications have no screening outcome"):
        advance_cycle(db, actor=office, cycle=open_cycle, target=Stage.DOCUMENT_REVIEW, now=utcnow())
    assert open_cycle.stage is Stage.SCREENING


@pytest.mark.parametrize(("where", "value"), [
    ("text", "方法\x00"), ("text", "方法\x1b[31m"), ("org_name", "苏州\u202e精工")])
def test_the_service_refuses_hidden_characters_in_the_draft(db, draft, enterprise, open_cycle, where, value):
    texts = full_texts(open_cycle)
    profile = complete_profile()
    if where == "text":
        texts[next(iter(texts))] = value
    else:
        profile = complete_profile(org_name=value)
    with pytest.raises(InvalidInput):
        services.save_draft(db, actor=enterprise, application=draft, profile=profile, self_assessment=texts)
