"""The one view pattern: a refused domain rule is answered in one place (award.views.refused), with
one status per kind of error, for pages and JSON alike; and every view keeps to the pattern."""

from __future__ import annotations

import pytest
from flask import Blueprint, redirect, render_template_string, request
from wtforms import StringField
from wtforms.validators import DataRequired

from award.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound, TooLarge, Unavailable
from award.forms import BaseForm
from award.inputs import InvalidInput
from award.views import json_errors, on_refusal, validated

# Each kind of refusal and the status it is answered with, wherever it is raised.
STATUS_OF = {
    InvalidInput: 400, NotAllowed: 403, NotFound: 404, Conflict: 409, Invalid: 422, TooLarge: 413,
    Unavailable: 503, DomainError: 409,
}
KINDS = {kind.__name__: kind for kind in STATUS_OF}
STATUS = {kind.__name__: status for kind, status in STATUS_OF.items()}

PAGE = ("flashed=[{{ get_flashed_messages() | join('|') }}] typed=[{{ form.name.data }}] "
        "name-errors=[{{ form.name.errors | join('|') }}]")


class ProbeForm(BaseForm):
    name = StringField(validators=[DataRequired()])


def _probe_blueprint() -> Blueprint:
    """Views that refuse as a real one does: a form, the page that shows it, then a service's error."""
    probe = Blueprint("probe", __name__, url_prefix="/probe")

    def page(form: ProbeForm) -> str:
        return render_template_string(PAGE, form=form)

    @probe.route("/<kind>", methods=["POST"])
    def refuse(kind: str):
        form = ProbeForm()
        on_refusal(lambda _error: page(form), form=form)
        validated(form, "Fix the form.")
        error = KINDS[kind](f"Refused: {kind}.")
        error.field = request.form.get("about")
        raise error

    @probe.route("/<kind>/bare", methods=["POST"])
    def refuse_without_page(kind: str):
        raise KINDS[kind](f"Refused: {kind}.")

    @probe.route("/<kind>/json", methods=["POST"])
    @json_errors
    def refuse_json(kind: str):
        raise KINDS[kind](f"Refused: {kind}.")

    @probe.route("/conflict/redirect", methods=["POST"])
    def refuse_with_redirect():
        on_refusal(lambda _error: redirect("/probe/elsewhere"))
        raise Conflict("Refused: conflict.")

    @probe.route("/conflict/shown-by-page", methods=["POST"])
    def refuse_shown_by_page():
        on_refusal(lambda error: render_template_string("beside the item: {{ m }} / flashed=[{{ "
                                                        "get_flashed_messages() | join }}]", m=error.message),
                   flashed=False)
        raise Conflict("Refused: conflict.")

    @probe.route("/succeeds", methods=["POST"])
    def succeeds():
        on_refusal(lambda _error: "a page that only a refusal of this request may show")
        return "done"

    return probe


@pytest.fixture
def probe(app):
    app.register_blueprint(_probe_blueprint())
    return app.test_client()


@pytest.mark.parametrize("kind", KINDS)
def test_a_page_shows_the_refusal_flashed_with_what_was_typed(probe, kind):
    response = probe.post(f"/probe/{kind}", data={"name": "what I typed"})
    assert response.status_code == STATUS[kind]
    assert response.get_data(as_text=True) == (f"flashed=[Refused: {kind}.] typed=[what I typed] name-errors=[]")


@pytest.mark.parametrize("kind", KINDS)
def test_the_message_goes_by_the_field_it_names_instead_of_the_flash(probe, kind):
    response = probe.post(f"/probe/{kind}", data={"name": "typed", "about": "name"})
    assert response.status_code == STATUS[kind]
    assert response.get_data(as_text=True) == f"flashed=[] typed=[typed] name-errors=[Refused: {kind}.]"


def test_an_invalid_form_is_a_422_with_its_own_errors_and_message(probe):
    response = probe.post("/probe/Conflict", data={"name": ""})
    assert response.status_code == 422
    assert response.get_data(as_text=True) == "flashed=[Fix the form.] typed=[] name-errors=[This field is required.]"


@pytest.mark.parametrize("kind", KINDS)
def test_without_a_page_the_error_page_says_it(probe, kind):
    response = probe.post(f"/probe/{kind}/bare")
    assert response.status_code == STATUS[kind]
    assert f"Refused: {kind}." in response.get_data(as_text=True)
    assert response.mimetype == "text/html"


@pytest.mark.parametrize("kind", KINDS)
def test_json_views_answer_the_same_status_with_the_message(probe, kind):
    response = probe.post(f"/probe/{kind}/json")
    assert response.status_code == STATUS[kind]
    assert response.get_json() == {"ok": False, "message": f"Refused: {kind}."}


@pytest.mark.parametrize("kind", KINDS)
def test_a_client_that_asks_for_json_gets_json(probe, kind):
    response = probe.post(f"/probe/{kind}/bare", headers={"Accept": "application/json"})
    assert response.status_code == STATUS[kind]
    assert response.get_json() == {"ok": False, "message": f"Refused: {kind}."}


def test_a_refusal_answered_by_a_redirect_stays_a_redirect_with_the_message_flashed(probe):
    response = probe.post("/probe/conflict/redirect")
    assert response.status_code == 302 and response.headers["Location"] == "/probe/elsewhere"
    with probe.session_transaction() as session:
        assert session["_flashes"] == [("error", "Refused: conflict.")]


def test_a_page_that_shows_the_message_itself_is_not_flashed_twice(probe):
    response = probe.post("/probe/conflict/shown-by-page")
    assert response.status_code == 409
    assert response.get_data(as_text=True) == "beside the item: Refused: conflict. / flashed=[]"


def test_a_page_named_by_an_earlier_request_is_not_used(probe):
    assert probe.post("/probe/succeeds").get_data(as_text=True) == "done"
    response = probe.post("/probe/Conflict/bare")
    assert response.status_code == 409 and "only a refusal" not in response.get_data(as_text=True)
