"""Every document names its issuers with the city, from the cycle's settings, and its number's year is its date's."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from award.audit.models import AuditRecord
from award.auth.models import Role
from award.awards.models import Award
from award.certificates import services as certificates
from award.certificates.demo import AWARDED_CYCLE_TITLE
from award.certificates.render import render_certificates_batch, render_feedback_pdf
from award.certificates.seals import SealStore
from award.cycles.models import Cycle
from award.cycles.services import CycleSettings, issuers_of, update_cycle, update_issuers
from award.cycles.settings import AwardSettings, EligibilitySettings, IssuerSettings, bare_bodies
from award.documents import services
from award.documents.models import DocumentKind
from award.documents.official import DocumentTexts, default_texts, number_year, render_official_pdf
from award.documents.receipt import receipt_of, render_receipt_pdf
from award.errors import Conflict, Invalid, NotAllowed
from award.notice.services import notice_of
from award.ranking.models import RankingSnapshot
from tests.documents.test_receipt import limits, store, submitted  # noqa: F401  (fixtures)
from tests.documents.world import AWARDED_ON, awarded_cycle

ZONE = ZoneInfo("Asia/Shanghai")
NAMES = ["某某市精密机械制造股份有限公司", "某某市绿色能源科技有限公司"]


def text(pdf: bytes) -> str:
    return "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def office(make_user):
    return make_user(Role.OFFICE)


@pytest.fixture
def awarded(db, make_cycle, make_organization):
    return awarded_cycle(db, make_cycle=make_cycle, make_organization=make_organization, names=NAMES)


# --- the issuers, a cycle setting -------------------------------------------------------------------------


def test_the_city_names_every_body():
    issuers = IssuerSettings(city="苏州市")
    assert (issuers.government_name, issuers.regulator_name, issuers.award_office_name) == (
        "苏州市人民政府", "苏州市市场监督管理局", "苏州市市长质量奖评审委员会办公室")
    written = IssuerSettings(city="苏州市", award_office="苏州市质量强市工作领导小组办公室")
    assert written.award_office_name == "苏州市质量强市工作领导小组办公室"
    assert not IssuerSettings().complete and IssuerSettings().government_name == ""


@pytest.mark.parametrize(("text", "bare"), [
    ("市人民政府", ["市人民政府"]), ("苏州市人民政府", []),
    ("联系方式：市市场监督管理局质量发展处", ["市市场监督管理局"]),
    ("苏州市市场监督管理局", []), ("市长质量奖评审委员会办公室", ["市长质量奖评审委员会办公室"]),
    ("根据《苏州市市长质量奖管理办法》", []),
])
def test_a_body_without_its_city_is_found(text, bare):
    assert bare_bodies(text) == bare


def test_the_office_names_the_issuers_and_the_trail_keeps_it(db, office, make_cycle):
    cycle = make_cycle()
    update_issuers(db, actor=office, cycle=cycle, issuers=IssuerSettings(city=" 苏州市 "))
    assert issuers_of(cycle) == IssuerSettings(city="苏州市")
    assert AwardSettings.from_dict(cycle.award_settings) == AwardSettings()  # the vote settings untouched
    last = db.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1)).one()
    assert last.action == "cycle.issuers_updated" and last.after["city"] == "苏州市"


def test_the_cycle_form_keeps_the_issuers(db, office, make_cycle):
    cycle = make_cycle(issuers=IssuerSettings(city="苏州市"))
    settings = _settings_of(cycle)
    update_cycle(db, actor=office, cycle=cycle, settings=settings)
    assert issuers_of(cycle).city == "苏州市"


def _settings_of(cycle: Cycle) -> CycleSettings:
    return CycleSettings(year=cycle.year, title=cycle.title, awards_count=cycle.awards_count,
                         cutoff_score=cycle.cutoff_score, experts_per_application=cycle.experts_per_application,
                         onsite_review=cycle.onsite_review, deadlines={d.stage: d.due_at for d in cycle.deadlines},
                         eligibility=EligibilitySettings.from_dict(cycle.eligibility))


@pytest.mark.parametrize(("issuers", "field"), [
    (IssuerSettings(), "city"),
    (IssuerSettings(city="苏州市", government="市人民政府"), "government"),
    (IssuerSettings(city="苏州市", regulator="市市场监督管理局"), "regulator"),
    (IssuerSettings(city="苏" * 61), "city"),
])
def test_the_service_refuses_a_missing_city_or_a_bare_body(db, office, make_cycle, issuers, field):
    cycle = make_cycle()
    with pytest.raises(Invalid) as refused:
        update_issuers(db, actor=office, cycle=cycle, issuers=issuers)
    assert refused.value.field == field
    assert issuers_of(cycle) == IssuerSettings()


@pytest.mark.parametrize("role", [Role.EXPERT, Role.ENTERPRISE, Role.SUPERVISOR, Role.LEADER])
def test_only_the_office_names_the_issuers(db, make_user, make_cycle, role):
    with pytest.raises(NotAllowed):
        update_issuers(db, actor=make_user(role), cycle=make_cycle(), issuers=IssuerSettings(city="苏州市"))


# --- the documents refuse what the issue reported ------------------------------------------------------------


def test_no_document_without_the_city(db, awarded):
    awarded.cycle.award_settings = {}
    for kind in DocumentKind:
        with pytest.raises(Conflict) as refused:
            services.official_document(db, awarded.cycle, kind, zone=ZONE)
        assert refused.value.code == "no_city"


def test_the_number_takes_the_year_of_the_issue_date(db, awarded):
    awarded.cycle.year = 2023  # awarded in 2026 for the 2023 cycle: the decision is 〔2026〕, not 〔2023〕
    document = services.official_document(db, awarded.cycle, DocumentKind.DECISION, zone=ZONE)
    assert document.issued_on == AWARDED_ON and document.filled().document_number == "政发〔2026〕1号"


def test_the_service_refuses_a_number_of_another_year(db, office, awarded):
    texts = replace(default_texts(DocumentKind.DECISION), document_number="政发〔2023〕1号")
    services.save_texts(db, actor=office, cycle=awarded.cycle, kind=DocumentKind.DECISION, texts=texts)
    with pytest.raises(Conflict) as refused:
        services.official_document(db, awarded.cycle, DocumentKind.DECISION, zone=ZONE)
    assert refused.value.code == "number_year" and "2023" in refused.value.message
    dated = DocumentTexts(issuing_office="{government}", document_number="政发〔2023〕1号", title="决定",
                          opening="", closing="", issued_on=dt.date(2025, 1, 5))
    with pytest.raises(Invalid) as on_save:
        services.save_texts(db, actor=office, cycle=awarded.cycle, kind=DocumentKind.DECISION, texts=dated)
    assert on_save.value.field == "document_number"


def test_the_service_refuses_texts_naming_a_body_without_its_city(db, office, awarded):
    texts = DocumentTexts(issuing_office="市人民政府", document_number="", title="决定", opening="", closing="")
    with pytest.raises(Invalid) as refused:
        services.save_texts(db, actor=office, cycle=awarded.cycle, kind=DocumentKind.DECISION, texts=texts)
    assert refused.value.field == "issuing_office"


def test_a_notice_contact_without_the_city_is_not_printed(db, awarded):
    awarded.notice.contact = "市市场监督管理局质量发展处 0512-12345678"
    with pytest.raises(Conflict) as refused:
        services.official_document(db, awarded.cycle, DocumentKind.NOTICE, zone=ZONE)
    assert refused.value.code == "bare_body"


def test_a_certificate_without_authority_or_city_is_refused(db, awarded, tmp_path):
    awarded.cycle.award_settings = {}
    with pytest.raises(Conflict) as refused:
        certificates.cycle_certificates(db, awarded.cycle, verify_url=str, seal_store=SealStore(tmp_path))
    assert refused.value.code == "no_city"


def test_the_receipt_names_the_city_and_the_office(db, submitted):  # noqa: F811
    application = submitted[0]
    application.cycle.award_settings = IssuerSettings(city="苏州市").stored_in(application.cycle.award_settings)
    printed = text(render_receipt_pdf(receipt_of(db, application), printed_at="2026-11-21 09:00（北京时间）"))
    assert printed.startswith("苏州市市长质量奖申报回执") and "受理单位苏州市市长质量奖评审委员会办公室" in printed


# --- the demo's documents, rendered and read back ------------------------------------------------------------


def test_the_demo_documents_name_the_city_agree_on_the_year_and_round_half_up(demo_db, tmp_path):
    awarded = demo_db.scalar(select(Cycle).where(Cycle.title == AWARDED_CYCLE_TITLE))
    decision = services.official_document(demo_db, awarded, DocumentKind.DECISION, zone=ZONE)
    printed = {"decision": text(render_official_pdf(decision))}
    year = decision.issued_on.year
    assert printed["decision"].startswith(f"苏州市人民政府文件政发〔{year}〕1号")
    assert number_year(decision.filled().document_number) == year
    day = decision.issued_on
    # signed by the city's government on the issue date (the audit anchor may follow before the page number)
    assert f"苏州市人民政府{day.year}年{day.month}月{day.day}日" in printed["decision"].split("决定", 1)[1]
    assert printed["decision"].endswith("—1—")

    noticed = next(c for c in demo_db.scalars(select(Cycle))
                   if notice_of(demo_db, c) is not None and c.id != awarded.id)
    notice = services.official_document(demo_db, noticed, DocumentKind.NOTICE, zone=ZONE)
    printed["notice"] = text(render_official_pdf(notice))
    assert printed["notice"].startswith(f"苏州市市长质量奖评审委员会办公室文件质奖办〔{notice.issued_on.year}〕1号")
    assert "根据《苏州市市长质量奖管理办法》" in printed["notice"]
    assert "联系方式：苏州市市场监督管理局质量发展处" in printed["notice"]

    batch = certificates.cycle_certificates(demo_db, awarded,
                                            verify_url=lambda n: f"https://award.example/verify/{n}",
                                            seal_store=SealStore(tmp_path))
    printed["certificates"] = text(render_certificates_batch(batch))
    assert printed["certificates"].count("苏州市人民政府") == len(batch)

    # 797.25 prints as 797.3 (四舍五入), not 797.2; the cut-off is 获奖分数线, as on the web
    award = demo_db.scalars(select(Award).where(Award.cycle_id == awarded.id).order_by(Award.id)).first()
    snapshot = demo_db.scalars(select(RankingSnapshot).where(RankingSnapshot.cycle_id == awarded.id)).first()
    entry = next(e for e in snapshot.entries if e.application_id == award.application_id)
    entry.total, snapshot.cutoff_score = Decimal("797.25"), Decimal("612.25")
    demo_db.flush()
    report = certificates.feedback_report(demo_db, award.application, today=dt.date(2026, 12, 7))
    printed["feedback"] = text(render_feedback_pdf(report))
    assert "总分797.3/1000分" in printed["feedback"] and "获奖分数线612.3分" in printed["feedback"]
    assert "入围分数线" not in printed["feedback"]
    assert "苏州市市长质量奖评审委员会办公室2026年12月7日" in printed["feedback"]

    assert {name: bare_bodies(page) for name, page in printed.items()} == {name: [] for name in printed}
