"""Two requests that save the same thing at the same moment: the one that loses the race meets a
unique constraint (at its flush in the view, or at the request's commit) and gets a 409 page in its
language that says nothing was saved, never a 500. The constraint is really provoked here, on the
suite's database (SQLite or PostgreSQL)."""

from __future__ import annotations

import pytest
from flask import Blueprint
from sqlalchemy.exc import IntegrityError

from award.app_db import get_session
from award.auth.models import Organization
from tests.conftest import fresh_credit_code

CODE = fresh_credit_code()


@pytest.fixture
def clash_client(app, db):
    db.add(Organization(credit_code=CODE, name="先到的企业"))
    db.commit()
    bp = Blueprint("clash_test", __name__)

    @bp.post("/_clash/<when>")
    def clash(when: str):  # a save whose duplicate check another request passed at the same moment
        session = get_session()
        if when == "broken":  # not a race: a constraint our own code broke
            session.add(Organization(credit_code=fresh_credit_code(), name=None))
        else:
            session.add(Organization(credit_code=CODE, name="后到的企业"))
        if when in ("flush", "broken"):
            session.flush()
        return "saved", 200

    app.register_blueprint(bp)
    return app.test_client()


@pytest.mark.parametrize("when", ["flush", "commit"])
def test_a_clash_is_a_409_that_saves_nothing(clash_client, db, when):
    response = clash_client.post(f"/_clash/{when}")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "at the same moment" in page and "nothing was saved" in page
    db.expire_all()
    assert db.query(Organization).filter_by(credit_code=CODE).count() == 1
    assert clash_client.post("/_clash/flush", headers={"Accept": "application/json"}).get_json()["ok"] is False


def test_a_clash_is_told_in_the_users_language(clash_client):
    with clash_client.session_transaction() as browser:
        browser["locale"] = "zh_CN"
    response = clash_client.post("/_clash/commit")
    assert response.status_code == 409
    assert "同一时刻" in response.get_data(as_text=True)
    assert response.headers.get("Content-Security-Policy")  # the answer has the headers of every page


def test_another_broken_constraint_is_not_called_a_clash(clash_client):
    # A missing value is a fault of ours, not a race: it reaches the 500 path and the log (the test
    # app propagates it), never the page that tells the user someone else saved first.
    with pytest.raises(IntegrityError, match="(?i)not null|null value"):
        clash_client.post("/_clash/broken")
