"""Login (throttled), logout, self-registration for enterprises, and the office's account list."""

from __future__ import annotations

import datetime as dt
import math
import time

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_timedelta
from flask_limiter import RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from award.auth import services
from award.auth.forms import LoginForm, RegistrationForm, StaffUserForm
from award.auth.models import Role, User
from award.auth.permissions import actor, login_required, office_required
from award.auth.throttle import LoginThrottle, Policy
from award.db import get_session, utcnow
from award.errors import DomainError
from award.i18n import _
from award.inputs import local_path
from award.views import current_locale, limiter

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so a crafted link cannot bounce a user elsewhere."""
    return local_path(target) or url_for("main.dashboard")


def _login_throttle() -> LoginThrottle | None:
    """The counters in Flask-Limiter's storage (shared by the workers through Redis); None when off."""
    config = current_app.config
    if not config.get("RATELIMIT_ENABLED", True):
        return None
    return LoginThrottle(limiter.storage, Policy.from_config(config), prefix=config.get("RATELIMIT_KEY_PREFIX", ""))


def _wait_text(seconds: int) -> str:
    """A wait as words in the page's language, rounded up so that trying after it always works."""
    for unit in (3600, 60):
        if seconds > unit:
            seconds = math.ceil(seconds / unit) * unit
            break
    return format_timedelta(dt.timedelta(seconds=seconds), threshold=1.0)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        throttle = _login_throttle()
        attempt = {"account": services.normalize_email(form.email.data), "address": get_remote_address() or ""}
        wait = throttle.wait_seconds(**attempt, now=utcnow().timestamp()) if throttle else 0
        if wait:
            # Refused before the password is checked: waiting is the only way on, never sleeping here.
            flash(_("Too many failed sign-ins. Please try again in %(wait)s.", wait=_wait_text(wait)), "error")
            return render_template("auth/login.html", form=form), 429
        user = services.authenticate(get_session(), email=form.email.data, password=form.password.data)
        if throttle:
            if user is None:
                throttle.failed(**attempt, now=utcnow().timestamp())
            else:
                throttle.succeeded(**attempt)
        if user is not None:
            kept_locale = session.get("locale")
            session.clear()  # nothing from before the login survives into the new session
            if kept_locale:
                session["locale"] = kept_locale
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        # One message for unknown e-mail and wrong password: no user enumeration.
        flash(_("E-mail or password is wrong."), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


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
    flash(_("Too many registrations from your network. Please try again in %(wait)s.", wait=_wait_text(wait)),
          "error")
    return make_response(render_template("auth/register.html", form=RegistrationForm()), 429)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_registrations_per_address, key_func=get_remote_address, methods=["POST"], scope="registrations",
               deduct_when=_registration_accepted, on_breach=_too_many_registrations)
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            services.submit_registration(
                get_session(),
                credit_code=form.credit_code.data,
                organization_name=form.organization_name.data,
                contact_name=form.contact_name.data,
                phone=form.phone.data,
                email=form.email.data,
                password=form.password.data,
                password_min_length=current_app.config["PASSWORD_MIN_LENGTH"],
                locale=current_locale(),
            )
        except DomainError as error:
            field = form.credit_code if error.code.startswith("credit_code") else (
                form.password if error.code == "password_too_short" else form.email)
            field.errors = [*field.errors, error.message]
            return render_template("auth/register.html", form=form), 422
        # The same answer whether or not the e-mail or the credit code already had an account.
        flash(_("Thank you. We have sent an e-mail to the address you gave: it tells you how to continue."),
              "info")
        return redirect(url_for("auth.login"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/office/users", methods=["GET", "POST"])
@office_required
def users():
    db = get_session()
    form = StaffUserForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.create_staff_user(
                db,
                actor=actor(),
                role=Role(form.role.data),
                email=form.email.data,
                full_name=form.full_name.data,
                phone=form.phone.data or "",
                password=form.password.data,
                password_min_length=current_app.config["PASSWORD_MIN_LENGTH"],
            )
        except DomainError as error:
            field = form.password if error.code == "password_too_short" else form.email
            field.errors = [*field.errors, error.message]
            status = 422
        else:
            flash(_("Account %(email)s created.", email=user.email), "success")
            return redirect(url_for("auth.users"))
    elif form.is_submitted():
        status = 422
    accounts = db.scalars(select(User).order_by(User.role, User.id)).all()
    return render_template("auth/users.html", form=form, accounts=accounts), status


@bp.route("/office/users/<int:user_id>/toggle", methods=["POST"])
@office_required
def toggle_user(user_id: int):
    db = get_session()
    user = db.get(User, user_id) or abort(404)
    try:
        services.set_user_enabled(db, actor=actor(), user=user, enabled=not user.is_enabled)
    except DomainError as error:
        flash(error.message, "error")
    return redirect(url_for("auth.users"))
