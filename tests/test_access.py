"""The access matrix: every route, every role and an anonymous visitor, with the expected status.

Add a row for each new route. `world` makes the objects that URLs point at; an object of another
owner (another enterprise's application, an unassigned application) belongs in it too, so that
nothing is reachable by guessing an id. The world is built once for the module; every test starts
from it as built and is rolled back (tests/conftest.py, ModuleWorld).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from award.auth.models import Role
from award.cycles.models import Stage
from tests.applications.world import applications_world
from tests.approval.access_world import decision_world
from tests.awards.world import after_world
from tests.calls.world import calls_world
from tests.certificates.world import certificates_world
from tests.conftest import ModuleWorld, module_world
from tests.documents.world import documents_world, receipt_world
from tests.notifications.world import notifications_world
from tests.pool.world import pool_world
from tests.rounds.access_world import review_access_world
from tests.social.access_world import social_access_world
from tests.visits.access_world import visits_access_world

ANON = "anonymous"
ROLES = (ANON, *(role.value for role in Role))
LOGIN = 302  # an anonymous visitor is sent to the login page


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    path: str  # str.format()ted with the world's ids
    expect: dict[str, int] = field(default_factory=dict)
    data: dict[str, str] | None = None

    def status_for(self, role: str) -> int:
        return self.expect[role]


def allow(*roles: Role, ok: int = 200, others: int = 403, anon: int = LOGIN) -> dict[str, int]:
    table = {role.value: (ok if role in roles else others) for role in Role}
    table[ANON] = anon
    return table


def everyone(status: int, anon: int) -> dict[str, int]:
    return {**{role.value: status for role in Role}, ANON: anon}


ROUTES: list[Route] = [
    Route("main.index", "GET", "/", everyone(302, anon=200)),
    Route("main.dashboard", "GET", "/dashboard", everyone(200, anon=LOGIN)),
    Route("main.set_language", "POST", "/language/en", everyone(302, anon=302)),
    # Public for the proxy and monitoring; 200 while degraded (this world's sender never ran), 503 when down.
    Route("main.healthz", "GET", "/healthz", everyone(200, anon=200)),
    Route("auth.login", "GET", "/login", everyone(302, anon=200)),
    Route("auth.login", "POST", "/login", everyone(302, anon=200)),  # an empty form re-renders
    Route("auth.logout", "POST", "/logout", everyone(302, anon=LOGIN)),
    Route("auth.register", "GET", "/register", everyone(302, anon=200)),
    Route("auth.register", "POST", "/register", everyone(302, anon=422)),
    Route("auth.users", "GET", "/office/users", allow(Role.OFFICE)),
    Route("auth.users", "POST", "/office/users", allow(Role.OFFICE, ok=422)),
    Route("auth.toggle_user", "POST", "/office/users/{expert_id}/toggle", allow(Role.OFFICE, ok=302)),
    Route("auth.resend_invitation", "POST", "/office/users/{expert_id}/invite", allow(Role.OFFICE, ok=302)),
    Route("auth.change_password", "GET", "/account/password", everyone(200, anon=LOGIN)),
    Route("auth.change_password", "POST", "/account/password", everyone(422, anon=LOGIN)),  # an empty form
    Route("auth.forgot_password", "GET", "/account/password/forgot", everyone(200, anon=200)),
    Route("auth.forgot_password", "POST", "/account/password/forgot", everyone(422, anon=422)),
    # A link that is unknown, used or expired gets one answer, whoever asks.
    Route("auth.set_password", "GET", "/account/password/set/no-such-link", everyone(409, anon=409)),
    Route("auth.set_password", "POST", "/account/password/set/no-such-link", everyone(409, anon=409)),
    Route("auth.confirm_email", "GET", "/account/confirm/no-such-link", everyone(409, anon=409)),
    Route("auth.confirm_email", "POST", "/account/confirm/no-such-link", everyone(409, anon=409)),
    # The world's enterprise has confirmed its address already: it is told so on its dashboard.
    Route("auth.resend_confirmation", "POST", "/account/confirm/resend", allow(Role.ENTERPRISE, ok=302)),
    Route("cycles.list_cycles", "GET", "/cycles/", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("cycles.new_cycle", "GET", "/cycles/new", allow(Role.OFFICE)),
    Route("cycles.new_cycle", "POST", "/cycles/new", allow(Role.OFFICE, ok=422)),
    Route("cycles.show_cycle", "GET", "/cycles/{cycle_id}", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("cycles.edit_cycle", "GET", "/cycles/{cycle_id}/edit", allow(Role.OFFICE)),
    Route("cycles.edit_cycle", "POST", "/cycles/{cycle_id}/edit", allow(Role.OFFICE, ok=422)),
    Route("cycles.procedure", "GET", "/cycles/{cycle_id}/procedure", allow(Role.OFFICE)),
    Route("cycles.procedure", "POST", "/cycles/{cycle_id}/procedure",
          allow(Role.OFFICE, ok=409)),  # the world's cycle has opened: its procedure is frozen
    # A transition that the stage machine refuses: the office gets 409, everyone else 403.
    Route("cycles.advance", "POST", "/cycles/{cycle_id}/advance/awarded", allow(Role.OFFICE, ok=409)),
    Route("audit.trail", "GET", "/audit/", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("audit.verify", "POST", "/audit/verify", allow(Role.OFFICE, Role.SUPERVISOR)),
    # The world's cycle takes applications, so the office is told it cannot be archived yet.
    Route("archive.create_archive", "POST", "/cycles/{cycle_id}/archive", allow(Role.OFFICE, ok=302)),
    # applications: "{application_id}" is the enterprise user's own draft; "{other_application_id}" is another
    # enterprise's, which only the office and the supervisor may open (others get 404: no probing by id).
    Route("applications.mine", "GET", "/applications/", allow(Role.ENTERPRISE)),
    Route("applications.start", "POST", "/applications/start/{cycle_id}", allow(Role.ENTERPRISE, ok=302)),
    Route("applications.show", "GET", "/applications/{application_id}",
          allow(Role.ENTERPRISE, Role.OFFICE, Role.SUPERVISOR, others=404)),
    Route("applications.show", "GET", "/applications/{other_application_id}",
          allow(Role.OFFICE, Role.SUPERVISOR, others=404)),
    Route("applications.edit", "GET", "/applications/{application_id}/edit", allow(Role.ENTERPRISE)),
    Route("applications.edit", "GET", "/applications/{other_application_id}/edit", allow(Role.ENTERPRISE, ok=404)),
    # An anonymous POST is kept for after the login only with the owner's signed form token
    # (tests/applications/test_csrf_stash.py); without one it is refused and nothing is stored.
    Route("applications.edit", "POST", "/applications/{application_id}/edit",
          allow(Role.ENTERPRISE, ok=302, anon=403)),
    Route("applications.edit", "POST", "/applications/{other_application_id}/edit",
          allow(Role.ENTERPRISE, ok=404, anon=403)),
    Route("applications.confirm_submit", "GET", "/applications/{application_id}/submit", allow(Role.ENTERPRISE)),
    Route("applications.confirm_submit", "POST", "/applications/{application_id}/submit",
          allow(Role.ENTERPRISE, ok=409)),  # the draft is incomplete
    Route("applications.confirm_submit", "POST", "/applications/{other_application_id}/submit",
          allow(Role.ENTERPRISE, ok=404)),
    Route("applications.withdraw", "POST", "/applications/{application_id}/withdraw", allow(Role.ENTERPRISE, ok=302)),
    Route("applications.withdraw", "POST", "/applications/{other_application_id}/withdraw",
          allow(Role.ENTERPRISE, ok=404)),
    Route("applications.reopen", "POST", "/applications/{application_id}/reopen", allow(Role.ENTERPRISE, ok=409)),
    Route("applications.upload", "POST", "/applications/{application_id}/files", allow(Role.ENTERPRISE, ok=422)),
    Route("applications.upload", "POST", "/applications/{other_application_id}/files",
          allow(Role.ENTERPRISE, ok=404)),
    # The form's background save: an empty body is refused at the input boundary.
    Route("applications.autosave", "POST", "/applications/{application_id}/autosave", allow(Role.ENTERPRISE, ok=400)),
    Route("applications.autosave", "POST", "/applications/{other_application_id}/autosave",
          allow(Role.ENTERPRISE, ok=404)),
    # Files per rubric item: no file chosen is refused and, without the script, sent back to the form.
    Route("applications.upload_files", "POST", "/applications/{application_id}/evidence",
          allow(Role.ENTERPRISE, ok=302)),
    Route("applications.upload_files", "POST", "/applications/{other_application_id}/evidence",
          allow(Role.ENTERPRISE, ok=404)),
    Route("applications.preview", "GET", "/applications/{application_id}/files/{file_id}/view",
          allow(Role.ENTERPRISE)),
    Route("applications.preview", "GET", "/applications/{other_application_id}/files/{other_file_id}/view",
          allow(Role.ENTERPRISE, ok=404)),
    Route("applications.preview", "GET", "/applications/{application_id}/files/{other_file_id}/view",
          allow(Role.ENTERPRISE, ok=404)),
    Route("applications.delete_file", "POST", "/applications/{application_id}/files/{file_id}/delete",
          allow(Role.ENTERPRISE, ok=302)),
    Route("applications.delete_file", "POST", "/applications/{other_application_id}/files/{other_file_id}/delete",
          allow(Role.ENTERPRISE, ok=404)),
    Route("applications.delete_file", "POST", "/applications/{application_id}/files/{other_file_id}/delete",
          allow(Role.ENTERPRISE, ok=404)),
    Route("applications.download", "GET", "/applications/{application_id}/files/{file_id}",
          allow(Role.ENTERPRISE, Role.OFFICE, Role.SUPERVISOR, others=404)),
    Route("applications.download", "GET", "/applications/{other_application_id}/files/{other_file_id}",
          allow(Role.OFFICE, Role.SUPERVISOR, others=404)),
    Route("applications.download", "GET", "/applications/{application_id}/files/{other_file_id}",
          allow(Role.ENTERPRISE, Role.OFFICE, Role.SUPERVISOR, ok=404, others=404)),
    Route("applications.return_for_correction", "POST", "/applications/{application_id}/return",
          allow(Role.OFFICE, ok=422)),  # no reason given
    Route("applications.screen", "GET", "/applications/{application_id}/screening",
          allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("applications.screen", "POST", "/applications/{application_id}/screening", allow(Role.OFFICE, ok=422)),
    Route("applications.screen_clear", "POST", "/applications/cycle/{cycle_id}/screen-clear",
          allow(Role.OFFICE, ok=302)),
    Route("applications.cycle_list", "GET", "/applications/cycle/{cycle_id}", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("applications.export", "GET", "/applications/cycle/{cycle_id}/export.xlsx",
          allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("applications.settings", "GET", "/applications/cycle/{cycle_id}/settings",
          allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("applications.settings", "POST", "/applications/cycle/{cycle_id}/settings", allow(Role.OFFICE, ok=422)),
    Route("applications.blacklist", "GET", "/applications/blacklist", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("applications.blacklist", "POST", "/applications/blacklist", allow(Role.OFFICE, ok=422)),
    # expert pool and 回避: the office manages, the supervisor reads, an expert keeps their own declarations.
    Route("pool.list_experts", "GET", "/pool/", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("pool.new_expert", "GET", "/pool/new", allow(Role.OFFICE)),
    Route("pool.new_expert", "POST", "/pool/new", allow(Role.OFFICE, ok=422)),
    Route("pool.show_expert", "GET", "/pool/{profile_id}", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("pool.edit_expert", "GET", "/pool/{profile_id}/edit", allow(Role.OFFICE)),
    Route("pool.edit_expert", "POST", "/pool/{profile_id}/edit", allow(Role.OFFICE, ok=422)),
    Route("pool.add_relation", "POST", "/pool/{profile_id}/relations", allow(Role.OFFICE, ok=422)),
    Route("pool.remove_relation", "POST", "/pool/{profile_id}/relations/{relation_id}/remove",
          allow(Role.OFFICE, ok=422)),  # no reason given
    Route("pool.remove_relation", "POST", "/pool/{profile_id}/relations/{other_relation_id}/remove",
          allow(Role.OFFICE, ok=404)),  # another expert's declaration through this profile's URL
    Route("pool.set_availability", "POST", "/pool/{profile_id}/availability", allow(Role.OFFICE, ok=422)),
    Route("pool.export_pool", "GET", "/pool/export.xlsx", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("pool.export_pool", "GET", "/pool/export.pdf", allow(Role.OFFICE, Role.SUPERVISOR, ok=404)),
    Route("pool.import_pool", "GET", "/pool/import", allow(Role.OFFICE)),
    Route("pool.import_pool", "POST", "/pool/import", allow(Role.OFFICE, ok=422)),
    Route("pool.my_declarations", "GET", "/pool/mine", allow(Role.EXPERT)),
    Route("pool.my_declarations", "POST", "/pool/mine", allow(Role.EXPERT, ok=422)),
    Route("pool.groups", "GET", "/pool/groups", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("pool.add_group_link", "POST", "/pool/groups", allow(Role.OFFICE, ok=422)),
    Route("pool.remove_group_link", "POST", "/pool/groups/{link_id}/remove", allow(Role.OFFICE, ok=302)),
    Route("pool.import_groups", "POST", "/pool/groups/import", allow(Role.OFFICE, ok=422)),
    Route("pool.export_groups", "GET", "/pool/groups/export.csv", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("conflicts.matrix", "GET", "/pool/cycles/{cycle_id}/conflicts", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("conflicts.cell", "GET", "/pool/cycles/{cycle_id}/conflicts/{application_id}/{pool_expert_id}",
          allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("conflicts.cell", "GET", "/pool/cycles/{cycle_id}/conflicts/{elsewhere_application_id}/{pool_expert_id}",
          allow(Role.OFFICE, Role.SUPERVISOR, ok=404)),
    Route("conflicts.pin", "POST", "/pool/cycles/{cycle_id}/conflicts/{application_id}/{pool_expert_id}/pin",
          allow(Role.OFFICE, ok=422)),  # no reason given
    Route("conflicts.pin", "POST", "/pool/cycles/{cycle_id}/conflicts/{elsewhere_application_id}/{pool_expert_id}/pin",
          allow(Role.OFFICE, ok=404)),
    Route("conflicts.coi_settings", "GET", "/pool/cycles/{cycle_id}/coi-settings", allow(Role.OFFICE)),
    Route("conflicts.coi_settings", "POST", "/pool/cycles/{cycle_id}/coi-settings", allow(Role.OFFICE, ok=422)),
    # ranking: office and supervisor read; leaders see no results before their vote (403 until the approval
    # area opens the frozen snapshot to them). An application of another cycle is not found through this one.
    Route("ranking.show", "GET", "/cycles/{cycle_id}/ranking/", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("ranking.application", "GET", "/cycles/{cycle_id}/ranking/applications/{application_id}",
          allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("ranking.application", "GET", "/cycles/{cycle_id}/ranking/applications/{elsewhere_application_id}",
          allow(Role.OFFICE, Role.SUPERVISOR, ok=404)),
    Route("ranking.export", "GET", "/cycles/{cycle_id}/ranking/export.xlsx", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("ranking.export", "GET", "/cycles/{cycle_id}/ranking/export.csv", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("ranking.export", "GET", "/cycles/{cycle_id}/ranking/export.pdf",
          allow(Role.OFFICE, Role.SUPERVISOR, ok=404)),
    Route("ranking.snapshot", "GET", "/cycles/{cycle_id}/ranking/snapshot", allow(Role.OFFICE, Role.SUPERVISOR)),
    # The world's cycle is not in deliberation: the office's freeze is refused.
    Route("ranking.freeze", "POST", "/cycles/{cycle_id}/ranking/freeze", allow(Role.OFFICE, ok=409)),
    Route("ranking.settings", "GET", "/cycles/{cycle_id}/ranking/settings", allow(Role.OFFICE)),
    Route("ranking.settings", "POST", "/cycles/{cycle_id}/ranking/settings", allow(Role.OFFICE, ok=422)),
    # notifications: "{notification_id}" is the office user's notice; anyone else gets 404 (no probing by id).
    Route("notifications.list_notifications", "GET", "/notifications/", everyone(200, anon=LOGIN)),
    Route("notifications.open_notification", "POST", "/notifications/{notification_id}/open",
          allow(Role.OFFICE, ok=302, others=404)),
    Route("notifications.mark_read", "POST", "/notifications/{notification_id}/read",
          allow(Role.OFFICE, ok=302, others=404)),
    Route("notifications.mark_all_read", "POST", "/notifications/read-all", everyone(302, anon=LOGIN)),
    Route("notifications.preferences", "GET", "/notifications/preferences", everyone(200, anon=LOGIN)),
    Route("notifications.preferences", "POST", "/notifications/preferences", everyone(302, anon=LOGIN)),
    # review rounds: "{own_assignment_id}" is the expert user's seat (pledge signed); "{other_assignment_id}" is
    # another expert's seat on the same panel: the expert gets 404 there (no probing by id).
    Route("rounds.cycle_rounds", "GET", "/review/cycles/{review_cycle_id}", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("rounds.create_rounds", "POST", "/review/cycles/{review_cycle_id}/rounds", allow(Role.OFFICE, ok=302)),
    Route("rounds.edit_round", "GET", "/review/rounds/{round_id}/settings", allow(Role.OFFICE)),
    Route("rounds.edit_round", "POST", "/review/rounds/{round_id}/settings", allow(Role.OFFICE, ok=422)),
    Route("rounds.show_round", "GET", "/review/rounds/{round_id}", allow(Role.OFFICE, Role.SUPERVISOR)),
    # the presentation schedule: the world's round is a document round (no schedule: not found).
    Route("rounds.presentation_schedule", "GET", "/review/rounds/{round_id}/presentation",
          allow(Role.OFFICE, Role.SUPERVISOR, ok=404)),
    Route("rounds.draw_presentation", "POST", "/review/rounds/{round_id}/presentation/draw",
          allow(Role.OFFICE, ok=422)),  # nothing filled in
    Route("rounds.replay_presentation", "POST", "/review/presentation-draws/999999/replay",
          allow(Role.OFFICE, Role.SUPERVISOR, ok=404)),
    Route("rounds.record_attendance", "POST", "/review/presentation-slots/999999/attendance",
          allow(Role.OFFICE, ok=404)),
    Route("rounds.assign", "POST", "/review/rounds/{round_id}/assign", allow(Role.OFFICE, ok=422)),
    Route("rounds.open_round", "POST", "/review/rounds/{round_id}/open", allow(Role.OFFICE, ok=409)),  # already open
    Route("scoring.close_round", "POST", "/review/rounds/{round_id}/close", allow(Role.OFFICE, ok=409)),  # sheets due
    Route("scoring.round_progress", "GET", "/review/rounds/{round_id}/progress", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("rounds.show_draw", "GET", "/review/draws/{draw_id}", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("rounds.replay_draw", "POST", "/review/draws/{draw_id}/replay", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("rounds.replace", "POST", "/review/assignments/{own_assignment_id}/replace",
          allow(Role.OFFICE, ok=422)),  # no reason given
    Route("rounds.make_leader", "POST", "/review/assignments/{other_assignment_id}/leader", allow(Role.OFFICE, ok=302)),
    Route("rounds.add_member", "POST", "/review/rounds/{round_id}/applications/{review_application_id}/add",
          allow(Role.OFFICE, ok=422)),
    Route("scoring.reopen_sheet", "POST", "/review/sheets/{sheet_id}/reopen", allow(Role.OFFICE, ok=422)),  # no reason
    Route("scoring.my_assignments", "GET", "/review/mine", allow(Role.EXPERT)),
    Route("scoring.pledge", "GET", "/review/assignments/{own_assignment_id}/pledge", allow(Role.EXPERT)),
    Route("scoring.pledge", "GET", "/review/assignments/{other_assignment_id}/pledge", allow(Role.EXPERT, ok=404)),
    Route("scoring.pledge", "POST", "/review/assignments/{own_assignment_id}/pledge", allow(Role.EXPERT, ok=422)),
    Route("scoring.pledge", "POST", "/review/assignments/{other_assignment_id}/pledge", allow(Role.EXPERT, ok=404)),
    Route("scoring.declare_conflict", "POST", "/review/assignments/{own_assignment_id}/conflict",
          allow(Role.EXPERT, ok=422)),
    Route("scoring.declare_conflict", "POST", "/review/assignments/{other_assignment_id}/conflict",
          allow(Role.EXPERT, ok=404)),
    Route("scoring.sheet", "GET", "/review/assignments/{own_assignment_id}/sheet", allow(Role.EXPERT)),
    Route("scoring.sheet", "GET", "/review/assignments/{other_assignment_id}/sheet", allow(Role.EXPERT, ok=404)),
    Route("scoring.sheet", "POST", "/review/assignments/{own_assignment_id}/sheet", allow(Role.EXPERT, ok=422)),
    Route("scoring.sheet", "POST", "/review/assignments/{other_assignment_id}/sheet", allow(Role.EXPERT, ok=404)),
    Route("scoring.autosave", "POST", "/review/assignments/{own_assignment_id}/autosave", allow(Role.EXPERT, ok=400)),
    Route("scoring.autosave", "POST", "/review/assignments/{other_assignment_id}/autosave",
          allow(Role.EXPERT, ok=404)),
    # Consensus: the panel member has not submitted yet, so independence keeps them out (403).
    Route("scoring.consensus", "GET", "/review/rounds/{round_id}/applications/{review_application_id}/consensus",
          allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("scoring.consensus", "POST", "/review/rounds/{round_id}/applications/{review_application_id}/consensus",
          allow()),
    Route("scoring.consensus", "GET", "/review/rounds/{round_id}/applications/{other_application_id}/consensus",
          everyone(404, anon=LOGIN)),  # an application of another cycle
    Route("scoring.confirm_consensus", "POST",
          "/review/rounds/{round_id}/applications/{review_application_id}/consensus/confirm", allow()),
    # The discussion: experts only, and only members who have submitted (the world's expert has not: 403).
    Route("scoring.add_remark", "POST",
          "/review/rounds/{round_id}/applications/{review_application_id}/consensus/remarks", allow(),
          data={"kind": "disagree", "item": "overall", "text": "理由"}),
    Route("scoring.add_remark", "POST",
          "/review/rounds/{round_id}/applications/{other_application_id}/consensus/remarks",
          everyone(403, anon=LOGIN) | {Role.EXPERT.value: 404}),  # an application of another cycle
    Route("scoring.finalize_consensus", "POST",
          "/review/rounds/{round_id}/applications/{review_application_id}/consensus/finalize", allow(),
          data={"acknowledge": "y", "note": "说明"}),
    # The assigned expert who signed the pledge may open the application; nobody else outside the office.
    Route("applications.show", "GET", "/applications/{review_application_id}",
          allow(Role.OFFICE, Role.SUPERVISOR, Role.EXPERT, others=404)),
    # leading-group vote: "{vote_cycle_id}" has an open vote whose member is the world's leader. Leaders see no
    # result before the close (403); a cycle without a vote, or an application not on the ballot, is not found.
    Route("approval.manage", "GET", "/approval/cycles/{vote_cycle_id}", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("approval.open_vote", "POST", "/approval/cycles/{vote_cycle_id}/open", allow(Role.OFFICE, ok=422)),
    Route("approval.close_vote", "POST", "/approval/cycles/{vote_cycle_id}/close", allow(Role.OFFICE, ok=302)),
    Route("approval.close_vote", "POST", "/approval/cycles/{cycle_id}/close", allow(Role.OFFICE, ok=404)),
    Route("approval.ballot", "GET", "/approval/cycles/{vote_cycle_id}/ballot", allow(Role.LEADER)),
    Route("approval.ballot", "GET", "/approval/cycles/{cycle_id}/ballot", allow(Role.LEADER, ok=404)),
    Route("approval.cast", "POST", "/approval/cycles/{vote_cycle_id}/ballot/{vote_application_id}",
          allow(Role.LEADER, ok=422)),  # no choice given
    Route("approval.cast", "POST", "/approval/cycles/{vote_cycle_id}/ballot/{application_id}",
          allow(Role.LEADER, ok=404)),
    Route("approval.results", "GET", "/approval/cycles/{vote_cycle_id}/results", allow(Role.OFFICE, Role.SUPERVISOR)),
    # the review committee's vote: the same pages under /committee; the world's cycles have none (not found).
    Route("approval.committee", "GET", "/approval/cycles/{vote_cycle_id}/committee",
          allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("approval.committee_open", "POST", "/approval/cycles/{vote_cycle_id}/committee/open",
          allow(Role.OFFICE, ok=422)),
    Route("approval.committee_close", "POST", "/approval/cycles/{vote_cycle_id}/committee/close",
          allow(Role.OFFICE, ok=404)),
    Route("approval.committee_ballot", "GET", "/approval/cycles/{vote_cycle_id}/committee/ballot",
          allow(Role.LEADER, ok=404)),
    Route("approval.committee_cast", "POST",
          "/approval/cycles/{vote_cycle_id}/committee/ballot/{vote_application_id}", allow(Role.LEADER, ok=404)),
    Route("approval.committee_results", "GET", "/approval/cycles/{vote_cycle_id}/committee/results",
          allow(Role.OFFICE, Role.SUPERVISOR, Role.LEADER, ok=404)),
    # the office's bulk tools: the supervisor sees who would be reached, only the office sends.
    Route("outreach.cycle", "GET", "/outreach/cycles/{cycle_id}", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("outreach.remind_experts", "POST", "/outreach/rounds/{round_id}/remind", allow(Role.OFFICE, ok=302)),
    Route("outreach.remind_returned", "POST", "/outreach/cycles/{cycle_id}/remind-returned",
          allow(Role.OFFICE, ok=409)),  # no application of the cycle is returned
    Route("outreach.preview", "POST", "/outreach/cycles/{cycle_id}/message/preview", allow(Role.OFFICE, ok=422)),
    Route("outreach.send", "POST", "/outreach/cycles/{cycle_id}/message", allow(Role.OFFICE, ok=422)),
    # public notice: the public pages need no login; the office and the supervisor see the objections.
    Route("notice.public_list", "GET", "/notices/", everyone(200, anon=200)),
    Route("notice.public_notice", "GET", "/notices/{notice_id}", everyone(200, anon=200)),
    Route("notice.object_form", "GET", "/notices/{notice_id}/object", everyone(200, anon=200)),
    Route("notice.object_form", "POST", "/notices/{notice_id}/object", everyone(422, anon=422)),  # anonymous, empty
    Route("notice.objection_received", "GET", "/notices/{notice_id}/object/received", everyone(200, anon=200)),
    # the objector's lookup: public; a miss (here a wrong phone) is a 404, an empty form a 422.
    Route("notice.objection_status", "GET", "/notices/objections/status", everyone(200, anon=200)),
    Route("notice.objection_status", "POST", "/notices/objections/status", everyone(404, anon=404),
          data={"reference": "YY2026-ACDEFG", "phone": "13900000000"}),
    Route("notice.manage", "GET", "/notices/cycles/{notice_cycle_id}", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("notice.publish", "POST", "/notices/cycles/{notice_cycle_id}/publish", allow(Role.OFFICE, ok=422)),
    Route("notice.objection", "GET", "/notices/objections/{objection_id}", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("notice.decide", "POST", "/notices/objections/{objection_id}/decide", allow(Role.OFFICE, ok=422)),
    Route("notice.evidence", "GET", "/notices/objections/{objection_id}/evidence",
          allow(Role.OFFICE, Role.SUPERVISOR)),
    # awards: the notice of "{notice_cycle_id}" still runs, so the office's confirmation is refused.
    Route("awards.cycle_awards", "GET", "/awards/cycles/{notice_cycle_id}", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("awards.confirm", "POST", "/awards/cycles/{notice_cycle_id}/confirm", allow(Role.OFFICE, ok=409)),
    Route("awards.show", "GET", "/awards/{award_id}", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("awards.revoke", "POST", "/awards/{award_id}/revoke", allow(Role.OFFICE, ok=422)),  # no reason given
    # award levels, on the matrix's cycle (in applications: levels still open); an empty form clears them
    Route("awards.edit_levels", "GET", "/awards/cycles/{cycle_id}/levels", allow(Role.OFFICE)),
    Route("awards.edit_levels", "POST", "/awards/cycles/{cycle_id}/levels", allow(Role.OFFICE, ok=302)),
    # after the award: the public list; follow-up reports for the holder, the office and the supervisor
    # (anyone else gets a 404: another organization's award is not there); re-assessment for the office
    Route("awards.holders", "GET", "/awards/holders", everyone(200, anon=200)),
    Route("awards.follow_up", "GET", "/awards/{own_award_id}/follow-up",
          allow(Role.OFFICE, Role.SUPERVISOR, Role.ENTERPRISE, others=404)),
    Route("awards.follow_up", "GET", "/awards/{other_award_id}/follow-up",
          allow(Role.OFFICE, Role.SUPERVISOR, others=404)),
    Route("awards.follow_up", "POST", "/awards/{own_award_id}/follow-up",  # an empty form
          allow(Role.OFFICE, Role.SUPERVISOR, Role.ENTERPRISE, ok=422, others=404)),
    Route("awards.follow_up_file", "GET", "/awards/follow-up/{own_report_id}/file",
          allow(Role.OFFICE, Role.SUPERVISOR, Role.ENTERPRISE, others=404)),
    Route("awards.follow_up_file", "GET", "/awards/follow-up/{other_report_id}/file",
          allow(Role.OFFICE, Role.SUPERVISOR, others=404)),
    Route("awards.new_reassessment", "GET", "/awards/reassessments/new", allow(Role.OFFICE)),
    Route("awards.new_reassessment", "POST", "/awards/reassessments/new", allow(Role.OFFICE, ok=422)),
    Route("awards.reassessment_cycle", "GET", "/awards/reassessments/{reassess_cycle_id}",
          allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("awards.reassessment_cycle", "GET", "/awards/reassessments/{cert_cycle_id}",  # not a re-assessment
          allow(Role.OFFICE, Role.SUPERVISOR, ok=404)),
    Route("awards.decide_reassessment", "POST", "/awards/reassessments/decide/{reassessment_id}",
          allow(Role.OFFICE, ok=422)),  # an empty form
    # certificates: "{own_award_id}" is held by the world's enterprise, "{other_award_id}" by another organization,
    # which gets 404 (no probing by id); the feedback report likewise for the applicant only.
    Route("certificates.cycle_page", "GET", "/certificates/cycles/{cert_cycle_id}", allow(Role.OFFICE)),
    Route("certificates.update_texts", "POST", "/certificates/cycles/{cert_cycle_id}/texts",
          allow(Role.OFFICE, ok=302)),
    Route("certificates.upload_seal", "POST", "/certificates/cycles/{cert_cycle_id}/seal",
          allow(Role.OFFICE, ok=422)),  # no file
    Route("certificates.remove_seal", "POST", "/certificates/cycles/{cert_cycle_id}/seal/remove",
          allow(Role.OFFICE, ok=302)),
    Route("certificates.seal_image", "GET", "/certificates/cycles/{cert_cycle_id}/seal-image", allow(Role.OFFICE)),
    Route("certificates.start_batch", "POST", "/certificates/cycles/{cert_cycle_id}/batch", allow(Role.OFFICE, ok=302)),
    Route("certificates.batch_page", "GET", "/certificates/batches/{batch_job_id}", allow(Role.OFFICE)),
    Route("certificates.batch_status", "GET", "/certificates/batches/{batch_job_id}/status", allow(Role.OFFICE)),
    Route("certificates.batch_download", "GET", "/certificates/batches/{batch_job_id}/certificates.pdf",
          allow(Role.OFFICE)),
    Route("certificates.retry_batch", "POST", "/certificates/batches/{batch_job_id}/retry",
          allow(Role.OFFICE, ok=302)),  # done: nothing to retry, back to its page
    Route("certificates.queue_feedback_reports", "POST", "/certificates/cycles/{cert_cycle_id}/feedback-reports",
          allow(Role.OFFICE, ok=302)),
    Route("jobs.job_page", "GET", "/jobs/{batch_job_id}", allow(Role.OFFICE)),
    Route("jobs.job_status_json", "GET", "/jobs/{batch_job_id}/status", allow(Role.OFFICE)),
    Route("jobs.job_result", "GET", "/jobs/{batch_job_id}/result", allow(Role.OFFICE)),
    Route("jobs.retry", "POST", "/jobs/{batch_job_id}/retry", allow(Role.OFFICE, ok=302)),
    Route("certificates.award_certificate", "GET", "/certificates/awards/{own_award_id}/certificate.pdf",
          allow(Role.OFFICE, Role.ENTERPRISE)),
    Route("certificates.award_certificate", "GET", "/certificates/awards/{other_award_id}/certificate.pdf",
          {**allow(Role.OFFICE), "enterprise": 404}),
    Route("certificates.feedback_report", "GET", "/certificates/applications/{own_feedback_id}/feedback.pdf",
          allow(Role.OFFICE, Role.ENTERPRISE)),
    Route("certificates.feedback_report", "GET", "/certificates/applications/{other_feedback_id}/feedback.pdf",
          {**allow(Role.OFFICE), "enterprise": 404}),
    # The public check needs no login; an unknown number is not found.
    Route("certificates.verify_form", "GET", "/verify", everyone(200, anon=200)),
    Route("certificates.verify_form", "GET", "/verify?number={certificate_number}", everyone(302, anon=302)),
    Route("certificates.verify", "GET", "/verify/{certificate_number}", everyone(200, anon=200)),
    Route("certificates.verify", "GET", "/verify/2026-22222222-2", everyone(404, anon=404)),
    # documents and overlay printing: the office edits; the supervisor may read and download the PDFs.
    # The receipt of a submitted application: whoever may read the application (its enterprise, the office, the
    # supervisor); another enterprise's is not found, as is the receipt of a draft never submitted.
    Route("documents.application_receipt", "GET", "/documents/applications/{receipt_application_id}/receipt",
          allow(Role.ENTERPRISE, Role.OFFICE, Role.SUPERVISOR, others=404)),
    Route("documents.application_receipt", "GET", "/documents/applications/{other_receipt_application_id}/receipt",
          allow(Role.OFFICE, Role.SUPERVISOR, others=404)),
    Route("documents.application_receipt", "GET", "/documents/applications/{application_id}/receipt",
          everyone(404, anon=LOGIN)),
    Route("documents.application_receipt_pdf", "GET",
          "/documents/applications/{receipt_application_id}/receipt.pdf",
          allow(Role.ENTERPRISE, Role.OFFICE, Role.SUPERVISOR, others=404)),
    Route("documents.application_receipt_pdf", "GET",
          "/documents/applications/{other_receipt_application_id}/receipt.pdf",
          allow(Role.OFFICE, Role.SUPERVISOR, others=404)),
    Route("documents.cycle_documents", "GET", "/documents/cycles/{documents_cycle_id}",
          allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("documents.edit_issuers", "GET", "/documents/cycles/{documents_cycle_id}/issuers", allow(Role.OFFICE)),
    Route("documents.edit_issuers", "POST", "/documents/cycles/{documents_cycle_id}/issuers",
          allow(Role.OFFICE, ok=422)),  # an empty form: the city is required
    Route("documents.edit_texts", "GET", "/documents/cycles/{documents_cycle_id}/texts/notice", allow(Role.OFFICE)),
    Route("documents.edit_texts", "POST", "/documents/cycles/{documents_cycle_id}/texts/decision",
          allow(Role.OFFICE, ok=422)),  # an empty form
    Route("documents.edit_texts", "GET", "/documents/cycles/{documents_cycle_id}/texts/minutes",
          allow(Role.OFFICE, ok=404)),  # no such document
    Route("documents.official_pdf", "GET", "/documents/cycles/{documents_cycle_id}/official/notice.pdf",
          allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("documents.official_pdf", "GET", "/documents/cycles/{documents_cycle_id}/official/decision.pdf",
          allow(Role.OFFICE, Role.SUPERVISOR)),
    # A cycle still taking applications has no notice: back to the documents page with the reason.
    Route("documents.official_pdf", "GET", "/documents/cycles/{cycle_id}/official/notice.pdf",
          allow(Role.OFFICE, Role.SUPERVISOR, ok=302)),
    Route("documents.queue_official_set", "POST", "/documents/cycles/{documents_cycle_id}/official-set",
          allow(Role.OFFICE, ok=302)),  # the job's page (it runs in the request in the tests)
    Route("documents.edit_layout", "GET", "/documents/cycles/{documents_cycle_id}/overlay", allow(Role.OFFICE)),
    Route("documents.edit_layout", "POST", "/documents/cycles/{documents_cycle_id}/overlay",
          allow(Role.OFFICE, ok=422)),  # an empty form
    Route("documents.overlay_pdf", "GET", "/documents/cycles/{documents_cycle_id}/overlay.pdf?printer={printer_id}",
          allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("documents.overlay_test_pdf", "GET",
          "/documents/cycles/{documents_cycle_id}/overlay-test.pdf?printer={printer_id}",
          allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("documents.printers", "GET", "/documents/printers", allow(Role.OFFICE)),
    Route("documents.printers", "POST", "/documents/printers", allow(Role.OFFICE, ok=422)),  # an empty form
    Route("documents.edit_printer", "GET", "/documents/printers/{printer_id}", allow(Role.OFFICE)),
    Route("documents.edit_printer", "POST", "/documents/printers/{printer_id}", allow(Role.OFFICE, ok=422)),
    Route("documents.delete_printer", "POST", "/documents/printers/{printer_id}/delete", allow(Role.OFFICE, ok=302)),
    # calls: "{cycle_id}" has a published call with a file; "{draft_call_cycle_id}" a draft call with a file, which
    # only the office and the supervisor may read (everyone else gets 404, as if it did not exist).
    Route("calls.public_list", "GET", "/calls/", everyone(200, anon=200)),
    Route("calls.public_call", "GET", "/calls/{cycle_id}", everyone(200, anon=200)),
    Route("calls.public_call", "GET", "/calls/{draft_call_cycle_id}",
          allow(Role.OFFICE, Role.SUPERVISOR, others=404, anon=404)),
    Route("calls.public_call", "GET", "/calls/{documents_cycle_id}", everyone(404, anon=404)),  # no call at all
    Route("calls.download", "GET", "/calls/{cycle_id}/files/{call_file_id}", everyone(200, anon=200)),
    Route("calls.download", "GET", "/calls/{draft_call_cycle_id}/files/{draft_call_file_id}",
          allow(Role.OFFICE, Role.SUPERVISOR, others=404, anon=404)),
    Route("calls.download", "GET", "/calls/{cycle_id}/files/{draft_call_file_id}", everyone(404, anon=404)),
    Route("calls.manage", "GET", "/calls/manage/{cycle_id}", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("calls.manage", "GET", "/calls/manage/{documents_cycle_id}", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("calls.save", "POST", "/calls/manage/{cycle_id}", allow(Role.OFFICE, ok=422)),  # an empty form
    Route("calls.publish", "POST", "/calls/manage/{draft_call_cycle_id}/publish", allow(Role.OFFICE, ok=302)),
    Route("calls.publish", "POST", "/calls/manage/{documents_cycle_id}/publish", allow(Role.OFFICE, ok=404)),
    Route("calls.unpublish", "POST", "/calls/manage/{cycle_id}/unpublish", allow(Role.OFFICE, ok=302)),
    Route("calls.upload", "POST", "/calls/manage/{cycle_id}/files", allow(Role.OFFICE, ok=422)),  # no file
    Route("calls.delete_file", "POST", "/calls/manage/{cycle_id}/files/{call_file_id}/delete",
          allow(Role.OFFICE, ok=302)),
    Route("calls.delete_file", "POST", "/calls/manage/{cycle_id}/files/{draft_call_file_id}/delete",
          allow(Role.OFFICE, ok=404)),
    # On-site visits: the office schedules; the visit's team (here the expert) works on the checklist; the
    # supervisor reads. A visit, its photos and its report are refused to anyone else by the service (403).
    Route("visits.cycle_visits", "GET", "/visits/cycles/{visit_cycle_id}", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("visits.schedule", "POST", "/visits/applications/{visit_application_id}/schedule",
          allow(Role.OFFICE, ok=422)),  # an empty form
    Route("visits.my_visits", "GET", "/visits/mine", allow(Role.EXPERT)),
    Route("visits.show_visit", "GET", "/visits/{visit_id}", allow(Role.OFFICE, Role.SUPERVISOR, Role.EXPERT)),
    Route("visits.save_check", "POST", "/visits/{visit_id}/items/4.1.2", allow(Role.EXPERT, ok=422)),
    Route("visits.add_photo", "POST", "/visits/{visit_id}/photos", allow(Role.EXPERT, ok=422)),
    Route("visits.remove_photo", "POST", "/visits/photos/{visit_photo_id}/delete", allow(Role.EXPERT, ok=302)),
    Route("visits.photo", "GET", "/visits/photos/{visit_photo_id}",
          allow(Role.OFFICE, Role.SUPERVISOR, Role.EXPERT)),
    Route("visits.report", "GET", "/visits/{visit_id}/report.pdf", allow(Role.OFFICE, Role.SUPERVISOR, Role.EXPERT)),
    # Social evaluation: the office's pages (the supervisor reads), and the public comment form while its
    # window is open (a cycle without a window has no such page).
    Route("social.cycle_page", "GET", "/social/cycles/{social_cycle_id}", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("social.import_list", "POST", "/social/cycles/{social_cycle_id}/import", allow(Role.OFFICE, ok=422)),
    Route("social.open_window", "POST", "/social/cycles/{social_cycle_id}/window", allow(Role.OFFICE, ok=422)),
    Route("social.finding", "GET", "/social/applications/{social_application_id}",
          allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("social.record_finding", "POST", "/social/applications/{social_application_id}",
          allow(Role.OFFICE, ok=422)),
    Route("social.comment", "GET", "/social/cycles/{social_cycle_id}/comment", everyone(200, anon=200)),
    Route("social.comment", "GET", "/social/cycles/{cycle_id}/comment", everyone(404, anon=404)),
    Route("social.comment", "POST", "/social/cycles/{social_cycle_id}/comment", everyone(422, anon=422)),
]

PUBLIC_ENDPOINTS = {"static"}


# The world is built once for the module (tests/test_hostile_input.py imports these fixtures too):
# each test starts from it as built, in a savepoint rolled back afterwards (see ModuleWorld).
@pytest.fixture(scope="module")
def matrix_world(engine, database_url, tmp_path_factory) -> Iterator[ModuleWorld]:
    with module_world(engine, database_url, tmp_path_factory.mktemp("matrix") / "files", build_world) as built:
        yield built


@pytest.fixture
def app(matrix_world) -> Flask:
    return matrix_world.app


@pytest.fixture(autouse=True)
def db(matrix_world) -> Iterator[Session]:
    with matrix_world.isolated_test() as session:
        yield session


@pytest.fixture
def world(db, matrix_world) -> dict[str, object]:
    return matrix_world.objects


def build_world(db, app, tmp_path, *, make_user, make_cycle, make_organization) -> dict[str, object]:
    """The objects the matrix's URLs point at; tests/test_fuzz_routes.py builds it too."""
    users = {role.value: make_user(role) for role in Role}
    cycle = make_cycle(stage=Stage.APPLICATION)
    return {
        "users": users,
        "expert_id": make_user(Role.EXPERT).id,
        "cycle_id": cycle.id,
        **notifications_world(db, users=users),
        **applications_world(db, app, users=users, cycle=cycle, make_user=make_user, root=tmp_path),
        **pool_world(db, users=users, make_user=make_user, make_cycle=make_cycle,
                     make_organization=make_organization),
        **review_access_world(db, users=users, make_user=make_user, make_cycle=make_cycle,
                              make_organization=make_organization),
        **decision_world(db, app, users=users, make_cycle=make_cycle, make_organization=make_organization,
                         root=tmp_path),
        **(certified := certificates_world(db, app, users=users, make_cycle=make_cycle,
                                           make_organization=make_organization, root=tmp_path)),
        **after_world(db, app, users=users, own_award_id=certified["own_award_id"],  # type: ignore[arg-type]
                      other_award_id=certified["other_award_id"], root=tmp_path / "follow_up"),  # type: ignore[arg-type]
        **documents_world(db, make_cycle=make_cycle, make_organization=make_organization),
        **calls_world(db, app, users=users, cycle=cycle, make_cycle=make_cycle, root=tmp_path),
        **receipt_world(db, users=users, make_cycle=make_cycle, make_organization=make_organization),
        **visits_access_world(db, app, users=users, make_user=make_user, make_cycle=make_cycle,
                              make_organization=make_organization),
        **social_access_world(db, make_cycle=make_cycle, make_organization=make_organization),
    }


def test_every_route_is_in_the_matrix(app):
    served = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules() if rule.endpoint not in PUBLIC_ENDPOINTS
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    listed = {(route.endpoint, route.method) for route in ROUTES}
    assert served - listed == set(), "routes without an access-matrix row"
    assert listed - served == set(), "rows for routes that do not exist"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.endpoint}")
def test_access(client, login, world, route, role):
    if role != ANON:
        login(world["users"][role])
    url = route.path.format(**world)
    response = client.open(url, method=route.method, data=route.data or {})
    assert response.status_code == route.status_for(role), f"{role} {route.method} {url}"


def test_forbidden_page_is_friendly(client, login, world):
    login(world["users"]["enterprise"])
    response = client.get("/audit/")
    assert response.status_code == 403
    assert "You do not have permission to open this page." in response.get_data(as_text=True)


def test_security_headers(client):
    headers = client.get("/login").headers
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
