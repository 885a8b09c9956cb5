"""Objects of the expert-pool area for the access matrix (tests/test_access.py `world`)."""

from __future__ import annotations

from award.applications.models import Application
from award.pool.kinds import RelationKind
from award.pool.models import ExpertProfile, ExpertRelation, GroupLink
from tests.conftest import fresh_credit_code


def pool_world(db, *, users, make_user, make_cycle, make_organization) -> dict[str, int]:
    """The expert user's own profile with a declaration, another expert's declaration, a group link,
    and an application of another cycle (a cell URL mixing cycles must answer 404)."""
    from award.auth.models import Role

    own = ExpertProfile(user_id=users["expert"].id, title="高级工程师", organization_code=fresh_credit_code(),
                        organization_name="苏州质量研究院", sectors=["C"])
    own.relations = [ExpertRelation(kind=RelationKind.CLIENT, party_code=fresh_credit_code())]
    other = ExpertProfile(user_id=make_user(Role.EXPERT).id, organization_code=fresh_credit_code(),
                          organization_name="南京大学", sectors=["M"])
    other.relations = [ExpertRelation(kind=RelationKind.EMPLOYER, party_code=fresh_credit_code())]
    link = GroupLink(parent_code=fresh_credit_code(), child_code=fresh_credit_code())
    elsewhere = Application(cycle_id=make_cycle().id, organization_id=make_organization().id, org_name="别处企业")
    db.add_all([own, other, link, elsewhere])
    db.commit()
    return {"profile_id": own.id, "relation_id": own.relations[0].id, "other_relation_id": other.relations[0].id,
            "link_id": link.id, "pool_expert_id": users["expert"].id, "elsewhere_application_id": elsewhere.id}
