"""The pool in the browser: each 回避 rule from a declaration to the matrix cell's reason, imports, pins."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from sqlalchemy import func, select

from award.audit.models import AuditRecord
from award.auth.models import Role, User
from award.conflicts.models import CycleCoiSettings, PinnedConflict
from award.cycles.models import Stage
from award.pool.io import POOL_COLUMNS
from award.pool.kinds import RelationKind
from award.pool.models import ExpertProfile
from award.pool.services import profile_of
from tests.conftest import fresh_credit_code
from tests.pool.factories import *  # noqa: F403 (fixtures)


@pytest.fixture
def office(make_user):
    return make_user(Role.OFFICE)


@pytest.fixture
def cycle(db, make_cycle):
    cycle = make_cycle(stage=Stage.SCREENING)
    db.add(CycleCoiSettings(cycle_id=cycle.id, reference_date=dt.date(2026, 6, 30)))
    db.commit()
    return cycle


def last_audit(db) -> AuditRecord:
    return db.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()


def cell_url(cycle, application, expert) -> str:
    return f"/pool/cycles/{cycle.id}/conflicts/{application.id}/{expert.id}"


# Each rule: the declaration the office records, and a phrase the cell page must show.
RULES = [
    (RelationKind.EMPLOYER, "Employment: the expert works or worked for the applicant"),
    (RelationKind.CLIENT, "Consulting: the expert consulted, trained or coached the applicant"),
    (RelationKind.SHAREHOLDING, "Financial interest: the expert holds shares"),
    (RelationKind.RELATIVE_EMPLOYER, "Relative: a spouse or direct relative of the expert works for the applicant"),
    (RelationKind.DISPUTE, "Dispute: the expert has or had a legal dispute with the applicant"),
    (RelationKind.COMPETITOR, "is a declared competitor of the applicant"),
    (RelationKind.SUPPLIER, "is a declared supplier of the applicant"),
    (RelationKind.CUSTOMER, "is a declared customer of the applicant"),
]


@pytest.mark.parametrize(("kind", "phrase"), RULES, ids=[kind.value for kind, _ in RULES])
def test_declared_relation_shows_in_the_matrix_with_its_reason(db, client, login, office, cycle, make_application,
                                                                make_expert, kind, phrase):
    application = make_application(cycle)
    expert = make_expert()
    profile = profile_of(db, expert)
    login(office)
    code = application.organization.credit_code
    response = client.post(f"/pool/{profile.id}/relations", data={
        "kind": kind.value, "party_code": code, "party_name": "申报企业", "starts_on": "2024-01-01"})
    assert response.status_code == 302
    assert last_audit(db).action == "pool.relation_added"

    matrix = client.get(f"/pool/cycles/{cycle.id}/conflicts").get_data(as_text=True)
    assert f'href="{cell_url(cycle, application, expert)}" title=' in matrix
    cell = client.get(cell_url(cycle, application, expert)).get_data(as_text=True)
    assert phrase in cell and code in cell


def test_current_organization_rule_end_to_end(db, client, login, office, cycle, make_application, make_expert):
    application = make_application(cycle)
    expert = make_expert()
    profile = profile_of(db, expert)
    login(office)
    response = client.post(f"/pool/{profile.id}/edit", data={
        "email": expert.email, "full_name": expert.full_name, "organization_name": "申报企业本身",
        "organization_code": application.organization.credit_code, "sectors": ["C"], "in_pool": "y"})
    assert response.status_code == 302
    cell = client.get(cell_url(cycle, application, expert)).get_data(as_text=True)
    assert "current organization is the applicant itself" in cell


def test_group_rule_end_to_end(db, client, login, office, cycle, make_application, make_expert):
    application = make_application(cycle)
    expert_org, parent = fresh_credit_code(), fresh_credit_code()
    expert = make_expert(organization_code=expert_org)
    login(office)
    for child in (application.organization.credit_code, expert_org):
        assert client.post("/pool/groups", data={"parent_code": parent, "child_code": child}).status_code == 302
    cell = client.get(cell_url(cycle, application, expert)).get_data(as_text=True)
    assert "share a parent group or control" in cell and parent in cell


def test_clear_pair_says_so_and_the_pin_is_audited_and_shown(db, client, login, office, cycle, make_application,
                                                             make_expert):
    application, expert = make_application(cycle), make_expert()
    login(office)
    assert "No conflict was found" in client.get(cell_url(cycle, application, expert)).get_data(as_text=True)
    response = client.post(cell_url(cycle, application, expert) + "/pin",
                           data={"type": "other", "reason": "与该企业总经理为同学"})
    assert response.status_code == 302
    entry = last_audit(db)
    assert (entry.action, entry.after["reason"], entry.actor_id) == ("pool.conflict_pinned", "与该企业总经理为同学",
                                                                     office.id)
    page = client.get(cell_url(cycle, application, expert)).get_data(as_text=True)
    assert "与该企业总经理为同学" in page and "pinned by the office" in page
    again = client.post(cell_url(cycle, application, expert) + "/pin", data={"type": "other", "reason": "再次"})
    assert again.status_code == 409
    assert db.scalar(select(func.count(PinnedConflict.id))) == 1


def test_no_route_removes_a_pinned_conflict(app):
    rules = [rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("pool.")]
    assert not any("unpin" in rule or ("pin" in rule and "remove" in rule) for rule in rules)


def test_remove_relation_audits_before_and_after(db, client, login, office, make_expert):
    code = fresh_credit_code()
    expert = make_expert((RelationKind.DISPUTE, code, None, None))
    profile = profile_of(db, expert)
    relation_id = profile.relations[0].id
    login(office)
    response = client.post(f"/pool/{profile.id}/relations/{relation_id}/remove", data={"reason": "纠纷已于2019年结案"})
    assert response.status_code == 302
    entry = last_audit(db)
    assert entry.action == "pool.relation_removed" and entry.before["party_code"] == code
    assert entry.after["reason"] == "纠纷已于2019年结案"


def test_expert_declares_own_relation_which_reaches_the_matrix(db, client, login, office, cycle, make_application,
                                                               make_expert):
    application = make_application(cycle)
    expert = make_expert()
    login(expert)
    assert "My declarations of interest" in client.get("/pool/mine").get_data(as_text=True)
    response = client.post("/pool/mine", data={"kind": "client", "party_code": application.organization.credit_code,
                                               "starts_on": "2025-03-01", "ends_on": "2025-04-30"})
    assert response.status_code == 302
    entry = last_audit(db)
    assert (entry.action, entry.actor_id) == ("pool.relation_added", expert.id)
    client.post("/logout")
    login(office)
    assert "Consulting: the expert consulted" in client.get(cell_url(cycle, application, expert)).get_data(as_text=True)


def test_expert_without_profile_is_told_so(client, login, make_user):
    login(make_user(Role.EXPERT))
    assert "has not set up your pool profile" in client.get("/pool/mine").get_data(as_text=True)


def test_new_expert_is_emailed_an_invitation_and_no_password_is_shown(db, client, login, office):
    login(office)
    response = client.post("/pool/new", data={
        "email": "zhou.jing@sipi.cn", "full_name": "周静", "title": "高级工程师",
        "organization_name": "苏州工业技术研究院", "organization_code": fresh_credit_code(), "sectors": ["C", "M"],
        "in_pool": "y"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "invitation" in page and "Initial password" not in page
    user = db.scalar(select(User).where(User.email == "zhou.jing@sipi.cn"))
    assert user.role is Role.EXPERT and profile_of(db, user).sectors == ["C", "M"]


def test_pool_list_filters(db, client, login, office, make_expert):
    make_expert(sectors=("C",))
    make_expert(sectors=("I",), in_pool=False)
    login(office)
    names = {profile.user.full_name: profile for profile in db.scalars(select(ExpertProfile))}
    by_sector = client.get("/pool/?sector=I").get_data(as_text=True)
    assert sum(name in by_sector for name in names) == 1
    out_of_pool = client.get("/pool/?in_pool=no").get_data(as_text=True)
    assert [name for name, profile in names.items() if name in out_of_pool] == [
        name for name, profile in names.items() if not profile.in_pool]
    code = next(iter(names.values())).organization_code
    assert code in client.get(f"/pool/?organization={code}").get_data(as_text=True)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_import_page_lists_bad_rows_and_imports_nothing(db, client, login, office, fmt):
    from tests.pool.test_io import expert_row, make_file

    data = make_file(fmt, POOL_COLUMNS, [expert_row("a@x.cn"), expert_row("b@x.cn", org="91320500MA1XXXXXX0")])
    login(office)
    response = client.post("/pool/import", data={"file": (io.BytesIO(data), f"pool.{fmt}")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<td>3</td>" in page and "check character" in page
    assert db.scalar(select(func.count(ExpertProfile.id))) == 0
    good = make_file(fmt, POOL_COLUMNS, [expert_row("a@x.cn")])
    done = client.post("/pool/import", data={"file": (io.BytesIO(good), f"pool.{fmt}")},
                       content_type="multipart/form-data")
    assert done.status_code == 200 and "a@x.cn" in done.get_data(as_text=True)


def test_export_downloads(client, login, office, make_expert):
    make_expert()
    login(office)
    response = client.get("/pool/export.csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.data.startswith(b"\xef\xbb\xbf" + b"email,")
    assert "attachment" in response.headers["Content-Disposition"]


def test_coi_settings_page_changes_the_windows(db, client, login, office, cycle):
    login(office)
    response = client.post(f"/pool/cycles/{cycle.id}/coi-settings", data={
        "employment_years": 5, "consulting_years": 3, "dispute_years": 3, "financial_years": 0,
        "relative_years": 0, "business_years": 1, "reference_date": "2026-07-15"})
    assert response.status_code == 302
    row = db.get(CycleCoiSettings, cycle.id)
    db.refresh(row)
    assert (row.employment_years, row.business_years, str(row.reference_date)) == (5, 1, "2026-07-15")
    assert last_audit(db).action == "pool.coi_settings_set"


def test_big_matrix_stays_usable(db, client, login, office, cycle, make_organization):
    """~100 applications × ~60 experts: one page of 25 applicants, every expert a column, fast."""
    from award.applications.models import Application
    from award.auth.models import Organization
    from award.pool.models import ExpertRelation

    organizations = [Organization(credit_code=fresh_credit_code(), name=f"企业{n}") for n in range(100)]
    db.add_all(organizations)
    db.flush()
    db.add_all([Application(cycle_id=cycle.id, organization_id=o.id, org_name=o.name) for o in organizations])
    experts = [User(email=f"big{n}@x.cn", password_hash="x", role=Role.EXPERT, full_name=f"专家{n:02d}")
               for n in range(60)]
    db.add_all(experts)
    db.flush()
    for n, user in enumerate(experts):
        profile = ExpertProfile(user_id=user.id, organization_code=fresh_credit_code(), organization_name="院",
                                sectors=["C"])
        profile.relations = [ExpertRelation(kind=RelationKind.CLIENT, party_code=organizations[(n * 7 + k) % 100]
                                            .credit_code) for k in range(3)]
        db.add(profile)
    db.commit()
    login(office)
    started = time.perf_counter()
    response = client.get(f"/pool/cycles/{cycle.id}/conflicts")
    elapsed = time.perf_counter() - started
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "180 conflicted pairs" in page and "Page 1 of 4 (100 applications)" in page
    assert page.count('class="conflict"') + page.count('class="clear"') == 25 * 60
    assert elapsed < 5
    only = client.get(f"/pool/cycles/{cycle.id}/conflicts?only=conflicted&page=4").get_data(as_text=True)
    assert "Page 4 of" in only
