"""Login (throttled), logout, self-registration for enterprises, the office's account list, and the
holder's own account: changing the password, a reset by e-mail, invitation and confirmation links."""

from __future__ import annotations

import math
import time

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter import RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user
from sqlalchemy import select

from award.app_db import get_session
from award.auth import accounts, services
from award.auth.access import actor, enterprise_required, login_required, office_required
from award.auth.forms import (
    ChangePasswordForm,
    ConfirmEmailForm,
    ForgotPasswordForm,
    LoginForm,
    RegistrationForm,
    SetPasswordForm,
    StaffUserForm,
)
from award.auth.models import TokenPurpose, User
from award.auth.sign_in import ResetRequest, SignIn, SignInRefused, begin_session, wait_text
from award.forms import filled
from award.i18n import _
from award.inputs import local_path
from award.views import current_locale, get_or_404, limiter, on_refusal, submitted

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so a crafted link cannot bounce a user elsewhere."""
    return local_path(target) or url_for("main.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    user = SignIn(filled(form.email.data), filled(form.password.data)).attempt()
    if isinstance(user, SignInRefused):
        flash(user.message, "error")
        return render_template("auth/login.html", form=form), user.status
    begin_session(user)
    return redirect(_safe_next(request.args.get("next")))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    services.sign_out(get_session(), user=actor())
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("main.index"))


def _registrations_per_address() -> str:
    return current_app.config["REGISTRATIONS_PER_ADDRESS"]


def _registration_accepted(response: Response) -> bool:
    return response.status_code == 302


def _too_many_registrations(limit: RequestLimit) -> Response:
    """The form again, with what was typed and when to try again, instead of a bare error page."""
    wait = max(1, math.ceil(limit.reset_at - time.time()))
    flash(_("Too many registrations from your network. Please try again in %(wait)s.", wait=wait_text(wait)),
          "error")
    return make_response(render_template("auth/register.html", form=RegistrationForm()), 429)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_registrations_per_address, key_func=get_remote_address, methods=["POST"], scope="registrations",
               deduct_when=_registration_accepted, on_breach=_too_many_registrations)
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = RegistrationForm()
    on_refusal(lambda _: render_template("auth/register.html", form=form), form=form)
    if not submitted(form):
        return render_template("auth/register.html", form=form)
    services.submit_registration(get_session(), **form.to_registration(), locale=current_locale(),
                                 password_min_length=current_app.config["PASSWORD_MIN_LENGTH"])
    # The same answer whether or not the e-mail or the credit code already had an account.
    flash(_("Thank you. We have sent an e-mail to the address you gave: it tells you how to continue."), "info")
    return redirect(url_for("auth.login"))


def _users_page(form: StaffUserForm) -> str:
    accounts = get_session().scalars(select(User).order_by(User.role, User.id)).all()
    return render_template("auth/users.html", form=form, accounts=accounts)


@bp.route("/office/users", methods=["GET", "POST"])
@office_required
def users():
    form = StaffUserForm()
    on_refusal(lambda _: _users_page(form), form=form)
    if not submitted(form):
        return _users_page(form)
    user = services.create_staff_user(get_session(), actor=actor(), **form.to_account(),
                                      password_min_length=current_app.config["PASSWORD_MIN_LENGTH"])
    if form.password.data:
        flash(_("Account %(email)s created; its holder must change the password at the first sign-in.",
                email=user.email), "success")
    else:
        flash(_("Account %(email)s created; an invitation to set a password was e-mailed.", email=user.email),
              "success")
    return redirect(url_for("auth.users"))


@bp.route("/office/users/<int:user_id>/toggle", methods=["POST"])
@office_required
def toggle_user(user_id: int):
    user = get_or_404(User, user_id)
    on_refusal(lambda _: redirect(url_for("auth.users")))
    services.set_user_enabled(get_session(), actor=actor(), user=user, enabled=not user.is_enabled)
    return redirect(url_for("auth.users"))


@bp.route("/office/users/<int:user_id>/invite", methods=["POST"])
@office_required
def resend_invitation(user_id: int):
    user = get_or_404(User, user_id)
    on_refusal(lambda _: redirect(url_for("auth.users")))
    accounts.resend_invitation(get_session(), actor=actor(), user=user)
    flash(_("A new invitation was e-mailed to %(email)s.", email=user.email), "success")
    return redirect(url_for("auth.users"))


def _password_page(form: ChangePasswordForm) -> str:
    return render_template("auth/change_password.html", form=form,
                           minimum=current_app.config["PASSWORD_MIN_LENGTH"])


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    on_refusal(lambda _: _password_page(form), form=form)
    if not submitted(form):
        return _password_page(form)
    accounts.change_own_password(get_session(), actor=actor(), current_password=filled(form.current_password.data),
                                 new_password=filled(form.password.data),
                                 password_min_length=current_app.config["PASSWORD_MIN_LENGTH"])
    begin_session(actor())  # every other session has ended; this browser goes on under the new generation
    flash(_("Your password is changed. Every other session of your account has ended."), "success")
    return redirect(url_for("main.dashboard"))


@bp.route("/account/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    on_refusal(lambda _: render_template("auth/forgot_password.html", form=form), form=form)
    if not submitted(form):
        return render_template("auth/forgot_password.html", form=form)
    refusal = ResetRequest(filled(form.email.data)).attempt()
    if refusal is not None:
        flash(refusal.message, "error")
        return render_template("auth/forgot_password.html", form=form), refusal.status
    # The same answer whether or not the address has an account.
    flash(_("If an account has this e-mail address, a link to choose a new password is on its way."), "info")
    return redirect(url_for("auth.login"))


def _set_password_page(form: SetPasswordForm, purpose: TokenPurpose) -> str:
    return render_template("auth/set_password.html", form=form, invitation=purpose is TokenPurpose.INVITATION,
                           minimum=current_app.config["PASSWORD_MIN_LENGTH"])


@bp.route("/account/password/set/<token>", methods=["GET", "POST"])
def set_password(token: str):
    purpose = accounts.link_purpose(get_session(), token=token)
    form = SetPasswordForm()
    on_refusal(lambda _: _set_password_page(form, purpose), form=form)
    if not submitted(form):
        return _set_password_page(form, purpose)
    user = accounts.set_password_with_link(get_session(), token=token, new_password=filled(form.password.data),
                                           password_min_length=current_app.config["PASSWORD_MIN_LENGTH"])
    begin_session(user)
    flash(_("Your password is set and you are signed in."), "success")
    return redirect(url_for("main.dashboard"))


@bp.route("/account/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    accounts.link_purpose(get_session(), token=token, purposes=(TokenPurpose.EMAIL_CONFIRMATION,))
    form = ConfirmEmailForm()
    if not submitted(form):  # a mail program that opens the link to look at it confirms nothing
        return render_template("auth/confirm_email.html", form=form)
    accounts.confirm_email(get_session(), token=token)
    flash(_("Thank you: your e-mail address is confirmed."), "success")
    return redirect(url_for("main.dashboard"))


@bp.route("/account/confirm/resend", methods=["POST"])
@enterprise_required
def resend_confirmation():
    back = _safe_next(request.args.get("next"))  # the page that offered it: the application's submit page
    on_refusal(lambda _: redirect(back))
    accounts.resend_confirmation(get_session(), actor=actor())
    flash(_("A new confirmation e-mail is on its way to %(email)s.", email=actor().email), "info")
    return redirect(back)
