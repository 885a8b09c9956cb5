"""A cycle's procedure: the rules of its steps, order and weights (pure), the stage machine that follows
it, choosing it before the cycle opens and its freezing when applications open."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from award.audit.models import AuditRecord
from award.auth.models import Role
from award.cycles import procedure
from award.cycles.models import Stage
from award.cycles.procedure import Procedure, ProcedureError, Step, build, current_shape, procedure_problems
from award.cycles.services import advance_cycle, set_procedure, update_cycle
from award.cycles.stages import TRANSITIONS, guard, procedure_of, stage_has_opened, transitions_from
from award.errors import Conflict, Invalid, NotAllowed
from tests.cycles.test_cycles import settings

FULL = ["screening", "document_review", "presentation", "onsite_review", "social_evaluation", "committee",
        "leading_group", "notice", "award"]
FULL_WEIGHTS = {"document_review": "0.5", "presentation": "0.2", "onsite_review": "0.3"}
MINIMAL = ["screening", "document_review", "committee", "notice", "award"]


# --- the rules (pure) ---------------------------------------------------------------------------

@pytest.mark.parametrize("steps, weights", [
    (FULL, FULL_WEIGHTS),
    (MINIMAL, {"document_review": "1"}),
    # presentation after on-site review, social evaluation first: the office's order
    (["screening", "document_review", "social_evaluation", "onsite_review", "presentation", "leading_group",
      "notice", "award"], {"document_review": "0.4", "onsite_review": "0.4", "presentation": "0.2"}),
    (["screening", "document_review", "leading_group", "notice", "award"], {"document_review": "1"}),
])
def test_valid_procedures(steps, weights):
    assert build(steps, weights).steps == tuple(Step(s) for s in steps)


@pytest.mark.parametrize("steps, weights, rule", [
    (["screening", "document_review", "notice", "award"], {"document_review": "1"}, "vote"),
    (["screening", "notice", "award", "committee"], {}, "always"),
    (["document_review", "screening", "committee", "notice", "award"], {"document_review": "1"}, "first"),
    (["screening", "document_review", "committee", "presentation", "notice", "award"],
     {"document_review": "0.5", "presentation": "0.5"}, "before the ranking"),
    (["screening", "document_review", "leading_group", "committee", "notice", "award"], {"document_review": "1"},
     "committee votes before"),
    (["screening", "document_review", "committee", "award", "notice"], {"document_review": "1"}, "notice"),
    (["screening", "document_review", "committee", "committee", "notice", "award"], {"document_review": "1"},
     "twice"),
    (MINIMAL, {"document_review": "0.9"}, "add up"),
    (MINIMAL, {"document_review": "1", "presentation": "0"}, "each scored round"),
    (FULL, {"document_review": "0.5", "presentation": "0.5"}, "each scored round"),
])
def test_broken_procedures_name_their_rule(steps, weights, rule):
    with pytest.raises(ProcedureError) as refused:
        build(steps, weights)
    messages = {"vote": "leading group", "always": "always", "first": "first", "before the ranking": "before the",
                "committee votes before": "committee votes before", "notice": "public notice, then",
                "twice": "twice", "add up": "add up to 1", "each scored round": "each scored round"}
    assert messages[rule] in str(refused.value)


@pytest.mark.parametrize("raw", ["-0.1", "1.5", "NaN", "Infinity", "1e400", "１", "0x1", "", None, True, [], {}])
def test_worst_weights_are_refused_in_words(raw):
    with pytest.raises(ProcedureError):
        build(MINIMAL, {"document_review": raw})


@pytest.mark.parametrize("weights", [
    # adds up to 1 as typed; rounded to 3 decimals first it gave 0.999 and "must add up to 1"
    {"document_review": "0.3333", "presentation": "0.3333", "onsite_review": "0.3334"},
    # adds up to 1 as typed; rounded, the presentation's 0.0005 silently became 0
    {"document_review": "0.9995", "presentation": "0.0005", "onsite_review": "0"},
])
def test_a_weight_with_more_than_three_decimals_is_refused_not_rounded(weights):
    with pytest.raises(ProcedureError, match="3 decimals"):
        build(FULL, weights)


@pytest.mark.parametrize("raw", ["nothing", "", None, 7, "\x00", "screening\u202e"])
def test_unknown_steps_are_refused_in_words(raw):
    with pytest.raises(ProcedureError, match="unknown step"):
        build(["screening", "document_review", raw, "committee", "notice", "award"], {"document_review": "1"})


def test_replace_combines_only_document_and_onsite():
    shape = current_shape(onsite=True)
    assert shape.combine == "replace" and procedure_problems(shape) == []
    with_presentation = Procedure(tuple(Step(s) for s in FULL), {Step(k): Decimal(v) for k, v in FULL_WEIGHTS.items()},
                                  "replace")
    assert any("replacement" in problem for problem in procedure_problems(with_presentation))


@pytest.mark.parametrize("onsite, combine, weight, expected", [
    (False, "replace", "0.5", {Step.DOCUMENT_REVIEW: Decimal("1")}),
    (True, "replace", "0.5", {Step.DOCUMENT_REVIEW: Decimal("0"), Step.ONSITE_REVIEW: Decimal("1")}),
    (True, "weighted", "0.3", {Step.DOCUMENT_REVIEW: Decimal("0.700"), Step.ONSITE_REVIEW: Decimal("0.300")}),
])
def test_the_current_shape_carries_the_ranking_settings(onsite, combine, weight, expected):
    shape = current_shape(onsite=onsite, combine=combine, onsite_weight=Decimal(weight))
    assert dict(shape.weights) == expected and procedure_problems(shape) == []


def test_every_procedure_stage_sequence_is_in_the_transition_table():
    table = {(t.source, t.target) for t in TRANSITIONS}
    chosen = build(FULL, FULL_WEIGHTS)
    stages = chosen.stages
    assert stages == (Stage.DRAFT, Stage.APPLICATION, Stage.SCREENING, Stage.DOCUMENT_REVIEW, Stage.PRESENTATION,
                      Stage.ONSITE_REVIEW, Stage.SOCIAL_EVALUATION, Stage.DELIBERATION, Stage.COMMITTEE,
                      Stage.APPROVAL, Stage.NOTICE, Stage.AWARDED, Stage.CLOSED)
    assert set(zip(stages, stages[1:], strict=False)) <= table
    with pytest.raises(ValueError):
        guard(Stage.COMMITTEE, Stage.DOCUMENT_REVIEW)


def test_the_stored_procedure_round_trips():
    chosen = build(FULL, FULL_WEIGHTS)
    assert procedure.from_stored(chosen.as_dict(), onsite=False) == chosen
    assert procedure.from_stored(None, onsite=True) == current_shape(onsite=True)


# --- the stage machine follows the procedure ------------------------------------------------------

def _walk(cycle) -> list[Stage]:
    """The stages the table offers one after another from the cycle's stage (one move each)."""
    seen = [cycle.stage]
    while True:
        moves = transitions_from(cycle)
        if not moves:
            return seen
        assert len(moves) == 1
        cycle.stage = moves[0].target
        seen.append(cycle.stage)


def test_a_full_procedure_runs_every_stage_in_its_order(db, make_cycle, make_user):
    cycle = make_cycle()
    set_procedure(db, actor=make_user(Role.OFFICE), cycle=cycle, steps=FULL, weights=FULL_WEIGHTS)
    assert _walk(cycle) == list(build(FULL, FULL_WEIGHTS).stages)
    assert cycle.onsite_review is True  # the flag follows the procedure


def test_a_minimal_procedure_goes_from_document_review_to_the_committee_and_the_notice(db, make_cycle, make_user):
    cycle = make_cycle()
    set_procedure(db, actor=make_user(Role.OFFICE), cycle=cycle, steps=MINIMAL, weights={"document_review": "1"})
    assert _walk(cycle) == [Stage.DRAFT, Stage.APPLICATION, Stage.SCREENING, Stage.DOCUMENT_REVIEW,
                            Stage.DELIBERATION, Stage.COMMITTEE, Stage.NOTICE, Stage.AWARDED, Stage.CLOSED]


def test_a_cycle_of_the_current_shape_keeps_its_table(make_cycle):
    cycle = make_cycle(onsite_review=True)
    assert _walk(cycle) == [Stage.DRAFT, Stage.APPLICATION, Stage.SCREENING, Stage.DOCUMENT_REVIEW,
                            Stage.ONSITE_REVIEW, Stage.DELIBERATION, Stage.APPROVAL, Stage.NOTICE, Stage.AWARDED,
                            Stage.CLOSED]


def test_a_stage_the_procedure_skips_never_counts_as_opened(db, make_cycle, make_user):
    cycle = make_cycle(stage=Stage.NOTICE)
    assert stage_has_opened(cycle, Stage.APPROVAL) and not stage_has_opened(cycle, Stage.PRESENTATION)


def test_moving_to_a_stage_outside_the_procedure_is_refused(db, make_cycle, make_user):
    cycle = make_cycle(stage=Stage.DOCUMENT_REVIEW)
    with pytest.raises(Conflict):
        advance_cycle(db, actor=make_user(Role.OFFICE), cycle=cycle, target=Stage.PRESENTATION)


def _deadlines(cycle) -> dict:
    return {d.stage: d.due_at for d in cycle.deadlines}


# --- choosing it, and its freezing ------------------------------------------------------------------

def test_the_office_sets_the_procedure_with_an_audit_record(db, make_cycle, make_user):
    cycle = make_cycle()
    set_procedure(db, actor=make_user(Role.OFFICE), cycle=cycle, steps=FULL, weights=FULL_WEIGHTS)
    entry = db.scalars(select(AuditRecord).where(AuditRecord.action == "cycle.procedure_set")).one()
    assert entry.after["steps"] == FULL and entry.before["steps"][-3:] == ["leading_group", "notice", "award"]
    assert procedure_of(cycle).weights[Step.PRESENTATION] == Decimal("0.2")


@pytest.mark.parametrize("role", [Role.EXPERT, Role.LEADER, Role.SUPERVISOR, Role.ENTERPRISE])
def test_only_the_office_sets_the_procedure(db, make_cycle, make_user, role):
    cycle = make_cycle()
    with pytest.raises(NotAllowed):
        set_procedure(db, actor=make_user(role), cycle=cycle, steps=FULL, weights=FULL_WEIGHTS)
    assert procedure_of(cycle) == current_shape(onsite=False)


def test_a_broken_procedure_is_refused_by_the_service(db, make_cycle, make_user):
    cycle = make_cycle()
    with pytest.raises(Invalid, match="between 0 and 1"):
        set_procedure(db, actor=make_user(Role.OFFICE), cycle=cycle, steps=MINIMAL, weights={"document_review": "2"})


def test_the_procedure_is_frozen_when_applications_open(db, make_cycle, make_user):
    office = make_user(Role.OFFICE)
    cycle = make_cycle()
    set_procedure(db, actor=office, cycle=cycle, steps=MINIMAL, weights={"document_review": "1"})
    advance_cycle(db, actor=office, cycle=cycle, target=Stage.APPLICATION)
    frozen = db.scalars(select(AuditRecord).where(AuditRecord.action == "cycle.procedure_frozen")).one()
    assert frozen.after["steps"] == MINIMAL
    with pytest.raises(Conflict):
        set_procedure(db, actor=office, cycle=cycle, steps=FULL, weights=FULL_WEIGHTS)
    with pytest.raises(Conflict):  # the settings' on-site flag cannot add a step either
        update_cycle(db, actor=office, cycle=cycle, settings=settings(title=cycle.title, onsite_review=True,
                                                                    deadlines=_deadlines(cycle)))
    assert procedure_of(cycle).steps == tuple(Step(s) for s in MINIMAL)


def test_before_opening_the_onsite_flag_edits_the_procedure(db, make_cycle, make_user):
    office = make_user(Role.OFFICE)
    cycle = make_cycle()
    update_cycle(db, actor=office, cycle=cycle, settings=settings(title=cycle.title, onsite_review=True,
                                                                    deadlines=_deadlines(cycle)))
    assert procedure_of(cycle) == current_shape(onsite=True)


# --- the page -------------------------------------------------------------------------------------

def _form(**overrides) -> dict[str, str]:
    data = {"presentation": "y", "presentation_position": "2", "onsite_review": "y", "onsite_position": "1",
            "committee": "y", "leading_group": "y", "combine": "weighted", "document_weight": "0.5",
            "presentation_weight": "0.2", "onsite_weight": "0.3"}
    data.update(overrides)
    return data


def test_the_office_chooses_the_order_on_the_page(db, client, login, make_cycle, make_user):
    cycle = make_cycle()
    login(make_user(Role.OFFICE))
    response = client.post(f"/cycles/{cycle.id}/procedure", data=_form())
    assert response.status_code == 302
    db.refresh(cycle)
    assert procedure_of(cycle).steps == (Step.SCREENING, Step.DOCUMENT_REVIEW, Step.ONSITE_REVIEW, Step.PRESENTATION,
                                         Step.COMMITTEE, Step.LEADING_GROUP, Step.NOTICE, Step.AWARD)
    page = client.get(f"/cycles/{cycle.id}").get_data(as_text=True)
    assert f"/approval/cycles/{cycle.id}/committee" in page and "Presentation and defence" in page


@pytest.mark.parametrize("overrides", [
    {"document_weight": "1e400"}, {"document_weight": "０.5"}, {"document_weight": "-0.5"},
    {"document_weight": "0.5\x00"}, {"onsite_weight": "\u202e0.3"}, {"document_weight": "9" * 5000},
    {"presentation_position": "7"}, {"combine": "replace"}, {"committee": "", "leading_group": ""},
])
def test_worst_procedure_forms_are_refused_in_chinese(db, client, login, make_cycle, make_user, overrides):
    cycle = make_cycle()
    office = make_user(Role.OFFICE)
    office.locale = "zh_CN"
    db.commit()
    login(office)
    response = client.post(f"/cycles/{cycle.id}/procedure", data=_form(**overrides))
    assert response.status_code in (400, 422)  # 400: the input boundary refuses a NUL before the page
    page = response.get_data(as_text=True)
    assert ("评审程序" in page) if response.status_code == 422 else ('<html lang="zh-CN">' in page)
    db.refresh(cycle)
    assert procedure_of(cycle) == current_shape(onsite=False)
