"""Scoring on the web: experts sign the pledge, score and agree a consensus; the office follows a
round's progress, reopens sheets and closes the round."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, get_template_attribute, redirect, render_template, request, url_for
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from award.app_db import get_session, reads_only_on_get
from award.applications.models import Application
from award.applications.presenters import files_by_item
from award.auth.access import actor, expert_required, login_required, office_required, oversight_required
from award.auth.permissions import can_read_oversight, is_expert
from award.errors import DomainError
from award.forms import filled
from award.i18n import _
from award.numbers import format_score
from award.rounds.models import (
    Assignment,
    ReviewRound,
)
from award.rounds.routes import round_page
from award.rounds.services import round_rubric
from award.rubrics import Rubric
from award.scoring import discussion, presenters, progress, queries
from award.scoring import services as scoring
from award.scoring.forms import (
    REMARK_KIND_LABELS,
    FinalizeForm,
    ReasonForm,
    RemarkForm,
    autosave_fields,
    consensus_entries,
    posted_sheet,
)
from award.scoring.models import ScoreSheet, SheetStatus
from award.views import (
    InvalidForm,
    current_locale,
    form_errors,
    get_or_404,
    json_errors,
    on_refusal,
    rubric_language,
    validated,
)

bp = Blueprint("scoring", __name__, url_prefix="/review")


def _own(assignment_id: int) -> Assignment:
    """The expert's own live seat; 404 for anything else, so ids cannot be probed."""
    return queries.own_assignment(get_session(), actor(), assignment_id) or abort(404)


def _panel_of(round_id: int, application_id: int) -> tuple[ReviewRound, Application, Assignment | None]:
    """The round, the application it reviews, and the viewer's seat on its panel (None for the office
    and the supervisor). Experts off the panel get 404; a member who has not submitted gets 403:
    independence comes first."""
    review_round = get_or_404(ReviewRound, round_id)
    application = get_or_404(Application, application_id, cycle_id=review_round.cycle_id)
    user = actor()
    if can_read_oversight(user):
        return review_round, application, None
    if not is_expert(user):
        abort(403)
    seat = next((m for m in scoring.panel_members(get_session(), review_round, application.id)
                 if m.expert_id == user.id), None)
    if seat is None or queries.own_assignment(get_session(), user, seat.id) is None:
        abort(404)
    own = scoring.sheet_of(seat)
    if own is None or own.status is not SheetStatus.SUBMITTED:
        abort(403)
    return review_round, application, seat


def _pledge_first(assignment: Assignment) -> Response | queries.SeatAccess:
    """The way to the pledge while it is not signed; else what the expert may do with the seat,
    decided once for the request (a seat that cannot be opened is a 403)."""
    if assignment.pledge_signed_at is None:
        flash(_("Sign the no-conflict and confidentiality pledge first."), "info")
        return redirect(url_for("scoring.pledge", assignment_id=assignment.id))
    access = queries.seat_access(actor(), assignment, seat_checked=True)  # the seat came from _own
    if not access.may_open:
        abort(403)
    return access


def _pledge_page(assignment: Assignment, form: ReasonForm | None = None) -> str:
    return render_template("scoring/pledge.html", assignment=assignment,
                           facts=queries.pledge_facts(get_session(), assignment), conflict_form=form or ReasonForm())


@dataclass(frozen=True, slots=True)
class _ItemParts:
    """What the sheet shows of one item whatever the sheet holds: its title, its header's points and
    kind, its percentage options (by the value selected, "" for none) and its band guide."""

    title: str
    header: Markup
    options: dict[str, Markup]
    guide: Markup


_PARTS: dict[tuple[str, str], dict[str, _ItemParts]] = {}


def _sheet_parts(rubric: Rubric, lang: str) -> dict[str, _ItemParts]:
    """The items' parts, rendered once per (rubric text hash, language) in this process: a frozen
    rubric and the catalogs do not change while it runs."""
    key = (rubric.content_hash, lang)
    parts = _PARTS.get(key)
    if parts is None:
        macro = {name: get_template_attribute("scoring/_sheet_parts.html", name)
                 for name in ("percent_options", "band_guide", "item_header")}
        parts = {}
        for item in rubric.items:
            bands = rubric.bands_for(item)
            choices = [""] + [str(p) for band in bands for p in rubric.band_percents(band)]
            parts[item.id] = _ItemParts(
                title=f"{item.id} {item.display_name(lang)}",
                header=macro["item_header"](item, rubric.kind(item.kind), lang),
                options={value: macro["percent_options"](rubric, bands, value) for value in choices},
                guide=macro["band_guide"](bands, lang))
        if len(_PARTS) >= 32:  # a bound, not a policy: rubrics × languages stay few
            _PARTS.clear()
        _PARTS[key] = parts
    return parts


_NONCE = secrets.token_hex(8)  # slot markers no applicant's text can forge
_SLOT = re.compile("\x02" + _NONCE + "([^\x03]*)\x03")
_SKELETONS: dict[tuple[object, ...], tuple[list[str], list[tuple[str, str]]]] = {}


def _slot(item_id: str, name: str) -> Markup:
    return Markup(f"\x02{_NONCE}{item_id}|{name}\x03")


def _skeleton(rubric: Rubric, lang: str, application: Application, parts: dict[str, _ItemParts],
              evidence: dict[str | None, list[Any]]) -> tuple[list[str], list[tuple[str, str]]]:
    """The items' HTML cut at their slots: the static pieces and, between them, (item id, slot name).
    Rendered once per (rubric, language, the application's texts and files, the script root) in
    this process; the key holds the texts themselves, so an edit is a new key."""
    texts = application.self_assessment or {}
    files = tuple((f.id, f.display_name, f.size_bytes, f.rubric_item_id) for f in application.files)
    key = (rubric.content_hash, lang, application.id, request.script_root, tuple(sorted(texts.items())), files)
    skeleton = _SKELETONS.get(key)
    if skeleton is None:
        html = str(get_template_attribute("scoring/_sheet_parts.html", "sheet_items")(
            rubric, parts, application, texts, evidence, lang, _slot, _("Points"), _("Self-assessment"),
            _("(nothing written for this item)"), _("Percentage"), _("Strength"), _("Improvement point"),
            _("Justification (required for the lowest and highest bands)"), "：" if lang == "zh_CN" else ": "))
        pieces = _SLOT.split(html)
        skeleton = (pieces[0::2], [(item_id, name) for item_id, _bar, name in (s.partition("|") for s in pieces[1::2])])
        if len(_SKELETONS) >= 32:  # a bound, not a policy: about 0.2 MB per application
            _SKELETONS.clear()
        _SKELETONS[key] = skeleton
    return skeleton


def _item_slots(item_id: str, part: _ItemParts, value: dict[str, str], state: presenters.ItemState,
                label: str, stored: Any, problems: list[str]) -> dict[str, str]:
    """What one item's slots show, as sheet.html showed it before the items were kept."""
    percent = value["percent"]
    options = part.options.get(percent)
    if options is None:
        options = part.options[""] + Markup('\n            <option value="{0}" selected>{0}</option>').format(percent)
    points = stored.points if stored is not None and stored.points is not None else "—"
    return {"problem_class": "has-problem" if problems else "", "state": escape(state.value),
            "state_label": escape(label), "options": options, "points": escape(points),
            "strength": escape(value["strength"]), "improvement": escape(value["improvement"]),
            "justification": escape(value["justification"]),
            "errors": "".join(f'<small class="field-error">{escape(p)}</small>' for p in problems)}


def _sheet_items(rubric: Rubric, lang: str, application: Application, parts: dict[str, _ItemParts],
                 evidence: dict[str | None, list[Any]], values: dict[str, dict[str, str]],
                 states: dict[str, presenters.ItemState], labels: dict[Any, str], stored: dict[str, Any],
                 problems: dict[str, list[str]]) -> Markup:
    statics, slots = _skeleton(rubric, lang, application, parts, evidence)
    filled = {item.id: _item_slots(item.id, parts[item.id], values[item.id], states[item.id],
                                   labels[states[item.id]], stored.get(item.id), problems.get(item.id, []))
              for item in rubric.items}
    out = [statics[0]]
    for (item_id, name), static in zip(slots, statics[1:], strict=True):
        out.append(filled[item_id][name])
        out.append(static)
    return Markup("".join(out))


def _sheet_page(assignment: Assignment, access: queries.SeatAccess, *, posted: dict[str, str] | None = None,
                refusal: DomainError | None = None) -> str:
    sheet = access.sheet or scoring.sheet_of(assignment)
    assert sheet is not None
    conflict = refusal if isinstance(refusal, scoring.VersionConflict) else None
    problems = refusal.problems if isinstance(refusal, scoring.SheetInvalid) else {}
    rubric, stored = round_rubric(assignment.round), {i.item_id: i for i in sheet.items}
    states, lang, application = presenters.item_states(rubric, stored, posted, problems), current_locale(), \
        assignment.application
    parts, messages, labels = _sheet_parts(rubric, lang), presenters.item_messages(problems), presenters.state_labels()
    evidence = files_by_item(application.files)  # the application's files, one query for all items
    return render_template(
        "scoring/sheet.html", assignment=assignment, sheet=sheet, rubric=rubric, application=application,
        conflict=conflict, problem_lines=presenters.problem_lines(rubric, problems), states=states,
        scored=presenters.scored_count(states), state_labels=labels, parts=parts,
        version=conflict.current_version if conflict else sheet.version, editable=access.may_score,
        items_html=_sheet_items(rubric, lang, application, parts, evidence,
                                presenters.field_values(rubric, stored, posted), states, labels, stored, messages),
    )


def _remark_form(review_round: ReviewRound, seat: Assignment | None) -> RemarkForm:
    return RemarkForm(round_rubric(review_round), rubric_language(), leading=bool(seat and seat.is_leader))


def _consensus_page(review_round: ReviewRound, application: Application, seat: Assignment | None, *,
                    posted: dict[str, str] | None = None, remark_form: RemarkForm | None = None,
                    finalize_form: FinalizeForm | None = None) -> str:
    session = get_session()
    members = scoring.panel_members(session, review_round, application.id)
    remarks = discussion.remarks_of(session, review_round, application.id)
    return render_template(
        "scoring/consensus.html", review_round=review_round, application=application, seat=seat,
        rubric=round_rubric(review_round),
        spread={s.item_id: s for s in scoring.panel_spread(session, review_round, application.id)},
        complete=scoring.sheets_complete(session, review_round, application.id),
        consensus=scoring.consensus_scores(session, review_round, application.id),
        confirmed=scoring.confirmed_by(session, review_round, application.id),
        members=members, posted=posted, remarks=remarks, names={m.expert_id: m.expert.full_name for m in members},
        disagreements=discussion.open_disagreements(remarks, members), kind_labels=REMARK_KIND_LABELS,
        final=discussion.finalization_of(session, review_round, application.id),
        remark_form=remark_form or _remark_form(review_round, seat), finalize_form=finalize_form or FinalizeForm(),
    )


# --------------------------------------------------------------------------- office


@bp.route("/rounds/<int:round_id>/close", methods=["POST"])
@office_required
def close_round(round_id: int):
    review_round = get_or_404(ReviewRound, round_id)
    on_refusal(lambda _: round_page(review_round))
    scoring.close_round(get_session(), actor=actor(), review_round=review_round)
    flash(_("The round is closed."), "success")
    return redirect(url_for("rounds.show_round", round_id=review_round.id))


@bp.route("/rounds/<int:round_id>/progress")
@oversight_required
def round_progress(round_id: int):
    review_round = get_or_404(ReviewRound, round_id)
    session = get_session()
    return render_template("scoring/progress.html", review_round=review_round,
                           progress=progress.round_progress(session, review_round),
                           missing=progress.missing_sheets(session, review_round),
                           sheets=queries.sheets_of_round(session, review_round), reopen_form=ReasonForm())


@bp.route("/sheets/<int:sheet_id>/reopen", methods=["POST"])
@office_required
def reopen_sheet(sheet_id: int):
    sheet = get_or_404(ScoreSheet, sheet_id)
    form = ReasonForm()
    validated(form, _("Give a reason for reopening the sheet."))
    scoring.reopen_sheet(get_session(), actor=actor(), sheet=sheet, reason=filled(form.reason.data))
    flash(_("The sheet is reopened; the expert has been asked to submit it again."), "success")
    return redirect(url_for("scoring.round_progress", round_id=sheet.assignment.round_id))


# --------------------------------------------------------------------------- experts


@bp.route("/mine")
@expert_required
def my_assignments():
    session = get_session()
    seats = queries.expert_assignments(session, actor())
    return render_template("scoring/mine.html", seats=seats, sheets=queries.sheets_of_seats(session, seats))


@bp.route("/assignments/<int:assignment_id>/pledge", methods=["GET", "POST"])
@expert_required
def pledge(assignment_id: int):
    assignment = _own(assignment_id)
    if request.method == "GET":
        return _pledge_page(assignment)
    on_refusal(lambda _: _pledge_page(assignment))
    if request.form.get("agree") != "yes":
        raise InvalidForm(_("Tick the box to sign the pledge."))
    scoring.sign_pledge(get_session(), actor=actor(), assignment=assignment)
    flash(_("Pledge signed. You may now open the application."), "success")
    return redirect(url_for("scoring.sheet", assignment_id=assignment.id))


@bp.route("/assignments/<int:assignment_id>/conflict", methods=["POST"])
@expert_required
def declare_conflict(assignment_id: int):
    assignment = _own(assignment_id)
    form = ReasonForm()
    on_refusal(lambda _: _pledge_page(assignment, form))
    validated(form, _("Describe the conflict of interest."))
    scoring.declare_conflict(get_session(), actor=actor(), assignment=assignment, reason=filled(form.reason.data))
    flash(_("Your conflict is recorded and the office will appoint a replacement. Thank you."), "success")
    return redirect(url_for("scoring.my_assignments"))


@bp.route("/assignments/<int:assignment_id>/sheet", methods=["GET", "POST"])
@expert_required
@reads_only_on_get
def sheet(assignment_id: int):
    assignment = _own(assignment_id)
    if isinstance(access := _pledge_first(assignment), Response):
        return access
    if request.method == "GET":
        return _sheet_page(assignment, access)
    on_refusal(lambda error: _sheet_page(assignment, access, posted=request.form.to_dict(), refusal=error))
    entries, version = posted_sheet(request.form, round_rubric(assignment.round))
    submitting = request.form.get("action") == "submit"
    (scoring.submit_sheet if submitting else scoring.save_draft)(
        get_session(), actor=actor(), assignment=assignment, entries=entries, expected_version=version)
    flash(_("Sheet submitted and locked. Thank you.") if submitting else _("Draft saved."), "success")
    return redirect(url_for("scoring.my_assignments") if submitting
                    else url_for("scoring.sheet", assignment_id=assignment.id))


def _autosave_refusal(error: DomainError) -> dict[str, Any]:
    """A refused background save: the message, and what the page needs to show why."""
    answer: dict[str, Any] = {"ok": False, "message": error.message}
    if isinstance(error, scoring.VersionConflict):
        answer.update(version=error.current_version, differences=[
            {"item": d.item_id, "field": d.field, "mine": d.mine, "saved": d.saved} for d in error.differences])
    if isinstance(error, scoring.SheetInvalid):
        answer["problems"] = {item: [str(p) for p in found] for item, found in error.problems.items()}
    return answer


@bp.route("/assignments/<int:assignment_id>/autosave", methods=["POST"])
@expert_required
@json_errors
def autosave(assignment_id: int):
    """The page's background save: JSON in, JSON out; a stale version answers 409 with the differences."""
    assignment = _own(assignment_id)
    if assignment.pledge_signed_at is None:  # the service checks conflicts (once) and everything else
        abort(403)
    on_refusal(_autosave_refusal)
    entries, version = posted_sheet(autosave_fields(request.get_data()), round_rubric(assignment.round))
    saved = scoring.save_draft(get_session(), actor=actor(), assignment=assignment, entries=entries,
                               expected_version=version)
    return {"ok": True, "version": saved.version, "total": format_score(saved.total), "message": _("Draft saved."),
            "points": {i.item_id: None if i.points is None else format_score(i.points) for i in saved.items}}


# --------------------------------------------------------------------------- consensus


@bp.route("/rounds/<int:round_id>/applications/<int:application_id>/consensus", methods=["GET", "POST"])
@login_required
def consensus(round_id: int, application_id: int):
    review_round, application, seat = _panel_of(round_id, application_id)
    if request.method == "GET":
        return _consensus_page(review_round, application, seat)
    if seat is None:
        abort(403)
    on_refusal(lambda _: _consensus_page(review_round, application, seat, posted=request.form.to_dict()))
    scoring.propose_consensus(get_session(), actor=actor(), review_round=review_round, application=application,
                              proposals=consensus_entries(request.form, round_rubric(review_round)))
    flash(_("Consensus proposed; the panel members are asked to confirm it."), "success")
    return redirect(url_for("scoring.consensus", round_id=round_id, application_id=application_id))


@bp.route("/rounds/<int:round_id>/applications/<int:application_id>/consensus/confirm", methods=["POST"])
@expert_required
def confirm_consensus(round_id: int, application_id: int):
    review_round, application, seat = _panel_of(round_id, application_id)
    on_refusal(lambda _: _consensus_page(review_round, application, seat))
    scoring.confirm_consensus(get_session(), actor=actor(), review_round=review_round, application=application)
    flash(_("You confirmed the consensus."), "success")
    return redirect(url_for("scoring.consensus", round_id=round_id, application_id=application_id))


@bp.route("/rounds/<int:round_id>/applications/<int:application_id>/consensus/remarks", methods=["POST"])
@expert_required
def add_remark(round_id: int, application_id: int):
    review_round, application, seat = _panel_of(round_id, application_id)
    form = _remark_form(review_round, seat)
    on_refusal(lambda _: _consensus_page(review_round, application, seat, remark_form=form), form=form)
    validated(form, form_errors)
    discussion.add_remark(get_session(), actor=actor(), review_round=review_round, application=application,
                          kind=form.remark_kind, item_id=form.item_id, text=form.text.data or "")
    flash(_("Your entry is added to the discussion."), "success")
    return redirect(url_for("scoring.consensus", round_id=round_id, application_id=application_id))


@bp.route("/rounds/<int:round_id>/applications/<int:application_id>/consensus/finalize", methods=["POST"])
@expert_required
def finalize_consensus(round_id: int, application_id: int):
    review_round, application, seat = _panel_of(round_id, application_id)
    form = FinalizeForm()
    on_refusal(lambda _: _consensus_page(review_round, application, seat, finalize_form=form), form=form)
    validated(form, form_errors)
    discussion.finalize_consensus(get_session(), actor=actor(), review_round=review_round, application=application,
                                  acknowledge=bool(form.acknowledge.data), note=form.note.data or "")
    flash(_("The consensus is final."), "success")
    return redirect(url_for("scoring.consensus", round_id=round_id, application_id=application_id))


# --------------------------------------------------------------------------- dashboard tasks


