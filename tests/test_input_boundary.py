"""The one input boundary (award/inputs.py, award/forms.py): a rule per kind of value, and a
regression test per hostile request that once cost a 500 or minutes of CPU."""

from __future__ import annotations

import datetime as dt
import inspect
import json
from decimal import Decimal
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

import award
from award import inputs
from award.audit.models import AuditRecord
from award.auth.models import Organization, Role, User
from award.cycles.services import CycleSettings, create_cycle
from award.cycles.settings import EligibilitySettings
from award.forms import BaseForm
from award.inputs import InvalidInput
from tests.conftest import PASSWORD

UNICODE_DIGITS = ["²", "①", "١٢", "１２", "٣", "߁"]


@pytest.fixture
def app_config() -> dict:
    """The refusals are read as a person reads them: in Chinese, the default language."""
    return {"BABEL_DEFAULT_LOCALE": "zh_CN"}


@pytest.fixture
def chinese_user(db, make_user):
    """A user who reads Chinese (the factory's users chose English)."""

    def make(role: Role) -> User:
        user = make_user(role)
        user.locale = "zh_CN"
        db.commit()
        return user

    return make


# --------------------------------------------------------------------------- the parsers


@pytest.mark.parametrize(("text", "expected"), [("0", 0), ("42", 42), (" 7 ", 7), ("-3", -3), ("+5", 5)])
def test_plain_ascii_integers_are_taken(text, expected):
    assert inputs.parse_int(text, minimum=-10, maximum=100) == expected


@pytest.mark.parametrize("text", [*UNICODE_DIGITS, "1e5", "1E5", "0x10", "1_000", "4.0", "", " ", "9" * 25,
                                  "NaN", "Infinity", "1\x00", "１"])
def test_anything_else_is_not_an_integer(text):
    with pytest.raises(InvalidInput, match="0 to 9"):
        inputs.parse_int(text, minimum=-(10**30), maximum=10**30)


def test_an_integer_outside_its_range_names_the_range():
    with pytest.raises(InvalidInput) as refused:
        inputs.parse_int("101", minimum=1, maximum=100, field="Page")
    assert "1" in refused.value.message and "100" in refused.value.message


@pytest.mark.parametrize("text", ["9" * 11, "2147483648", "0", "-1", "+1", *UNICODE_DIGITS, "1e3", ""])
def test_ids_outside_the_integer_column_are_none(text):
    assert inputs.parse_id(text) is None


def test_the_largest_id_is_taken():
    assert inputs.parse_id(str(inputs.ID_MAX)) == inputs.ID_MAX


@pytest.mark.parametrize("text", ["1e600000", "1E5", "5e-1", "NaN", "-Infinity", "sNaN", "1" * 20, "0.1234567891",
                                  "３５", "35.", ".5"])
def test_decimals_are_plain_notation_only(text):
    with pytest.raises(InvalidInput):
        inputs.parse_decimal(text, minimum=-(10**30), maximum=10**30, places=9)


def test_a_plain_decimal_is_exact():
    assert inputs.parse_decimal("37.5", minimum=0, maximum=100, places=2) == Decimal("37.5")


@pytest.mark.parametrize("text", ["9999-12-31", "0001-01-01", "1899-12-31", "2101-01-01", "2026-02-30",
                                  "2026-1-1", "２０２６-01-01", "20260101", "2026-01-01T00:00"])
def test_dates_outside_the_sane_window_or_format_are_refused(text):
    with pytest.raises(InvalidInput):
        inputs.parse_date(text)


def test_a_date_inside_the_window_is_taken():
    assert inputs.parse_date("2026-12-07") == dt.date(2026, 12, 7)


@pytest.mark.parametrize("body", ["[]", '"text"', "3", "null", "{", "", "[" * 100_000 + "]" * 100_000,
                                  json.dumps({"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}}),
                                  '{"fields": "\\u0000"}'])
def test_a_json_body_must_be_a_shallow_object_without_nul(body):
    with pytest.raises(InvalidInput):
        inputs.json_object(body)


def test_a_json_body_over_the_size_cap_is_refused_before_parsing():
    with pytest.raises(InvalidInput):
        inputs.json_object(b'{"a": "' + b"x" * inputs.JSON_MAX_BYTES + b'"}')


@pytest.mark.parametrize(("value", "name"), [([], "fields"), ("x", "fields"), (3, "fields")])
def test_a_member_of_the_wrong_type_is_refused(value, name):
    with pytest.raises(InvalidInput, match=name):
        inputs.json_mapping({name: value}, name)


@pytest.mark.parametrize("value", [[1], {"a": 1}, True])
def test_a_field_value_must_be_text_or_a_number(value):
    with pytest.raises(InvalidInput):
        inputs.json_scalar_text(value, "percent-4.1.2")


@pytest.mark.parametrize(("text", "multiline", "ok"), [
    ("质量 管理", False, True),
    ("一行\n两行\r\n\t缩进", True, True),
    ("一行\n两行", False, False),
    ("bell\x07", True, False),
    ("nul\x00", True, False),
    ("del\x7f", True, False),
    ("c1\x85", True, False),
    ("line\u2028sep", True, False),
    ("para\u2029sep", False, False),
])
def test_control_characters_are_refused_and_line_breaks_only_where_multiline(text, multiline, ok):
    assert (inputs.text_problem(text, multiline=multiline) is None) is ok


@pytest.mark.parametrize("name", ["福州\u202e司公限有\u202c精密", "苏州\u2066精工\u2069", "常熟\u200b天和",
                                  "A\u200fB", "\ufeff公司", "名\u00ad字"])
def test_printed_names_refuse_bidi_and_invisible_characters(name):
    problem = inputs.name_problem(name, field="组织名称")
    assert problem and "组织名称" in problem


def test_a_plain_chinese_name_is_printable():
    assert inputs.name_problem("苏州精密机械有限公司（集团）·一厂") is None


# --------------------------------------------------------------------------- every form uses the boundary


def _form_classes():
    from flask_wtf import FlaskForm

    import award.web  # noqa: F401  (imports every area's forms through the blueprints)

    seen, stack = set(), list(FlaskForm.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls not in seen and cls.__module__.startswith("award."):
            seen.add(cls)
        stack.extend(cls.__subclasses__())
    return seen


def test_every_form_of_the_app_derives_from_the_base_form(app):
    forms = _form_classes()
    assert len(forms) > 30
    assert [f"{cls.__module__}.{cls.__name__}" for cls in forms if not issubclass(cls, BaseForm)] == []


def test_no_route_module_parses_numbers_from_raw_request_values():
    """``int()``/``isdigit()`` on request values belongs to award/inputs.py alone."""
    offenders = []
    for path in (award.PROJECT_ROOT / "award").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for line_number, line in enumerate(source.splitlines(), 1):
            if ".isdigit()" in line or "type=int)" in line and "request." in line:
                offenders.append(f"{path.relative_to(award.PROJECT_ROOT)}:{line_number}")
    # The holiday table is a file shipped with the app (notice/holidays.toml), not a request value.
    assert [o for o in offenders if "notice/periods.py" not in o] == []
    assert inspect.getsource(inputs).count("int(") >= 1


# --------------------------------------------------------------------------- forms through the pages


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("organization_name", ["福州\u202e司公限有\u202c精密", "苏州\u200b精工"])
def test_registration_refuses_a_name_that_prints_differently(db, client, organization_name):
    from award.credit_code import make_credit_code

    before = _count(db, Organization), _count(db, User)
    response = client.post("/register", data={
        "credit_code": make_credit_code("91320500MA1234567"), "organization_name": organization_name,
        "contact_name": "张三", "phone": "13800000000", "email": "bidi@example.com",
        "password": "a-long-password-1", "confirm": "a-long-password-1"})
    body = response.get_data(as_text=True)
    assert response.status_code in (200, 422)
    assert "不可见" in body or "方向" in body
    assert (_count(db, Organization), _count(db, User)) == before


@pytest.mark.parametrize("value", ["9" * 25, "１２", "²", "1e5", "-99999999999"])
def test_a_number_field_refuses_hostile_digits_with_a_message(db, client, login, chinese_user, value):
    login(chinese_user(Role.OFFICE))
    before = _count(db, AuditRecord)
    response = client.post("/cycles/new", data={
        "year": value, "title": "2031年度市长质量奖", "rubric_key": "gbt19580-2012", "awards_count": "3",
        "cutoff_score": "600", "experts_per_application": "5", "city": "苏州市"})
    assert response.status_code == 422
    assert "0 到 9" in response.get_data(as_text=True) or "之间" in response.get_data(as_text=True)
    assert _count(db, AuditRecord) == before


def test_a_control_character_in_a_text_area_is_refused_with_the_field_named(db, client, login, chinese_user):
    office = chinese_user(Role.OFFICE)
    login(office)
    before = _count(db, AuditRecord)
    response = client.post("/office/users", data={"role": "expert", "email": "x@example.com",
                                               "full_name": "王\x07五", "password": "a-long-password-1"})
    body = response.get_data(as_text=True)
    assert response.status_code in (200, 422)
    assert "U+0007" in body
    assert _count(db, AuditRecord) == before


# --------------------------------------------------------------------------- the findings, one by one


@pytest.mark.parametrize("path", ["/applications/9999999999999999999999999", "/applications/2147483648",
                                  "/applications/١٢", "/notices/9999999999999999999999999", "/notices/²",
                                  "/cycles/99999999999/ranking/"])
def test_ids_beyond_the_column_or_in_unicode_digits_are_not_found(client, login, make_user, path):
    login(make_user(Role.OFFICE))
    assert client.get(path).status_code == 404


def test_an_anonymous_notice_with_a_huge_id_is_not_found(client):
    assert client.get("/notices/9999999999999999999999999").status_code == 404


@pytest.mark.parametrize("query", ["actor=²", "cycle=①", "page=" + "9" * 25, "until=9999-12-31", "since=0001-01-01",
                                   "until=２０２６-01-01", "page=-1"])
def test_the_audit_filters_refuse_hostile_values_in_chinese(client, login, chinese_user, query):
    login(chinese_user(Role.SUPERVISOR))
    response = client.get(f"/audit/?{query}")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "日期" in body or "整数" in body or "页码" in body


def test_the_audit_trail_still_filters_by_sane_values(client, login, make_user):
    login(make_user(Role.SUPERVISOR))
    assert client.get("/audit/?actor=1&until=2026-12-31&since=2026-01-01&page=1").status_code == 200


@pytest.mark.parametrize("query", ["page=" + "9" * 25, "page=²", "page=0"])
def test_notification_pages_refuse_hostile_page_numbers(client, login, make_user, query):
    login(make_user(Role.ENTERPRISE))
    assert client.get(f"/notifications/?{query}").status_code == 400


@pytest.mark.parametrize("printer", ["①", "9" * 25, "-1"])
def test_a_hostile_printer_choice_is_refused(client, login, make_user, make_cycle, printer):
    cycle = make_cycle()
    login(make_user(Role.OFFICE))
    response = client.get(f"/documents/cycles/{cycle.id}/overlay-test.pdf?printer={printer}")
    assert response.status_code in (400, 404)


@pytest.mark.parametrize("where", ["path", "query", "form"])
def test_a_nul_byte_is_refused_before_any_view_on_both_databases(db, client, where):
    before = _count(db, AuditRecord)
    if where == "path":
        response = client.get("/notices/%00")
    elif where == "query":
        response = client.get("/login?next=%00")
    else:
        response = client.post("/login", data={"email": "a\x00@example.com", "password": "x"})
    assert response.status_code == 400
    assert "空字符（NUL）" in response.get_data(as_text=True)
    assert _count(db, AuditRecord) == before


def test_a_service_refuses_nul_text_at_the_flush_on_both_databases(db, make_user):
    office = make_user(Role.OFFICE)
    with pytest.raises(InvalidInput, match="NUL"):
        office.full_name = "林\x00主任"
        db.flush()
    db.rollback()


def test_a_cycle_title_that_prints_differently_is_refused_by_the_service(db, make_user):
    office = make_user(Role.OFFICE)
    settings = CycleSettings(year=2031, title="2031年度\u202e奖质量长市", awards_count=3, cutoff_score=Decimal("600"),
                             experts_per_application=5, onsite_review=False, deadlines={},
                             eligibility=EligibilitySettings())
    with pytest.raises(InvalidInput, match="U\\+202E"):
        create_cycle(db, actor=office, settings=settings, rubric_key="gbt19580-2012")


# --------------------------------------------------------------------------- redirect targets


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "/\t/evil.example", "/\n/evil.example",
                                    "https://evil.example/", "javascript:alert(1)", "evil.example", "",
                                    "/" + "a" * 3000, "/\u202e/x", "/path with space"])
def test_a_redirect_target_elsewhere_is_not_followed(target):
    assert inputs.local_path(target) is None


@pytest.mark.parametrize("target", ["/", "/applications/3?tab=files", "/notices/1#objection", "/审核/列表"])
def test_a_same_site_path_is_followed(target):
    assert inputs.local_path(target) == target


@pytest.mark.parametrize("target", ["/\\evil.example", "/\t/evil.example", "//evil.example"])
def test_the_language_switch_and_the_login_stay_on_the_site(client, make_user, target):
    switched = client.post("/language/en", data={"next": target})
    assert switched.status_code == 302 and "evil" not in switched.headers["Location"]
    user = make_user(Role.ENTERPRISE)
    signed_in = client.post(f"/login?next={quote(target)}", data={"email": user.email, "password": PASSWORD})
    assert signed_in.status_code == 302 and "evil" not in signed_in.headers["Location"]


# --------------------------------------------------------------------------- ceilings


def test_a_form_body_over_the_ceiling_is_refused_before_it_is_parsed(client, app):
    app.config["MAX_BODY_WITHOUT_FILES"] = 1024 * 1024
    response = client.post("/login", data={"email": "a@example.com", "password": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413


def test_a_body_from_someone_not_signed_in_has_a_small_ceiling(client, app, login, make_user):
    """Sign-in, registration and the other anonymous forms take at most MAX_BODY_ANONYMOUS (256 KiB): a
    megabyte of %-escapes is refused before anything decodes it; a signed-in form keeps the large ceiling."""
    escapes = "苏" * (40 * 1024)  # 120 KiB of text, 360 KiB URL-encoded
    anonymous = client.post("/login", data={"email": "a@example.com", "password": escapes})
    assert anonymous.status_code == 413 and "提交的内容过大" in anonymous.get_data(as_text=True)
    assert client.post("/login", data={"email": "a@example.com", "password": "x" * 1000}).status_code == 200
    login(make_user(Role.OFFICE))
    signed_in = client.post("/audit/verify", data={"note": escapes})
    assert signed_in.status_code == 200


def test_the_self_assessment_limit_has_a_ceiling_in_the_service(db, make_user, make_cycle):
    from award.applications.services import set_max_self_assessment_chars
    from award.errors import DomainError

    with pytest.raises(DomainError, match="1,000,000"):
        set_max_self_assessment_chars(db, actor=make_user(Role.OFFICE), cycle=make_cycle(), value=10**12)


# --------------------------------------------------------------------------- the hostile tester's findings


def test_text_longer_than_its_column_is_refused_at_the_flush_on_both_databases(db, make_user):
    office = make_user(Role.OFFICE)
    office.full_name = "林" * 101
    with pytest.raises(InvalidInput, match="100"):
        db.flush()
    db.rollback()


CYCLE_FORM = {"year": "2031", "title": "2031年度市长质量奖", "rubric_key": "gbt19580-2012", "awards_count": "3",
              "cutoff_score": "600", "experts_per_application": "5", "city": "苏州市"}


@pytest.mark.parametrize(("changes", "message"), [
    ({"application_deadline": "２０９９-01-01T00:00"}, "0 到 9"),  # strptime reads full-width digits
    ({"cutoff_score": "600.125"}, "2 位小数"),  # more decimals than the field shows
    ({"awards_count": "99999999999"}, "100"),  # the field's own range, not the parser's
])
def test_the_cycle_form_refuses_what_only_looked_like_a_number_or_date(db, client, login, chinese_user, changes,
                                                                        message):
    login(chinese_user(Role.OFFICE))
    before = _count(db, AuditRecord)
    response = client.post("/cycles/new", data={**CYCLE_FORM, **changes})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert "2147483647" not in response.get_data(as_text=True)
    assert _count(db, AuditRecord) == before


@pytest.mark.parametrize("limits", ["C=١", "Z=1", "C=２"])
def test_sector_limits_take_known_sectors_and_ascii_digits(limits):
    from award.ranking.forms import parse_sector_limits

    with pytest.raises(ValueError):
        parse_sector_limits(limits)


def test_no_pattern_in_the_app_matches_digits_with_backslash_d():
    r"""``\d`` matches "١" and "２" in Python's str patterns: the app writes [0-9]."""
    offenders = [f"{path.relative_to(award.PROJECT_ROOT)}:{number}"
                 for path in (award.PROJECT_ROOT / "award").rglob("*.py")
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if "\\d" in line and ("re." in line or "compile" in line or 'r"' in line)]
    assert offenders == []


def test_the_official_documents_refuse_a_printed_name_that_reads_differently(db, make_user, make_cycle):
    from award.documents.models import DocumentKind
    from award.documents.services import DocumentTexts, save_texts

    texts = DocumentTexts(issuing_office="苏州市\u202e局理管督监场市", document_number="质奖办〔2026〕3号",
                          title="公示名单", opening="", closing="", issued_on=None)
    with pytest.raises(InvalidInput, match="U\\+202E"):
        save_texts(db, actor=make_user(Role.OFFICE), cycle=make_cycle(), kind=DocumentKind.NOTICE, texts=texts)


@pytest.mark.parametrize("choice", ["999", "-1", "abc"])
def test_a_multiple_choice_not_offered_is_refused_in_chinese(app, choice):
    """WTForms' own message for a multiple select ("'999' is not a valid choice for this field.") is fuzzy in
    its Chinese catalog, so it reached the Chinese page in English with the raw value in it."""
    from award.awards.forms import ReassessmentForm

    with app.test_request_context("/", method="POST", headers={"Accept-Language": "zh-CN"},
                                  data={"year": "2031", "title": "市长质量奖复审", "award_ids": ["1", choice]}):
        form = ReassessmentForm.for_awards([])
        form.award_ids.choices = [(1, "苏州某公司")]
        assert not form.validate()
        assert form.award_ids.errors == ["需复审的获奖单位：请从给出的选项中选择。"]

