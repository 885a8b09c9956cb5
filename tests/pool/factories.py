"""Factories for the expert-pool and conflict tests: applications, experts with profiles, relations."""

from __future__ import annotations

import datetime as dt

import pytest

__all__ = ["fresh_code", "make_application", "make_expert"]

from award.applications.models import Application, ApplicationStatus
from award.auth.models import Organization, Role, User
from award.pool.kinds import RelationKind
from award.pool.models import ExpertProfile, ExpertRelation


@pytest.fixture
def make_application(db, make_user):
    """A submitted application of a new (or the given) organization in a cycle."""

    def make(cycle, organization: Organization | None = None, *, email: str | None = None,
             status: ApplicationStatus = ApplicationStatus.SUBMITTED) -> Application:
        user = make_user(Role.ENTERPRISE, organization=organization, email=email)
        application = Application(cycle_id=cycle.id, organization_id=user.organization_id, status=status,
                                  org_name=user.organization.name, sector="C")
        db.add(application)
        db.commit()
        return application

    return make


@pytest.fixture
def make_expert(db, make_user, fresh_code):
    """An expert account with a pool profile; relations as (kind, party_code, start, end)."""

    def make(*relations: tuple[RelationKind, str, dt.date | None, dt.date | None],
             organization_code: str | None = None, email: str | None = None, sectors=("C",),
             in_pool: bool = True) -> User:
        user = make_user(Role.EXPERT, email=email)
        profile = ExpertProfile(user_id=user.id, title="高级工程师",
                                organization_code=organization_code or fresh_code(),
                                organization_name="某研究院", sectors=list(sectors), in_pool=in_pool)
        profile.relations = [ExpertRelation(kind=kind, party_code=code, party_name="", starts_on=start,
                                            ends_on=end) for kind, code, start, end in relations]
        db.add(profile)
        db.commit()
        return user

    return make


@pytest.fixture
def fresh_code():
    from tests.conftest import fresh_credit_code

    return fresh_credit_code
