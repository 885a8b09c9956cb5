"""The demo cycle that `make run` serves: realistic people and organizations, seeded once."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from award.applications.configured import evidence_limits, evidence_store
from award.applications.demo import DemoFiles, apply
from award.applications.services import return_application
from award.auth.models import Organization, Role, User
from award.auth.services import create_staff_user, register_enterprise
from award.awards.demo import seed_decision_demo
from award.calls.demo import seed_call_demo
from award.certificates.demo import seed_certificates_demo
from award.credit_code import ALPHABET, make_credit_code
from award.cycles.models import Cycle, Stage
from award.cycles.services import CycleSettings, advance_cycle, create_cycle
from award.cycles.settings import EligibilitySettings, IssuerSettings
from award.db import utcnow
from award.i18n import local_zone
from award.main.models import SiteFlag
from award.notice.configured import objection_store
from award.notifications.models import Notification
from award.notifications.services import mark_read
from award.pool.demo import seed_expert_pool
from award.runtime import settings
from award.scoring.demo import CITY_DIVISIONS, seed_review_demo
from award.visits.demo import seed_full_procedure_demo

DEMO_PASSWORD = "demo-password-2026"
DEMO_FLAG = "demo"
REGION = "320500"  # 苏州市: the demo city

ENTERPRISES = [
    "苏州恒润精密机械有限公司", "江苏华星新材料股份有限公司", "苏州博远电子科技有限公司",
    "吴江永盛纺织集团有限公司", "昆山瑞达汽车零部件有限公司", "苏州工业园区绿源环保科技有限公司",
    "常熟天和服装有限公司", "太仓港安物流有限公司", "张家港沙钢特种钢材有限公司",
    "苏州东方医疗器械有限公司", "苏州金鼎建设工程有限公司", "吴中区明湖食品有限公司",
    "苏州汇智软件股份有限公司", "相城区宏达电梯有限公司", "苏州阳澄湖大闸蟹养殖合作社",
    "苏州新纪元光伏科技有限公司", "昆山联合精工机械有限公司", "苏州银河生物制药有限公司",
    "苏州协信检测认证有限公司", "苏州古城文化旅游发展有限公司",
]
EXPERTS = [
    ("王建国", "正高级工程师"), ("李秀英", "教授"), ("张伟", "高级工程师"), ("刘芳", "高级经济师"),
    ("陈志强", "研究员"), ("杨丽", "正高级工程师"), ("赵明", "高级质量工程师"), ("黄海涛", "教授"),
    ("周静", "高级工程师"), ("吴斌", "高级审核员"), ("徐慧", "副教授"), ("孙立新", "正高级经济师"),
]
# This year's call: enterprise1's application was returned for a correction; others submitted or drafting.
CURRENT_RETURNED = "苏州恒润精密机械有限公司"
CURRENT_SUBMITTED = "吴中区明湖食品有限公司"
CURRENT_DRAFT = "苏州金鼎建设工程有限公司"
# Each enterprise's contact in its quality department (the audit trail and the office's lists name them).
CONTACTS = [
    "沈国平", "顾晓红", "陆志华", "范建军", "钱丽娟", "徐海峰", "朱文静", "蒋立伟", "韩玉梅", "曹永刚",
    "严晓东", "金美华", "魏振宇", "陶红英", "姜建新", "戚文斌", "谢丽萍", "邹卫东", "喻小燕", "柏俊杰",
]
LEADERS = [("钱副市长", "leader1"), ("冯局长", "leader2"), ("褚主任", "leader3")]


class DemoRefused(RuntimeError):
    """The database holds real data, or is not configured as the demo one."""


def demo_credit_code(rng: random.Random, category: str = "91") -> str:
    body = category + REGION + "".join(rng.choice(ALPHABET) for _ in range(9))
    return make_credit_code(body)


def seed_demo(session: Session, *, demo_database: bool, now: dt.datetime | None = None) -> str:
    """Seed once; refuse unless configured as a demo database that is empty or already the demo."""
    if not demo_database:
        raise DemoRefused("refusing to seed: AWARD_DEMO_DATABASE is not set for this database")
    if session.get(SiteFlag, DEMO_FLAG) is not None:
        return "demo already seeded; nothing changed\n" + credentials_text()
    if session.scalar(select(func.count(User.id))):
        raise DemoRefused("refusing to seed: this database already holds accounts and is not the demo")
    now = now or utcnow()
    rng = random.Random(2026)
    minimum = 10
    # The demo's accounts share a published password: they are demo accounts, never made to change it.

    office = create_staff_user(session, actor=None, role=Role.OFFICE, email="office@demo.award",
                               full_name="评审办公室 林主任", password=DEMO_PASSWORD,
                               must_change_password=False, password_min_length=minimum, phone="0512-65220000")
    create_staff_user(session, actor=office, role=Role.SUPERVISOR, email="supervisor@demo.award",
                      full_name="纪检监察 郑科长", password=DEMO_PASSWORD, password_min_length=minimum,
                      must_change_password=False)
    for name, login in LEADERS:
        create_staff_user(session, actor=office, role=Role.LEADER, email=f"{login}@demo.award",
                          full_name=name, password=DEMO_PASSWORD, password_min_length=minimum,
                          must_change_password=False)
    for number, (name, _title) in enumerate(EXPERTS, start=1):
        create_staff_user(session, actor=office, role=Role.EXPERT, email=f"expert{number}@demo.award",
                          full_name=name, password=DEMO_PASSWORD, password_min_length=minimum,
                          must_change_password=False)
    for number, name in enumerate(ENTERPRISES, start=1):
        register_enterprise(session, credit_code=demo_credit_code(rng), organization_name=name,
                            contact_name=CONTACTS[number - 1], phone=f"0512-6{number:03d}0000",
                            email=f"enterprise{number}@demo.award", password=DEMO_PASSWORD,
                            password_min_length=minimum)
    seed_expert_pool(session, office)
    zone = local_zone()
    files = DemoFiles(evidence=evidence_store(), limits=evidence_limits())
    objections = objection_store()

    year = now.year
    settings = CycleSettings(
        year=year, title="市长质量奖", awards_count=5, cutoff_score=Decimal("600"),
        experts_per_application=5, onsite_review=False,
        deadlines={
            Stage.APPLICATION: now + dt.timedelta(days=30),
            Stage.DOCUMENT_REVIEW: now + dt.timedelta(days=60),
            Stage.APPROVAL: now + dt.timedelta(days=80),
        },
        eligibility=EligibilitySettings(city_divisions=CITY_DIVISIONS), issuers=IssuerSettings(city="苏州市"),
    )
    cycle = create_cycle(session, actor=office, settings=settings, rubric_key="gbt19580-2012")
    opened = now - dt.timedelta(days=10)
    advance_cycle(session, actor=office, cycle=cycle, target=Stage.APPLICATION, now=opened)
    seed_call_demo(session, office=office, cycle=cycle, now=opened)
    seed_review_demo(session, office=office, files=files, zone=zone, now=now)
    seed_decision_demo(session, office=office, files=files, objections=objections, zone=zone, now=now)
    seed_certificates_demo(session, office=office)
    seed_full_procedure_demo(session, office=office, files=files, zone=zone, now=now)
    _seed_current_applications(session, office=office, cycle=cycle, files=files, now=now)
    _read_old_notices(session, now=now)
    session.add(SiteFlag(key=DEMO_FLAG, value=now.isoformat()))
    session.flush()
    return "demo seeded\n" + credentials_text()


def _seed_current_applications(session: Session, *, office: User, cycle: Cycle, files: DemoFiles,
                               now: dt.datetime) -> None:
    """This year's call: one application submitted, one returned by the office for a correction, one draft."""

    def applicant(name: str) -> User:
        user = session.scalar(select(User).join(Organization, User.organization_id == Organization.id)
                              .where(Organization.name == name).order_by(User.id).limit(1))
        assert user is not None
        return user

    returned = apply(session, user=applicant(CURRENT_RETURNED), cycle=cycle, files=files,
                     now=now - dt.timedelta(days=8))
    return_application(session, actor=office, application=returned, now=now - dt.timedelta(days=6),
                       reason="自评报告4.7.4财务结果缺少近三年数据，请补充后重新提交。")
    apply(session, user=applicant(CURRENT_SUBMITTED), cycle=cycle, files=files, now=now - dt.timedelta(days=5))
    apply(session, user=applicant(CURRENT_DRAFT), cycle=cycle, files=files, now=now - dt.timedelta(days=2),
          submit=False)


def _read_old_notices(session: Session, *, now: dt.datetime) -> None:
    """Each account has read its notices of more than a month ago, a day after each came: the unread
    ones are those of the work at hand."""
    for notification in session.scalars(select(Notification).where(
            Notification.created_at < now - dt.timedelta(days=30)).order_by(Notification.id)):
        reader = session.get(User, notification.user_id)
        assert reader is not None
        mark_read(session, actor=reader, notification=notification,
                  now=notification.created_at + dt.timedelta(days=1))


def credentials_text() -> str:
    lines = [
        f"Demo accounts (password for all: {DEMO_PASSWORD}):",
        "  office      office@demo.award",
        "  supervisor  supervisor@demo.award",
        "  leaders     leader1@demo.award … leader3@demo.award",
        "  experts     expert1@demo.award … expert12@demo.award",
        "  enterprises enterprise1@demo.award … enterprise20@demo.award",
        f"Open {settings()['PUBLIC_BASE_URL']}",
    ]
    return "\n".join(lines)
