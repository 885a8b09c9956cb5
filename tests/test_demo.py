"""The demo seed: realistic, valid data, once, and never on a database that is not a demo one."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import func, select

from award import PROJECT_ROOT
from award.auth.models import Role, User
from award.credit_code import is_valid_credit_code
from award.cycles.models import Cycle, Stage
from award.demo import DemoRefused, seed_demo


def test_seed_refuses_without_the_demo_setting(db):
    with pytest.raises(DemoRefused, match="AWARD_DEMO_DATABASE"):
        seed_demo(db, demo_database=False)


def test_seed_refuses_a_database_with_real_accounts(db, make_user):
    make_user(Role.OFFICE)
    with pytest.raises(DemoRefused, match="already holds accounts"):
        seed_demo(db, demo_database=True)


def test_seed_creates_the_demo_once(db):
    seed_demo(db, demo_database=True)
    counts = dict(db.execute(select(User.role, func.count()).group_by(User.role)).all())
    assert counts == {Role.OFFICE: 1, Role.SUPERVISOR: 1, Role.LEADER: 3, Role.EXPERT: 12, Role.ENTERPRISE: 20}
    enterprises = db.scalars(select(User).where(User.role == Role.ENTERPRISE)).all()
    assert all(is_valid_credit_code(u.organization.credit_code) for u in enterprises)
    assert all("公司" in u.organization.name or "合作社" in u.organization.name for u in enterprises)
    assert db.scalar(select(Cycle).order_by(Cycle.id)).stage is Stage.APPLICATION
    assert "nothing changed" in seed_demo(db, demo_database=True)
    assert db.scalar(select(func.count(User.id))) == 37


def test_demo_cli_prints_the_accounts(app, db):
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code != 0 and "AWARD_DEMO_DATABASE" in result.output


def test_the_seed_names_the_address_links_point_to(app, db):
    app.config["PUBLIC_BASE_URL"] = "http://10.0.0.7:8123"
    assert seed_demo(db, demo_database=True).endswith("Open http://10.0.0.7:8123")


def test_make_run_on_another_port_points_links_there():
    """`make run PORT=…` serves there, and e-mail links, QR codes and the seed's text say so."""
    plan = subprocess.run(["make", "-n", "run", "PORT=8123"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, check=True).stdout
    seed = next(line for line in plan.splitlines() if "demo seed" in line)
    serve = next(line for line in plan.splitlines() if "run-demo.sh" in line)
    assert "AWARD_PUBLIC_BASE_URL=http://127.0.0.1:8123" in seed
    assert "PORT=8123" in serve and "AWARD_PUBLIC_BASE_URL=http://127.0.0.1:8123" in serve
