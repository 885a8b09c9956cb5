"""Accounts, roles and the organizations that enterprises and experts belong to."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, CheckConstraint, Enum, ForeignKey, Index, Integer, String
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from award.db import Base, UTCDateTime, utcnow


class Role(enum.StrEnum):
    ENTERPRISE = "enterprise"
    OFFICE = "office"
    EXPERT = "expert"
    LEADER = "leader"
    SUPERVISOR = "supervisor"


def enum_column(enum_type: type[enum.Enum], name: str) -> Enum:
    """A portable enum: VARCHAR plus a named CHECK constraint, stored by value."""
    return Enum(
        enum_type,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_type),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Organization(Base):
    """An organization keyed by its 统一社会信用代码, never by its name."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role <> 'enterprise' OR organization_id IS NOT NULL", name="enterprise_has_organization"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    full_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(30), default="")
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of every session's id: raising it (logout, new password, new role) ends all sessions at once.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A password someone else set (the office, the command line): its holder must choose their own first.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # False only for an enterprise that registered itself and has not yet opened the link in its e-mail.
    email_confirmed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization | None] = relationship(lazy="joined")

    # Flask-Login's user protocol, written out (as its UserMixin has it) so that the model imports no Flask.
    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled accounts
        return self.is_enabled

    @property
    def is_authenticated(self) -> bool:
        return self.is_active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """What Flask-Login keeps in the session: the id and the session generation it was issued in."""
        return f"{self.id}:{self.session_generation}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, User):
            return self.get_id() == other.get_id()
        return NotImplemented

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value} {self.email}>"


class TokenPurpose(enum.StrEnum):
    INVITATION = "invitation"  # an account the office made: its holder sets the first password
    PASSWORD_RESET = "password_reset"  # a forgotten password
    EMAIL_CONFIRMATION = "email_confirmation"  # a self-registered enterprise confirms its address


class AccountToken(Base):
    """A link sent by e-mail: only the SHA-256 of its secret is kept; it expires and is used once."""

    __tablename__ = "account_tokens"
    __table_args__ = (Index("ix_account_tokens_user_purpose", "user_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[TokenPurpose] = mapped_column(enum_column(TokenPurpose, "token_purpose"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")
