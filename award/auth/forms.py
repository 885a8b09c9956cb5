"""Login, registration and account forms."""

from __future__ import annotations

from typing import Any

from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

from award.auth.models import Role
from award.forms import BaseForm, PrintableName, SelectChoice
from award.i18n import _l

PHONE_PATTERN = r"^[0-9+\-() ]{5,30}$"


class LoginForm(BaseForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Sign in"))


class RegistrationForm(BaseForm):
    credit_code = StringField(
        _l("Unified social credit code"),
        validators=[DataRequired(), Length(min=18, max=18, message=_l("Exactly 18 characters."))],
    )
    organization_name = StringField(_l("Organization name"),
                                    validators=[PrintableName(), DataRequired(), Length(max=200)])
    contact_name = StringField(_l("Contact person"), validators=[PrintableName(), DataRequired(), Length(max=100)])
    phone = StringField(
        _l("Phone"),
        validators=[DataRequired(), Regexp(PHONE_PATTERN, message=_l("Digits, spaces, +, - and () only."))],
    )
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Register"))

    def to_registration(self) -> dict[str, Any]:
        """The keyword arguments of services.submit_registration (but the locale and the password rule)."""
        return {"credit_code": self.credit_code.data, "organization_name": self.organization_name.data,
                "contact_name": self.contact_name.data, "phone": self.phone.data, "email": self.email.data,
                "password": self.password.data}




class StaffUserForm(BaseForm):

    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice(Role.EXPERT.value, _l("Expert")),
            SelectChoice(Role.LEADER.value, _l("Leading group member")),
            SelectChoice(Role.SUPERVISOR.value, _l("Supervisor")),
            SelectChoice(Role.OFFICE.value, _l("Award office")),
        ],
    )
    full_name = StringField(_l("Name"), validators=[PrintableName(), DataRequired(), Length(max=100)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    phone = StringField(
        _l("Phone"),
        validators=[Length(max=30), Regexp(r"^$|" + PHONE_PATTERN, message=_l("Digits, spaces, +, - and () only."))],
    )
    # Left empty (the usual way), the holder is e-mailed an invitation link to choose a password;
    # a password typed here must be changed at the first sign-in.
    password = PasswordField(_l("Initial password"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Create account"))

    def to_account(self) -> dict[str, Any]:
        """The keyword arguments of services.create_staff_user (but the actor and the password rule)."""
        return {"role": Role(self.role.data), "email": self.email.data, "full_name": self.full_name.data,
                "phone": self.phone.data or "", "password": self.password.data or None}


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))


class SetPasswordForm(BaseForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Set password"))


class ForgotPasswordForm(BaseForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Send me a link"))


class ConfirmEmailForm(BaseForm):
    submit = SubmitField(_l("Confirm my e-mail address"))
