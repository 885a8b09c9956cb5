"""Forms read form data, never a JSON body: a JSON POST to a form's route is refused like an empty
form (found by tests/test_fuzz_routes.py: Flask-WTF filled forms from any JSON body, and a list,
a number or deep nesting was a server error)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from award.auth.models import User

BODIES = ["[1, 2]", '"fields"', "42", "null", "[" * 1000 + "]" * 1000, "[" * 100_000 + "]" * 100_000,
          '{"email": {"a": ["b"]}, "password": [1]}',
          '{"email": "new@example.cn", "password": "correct-horse-battery", "organization_name": "某某有限公司"}']


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_a_json_body_to_a_form_is_refused_like_an_empty_form(db, client, body):
    users = db.scalar(select(func.count()).select_from(User))
    response = client.post("/register", data=body, content_type="application/json")
    assert response.status_code == 422
    assert db.scalar(select(func.count()).select_from(User)) == users


def test_a_json_body_does_not_sign_in(client, make_user):
    user = make_user()
    response = client.post("/login", json={"email": user.email, "password": "correct-horse-battery"})
    assert response.status_code != 302
    assert client.get("/dashboard").status_code == 302  # still anonymous: sent to the login page
