"""Login, logout, self-registration for enterprises, and the office's account list."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from award.auth import services
from award.auth.forms import LoginForm, RegistrationForm, StaffUserForm
from award.auth.models import Role, User
from award.auth.permissions import actor, login_required, office_required
from award.db import get_session
from award.errors import DomainError
from award.i18n import _
from award.web import current_locale, limiter

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so a crafted link cannot bounce a user elsewhere."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("main.dashboard")


def _login_account_key() -> str:
    return "account:" + services.normalize_email(request.form.get("email", ""))


def _failed_login(response: Response) -> bool:
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_FAILURES_PER_ACCOUNT"], key_func=_login_account_key,
               methods=["POST"], deduct_when=_failed_login, scope="login-account")
@limiter.limit(lambda: current_app.config["LOGIN_FAILURES_PER_ADDRESS"], key_func=get_remote_address,
               methods=["POST"], deduct_when=_failed_login, scope="login-address")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(get_session(), email=form.email.data, password=form.password.data)
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


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            user = services.register_enterprise(
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
        session.clear()
        login_user(user)
        flash(_("Welcome! Your organization is registered."), "success")
        return redirect(url_for("main.dashboard"))
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
