"""Demo data of the expert pool: profiles for the 12 demo experts, a group, and real conflicts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.auth.models import Organization, User
from award.credit_code import make_credit_code
from award.db import utcnow
from award.pool import services as pool
from award.pool.kinds import RelationKind
from award.pool.models import ExpertProfile
from award.pool.services import ExpertData, RelationData

# (expert number, title, organization, credit-code body of 17 characters, sectors)
PROFILES = [
    (1, "正高级工程师", "苏州市质量和标准化院", "12320500466000101", ("C", "M")),
    (2, "教授", "苏州大学", "12320000466007625", ("C", "P")),
    (3, "高级工程师", "江苏省特种设备安全监督检验研究院苏州分院", "12320000MB1C00302", ("C",)),
    (4, "高级经济师", "苏州市企业联合会", "51320500MJ5C00404", ("C", "L")),
    (5, "研究员", "中国科学院苏州纳米技术与纳米仿生研究所", "12100000MB0C00505", ("C", "M")),
    (6, "正高级工程师", "苏州恒润精密机械有限公司", "", ("C",)),  # works for an enterprise of the demo
    (7, "高级质量工程师", "苏州卓越绩效管理咨询有限公司", "91320500MA1C00707", ("C", "L")),
    (8, "教授", "苏州科技大学", "12320000466008201", ("C", "E")),
    (9, "高级工程师", "苏州电子产品检验所有限公司", "91320500MA1C00909", ("C", "I")),
    (10, "高级审核员", "中国质量认证中心苏州分中心", "12100000MB0C01010", ("C", "M")),
    (11, "副教授", "西交利物浦大学", "52320000MJ5C01111", ("C", "I")),
    (12, "正高级经济师", "江苏华星控股集团有限公司", "91320500MA1C01212", ("C", "F")),
]


def _enterprise(session: Session, name: str) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.name == name))


def seed_expert_pool(session: Session, office: User) -> None:
    """Profiles for expert1…expert12@demo.award, with declarations that conflict with demo enterprises.

    Conflicts seeded: expert 6 works for 恒润 (employment); expert 7 coached 博远 and wrote 瑞达's
    self-assessment (consulting); expert 2 holds shares in 汇智 (financial); expert 9's spouse works
    at 东方医疗 (relative); expert 3 had a dispute with 宏达电梯; expert 12's holding group owns
    华星新材料 (group); expert 9's organization supplies 新纪元光伏 (business).
    """
    enterprises = {name: _enterprise(session, name) for name in (
        "苏州恒润精密机械有限公司", "江苏华星新材料股份有限公司", "苏州博远电子科技有限公司",
        "昆山瑞达汽车零部件有限公司", "苏州汇智软件股份有限公司", "苏州东方医疗器械有限公司",
        "相城区宏达电梯有限公司", "苏州新纪元光伏科技有限公司")}
    code = {name: organization.credit_code for name, organization in enterprises.items() if organization}
    profiles: dict[int, ExpertProfile] = {}
    for number, title, organization, body, sectors in PROFILES:
        user = session.scalar(select(User).where(User.email == f"expert{number}@demo.award"))
        if user is None:
            continue
        organization_code = make_credit_code(body) if body else code["苏州恒润精密机械有限公司"]
        profiles[number] = pool.create_expert(session, actor=office, password_min_length=1, data=ExpertData(
            email=user.email, full_name=user.full_name, phone=user.phone, title=title,
            organization_code=organization_code, organization_name=organization, sectors=tuple(sectors))).profile

    this_year = utcnow().year

    def years_ago(years: int, month: int, day: int) -> dt.date:
        return dt.date(this_year - years, month, day)

    def declare(number: int, kind: RelationKind, enterprise: str, start: dt.date | None, end: dt.date | None,
                note: str = "") -> None:
        pool.add_relation(session, actor=office, profile=profiles[number], data=RelationData(
            kind=kind, party_code=code[enterprise], party_name=enterprise, starts_on=start, ends_on=end, note=note))

    declare(6, RelationKind.EMPLOYER, "苏州恒润精密机械有限公司", dt.date(2009, 7, 1), None, "质量总监")
    # Windowed relations are dated from today, so the demo's conflicts do not expire with time.
    declare(7, RelationKind.CLIENT, "苏州博远电子科技有限公司", years_ago(2, 3, 1), years_ago(1, 11, 30),
            "卓越绩效导入辅导")
    declare(7, RelationKind.CLIENT, "昆山瑞达汽车零部件有限公司", years_ago(1, 2, 1), years_ago(1, 5, 31),
            "协助编写自评报告")
    declare(2, RelationKind.SHAREHOLDING, "苏州汇智软件股份有限公司", dt.date(2021, 6, 1), None, "持股 0.3%")
    declare(9, RelationKind.RELATIVE_EMPLOYER, "苏州东方医疗器械有限公司", dt.date(2018, 1, 1), None,
            "配偶任质量部经理")
    declare(3, RelationKind.DISPUTE, "相城区宏达电梯有限公司", years_ago(2, 4, 1), years_ago(1, 1, 15),
            "检验结论行政复议")
    declare(9, RelationKind.SUPPLIER, "苏州新纪元光伏科技有限公司", dt.date(2022, 1, 1), None, "检测服务供应商")
    # An old consulting job outside the 3-year window: declared, but no conflict.
    declare(1, RelationKind.CLIENT, "苏州新纪元光伏科技有限公司", years_ago(10, 3, 1), years_ago(10, 12, 31),
            "质量管理体系培训")
    pool.add_group_link(session, actor=office, parent_code=make_credit_code("91320500MA1C01212"),
                        child_code=code["江苏华星新材料股份有限公司"], source="国家企业信用信息公示系统")
