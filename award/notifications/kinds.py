"""The events that notify someone: who hears of them, whether e-mail is mandatory, and the default texts.

Texts are English msgids with named placeholders; services.render_notice() translates them in the
recipient's language and fills them from the caller's context. A new event needs a new Kind here
(no migration: the column is a plain string, checked by this table, so areas can add kinds freely).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from award.auth.models import Role
from award.i18n import LazyString, _l


class Kind(enum.StrEnum):
    APPLICATION_SUBMITTED = "application_submitted"
    APPLICATION_RETURNED = "application_returned"
    APPLICATION_ELIGIBLE = "application_eligible"
    APPLICATION_INELIGIBLE = "application_ineligible"
    APPLICATION_DEADLINE = "application_deadline"
    APPLICATION_DEADLINE_MOVED = "application_deadline_moved"
    APPLICATION_UNDER_REVIEW = "application_under_review"
    APPLICATION_ONSITE_SCHEDULED = "application_onsite_scheduled"
    APPLICATION_SHORTLISTED = "application_shortlisted"
    APPLICATION_NOT_SHORTLISTED = "application_not_shortlisted"
    APPLICATION_APPROVED = "application_approved"
    APPLICATION_NOT_APPROVED = "application_not_approved"
    APPLICATION_ON_NOTICE = "application_on_notice"
    APPLICATION_WITHDRAWN_FROM_NOTICE = "application_withdrawn_from_notice"
    APPLICATION_AWARDED = "application_awarded"
    APPLICATION_NOT_AWARDED = "application_not_awarded"
    EXPERT_ASSIGNED = "expert_assigned"
    SHEET_REOPENED = "sheet_reopened"
    REVIEW_DEADLINE = "review_deadline"
    REVIEW_DEADLINE_MOVED = "review_deadline_moved"
    PANEL_COMPLETE = "panel_complete"
    VOTE_OPENED = "vote_opened"
    COMMITTEE_VOTE_OPENED = "committee_vote_opened"
    VOTE_CLOSING = "vote_closing"
    OBJECTION_RECEIVED = "objection_received"
    CONFLICT_DECLARED = "conflict_declared"
    ACCOUNT_REGISTERED = "account_registered"
    REGISTRATION_ATTEMPT = "registration_attempt"
    ACCOUNT_INVITATION = "account_invitation"
    PASSWORD_RESET = "password_reset"
    EMAIL_CONFIRMATION = "email_confirmation"
    # The office's bulk tools and the objector's answer (issue 20, points 5 and 7).
    SHEETS_LATE = "sheets_late"
    RETURNED_WAITING = "returned_waiting"
    OFFICE_MESSAGE = "office_message"
    OBJECTION_ANSWERED = "objection_answered"
    OBJECTION_FILED = "objection_filed"
    # Consensus as a discussion (issue 20, point 6).
    CONSENSUS_DISAGREEMENT = "consensus_disagreement"
    # On-site review logistics (issue 24, point 3).
    VISIT_SCHEDULED = "visit_scheduled"
    VISIT_TEAM_SCHEDULED = "visit_team_scheduled"
    # The presentation round's schedule (issue 24, point 2).
    PRESENTATION_SCHEDULED = "presentation_scheduled"
    FOLLOW_UP_DUE = "follow_up_due"


@dataclass(frozen=True)
class KindSpec:
    """One kind of notice. `title` and `body` are msgids formatted with the caller's context."""

    kind: Kind
    role: Role  # who receives it; the preferences page shows a user only the kinds of their role
    label: LazyString  # the name of the kind on the preferences page
    title: LazyString
    body: LazyString
    action: LazyString  # the link's label: what the recipient should do
    mandatory: bool = False  # the rules require that the person is told: e-mail cannot be turned off
    context: tuple[str, ...] = ()  # the keys the caller must give
    # About the account itself (its registration): always e-mailed, to whatever role holds the address,
    # and not offered on the preferences page.
    about_account: bool = False


SPECS: dict[Kind, KindSpec] = {spec.kind: spec for spec in (
    KindSpec(
        Kind.APPLICATION_SUBMITTED, Role.ENTERPRISE, _l("Application submitted (receipt)"),
        _l("Your application was received: %(cycle)s"),
        _l("The award office received your application on %(submitted_at)s (Beijing time), with %(files)s evidence "
           "file(s). Its fingerprint (SHA-256) is %(digest)s. The receipt (PDF) lists what you submitted with "
           "each file's SHA-256; you can download it again at any time from the application's page."),
        _l("Open the receipt"), context=("cycle", "submitted_at", "files", "digest"),
    ),
    KindSpec(
        Kind.APPLICATION_RETURNED, Role.ENTERPRISE, _l("Application returned for correction"),
        _l("Your application was returned for correction: %(cycle)s"),
        _l("The award office returned your application for correction. Reason: %(reason)s "
           "Please correct it and submit it again before the application deadline."),
        _l("Correct the application"), context=("cycle", "reason"),
    ),
    KindSpec(
        Kind.APPLICATION_ELIGIBLE, Role.ENTERPRISE, _l("Passed eligibility screening"),
        _l("Your application passed eligibility screening: %(cycle)s"),
        _l("Your application passed eligibility screening and goes on to expert review. "
           "You can follow its status online."),
        _l("Open the application"), context=("cycle",),
    ),
    KindSpec(
        Kind.APPLICATION_INELIGIBLE, Role.ENTERPRISE, _l("Did not pass eligibility screening"),
        _l("Eligibility screening result: %(cycle)s"),
        _l("Your application did not pass eligibility screening. Reason: %(reason)s"),
        _l("Read the screening result"), context=("cycle", "reason"),
    ),
    KindSpec(
        Kind.APPLICATION_DEADLINE, Role.ENTERPRISE, _l("Application deadline reminder"),
        _l("The application deadline is near: %(cycle)s"),
        _l("Your application has not been submitted yet. The application deadline is %(deadline)s; "
           "an application not submitted by then cannot be considered."),
        _l("Finish and submit the application"), context=("cycle", "deadline"),
    ),
    KindSpec(
        Kind.APPLICATION_DEADLINE_MOVED, Role.ENTERPRISE, _l("Application deadline moved"),
        _l("The application deadline was moved: %(cycle)s"),
        _l("The award office moved the application deadline from %(before)s to %(after)s (Beijing time). "
           "Reason: %(reason)s"),
        _l("Open the application"), mandatory=True, context=("cycle", "before", "after", "reason"),
    ),
    KindSpec(
        Kind.APPLICATION_UNDER_REVIEW, Role.ENTERPRISE, _l("Application under expert review"),
        _l("Your application is under expert review: %(cycle)s"),
        _l("The document review has opened: a panel of experts is now reviewing your application and "
           "self-assessment. You will hear of the next step here."),
        _l("Open the application"), context=("cycle",),
    ),
    KindSpec(
        Kind.APPLICATION_ONSITE_SCHEDULED, Role.ENTERPRISE, _l("On-site review scheduled"),
        _l("An on-site review of your organization is scheduled: %(cycle)s"),
        _l("Your application goes on to the on-site review. The award office will agree the date of the visit "
           "with you; the on-site review closes by %(deadline)s."),
        _l("Open the application"), context=("cycle", "deadline"),
    ),
    KindSpec(
        Kind.APPLICATION_SHORTLISTED, Role.ENTERPRISE, _l("Application shortlisted"),
        _l("Your application is on the shortlist: %(cycle)s"),
        _l("Your organization is on the shortlist submitted to the leading group for approval. "
           "The result will be published in the public notice."),
        _l("Open the application"), context=("cycle",),
    ),
    KindSpec(
        Kind.APPLICATION_NOT_SHORTLISTED, Role.ENTERPRISE, _l("Application not shortlisted"),
        _l("Your application is not on the shortlist: %(cycle)s"),
        _l("The review is complete and your organization is not on the shortlist submitted to the leading group. "
           "Your feedback report with strengths and improvement points will be published when the cycle is "
           "awarded; you will be told then."),
        _l("Open the application"), context=("cycle",),
    ),
    KindSpec(
        Kind.APPLICATION_APPROVED, Role.ENTERPRISE, _l("Approved by the leading group"),
        _l("The leading group approved your application: %(cycle)s"),
        _l("The leading group approved your organization for the award. It will be named in the public notice "
           "before the final list is confirmed."),
        _l("Open the application"), context=("cycle",),
    ),
    KindSpec(
        Kind.APPLICATION_NOT_APPROVED, Role.ENTERPRISE, _l("Not approved by the leading group"),
        _l("The leading group's decision on your application: %(cycle)s"),
        _l("The leading group did not approve your organization for the award this time, so it will not be "
           "in the public notice. Your feedback report with strengths and improvement points will be published "
           "when the cycle is awarded; you will be told then."),
        _l("Open the application"), context=("cycle",),
    ),
    KindSpec(
        Kind.APPLICATION_ON_NOTICE, Role.ENTERPRISE, _l("In the public notice"),
        _l("Your organization is in the public notice: %(cycle)s"),
        _l("Your organization is named in the public notice, which runs until %(ends_at)s (Beijing time). "
           "The final list is confirmed after the notice period."),
        _l("Read the public notice"), context=("cycle", "ends_at"),
    ),
    KindSpec(
        Kind.APPLICATION_WITHDRAWN_FROM_NOTICE, Role.ENTERPRISE, _l("Withdrawn from the public notice"),
        _l("Your organization was withdrawn from the public notice: %(cycle)s"),
        _l("The award office withdrew your organization from the public notice. Reason: %(reason)s"),
        _l("Open the application"), context=("cycle", "reason"),
    ),
    KindSpec(
        Kind.APPLICATION_AWARDED, Role.ENTERPRISE, _l("Application awarded"),
        _l("Your organization has won the award: %(cycle)s"),
        _l("Congratulations: your organization has been awarded. Your feedback report with strengths "
           "and improvement points is ready to read and download."),
        _l("Read the feedback report"), context=("cycle",),
    ),
    KindSpec(
        Kind.APPLICATION_NOT_AWARDED, Role.ENTERPRISE, _l("Application not awarded"),
        _l("The result of your application: %(cycle)s"),
        _l("Your organization was not awarded this time. Your feedback report with strengths and "
           "improvement points is ready to read; we hope it helps your further improvement."),
        _l("Read the feedback report"), context=("cycle",),
    ),
    KindSpec(
        Kind.EXPERT_ASSIGNED, Role.EXPERT, _l("Assigned to review an application"),
        _l("You have been assigned to review: %(cycle)s"),
        _l("You have been assigned to review the application of %(organization)s. Before you open it, "
           "sign the no-conflict and confidentiality pledge; if you have a conflict of interest, "
           "declare it instead."),
        _l("Sign the pledge"), mandatory=True, context=("cycle", "organization"),
    ),
    KindSpec(
        Kind.SHEET_REOPENED, Role.EXPERT, _l("Score sheet reopened"),
        _l("A score sheet was reopened: %(organization)s"),
        _l("Your score sheet for %(organization)s was reopened. Reason: %(reason)s "
           "Please revise it and submit it again."),
        _l("Revise the score sheet"), context=("organization", "reason"),
    ),
    KindSpec(
        Kind.REVIEW_DEADLINE, Role.EXPERT, _l("Review deadline reminder"),
        _l("The review deadline is near: %(cycle)s"),
        _l("Score sheets still open: %(open_sheets)s. The review deadline is %(deadline)s; "
           "please submit them before then."),
        _l("Open my score sheets"), context=("cycle", "open_sheets", "deadline"),
    ),
    KindSpec(
        Kind.REVIEW_DEADLINE_MOVED, Role.EXPERT, _l("Review deadline moved"),
        _l("The review deadline was moved: %(cycle)s"),
        _l("The award office moved the deadline of %(round)s from %(before)s to %(after)s (Beijing time). "
           "Reason: %(reason)s"),
        _l("Open my score sheets"), mandatory=True, context=("cycle", "round", "before", "after", "reason"),
    ),
    KindSpec(
        Kind.PANEL_COMPLETE, Role.EXPERT, _l("All score sheets of my panel are in"),
        _l("All score sheets are in: %(organization)s"),
        _l("Every expert of the panel for %(organization)s has submitted a score sheet. "
           "As team leader you can now lead the consensus."),
        _l("Open the panel"), context=("organization",),
    ),
    KindSpec(
        Kind.CONSENSUS_DISAGREEMENT, Role.EXPERT, _l("A panel member disagrees with the consensus"),
        _l("Disagreement on the consensus: %(organization)s"),
        _l("%(author)s disagrees with the consensus for %(organization)s on %(item)s. Reason: %(reason)s "
           "Read the discussion before the consensus is finalized."),
        _l("Open the discussion"), context=("organization", "author", "item", "reason"),
    ),
    KindSpec(
        Kind.VOTE_OPENED, Role.LEADER, _l("Vote opened"),
        _l("Voting is open: %(cycle)s"),
        _l("The shortlist is open for the leading group's vote until %(deadline)s. Please cast your vote."),
        _l("Vote"), mandatory=True, context=("cycle", "deadline"),
    ),
    KindSpec(
        Kind.COMMITTEE_VOTE_OPENED, Role.LEADER, _l("Review committee vote opened"),
        _l("The review committee votes: %(cycle)s"),
        _l("The shortlist is open for the review committee's vote until %(deadline)s. Please cast your vote."),
        _l("Vote"), mandatory=True, context=("cycle", "deadline"),
    ),
    KindSpec(
        Kind.VOTE_CLOSING, Role.LEADER, _l("Vote closing reminder"),
        _l("Voting closes soon: %(cycle)s"),
        _l("You have not voted yet. Voting on the shortlist closes at %(deadline)s."),
        _l("Vote"), context=("cycle", "deadline"),
    ),
    KindSpec(
        Kind.OBJECTION_RECEIVED, Role.OFFICE, _l("Objection received"),
        _l("An objection was filed: %(organization)s"),
        _l("A real-name objection to %(organization)s was filed during the public notice. "
           "Please examine it and record an outcome."),
        _l("Examine the objection"), context=("organization",),
    ),
    KindSpec(
        Kind.CONFLICT_DECLARED, Role.OFFICE, _l("Conflict of interest declared"),
        _l("A conflict of interest was declared: %(organization)s"),
        _l("%(expert)s declared a conflict of interest with %(organization)s. Their scores for it are void; "
           "a replacement expert is needed."),
        _l("Replace the expert"), context=("expert", "organization"),
    ),
    KindSpec(
        Kind.ACCOUNT_REGISTERED, Role.ENTERPRISE, _l("Account registered"),
        _l("Your account is ready: %(organization)s"),
        _l("Your organization is registered for the Mayor's Quality Award. Sign in with this e-mail address "
           "and the password you chose."),
        _l("Sign in"), context=("organization",), about_account=True,
    ),
    KindSpec(
        Kind.REGISTRATION_ATTEMPT, Role.ENTERPRISE, _l("Registration with your details"),
        _l("Someone tried to register with your details"),
        _l("Someone tried to register a new account with your e-mail address or with your organization's "
           "credit code, which already have an account. If it was you, sign in with your existing account; "
           "if you have forgotten the password, ask the award office. If it was not you, you need not do "
           "anything: no new account was created."),
        _l("Sign in"), about_account=True,
    ),
    # The links below carry a secret: they are e-mailed only (services.send_account_email), never kept as
    # in-app notices, so only the holder of the mailbox can open them.
    KindSpec(
        Kind.ACCOUNT_INVITATION, Role.EXPERT, _l("Invitation to set a password"),
        _l("Your account is ready: set your password"),
        _l("The award office created an account for you (%(role)s) with this e-mail address. Open the link "
           "below to choose your password; the link can be used once and is valid until %(expires)s. "
           "If it has expired, ask the award office to send a new one."),
        _l("Set your password"), context=("role", "expires"), about_account=True,
    ),
    KindSpec(
        Kind.PASSWORD_RESET, Role.EXPERT, _l("Password reset"),
        _l("Reset your password"),
        _l("Someone asked to reset the password of the account with this e-mail address. If it was you, open "
           "the link below to choose a new password; the link can be used once and is valid until %(expires)s. "
           "If it was not you, you need not do anything: your password has not changed."),
        _l("Choose a new password"), context=("expires",), about_account=True,
    ),
    KindSpec(
        Kind.EMAIL_CONFIRMATION, Role.ENTERPRISE, _l("E-mail confirmation"),
        _l("Please confirm your e-mail address"),
        _l("Please confirm that this e-mail address belongs to your organization's account by opening the link "
           "below. An application can be submitted once the address is confirmed. The link can be used once "
           "and is valid until %(expires)s; you can ask for a new one on the application's submit page."),
        _l("Confirm the e-mail address"), context=("expires",), about_account=True,
    ),
    KindSpec(
        Kind.SHEETS_LATE, Role.EXPERT, _l("Reminder of late score sheets"),
        _l("Your score sheets are awaited: %(cycle)s"),
        _l("The award office reminds you that %(open_sheets)s of your score sheets in %(round)s are not submitted "
           "yet. Review deadline: %(deadline)s. Please sign the pledge where needed and submit them."),
        _l("Open my score sheets"), context=("cycle", "round", "open_sheets", "deadline"),
    ),
    KindSpec(
        Kind.RETURNED_WAITING, Role.ENTERPRISE, _l("Reminder of a returned application"),
        _l("Your returned application is awaited: %(cycle)s"),
        _l("The award office returned your application for correction and has not received it again. "
           "Please correct it and submit it again before the application deadline."),
        _l("Correct the application"), context=("cycle",),
    ),
    KindSpec(
        Kind.OFFICE_MESSAGE, Role.ENTERPRISE, _l("Messages from the award office"),
        _l("Message from the award office: %(subject)s"),
        _l("%(message)s"),
        _l("Open the application"), context=("subject", "message"),
    ),
    KindSpec(
        Kind.FOLLOW_UP_DUE, Role.ENTERPRISE, _l("Reminder of the yearly follow-up report"),
        _l("Your yearly follow-up report is awaited: %(title)s"),
        _l("As the holder of the title %(title)s (valid until %(valid_until)s) your organization sends the award "
           "office a follow-up report for %(year)s: the experience you shared and the results of your "
           "improvements. It is due by %(due)s."),
        _l("Write the follow-up report"), context=("title", "valid_until", "year", "due"),
    ),
    # To an objector, who has no account: sent to the address given with the objection, if any
    # (services.send_address_email), and never offered on a preferences page.
    KindSpec(
        Kind.OBJECTION_ANSWERED, Role.OFFICE, _l("Answer to an objection"),
        _l("The answer to your objection %(reference)s"),
        _l("The award office has examined your objection %(reference)s to %(organization)s. Outcome: %(outcome)s. "
           "Answer: %(answer)s"),
        _l("Look up the objection"), context=("reference", "organization", "outcome", "answer"), about_account=True,
    ),
    KindSpec(
        Kind.OBJECTION_FILED, Role.OFFICE, _l("Objection received"),
        _l("Your objection is received: %(reference)s"),
        _l("The award office received your objection to %(organization)s on %(filed)s. Your reference number is "
           "%(reference)s: with it and the phone number you gave you can look up its status and the office's "
           "answer."),
        _l("Look up the objection"), context=("reference", "organization", "filed"), about_account=True,
    ),
    KindSpec(
        Kind.VISIT_SCHEDULED, Role.ENTERPRISE, _l("On-site visit date and itinerary"),
        _l("The on-site visit is set for %(date)s: %(cycle)s"),
        _l("The review team visits your organization on %(date)s. Itinerary: %(itinerary)s"),
        _l("Open the application"), context=("cycle", "date", "itinerary"),
    ),
    KindSpec(
        Kind.VISIT_TEAM_SCHEDULED, Role.EXPERT, _l("On-site visit of your panel"),
        _l("On-site visit to %(organization)s on %(date)s: %(cycle)s"),
        _l("Your panel visits %(organization)s on %(date)s. Itinerary: %(itinerary)s. The visit page holds the "
           "checklist per rubric item, for notes and photos."),
        _l("Open the visit"), context=("cycle", "organization", "date", "itinerary"),
    ),
    KindSpec(
        Kind.PRESENTATION_SCHEDULED, Role.ENTERPRISE, _l("Presentation time and room"),
        _l("Your presentation is set for %(starts_at)s: %(cycle)s"),
        _l("The order of the presentations has been drawn by lot. Your organization presents at %(starts_at)s in "
           "%(room)s, for %(minutes)s minutes (number %(position)s in the order). A new draw replaces this time and "
           "you will be told again."),
        _l("Open the application"), context=("cycle", "starts_at", "room", "minutes", "position"),
    ),
)}

MANDATORY: frozenset[Kind] = frozenset(kind for kind, spec in SPECS.items() if spec.mandatory)


def kinds_for(role: Role) -> list[KindSpec]:
    """The kinds a user of this role can choose about, in table order (not those about the account itself)."""
    return [spec for spec in SPECS.values() if spec.role is role and not spec.about_account]
