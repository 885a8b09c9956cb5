"""The documents' data from the cycle, the office's texts and positions, printer profiles: rules and audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from award.audit.anchors import Anchor
from award.audit.models import AuditRecord
from award.auth.models import Role
from award.cycles.models import Stage
from award.documents import services
from award.documents.models import DocumentKind, PrinterProfile
from award.documents.official import DocumentTexts, default_texts
from award.documents.overlay import FieldPosition, Layout, Offset
from award.errors import DomainError, NotAllowed
from tests.documents.test_official import png_seal
from tests.documents.world import AWARDED_ON, awarded_cycle
from tests.hostile_files import png_bomb, png_claiming

ZONE = ZoneInfo("Asia/Shanghai")
NAMES = ["某某市精密机械制造股份有限公司", "某某市绿色能源科技有限公司", "某某市智能装备有限公司"]


@pytest.fixture
def office(make_user):
    return make_user(Role.OFFICE)


@pytest.fixture
def awarded(db, make_cycle, make_organization):
    return awarded_cycle(db, make_cycle=make_cycle, make_organization=make_organization, names=NAMES, revoked=(2,))


def actions(db) -> list[str]:
    return list(db.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)))


# --- the documents' data -----------------------------------------------------------------------------


def test_the_notice_list_is_the_notice_as_published_without_withdrawn_candidates(db, awarded):
    withdrawn = awarded.notice.candidates[1]
    withdrawn.withdrawn_at, withdrawn.withdrawn_reason = awarded.notice.published_at, "异议成立"
    db.flush()
    document = services.notice_document(db, awarded.cycle, zone=ZONE)
    assert [row[0] for row in document.rows] == [NAMES[0], NAMES[2]]
    assert document.rows[0][1] == awarded.notice.candidates[0].credit_code
    assert document.issued_on == dt.date(2026, 3, 2)  # the day of publication, local time
    filled = document.filled()
    assert "拟授予以下2家单位“2026年度市长质量奖”称号" in filled.opening
    assert filled.closing.startswith("公示期为2026年3月2日至2026年3月8日。")  # the last day, local time
    assert filled.closing.endswith("联系方式：0512-12345678")


def test_the_decision_list_is_every_award_the_confirmation_granted(db, awarded):
    document = services.decision_document(db, awarded.cycle, zone=ZONE)
    assert document.rows == [(a.organization_name, a.certificate_number) for a in awarded.awards]  # revoked too
    assert document.issued_on == AWARDED_ON
    assert document.filled().title == "关于授予2026年度市长质量奖的决定"


def test_each_document_carries_the_anchor_of_its_own_moment(db, awarded):
    notice = awarded.notice
    notice.published_anchor_seq, notice.published_anchor_hash = 10, "a" * 64
    notice.confirmed_anchor_seq, notice.confirmed_anchor_hash = 25, "b" * 64
    assert services.notice_document(db, awarded.cycle, zone=ZONE).anchor == Anchor(10, "a" * 64)
    assert services.decision_document(db, awarded.cycle, zone=ZONE).anchor == Anchor(25, "b" * 64)


def test_without_a_notice_or_awards_there_is_no_document(db, make_cycle):
    cycle = make_cycle(stage=Stage.APPROVAL)
    with pytest.raises(DomainError) as notice:
        services.notice_document(db, cycle, zone=ZONE)
    assert notice.value.code == "no_notice"
    with pytest.raises(DomainError) as decision:
        services.decision_document(db, cycle, zone=ZONE)
    assert decision.value.code == "no_awards"


def test_the_overlay_prints_the_valid_awards_only(db, awarded):
    texts = services.overlay_texts(db, awarded.cycle)
    assert [(t.organization_name, t.certificate_number, t.issue_date) for t in texts] == [
        (a.organization_name, a.certificate_number, AWARDED_ON) for a in awarded.awards[:2]]


def test_no_valid_award_no_overlay(db, make_cycle, make_organization):
    everything_revoked = awarded_cycle(db, make_cycle=make_cycle, make_organization=make_organization,
                                       names=NAMES[:1], revoked=(0,))
    with pytest.raises(DomainError):
        services.overlay_texts(db, everything_revoked.cycle)


# --- the office's texts ------------------------------------------------------------------------------


def test_texts_start_as_the_defaults(db, awarded):
    for kind in DocumentKind:
        assert services.texts_of(db, awarded.cycle, kind) == default_texts(kind)
        assert services.stored_texts(db, awarded.cycle, kind) is None


def test_saved_texts_are_used_and_audited(db, awarded, office):
    texts = DocumentTexts(issuing_office=" 某某市人民政府 ", document_number="某政发〔2026〕12号",
                          title="关于表彰{award_title}获奖单位的决定", opening="开头", closing="结尾",
                          issued_on=dt.date(2026, 3, 20))
    services.save_texts(db, actor=office, cycle=awarded.cycle, kind=DocumentKind.DECISION, texts=texts,
                        seal=png_seal())
    stored = services.texts_of(db, awarded.cycle, DocumentKind.DECISION)
    assert stored.issuing_office == "某某市人民政府" and stored.issued_on == dt.date(2026, 3, 20)
    document = services.decision_document(db, awarded.cycle, zone=ZONE)
    assert document.issued_on == dt.date(2026, 3, 20)
    assert document.filled().title == "关于表彰2026年度市长质量奖获奖单位的决定"
    assert document.seal_mime == "image/png" and document.seal_image == png_seal()
    assert services.texts_of(db, awarded.cycle, DocumentKind.NOTICE) == default_texts(DocumentKind.NOTICE)
    audit = db.scalars(select(AuditRecord).where(AuditRecord.action == "document.texts_saved")).one()
    assert audit.cycle_id == awarded.cycle.id and audit.after["kind"] == "decision"
    assert audit.after["seal_sha256"] is not None and audit.before is None


def test_saving_again_keeps_the_seal_unless_removed(db, awarded, office):
    texts = default_texts(DocumentKind.NOTICE)
    save = services.save_texts
    save(db, actor=office, cycle=awarded.cycle, kind=DocumentKind.NOTICE, texts=texts, seal=png_seal())
    save(db, actor=office, cycle=awarded.cycle, kind=DocumentKind.NOTICE, texts=texts)
    assert services.stored_texts(db, awarded.cycle, DocumentKind.NOTICE).seal_image == png_seal()
    save(db, actor=office, cycle=awarded.cycle, kind=DocumentKind.NOTICE, texts=texts, remove_seal=True)
    row = services.stored_texts(db, awarded.cycle, DocumentKind.NOTICE)
    assert row.seal_image is None and row.seal_mime == ""
    assert actions(db)[-3:] == ["document.texts_saved"] * 3


@pytest.mark.parametrize(("seal", "code"), [
    (b"GIF89a", "seal_type"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "seal_type"),
    (b"", "seal_empty"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * services.MAX_SEAL_BYTES, "seal_too_large"),
    pytest.param(png_claiming(16, 16), "seal_dimensions", id="claims-16"),
    pytest.param(png_claiming(5000, 5000), "seal_dimensions", id="claims-5000"),
    pytest.param(png_bomb(13_000), "seal_dimensions", id="bomb"),
    pytest.param(png_claiming(100_000, 100_000), "seal_dimensions", id="claims-100_000"),
])
def test_a_seal_must_be_a_small_png_or_jpeg(db, awarded, office, seal, code):
    with pytest.raises(DomainError) as refused:
        services.save_texts(db, actor=office, cycle=awarded.cycle, kind=DocumentKind.NOTICE,
                            texts=default_texts(DocumentKind.NOTICE), seal=seal)
    assert refused.value.code == code
    assert services.stored_texts(db, awarded.cycle, DocumentKind.NOTICE) is None


def test_the_issuing_office_and_the_title_are_required(db, awarded, office):
    blank = DocumentTexts(issuing_office="  ", document_number="", title="标题", opening="", closing="")
    with pytest.raises(DomainError):
        services.save_texts(db, actor=office, cycle=awarded.cycle, kind=DocumentKind.NOTICE, texts=blank)


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ENTERPRISE, Role.EXPERT, Role.LEADER])
def test_only_the_office_changes_texts_positions_and_printers(db, awarded, make_user, role):
    someone = make_user(role)
    with pytest.raises(NotAllowed):
        services.save_texts(db, actor=someone, cycle=awarded.cycle, kind=DocumentKind.NOTICE,
                            texts=default_texts(DocumentKind.NOTICE))
    with pytest.raises(NotAllowed):
        services.save_layout(db, actor=someone, cycle=awarded.cycle, layout=Layout())
    with pytest.raises(NotAllowed):
        services.create_printer(db, actor=someone, name="打印机", offset_x_mm=Decimal(0), offset_y_mm=Decimal(0))


# --- overlay positions -------------------------------------------------------------------------------


def test_positions_start_as_the_defaults_and_saved_ones_are_used(db, awarded, office):
    assert services.layout_of(db, awarded.cycle) == Layout()
    layout = Layout(page_width_mm=260, page_height_mm=185, organization=FieldPosition(x_mm=55.5, y_mm=80, size_pt=20),
                    organization_max_width_mm=150, number=FieldPosition(x_mm=30, y_mm=170, size_pt=10.5),
                    date=FieldPosition(x_mm=180, y_mm=160, size_pt=14), date_style="arabic")
    services.save_layout(db, actor=office, cycle=awarded.cycle, layout=layout)
    assert services.layout_of(db, awarded.cycle) == layout
    services.save_layout(db, actor=office, cycle=awarded.cycle, layout=Layout())
    assert services.layout_of(db, awarded.cycle) == Layout()
    records = db.scalars(select(AuditRecord).where(AuditRecord.action == "overlay.layout_saved")
                         .order_by(AuditRecord.seq)).all()
    assert [r.before is None for r in records] == [True, False]
    assert records[1].before["organization"] == [55.5, 80.0, 20.0]


@pytest.mark.parametrize("layout", [
    Layout(organization=FieldPosition(x_mm=300, y_mm=80, size_pt=20)),  # right of an A4 landscape sheet
    Layout(date=FieldPosition(x_mm=100, y_mm=-1, size_pt=12)),
    Layout(number=FieldPosition(x_mm=100, y_mm=100, size_pt=100)),
    Layout(page_width_mm=20),
    Layout(date_style="roman"),
    Layout(organization_max_width_mm=0),
], ids=["off-right", "above", "huge-font", "tiny-sheet", "date-style", "no-width"])
def test_impossible_positions_are_refused(db, awarded, office, layout):
    with pytest.raises(DomainError):
        services.save_layout(db, actor=office, cycle=awarded.cycle, layout=layout)
    assert services.stored_layout(db, awarded.cycle) is None


# --- printer profiles --------------------------------------------------------------------------------


def test_printers_are_created_corrected_and_removed_with_an_audit_record_each(db, office):
    printer = services.create_printer(db, actor=office, name=" 财务室打印机 ", offset_x_mm=Decimal("1.5"),
                                      offset_y_mm=Decimal("-2"), note="纸盒2")
    assert printer.name == "财务室打印机"
    assert services.offset_of(printer) == Offset(name="财务室打印机", x_mm=1.5, y_mm=-2.0)
    services.update_printer(db, actor=office, printer=printer, name="财务室打印机", offset_x_mm=Decimal("0.5"),
                            offset_y_mm=Decimal("-2.5"))
    assert services.offset_of(printer) == Offset(name="财务室打印机", x_mm=0.5, y_mm=-2.5)
    services.delete_printer(db, actor=office, printer=printer)
    assert services.printer_profiles(db) == []
    assert actions(db)[-3:] == ["printer.created", "printer.updated", "printer.deleted"]
    deleted = db.scalars(select(AuditRecord).where(AuditRecord.action == "printer.deleted")).one()
    assert deleted.before["offset_x_mm"] == "0.5"


def test_no_printer_means_no_offset():
    assert services.offset_of(None) == Offset()


def test_printer_names_are_unique_and_offsets_bounded(db, office):
    first = services.create_printer(db, actor=office, name="A", offset_x_mm=Decimal(0), offset_y_mm=Decimal(0))
    with pytest.raises(DomainError) as duplicate:
        services.create_printer(db, actor=office, name="A", offset_x_mm=Decimal(1), offset_y_mm=Decimal(0))
    assert duplicate.value.code == "duplicate"
    second = services.create_printer(db, actor=office, name="B", offset_x_mm=Decimal(0), offset_y_mm=Decimal(0))
    with pytest.raises(DomainError):
        services.update_printer(db, actor=office, printer=second, name="A", offset_x_mm=Decimal(0),
                                offset_y_mm=Decimal(0))
    with pytest.raises(DomainError) as far:
        services.update_printer(db, actor=office, printer=first, name="A", offset_x_mm=Decimal("50.1"),
                                offset_y_mm=Decimal(0))
    assert far.value.code == "offset"


def test_the_database_refuses_an_offset_beyond_50_mm(db):
    db.add(PrinterProfile(name="坏的", offset_x_mm=Decimal("0"), offset_y_mm=Decimal("-60")))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()
