"""On-site visits, called directly: scheduling and its notices, the checklist, photos and their EXIF location,
the team's report as a PDF read back. Every refusal is the service's own."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from award.applications.evidence import EvidenceStore
from award.audit.models import AuditRecord
from award.errors import Conflict, Invalid, NotAllowed, NotFound
from award.inputs import InvalidInput
from award.notifications.kinds import Kind
from award.notifications.models import Notification
from award.rounds.models import RoundStatus
from award.visits import services
from award.visits.models import CheckStatus
from award.visits.photos import GPS_IFD, has_location
from award.visits.report import render_visit_report, visit_report
from tests.documents.pdfs import embedded_fonts, image_count, page_sizes_mm, page_texts, squeeze
from tests.visits.world import visit_world

TODAY = dt.date(2026, 12, 7)
ITEM = "4.1.2"


@pytest.fixture
def world(db, make_user, make_cycle, make_organization):
    return visit_world(db, make_user=make_user, make_cycle=make_cycle, make_organization=make_organization)


@pytest.fixture
def store(tmp_path) -> EvidenceStore:
    return EvidenceStore(tmp_path / "photos")


def schedule(db, world, *, actor=None, visit_on=dt.date(2026, 12, 15), itinerary="9:00 质量部座谈\n10:30 生产现场"):
    return services.schedule_visit(db, actor=actor or world.office, application=world.application,
                                   visit_on=visit_on, itinerary=itinerary, today=TODAY)


def photo_with_location(fmt: str = "JPEG") -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make: kept
    exif[GPS_IFD] = {1: "N", 2: (31.0, 18.0, 0.0), 3: "E", 4: (120.0, 37.0, 0.0)}
    out = io.BytesIO()
    image.save(out, format=fmt, exif=exif.tobytes())
    return out.getvalue()


def kinds_sent(db, kind: Kind) -> set[int]:
    return set(db.scalars(select(Notification.user_id).where(Notification.kind == kind.value)))


def test_scheduling_tells_the_enterprise_and_every_member_of_the_team(db, world):
    visit = schedule(db, world)
    assert visit.visit_on == dt.date(2026, 12, 15) and "生产现场" in visit.itinerary
    assert kinds_sent(db, Kind.VISIT_SCHEDULED) == {world.enterprise.id}
    assert kinds_sent(db, Kind.VISIT_TEAM_SCHEDULED) == {expert.id for expert in world.team}
    assert [seat.expert for seat in services.team_of(db, visit.round_id, visit.application_id)][0] == world.team[0]


def test_moving_the_visit_is_recorded_with_before_and_after_and_told_again(db, world):
    schedule(db, world)
    schedule(db, world, visit_on=dt.date(2026, 12, 16))
    moved = db.scalars(select(AuditRecord).where(AuditRecord.action == "visit.rescheduled")).one()
    assert moved.before["visit_on"] == "2026-12-15" and moved.after["visit_on"] == "2026-12-16"
    assert db.scalar(select(func.count()).select_from(Notification)
                     .where(Notification.kind == Kind.VISIT_SCHEDULED.value)) == 2


def test_saving_the_same_date_and_itinerary_again_sends_nothing(db, world):
    schedule(db, world)
    schedule(db, world)
    assert db.scalar(select(func.count()).select_from(Notification)
                     .where(Notification.kind == Kind.VISIT_SCHEDULED.value)) == 1


@pytest.mark.parametrize("who", ["enterprise", "team_leader", "supervisor"])
def test_only_the_office_schedules(db, world, who):
    actor = {"enterprise": world.enterprise, "team_leader": world.team[0], "supervisor": world.supervisor}[who]
    with pytest.raises(NotAllowed):
        schedule(db, world, actor=actor)


@pytest.mark.parametrize(("visit_on", "itinerary", "code"), [
    (dt.date(2026, 12, 6), "行程", "visit_past"),
    (dt.date(2026, 12, 15), "   ", "no_itinerary"),
    (dt.date(2026, 12, 15), "行程\x00", None),
    (dt.date(2026, 12, 15), "长" * 4001, None),
])
def test_a_bad_date_or_itinerary_is_refused(db, world, visit_on, itinerary, code):
    with pytest.raises((Invalid, InvalidInput)) as refused:
        schedule(db, world, visit_on=visit_on, itinerary=itinerary)
    if code:
        assert refused.value.code == code
    assert db.scalar(select(func.count()).select_from(Notification)) == 0


def test_no_visit_without_a_team_or_once_the_round_is_closed(db, make_user, make_cycle, make_organization):
    closed = visit_world(db, make_user=make_user, make_cycle=make_cycle, make_organization=make_organization,
                         status=RoundStatus.CLOSED)
    with pytest.raises(Conflict, match="closed"):
        schedule(db, closed)


def test_the_team_fills_the_checklist_and_others_may_not(db, world):
    visit = schedule(db, world)
    check = services.save_check(db, actor=world.team[1], visit=visit, item_id=ITEM, status=CheckStatus.PARTLY,
                                note="战略会议纪要齐全，但展开不足")
    assert check.status is CheckStatus.PARTLY
    lines = {line.item.id: line for line in services.checklist(db, visit)}
    assert lines[ITEM].check is check and lines["4.1.3"].check is None and len(lines) == 23
    for outsider in (world.outsider, world.office, world.enterprise):
        with pytest.raises(NotAllowed):
            services.save_check(db, actor=outsider, visit=visit, item_id=ITEM, status=CheckStatus.CONFIRMED, note="")
    with pytest.raises(NotFound):
        services.save_check(db, actor=world.team[0], visit=visit, item_id="9.9.9", status=CheckStatus.CONFIRMED,
                            note="")


def test_the_checklist_waits_for_the_round_to_open(db, world):
    visit = schedule(db, world)
    world.review_round.status = RoundStatus.CLOSED
    with pytest.raises(Conflict):
        services.save_check(db, actor=world.team[0], visit=visit, item_id=ITEM, status=CheckStatus.CONFIRMED,
                            note="")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_photo_loses_its_location_on_request_and_keeps_it_otherwise(db, world, store, fmt):
    visit = schedule(db, world)
    original = photo_with_location(fmt)
    assert has_location(original)
    stripped = services.add_photo(db, actor=world.team[0], visit=visit, item_id=ITEM, data=original,
                                  filename="现场.jpg", strip_location=True, store=store)
    kept = services.add_photo(db, actor=world.team[0], visit=visit, item_id=ITEM, data=original,
                              filename="现场.jpg", strip_location=False, store=store)
    stripped_bytes = store.read(stripped.sha256)
    assert not has_location(stripped_bytes) and stripped.location_stripped
    with Image.open(io.BytesIO(stripped_bytes)) as image:
        assert image.getexif().get(0x010F) == "PhoneMaker"  # the rest of the EXIF stays
        assert image.size == (64, 48)
    assert store.read(kept.sha256) == original and has_location(store.read(kept.sha256))


@pytest.mark.parametrize(("data", "code"), [
    (b"", "photo_empty"),
    (b"%PDF-1.7 not a photo", "photo_type"),
    (b"\xff\xd8\xff\xe0 broken jpeg", "photo_unreadable"),
])
def test_what_is_not_a_photo_is_refused_and_nothing_is_stored(db, world, store, data, code):
    visit = schedule(db, world)
    with pytest.raises(Invalid) as refused:
        services.add_photo(db, actor=world.team[0], visit=visit, item_id=ITEM, data=data, filename="x.jpg",
                           strip_location=True, store=store)
    assert refused.value.code == code
    assert not (store.root.exists() and any(store.root.rglob("*")))


def test_a_photo_claiming_huge_dimensions_is_refused_before_decoding(db, world, store):
    visit = schedule(db, world)
    image = Image.new("L", (1, 1))
    out = io.BytesIO()
    image.save(out, format="PNG")
    data = bytearray(out.getvalue())
    data[16:24] = (20000).to_bytes(4, "big") + (20000).to_bytes(4, "big")  # the IHDR's width and height
    with pytest.raises(Invalid) as refused:
        services.add_photo(db, actor=world.team[0], visit=visit, item_id=ITEM, data=bytes(data), filename="x.png",
                           strip_location=False, store=store)
    assert refused.value.code in {"photo_dimensions", "photo_unreadable"}


def test_only_the_team_and_oversight_see_the_photos(db, world, store):
    visit = schedule(db, world)
    photo = services.add_photo(db, actor=world.team[0], visit=visit, item_id=ITEM, data=photo_with_location(),
                               filename="a.jpg", strip_location=True, store=store)
    for reader in (world.team[2], world.office, world.supervisor):
        assert services.photo_bytes(db, actor=reader, photo=photo, store=store).startswith(b"\xff\xd8\xff")
    for outsider in (world.outsider, world.enterprise):
        with pytest.raises(NotAllowed):
            services.photo_bytes(db, actor=outsider, photo=photo, store=store)
    services.remove_photo(db, actor=world.team[1], photo=photo, store=store)
    assert store.path_of(photo.sha256).exists()  # until the removal is committed
    db.commit()
    assert not store.path_of(photo.sha256).exists()


def test_the_report_pdf_reads_back_with_the_team_the_notes_and_the_photos(db, world, store):
    visit = schedule(db, world)
    services.save_check(db, actor=world.team[0], visit=visit, item_id=ITEM, status=CheckStatus.CONFIRMED,
                        note="高层领导亲自主持质量例会，<b>纪要</b>齐全")
    services.add_photo(db, actor=world.team[0], visit=visit, item_id=ITEM, data=photo_with_location(),
                       filename="例会.jpg", strip_location=True, store=store)
    report = visit_report(db, visit, actor=world.team[1], store=store,
                          now=dt.datetime(2026, 12, 15, 8, 0, tzinfo=dt.UTC))
    pdf = render_visit_report(report)
    text = squeeze("".join(page_texts(pdf)))
    assert "现场评审报告" in text and "苏州精密制造有限公司" in text and "2026-12-15" in text
    assert "王组长（组长）" in text and "李专家（组员）" in text
    assert "4.1.2高层领导的作用" in text and "现场核实" in text and "<b>纪要</b>齐全" in text
    assert "已去除拍摄位置信息" in text and "2026-12-1516:00" in text  # Beijing time
    pages = page_texts(pdf)  # the shared A4 page (a4-portrait.css) with the report's own footer
    assert page_sizes_mm(pdf)[0] == (210.0, 297.0)
    assert f"现场评审报告·第1页/共{len(pages)}页" in squeeze(pages[0])
    assert image_count(pdf) >= 1  # the photo (WeasyPrint may share one resource dict across pages)
    fonts = embedded_fonts(pdf)
    assert any("CJK" in name or "Han" in name for name in fonts), fonts
    assert all(files for files in fonts.values()), fonts
    with pytest.raises(NotAllowed):
        visit_report(db, visit, actor=world.outsider, store=store, now=dt.datetime.now(dt.UTC))


def test_a_conflict_found_later_bars_the_expert_from_the_visit(db, world, store):
    from award.conflicts import services as conflicts
    from award.conflicts.rules import ConflictType

    visit = schedule(db, world)
    conflicts.pin_conflict(db, actor=None, application=world.application, expert=world.team[1],
                           conflict_type=ConflictType.OTHER, reason="其配偶在该企业任职")
    with pytest.raises(NotAllowed):
        services.save_check(db, actor=world.team[1], visit=visit, item_id=ITEM, status=CheckStatus.CONFIRMED,
                            note="")
    with pytest.raises(NotAllowed):
        visit_report(db, visit, actor=world.team[1], store=store, now=dt.datetime.now(dt.UTC))


def test_the_pledge_comes_before_the_checklist(db, world):
    visit = schedule(db, world)
    services.team_of(db, visit.round_id, visit.application_id)[0].pledge_signed_at = None
    with pytest.raises(Conflict) as refused:
        services.save_check(db, actor=world.team[0], visit=visit, item_id=ITEM, status=CheckStatus.CONFIRMED,
                            note="")
    assert refused.value.code == "pledge_required"


def test_the_archive_keeps_the_visits_checklists_and_photos(db, world, store):
    import json

    from award.archive.sections import ArchiveContext, onsite_visits

    visit = schedule(db, world)
    services.save_check(db, actor=world.team[0], visit=visit, item_id=ITEM, status=CheckStatus.CONFIRMED, note="齐全")
    photo = services.add_photo(db, actor=world.team[0], visit=visit, item_id=ITEM, data=photo_with_location(),
                               filename="例会.jpg", strip_location=True, store=store)
    files = {path: b"".join([content] if isinstance(content, bytes) else content)
             for path, content in onsite_visits(ArchiveContext(session=db, cycle=world.cycle, visit_photos=store))}
    (row,) = json.loads(files["visits.json"])
    assert row["itinerary"].startswith("9:00") and row["checks"][0]["status"] == "confirmed"
    assert files[row["photos"][0]["archived_as"].removeprefix("visits/")] == store.read(photo.sha256)
