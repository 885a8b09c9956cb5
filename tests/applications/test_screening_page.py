"""The screening page as each reader sees it (issue 21): the office decides in a form, the
supervisor reads the decisions and is never shown a form it cannot submit."""

from __future__ import annotations

from award.auth.models import Role
from award.cycles.models import Stage


def test_the_supervisor_reads_the_screening_without_a_form(db, client, login, make_submitted, open_cycle, enterprise,
                                                           make_user):
    application = make_submitted(open_cycle, enterprise)
    open_cycle.stage = Stage.SCREENING
    db.commit()
    login(make_user(Role.SUPERVISOR))
    page = client.get(f"/applications/{application.id}/screening").get_data(as_text=True)
    main = page.split("<main", 1)[1]
    assert "Needs review" in main and "<select" not in main and "<textarea" not in main and "<form" not in main


def test_the_office_decides_in_a_form_with_the_reason_explained_once(db, client, login, make_submitted, open_cycle,
                                                                     enterprise, office):
    application = make_submitted(open_cycle, enterprise)
    open_cycle.stage = Stage.SCREENING
    db.commit()
    login(office)
    page = client.get(f"/applications/{application.id}/screening").get_data(as_text=True)
    assert "<select" in page and page.count("required when deciding against the automatic check") == 1
