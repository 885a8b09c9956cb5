"""On-site review logistics (现场评审): a visit per application of the on-site round, with its date, its team
(the round's panel for that application) and an itinerary; notices to the enterprise and the team; a checklist
per rubric item with notes and photos as evidence; the team's report as a PDF.

The office schedules (and may move) a visit while the round is not closed; the team works on the checklist
while the round is open. Photos are stored like evidence files (random names under instance storage, on the
intranet), optionally without their EXIF location (photos.py). Every change is audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from award.applications.evidence import EvidenceStore
from award.applications.models import Application
from award.audit.services import record
from award.auth.models import Role, User
from award.conflicts.services import has_conflict
from award.cycles.models import Cycle
from award.cycles.services import cycle_rubric
from award.db import utcnow
from award.errors import Conflict, Invalid, NotAllowed, NotFound, TooLarge
from award.files import Blob, keep, release
from award.i18n import _, _l
from award.inputs import DATE_MAX, DATE_MIN, check_length, check_printed_text
from award.notifications.events import cycle_name
from award.notifications.kinds import Kind
from award.notifications.services import notify_users, organization_users
from award.rounds.models import Assignment, AssignmentStatus, ReviewRound, RoundKind, RoundStatus
from award.rubrics import Item
from award.runtime import path_for
from award.visits.models import CheckStatus, SiteVisit, VisitCheck, VisitPhoto
from award.visits.photos import PhotoRejected, check_photo

ITINERARY_MAX = 4000
NOTE_MAX = 4000
PHOTO_NAME_MAX = 200
DEFAULT_MAX_PHOTO_BYTES = 15 * 1024 * 1024
PHOTOS_PER_VISIT = 200

STATUS_LABELS = {
    CheckStatus.OPEN: _l("Not checked yet"),
    CheckStatus.CONFIRMED: _l("Confirmed on site"),
    CheckStatus.PARTLY: _l("Partly confirmed"),
    CheckStatus.NOT_CONFIRMED: _l("Not confirmed"),
}
PHOTO_REASONS = {
    "empty": _l("The photo file is empty."),
    "type": _l("A photo must be a JPEG or PNG image."),
    "unreadable": _l("The photo cannot be read; save it again as JPEG or PNG."),
    "dimensions": _l("The photo has too many pixels (at most 40 megapixels, 12000 on a side)."),
}


# --- reads ------------------------------------------------------------------------------------


def onsite_round(session: Session, cycle: Cycle) -> ReviewRound | None:
    return session.scalar(select(ReviewRound).where(ReviewRound.cycle_id == cycle.id,
                                                    ReviewRound.kind == RoundKind.ONSITE))


def team_of(session: Session, round_id: int, application_id: int) -> list[Assignment]:
    """The visit's team: the active seats of the round's panel for the application, the team leader first."""
    return list(session.scalars(
        select(Assignment).where(Assignment.round_id == round_id, Assignment.application_id == application_id,
                                 Assignment.status == AssignmentStatus.ACTIVE)
        .options(joinedload(Assignment.expert)).order_by(Assignment.is_leader.desc(), Assignment.id)).unique())


def seat_of(session: Session, user: User | None, visit: SiteVisit) -> Assignment | None:
    """The user's active seat on the visit's team, or None."""
    if user is None or user.role is not Role.EXPERT:
        return None
    return next((seat for seat in team_of(session, visit.round_id, visit.application_id) if seat.expert_id == user.id),
                None)


def is_team_member(session: Session, user: User | None, visit: SiteVisit) -> bool:
    """On the team, and no conflict of interest with the applicant on record (one found later bars them too)."""
    return seat_of(session, user, visit) is not None and user is not None and not has_conflict(
        session, visit.application, user)


def can_view(session: Session, user: User | None, visit: SiteVisit) -> bool:
    """The office and the supervisor, and the visit's team."""
    if user is None:
        return True  # the system: commands, the archive
    return user.role in (Role.OFFICE, Role.SUPERVISOR) or is_team_member(session, user, visit)


def require_view(session: Session, user: User | None, visit: SiteVisit) -> None:
    if not can_view(session, user, visit):
        raise NotAllowed(_("Only the award office, the supervisor and the visit's team can open this visit."))


def visits_of_round(session: Session, review_round: ReviewRound) -> dict[int, SiteVisit]:
    """Application id → its visit in the round."""
    rows = session.scalars(select(SiteVisit).where(SiteVisit.round_id == review_round.id))
    return {visit.application_id: visit for visit in rows}


def panel_applications(session: Session, review_round: ReviewRound) -> list[Application]:
    """The applications with a seated panel in the round: the ones to visit."""
    return list(session.scalars(select(Application).where(Application.id.in_(
        select(Assignment.application_id).where(Assignment.round_id == review_round.id,
                                                Assignment.status == AssignmentStatus.ACTIVE)))
        .options(joinedload(Application.organization)).order_by(Application.id)))


def visits_for_expert(session: Session, expert: User) -> list[SiteVisit]:
    """The visits whose team the expert sits on, soonest first."""
    seats = select(Assignment.round_id, Assignment.application_id).where(
        Assignment.expert_id == expert.id, Assignment.status == AssignmentStatus.ACTIVE)
    rows = session.scalars(select(SiteVisit).options(joinedload(SiteVisit.application))
                           .order_by(SiteVisit.visit_on, SiteVisit.id)).unique()
    mine = {(r, a) for r, a in session.execute(seats).all()}
    return [visit for visit in rows if (visit.round_id, visit.application_id) in mine]


@dataclass(frozen=True)
class ChecklistLine:
    item: Item
    check: VisitCheck | None  # None: not looked at yet
    photos: list[VisitPhoto]


def checklist(session: Session, visit: SiteVisit) -> list[ChecklistLine]:
    """One line per rubric item of the cycle, in rubric order: the item, its check (or none yet), its photos."""
    rubric = cycle_rubric(visit.round.cycle)
    checks = {c.item_id: c for c in visit.checks}
    photos: dict[str, list[VisitPhoto]] = {}
    for photo in visit.photos:
        photos.setdefault(photo.item_id, []).append(photo)
    return [ChecklistLine(item, checks.get(item.id), photos.get(item.id, [])) for item in rubric.items]


def _item_ids(visit: SiteVisit) -> set[str]:
    return {item.id for item in cycle_rubric(visit.round.cycle).items}


def _snapshot(visit: SiteVisit) -> dict[str, object]:
    return {"visit_on": visit.visit_on.isoformat(), "itinerary": visit.itinerary}


# --- the office: scheduling -----------------------------------------------------------------------


def schedule_visit(session: Session, *, actor: User | None, application: Application, visit_on: dt.date,
                   itinerary: str, today: dt.date, now: dt.datetime | None = None) -> SiteVisit:
    """Set (or move) the date and itinerary of the application's on-site visit; the enterprise and the team
    are told (in-app and by e-mail). `today` is the office's calendar day (Beijing time)."""
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can schedule on-site visits."))
    review_round = onsite_round(session, application.cycle)
    if review_round is None:
        raise Conflict(_("This cycle has no on-site review round."), code="no_onsite")
    if review_round.status is RoundStatus.CLOSED:
        raise Conflict(_("The on-site review round is closed."), code="round_closed")
    team = team_of(session, review_round.id, application.id)
    if not team:
        raise Conflict(_("This application has no panel in the on-site round yet: draw it first."),
                       code="no_team")
    itinerary = itinerary.strip()
    check_printed_text(itinerary, field=_("Itinerary"))
    check_length(itinerary, limit=ITINERARY_MAX, field=_("Itinerary"))
    if not itinerary:
        raise Invalid(_("Write the itinerary: where the team goes, when, and whom it meets."), code="no_itinerary",
                      field="itinerary")
    if not DATE_MIN <= visit_on <= DATE_MAX:
        raise Invalid(_("The date lies outside %(min)s to %(max)s.", min=DATE_MIN.isoformat(),
                        max=DATE_MAX.isoformat()), code="date_range", field="visit_on")
    if visit_on < today:
        raise Invalid(_("The visit date is in the past."), code="visit_past", field="visit_on")
    now = now or utcnow()
    visit = session.scalar(select(SiteVisit).where(SiteVisit.round_id == review_round.id,
                                                   SiteVisit.application_id == application.id))
    before = None if visit is None else _snapshot(visit)
    if visit is None:
        visit = SiteVisit(round_id=review_round.id, application_id=application.id, created_at=now,
                          created_by_id=actor.id if actor else None)
        session.add(visit)
    if before == {"visit_on": visit_on.isoformat(), "itinerary": itinerary}:
        return visit  # nothing changed: no record, no notice
    visit.visit_on, visit.itinerary, visit.updated_at = visit_on, itinerary, now
    session.flush()
    record(session, actor=actor, action="visit.rescheduled" if before else "visit.scheduled",
           target_type="site_visit", target_id=visit.id, cycle_id=application.cycle_id, before=before,
           after=_snapshot(visit) | {"application_id": application.id})
    _tell(session, visit, application, team, now)
    return visit


def _tell(session: Session, visit: SiteVisit, application: Application, team: Sequence[Assignment],
          now: dt.datetime) -> None:
    context = {"cycle": cycle_name(application.cycle), "date": visit.visit_on,
               "itinerary": visit.itinerary, "organization": application.org_name or application.organization.name}
    notify_users(session, users=organization_users(session, application.organization_id), kind=Kind.VISIT_SCHEDULED,
                 link=path_for("applications.show", application_id=application.id), now=now, context=context)
    notify_users(session, users=[seat.expert for seat in team], kind=Kind.VISIT_TEAM_SCHEDULED,
                 link=path_for("visits.show_visit", visit_id=visit.id), now=now, context=context)


# --- the team: checklist and photos ---------------------------------------------------------------


def _require_team_at_work(session: Session, actor: User | None, visit: SiteVisit) -> None:
    if actor is not None and not is_team_member(session, actor, visit):
        raise NotAllowed(_("Only the visit's team can fill its checklist."))
    if visit.round.status is not RoundStatus.OPEN:
        raise Conflict(_("The checklist can be filled while the on-site round is open."), code="round_not_open")
    seat = seat_of(session, actor, visit)
    if seat is not None and seat.pledge_signed_at is None:
        raise Conflict(_("Sign the no-conflict and confidentiality pledge first."), code="pledge_required")


def save_check(session: Session, *, actor: User | None, visit: SiteVisit, item_id: str, status: CheckStatus,
               note: str, now: dt.datetime | None = None) -> VisitCheck:
    """Record what the team found for one rubric item, with its notes."""
    _require_team_at_work(session, actor, visit)
    if item_id not in _item_ids(visit):
        raise NotFound(_("The cycle's rubric has no such item."), code="no_item")
    note = note.strip()
    check_printed_text(note, field=_("Notes"))
    check_length(note, limit=NOTE_MAX, field=_("Notes"))
    check = next((c for c in visit.checks if c.item_id == item_id), None)
    before = None if check is None else {"status": check.status.value, "note": check.note}
    if check is None:
        check = VisitCheck(item_id=item_id)
        visit.checks.append(check)
    check.status, check.note = status, note
    check.updated_by_id, check.updated_at = (actor.id if actor else None), now or utcnow()
    session.flush()
    record(session, actor=actor, action="visit.check_saved", target_type="site_visit", target_id=visit.id,
           cycle_id=visit.round.cycle_id, before=before,
           after={"item_id": item_id, "status": status.value, "note": note})
    return check


def add_photo(session: Session, *, actor: User | None, visit: SiteVisit, item_id: str, data: bytes, filename: str,
              strip_location: bool, store: EvidenceStore, max_bytes: int = DEFAULT_MAX_PHOTO_BYTES,
              now: dt.datetime | None = None) -> VisitPhoto:
    """Keep a photo as evidence for a rubric item; without its EXIF location when `strip_location`."""
    _require_team_at_work(session, actor, visit)
    if item_id not in _item_ids(visit):
        raise NotFound(_("The cycle's rubric has no such item."), code="no_item")
    if len(data) > max_bytes:
        raise TooLarge(_("The photo is larger than %(limit)s MB.", limit=max_bytes // (1024 * 1024)),
                       code="photo_too_large", field="photo")
    if len(visit.photos) >= PHOTOS_PER_VISIT:
        raise Conflict(_("A visit keeps at most %(count)s photos.", count=PHOTOS_PER_VISIT), code="too_many_photos")
    try:
        kept, mime = check_photo(data, strip_location=strip_location)
    except PhotoRejected as rejected:
        raise Invalid(str(PHOTO_REASONS[rejected.reason]), code=f"photo_{rejected.reason}", field="photo") from None
    stored = store.save(kept)
    keep(session, Blob(stored.sha256, stored.size_bytes), "visit_photo")
    name = _display_name(filename, mime)
    photo = VisitPhoto(item_id=item_id, stored_name=stored.stored_name, display_name=name, content_type=mime,
                       size_bytes=stored.size_bytes, sha256=stored.sha256, location_stripped=strip_location,
                       uploaded_by_id=actor.id if actor else None, uploaded_at=now or utcnow())
    visit.photos.append(photo)
    session.flush()
    record(session, actor=actor, action="visit.photo_added", target_type="site_visit", target_id=visit.id,
           cycle_id=visit.round.cycle_id,
           after={"photo_id": photo.id, "item_id": item_id, "sha256": stored.sha256, "size_bytes": stored.size_bytes,
                  "location_stripped": strip_location})
    return photo


def _display_name(filename: str, mime: str) -> str:
    from award.applications.evidence import display_name

    return display_name(filename, mime)[:PHOTO_NAME_MAX]


def remove_photo(session: Session, *, actor: User | None, photo: VisitPhoto, store: EvidenceStore) -> None:
    """Take a photo off the checklist (the team, while the round is open); the file is deleted."""
    visit = photo.visit
    _require_team_at_work(session, actor, visit)
    after = {"photo_id": photo.id, "item_id": photo.item_id, "sha256": photo.sha256}
    visit.photos.remove(photo)
    session.flush()
    record(session, actor=actor, action="visit.photo_removed", target_type="site_visit", target_id=visit.id,
           cycle_id=visit.round.cycle_id, after=after)
    release(session, store, photo.sha256)


def photo_bytes(session: Session, *, actor: User | None, photo: VisitPhoto, store: EvidenceStore) -> bytes:
    """The photo's stored bytes for someone who may see the visit; NotFound when the file is gone or changed."""
    require_view(session, actor, photo.visit)
    data = store.read_checked(photo.sha256)
    if data is None:
        raise NotFound(_("The photo's file is missing or has changed since it was uploaded."), code="photo_missing")
    return data
