"""The one view pattern: a refused domain rule is answered in one place (award.views.refused), with
one status per kind of error, for pages and JSON alike; and every view keeps to the pattern."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from flask import Blueprint, redirect, render_template_string, request
from wtforms import StringField
from wtforms.validators import DataRequired

import award
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

    @probe.route("/conflict/page-refuses-too", methods=["POST"])
    def refuse_with_a_page_that_refuses():
        def page(_error: DomainError) -> str:
            raise InvalidInput("Refused: the page's own query argument.")

        on_refusal(page)
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


def test_a_refusal_page_that_refuses_itself_gives_its_own_error_page_not_a_server_error(probe):
    response = probe.post("/probe/conflict/page-refuses-too")
    assert response.status_code == 400 and "the page&#39;s own query argument" in response.get_data(as_text=True)


def test_a_page_named_by_an_earlier_request_is_not_used(probe):
    assert probe.post("/probe/succeeds").get_data(as_text=True) == "done"
    response = probe.post("/probe/Conflict/bare")
    assert response.status_code == 409 and "only a refusal" not in response.get_data(as_text=True)


# --- every view keeps to the pattern --------------------------------------------------------------

AWARD = Path(award.__file__).resolve().parent
ROUTES_MODULES = sorted(AWARD.rglob("routes*.py"))
VIEW_LINE_BUDGET = 15  # from `def` to the last line, docstring included; most views take about 10


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(AWARD.parent).with_suffix("").parts)


def _views(tree: ast.Module) -> list[ast.FunctionDef]:
    def is_route(decorator: ast.expr) -> bool:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        return isinstance(target, ast.Attribute) and target.attr == "route"

    return [node for node in tree.body if isinstance(node, ast.FunctionDef) and any(map(is_route, node.decorator_list))]


def _caught_names(node: ast.AST) -> list[str]:
    return [ast.unparse(handler.type) for handler in ast.walk(node)
            if isinstance(handler, ast.ExceptHandler) and handler.type is not None]


def test_the_routes_modules_are_found():
    assert len(ROUTES_MODULES) >= 15 and sum(len(_views(ast.parse(p.read_text()))) for p in ROUTES_MODULES) > 100


@pytest.mark.parametrize("path", ROUTES_MODULES, ids=_module_name)
def test_no_routes_module_catches_a_domain_error(path):
    """A refusal is answered by views.refused; a view names its page with on_refusal instead of catching."""
    module = importlib.import_module(_module_name(path))
    caught = [name for name in _caught_names(ast.parse(path.read_text()))
              for kind in [eval(name, vars(module))]  # noqa: S307 (a name from our own source)
              for one in (kind if isinstance(kind, tuple) else (kind,)) if issubclass(one, DomainError)]
    assert caught == []


@pytest.mark.parametrize("path", ROUTES_MODULES, ids=_module_name)
def test_views_are_short(path):
    """Load or 404, check the permission, call one service, answer: the rest lives in services,
    queries, forms and presenters."""
    long_views = {view.name: view.end_lineno - view.lineno + 1 for view in _views(ast.parse(path.read_text()))
                  if view.end_lineno - view.lineno + 1 > VIEW_LINE_BUDGET}
    assert long_views == {}


def _raises_bare_domain_error(tree: ast.Module) -> list[int]:
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "DomainError"]


@pytest.mark.parametrize("path", sorted(p for p in AWARD.rglob("*.py") if p.name != "errors.py"), ids=_module_name)
def test_services_raise_a_kind_of_refusal_not_a_bare_domain_error(path):
    """The kind (NotAllowed, NotFound, Conflict, Invalid, ...) decides the status; a bare DomainError has none."""
    assert _raises_bare_domain_error(ast.parse(path.read_text())) == []


def _imported(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.update([node.module, *(f"{node.module}.{alias.name}" for alias in node.names)])
    return names


def test_nothing_but_the_app_factory_imports_the_wiring():
    """web.py imports every routes module, so none of them (nor anything they import) may import it back;
    what views share is in award.views."""
    importers = [_module_name(path) for path in AWARD.rglob("*.py") if path != AWARD / "__init__.py"
                 and "award.web" in _imported(ast.parse(path.read_text()))]
    assert importers == []
