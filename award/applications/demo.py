"""Demo applications, made as an applicant makes them: a draft with the whole profile and a
self-assessment for every item, an evidence file, the submission; then screened by the office
rule by rule, with a written reason wherever a rule asks for a manual check (需人工核查)."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from award.applications import services
from award.applications.evidence import EvidenceStore
from award.applications.models import Application, RuleOutcome
from award.applications.services import Decision, EvidenceLimits, Profile
from award.auth.models import User
from award.cycles.models import Cycle, Stage
from award.cycles.services import advance_cycle, cycle_rubric

EVIDENCE_TITLE = "质量管理体系认证证书"
# What an office clerk writes after checking a rule the automatic check left open.
MANUAL_REASONS = {
    "registered_in_city": "已核对营业执照原件和国家企业信用信息公示系统，注册地在本市。",
    "years_in_operation": "已核对营业执照，成立日期满足年限要求。",
    "qms_years": "已核对质量管理体系认证证书及历次监督审核报告，运行满三年。",
}
DEFAULT_MANUAL_REASON = "已现场核对原件，符合要求。"
# Per rubric category: how an applicant describes its practice (each item's text names the item too).
PRACTICE = {
    "4.1": "高层领导每季度主持质量专题会，确定质量方针和年度目标，并通过绩效合同分解到各事业部；",
    "4.2": "每年组织战略研讨会，结合市场、技术和竞争对手信息制定三年滚动规划，关键指标逐级分解；",
    "4.3": "建立客户分级管理和满意度测评制度，每半年开展第三方满意度调查，投诉二十四小时内响应；",
    "4.4": "建立人才梯队和关键岗位继任计划，信息化平台覆盖研发、生产、质量和售后全过程；",
    "4.5": "识别十二个关键过程并制定过程指标，采用精益和六西格玛方法持续改进；",
    "4.6": "质量数据按月统计分析并提交管理评审，改进项目立项、跟踪和验收闭环管理；",
    "4.7": "近三年主要产品一次交验合格率、顾客满意度和营业收入均保持上升，并与行业标杆对比；",
}


@dataclass(frozen=True)
class Applicant:
    """What a demo applicant types into its profile."""

    sector: str
    district: str
    address: str
    employees: int
    revenue_10k: int  # 万元
    founded: int  # year
    qms: int  # year certified


# The demo's applicants as they describe themselves (sector of GB/T 4754, district, address, staff,
# revenue in 万元, founding year, year of the quality-management certification).
APPLICANTS: dict[str, Applicant] = {
    "苏州恒润精密机械有限公司": Applicant("C", "吴中区", "苏州市吴中区木渎镇金枫路88号", 860, 52000, 2003, 2008),
    "江苏华星新材料股份有限公司": Applicant("C", "相城区", "苏州市相城区黄埭镇春兴路18号", 1240, 96000, 2001, 2006),
    "苏州博远电子科技有限公司": Applicant("C", "苏州工业园区", "苏州工业园区星湖街328号", 530, 31000, 2009, 2012),
    "吴江永盛纺织集团有限公司": Applicant("C", "吴江区", "苏州市吴江区盛泽镇西二环路1188号", 2100, 158000, 1996, 2002),
    "昆山瑞达汽车零部件有限公司": Applicant("C", "昆山市", "昆山市开发区前进东路579号", 1460, 87000, 2005, 2009),
    "苏州工业园区绿源环保科技有限公司": Applicant("N", "苏州工业园区", "苏州工业园区金鸡湖大道99号", 320, 18000,
                                             2010, 2014),
    "常熟天和服装有限公司": Applicant("C", "常熟市", "常熟市海虞镇海虞北路26号", 980, 41000, 2004, 2010),
    "太仓港安物流有限公司": Applicant("G", "太仓市", "太仓市浮桥镇港城大道2号", 640, 36000, 2008, 2013),
    "张家港沙钢特种钢材有限公司": Applicant("C", "张家港市", "张家港市锦丰镇永新路1号", 3200, 420000, 1998, 2003),
    "苏州东方医疗器械有限公司": Applicant("C", "高新区", "苏州高新区鹿山路369号", 710, 45000, 2006, 2010),
    "苏州金鼎建设工程有限公司": Applicant("E", "姑苏区", "苏州市姑苏区人民路1520号", 1150, 130000, 2000, 2005),
    "吴中区明湖食品有限公司": Applicant("C", "吴中区", "苏州市吴中区临湖镇湖滨路66号", 410, 15000, 2011, 2016),
    "苏州协信检测认证有限公司": Applicant("M", "苏州工业园区", "苏州工业园区东富路8号", 380, 12000, 2012, 2015),
    # The full-procedure cycle's applicants (award/visits/demo.py), who apply nowhere else in the demo.
    "苏州汇智软件股份有限公司": Applicant("I", "苏州工业园区", "苏州工业园区新平街388号", 690, 54000, 2004, 2009),
    "相城区宏达电梯有限公司": Applicant("C", "相城区", "苏州市相城区渭塘镇渭中路55号", 1320, 76000, 1999, 2005),
    "苏州新纪元光伏科技有限公司": Applicant("C", "高新区", "苏州高新区嵩山路168号", 1860, 210000, 2007, 2011),
    "昆山联合精工机械有限公司": Applicant("C", "昆山市", "昆山市周市镇青阳北路288号", 760, 39000, 2006, 2010),
}


@dataclass(frozen=True)
class DemoFiles:
    """Where the demo's uploaded files go, and the limits every upload is checked against."""

    evidence: EvidenceStore
    limits: EvidenceLimits


def evidence_image(width: int = 120, height: int = 170, shade: int = 236) -> bytes:
    """A small PNG, as a scanned certificate or a photo is uploaded (an image needs no PDF check)."""
    row = b"\x00" + bytes([shade, shade, shade - 8]) * width
    pixels = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def self_assessment(cycle: Cycle, name: str) -> dict[str, str]:
    """A self-assessment text for every item of the cycle's rubric, of a length an expert can judge."""
    texts = {}
    for item in cycle_rubric(cycle).items:
        practice = PRACTICE.get(item.category_id, "建立了系统的方法并持续改进；")
        texts[item.id] = (f"{name}在“{item.display_name()}”方面：{practice}"
                          f"相关制度、记录和数据见附件，并已在全公司展开，每年评价一次效果。")
    return texts


def apply(session: Session, *, user: User, cycle: Cycle, files: DemoFiles, now: dt.datetime,
          submit: bool = True) -> Application:
    """The enterprise's own steps: start, fill in everything, upload its certificate, submit."""
    organization = user.organization
    assert organization is not None
    applicant = APPLICANTS[organization.name]
    application = services.start_application(session, actor=user, cycle=cycle, now=now)
    profile = Profile(
        org_name=organization.name, address=applicant.address, district=applicant.district, sector=applicant.sector,
        employees=applicant.employees, revenue=Decimal(applicant.revenue_10k) * 10000,
        founded_on=dt.date(applicant.founded, 3, 18), qms_certified_on=dt.date(applicant.qms, 9, 1),
        declaration_confirmed=True)
    services.save_draft(session, actor=user, application=application, profile=profile,
                        self_assessment=self_assessment(cycle, organization.name), now=now)
    services.add_evidence(session, actor=user, application=application, data=evidence_image(),
                          filename=f"{EVIDENCE_TITLE}.png", store=files.evidence, limits=files.limits,
                          now=now + dt.timedelta(hours=1))
    if submit:
        services.submit_application(session, actor=user, application=application, now=now + dt.timedelta(hours=2))
    return application


def screen(session: Session, *, office: User, application: Application, zone: ZoneInfo,
           now: dt.datetime) -> Application:
    """The office's screening: every rule decided as the check found it, a reason where it asked for one."""
    decisions = {}
    for finding in services.automatic_findings(session, application, zone=zone):
        if finding.outcome is RuleOutcome.REVIEW:
            decisions[finding.rule] = Decision(RuleOutcome.PASS,
                                               MANUAL_REASONS.get(finding.rule, DEFAULT_MANUAL_REASON))
        else:
            decisions[finding.rule] = Decision(finding.outcome)
    return services.screen_application(session, actor=office, application=application, decisions=decisions,
                                       zone=zone, now=now)



def run_applications(session: Session, *, office: User, cycle: Cycle, applicants: Sequence[tuple[User, str]],
                     files: DemoFiles, zone: ZoneInfo, start: dt.datetime) -> list[Application]:
    """A past call from opening to screening: the office opens it at `start`, each applicant applies in
    the following days, applications close at the deadline and the office screens every one."""
    advance_cycle(session, actor=office, cycle=cycle, target=Stage.APPLICATION, now=start)
    applications = [apply(session, user=user, cycle=cycle, files=files, now=start + dt.timedelta(days=3 + number))
                    for number, (user, _name) in enumerate(applicants)]
    deadline = cycle.deadline(Stage.APPLICATION)
    assert deadline is not None
    advance_cycle(session, actor=office, cycle=cycle, target=Stage.SCREENING, now=deadline + dt.timedelta(hours=1))
    for number, application in enumerate(applications):
        screen(session, office=office, application=application, zone=zone,
               now=deadline + dt.timedelta(days=2 + number, hours=3))
    return applications
