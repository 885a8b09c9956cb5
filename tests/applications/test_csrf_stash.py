"""With CSRF protection on (as in production): a stale form token keeps the typed text."""

from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from award.applications import services
from award.applications.models import DraftStash
from award.auth.models import Role
from award.errors import NotAllowed

from .test_routes import form_data

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app_config(tmp_path):
    return {"WTF_CSRF_ENABLED": True, "FILES_ROOT": str(tmp_path / "evidence")}


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


# ------------------------------------------------ the stash of a form posted after the login expired

STASH_TOKEN = re.compile(r'name="stash_token" value="([^"]+)"')


class OwnContextClient(FlaskClient):
    """Each request in an app context of its own, as in production: requests share the test's context
    otherwise, and with its `g` the signed-in user and the form token of an earlier request."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@contextmanager
def browser(app):
    """A browser of its own (its own cookies)."""
    yield OwnContextClient(app, app.response_class, use_cookies=True)


def owner_form_token(app, user, application) -> str:
    with browser(app) as tab:
        sign_in(tab, user)
        page = tab.get(f"/applications/{application.id}/edit").get_data(as_text=True)
    return STASH_TOKEN.search(page).group(1)


def stash_count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(DraftStash))


def post_anonymously(app, application_id: int, data: dict, **kwargs):
    with browser(app) as anonymous:
        return anonymous.post(f"/applications/{application_id}/edit", data=data, **kwargs)


def test_the_owners_form_carries_a_token_for_this_application_and_user(app, draft, enterprise):
    token = owner_form_token(app, enterprise, draft)
    claims = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="award.applications.draft-stash").loads(token)
    assert claims == {"application": draft.id, "user": enterprise.id}


def test_an_anonymous_post_for_an_application_that_does_not_exist_stores_nothing(app, db, draft, enterprise,
                                                                                  open_cycle):
    token = owner_form_token(app, enterprise, draft)
    response = post_anonymously(app, draft.id + 1000, form_data(open_cycle, stash_token=token))
    assert response.status_code == 403
    assert "could not be kept" in response.get_data(as_text=True)
    assert stash_count(db) == 0


@pytest.mark.parametrize("forged", ["none", "garbage", "other_application", "other_user", "other_key"])
def test_a_post_without_the_owners_token_for_this_application_stores_nothing(app, db, draft, enterprise,
                                                                             open_cycle, make_user, forged):
    stranger = make_user(Role.ENTERPRISE)
    theirs = services.start_application(db, actor=stranger, cycle=open_cycle)
    db.commit()
    token = {
        "none": None,
        "garbage": "eyJhIjoxfQ.forged.signature",
        "other_application": owner_form_token(app, stranger, theirs),  # a real token, for their own application
        "other_user": services.stash_form_token(secret_key=app.config["SECRET_KEY"], application=draft,
                                                user=stranger),
        "other_key": services.stash_form_token(secret_key="not-our-key", application=draft, user=enterprise),
    }[forged]
    data = form_data(open_cycle, item_0="攻击者的文字")
    if token is not None:
        data["stash_token"] = token
    response = post_anonymously(app, draft.id, data)
    assert response.status_code == 403 and "could not be kept" in response.get_data(as_text=True)
    assert "Location" not in response.headers and "award_draft_stash" not in response.headers.get("Set-Cookie", "")
    assert stash_count(db) == 0


def test_a_token_from_a_form_opened_too_long_ago_stores_nothing(app, db, draft, enterprise, open_cycle):
    token = owner_form_token(app, enterprise, draft)
    app.config["CLOCK_OFFSET"] = services.STASH_FORM_LIFETIME + dt.timedelta(minutes=1)
    response = post_anonymously(app, draft.id, form_data(open_cycle, stash_token=token))
    assert response.status_code == 403 and stash_count(db) == 0


def test_the_service_refuses_a_foreign_token_by_itself(app, db, draft, make_user):
    stranger = make_user(Role.ENTERPRISE)
    token = services.stash_form_token(secret_key="k", application=draft, user=stranger)
    with pytest.raises(NotAllowed):
        services.stash_draft(db, secret_key="k", form_token=token, application_id=draft.id, form={"item_0": "x"})
    assert stash_count(db) == 0


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True, "DRAFT_STASH_MAX_BYTES": 20_000}])
def test_an_oversize_post_is_refused_with_a_message(app, db, draft, enterprise, open_cycle, app_config):
    token = owner_form_token(app, enterprise, draft)
    response = post_anonymously(app, draft.id, form_data(open_cycle, item_0="字" * 3000, stash_token=token))
    assert response.status_code == 413
    assert "too long to be kept" in response.get_data(as_text=True)
    assert stash_count(db) == 0
    # Under the cap the same owner's text is kept.
    response = post_anonymously(app, draft.id, form_data(open_cycle, item_0="字" * 300, stash_token=token))
    assert response.status_code == 302 and stash_count(db) == 1


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True, "DRAFT_STASHES_PER_ADDRESS": "3 per hour"}])
def test_anonymous_posts_are_rate_limited_per_address(app, db, client, draft, enterprise, open_cycle, app_config):
    statuses = [post_anonymously(app, draft.id + n, form_data(open_cycle)).status_code for n in range(4)]
    assert statuses == [403, 403, 403, 429]
    token = owner_form_token(app, enterprise, draft)
    assert post_anonymously(app, draft.id, form_data(open_cycle, stash_token=token)).status_code == 429
    assert stash_count(db) == 0
    # The owner, signed in, saves as often as they like.
    with browser(app) as owner:
        sign_in(owner, enterprise)
        for _attempt in range(4):
            page = owner.get(f"/applications/{draft.id}/edit").get_data(as_text=True)
            response = owner.post(f"/applications/{draft.id}/edit",
                                  data=form_data(open_cycle, csrf_token=token_of(page)))
            assert response.status_code == 302


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True, "BABEL_DEFAULT_LOCALE": "zh_CN"}])
def test_a_refusal_is_a_chinese_message_by_default(app, db, draft, open_cycle, app_config):
    response = post_anonymously(app, draft.id, form_data(open_cycle))
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "登录已过期" in page and "未能暂存" in page


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True, "BABEL_DEFAULT_LOCALE": "zh_CN"}])
def test_the_owner_gets_their_text_back_marked_unsaved_with_the_beijing_time(app, db, draft, enterprise, open_cycle,
                                                                            app_config):
    enterprise.locale = "zh_CN"
    db.commit()
    token = owner_form_token(app, enterprise, draft)
    with browser(app) as expired:  # the owner's browser, after the session ended
        response = expired.post(f"/applications/{draft.id}/edit",
                                data=form_data(open_cycle, item_0="登录过期前写的自评", stash_token=token))
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        typed_at = db.scalars(select(DraftStash)).one().created_at
        signed_in = sign_in(expired, enterprise, response.headers["Location"])
        assert signed_in.status_code == 302
        page = expired.get(signed_in.headers["Location"]).get_data(as_text=True)
        again = expired.get(signed_in.headers["Location"]).get_data(as_text=True)
    assert "登录过期前写的自评" in page and "尚未保存" in page and "北京时间" in page
    beijing = typed_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")  # the one format
    assert beijing in page
    db.refresh(draft)
    assert draft.self_assessment == {}  # shown again; saved only when the owner saves
    assert "登录过期前写的自评" not in again and stash_count(db) == 0  # single-use


def test_a_second_stash_replaces_the_first(app, db, draft, enterprise, open_cycle):
    token = owner_form_token(app, enterprise, draft)
    for text in ("第一次", "第二次"):
        assert post_anonymously(app, draft.id, form_data(open_cycle, item_0=text, stash_token=token)).status_code == 302
    stashes = db.scalars(select(DraftStash)).all()
    assert [s.form["item_0"] for s in stashes] == ["第二次"]
    assert set(stashes[0].form) <= set(form_data(open_cycle))  # the form's own fields only, no tokens


def test_another_user_cannot_take_the_owners_stash(db, draft, enterprise, make_user):
    token = services.stash_draft(db, secret_key="k", application_id=draft.id, form={"item_0": "x"},
                                 form_token=services.stash_form_token(secret_key="k", application=draft,
                                                                      user=enterprise))
    colleague = make_user(Role.ENTERPRISE)
    assert services.take_stash(db, token=token, application=draft, user=colleague) is None
    assert services.take_stash(db, token=token, application=draft, user=enterprise).form == {"item_0": "x"}
