"""With CSRF protection on (as in production): a stale form token keeps the typed text."""

from __future__ import annotations

import re

import pytest

from .test_routes import form_data

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app_config(tmp_path):
    return {"WTF_CSRF_ENABLED": True, "EVIDENCE_ROOT": str(tmp_path / "evidence")}


def token_of(page: str) -> str:
    match = TOKEN.search(page)
    assert match, page[:300]
    return match.group(1) or match.group(2)


def sign_in(client, user, url: str = "/login"):
    token = token_of(client.get(url).get_data(as_text=True))
    return client.post(url, data={"email": user.email, "password": "correct-horse-battery", "csrf_token": token})


def test_stale_token_shows_the_text_again(db, client, draft, enterprise, open_cycle):
    sign_in(client, enterprise)
    response = client.post(f"/applications/{draft.id}/edit",
                           data=form_data(open_cycle, item_0="令牌过期也不丢", csrf_token="stale"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "令牌过期也不丢" in page and "please save once more" in page
    db.refresh(draft)
    assert draft.self_assessment == {}
