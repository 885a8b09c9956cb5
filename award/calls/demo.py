"""The demo cycle's call for applications, written and published through the services as the office would."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from award.auth.models import User
from award.calls.services import CallText, publish_call, save_call
from award.cycles.models import Cycle

BODY = """各区（市）市场监督管理局，各有关单位：

为深入实施质量强市战略，推广先进质量管理模式，根据《市长质量奖管理办法》，现将{year}年度市长质量奖申报工作有关事项通知如下。

一、申报条件
申报单位应为在本市依法登记注册、具有独立法人资格的组织，正常经营五年以上，质量管理体系有效运行三年以上，近三年未发生重大质量、安全、环境事故，未列入严重失信名单。

二、申报方式
申报单位在本系统注册账号后在线填写申报表和自评报告，并上传证明材料。申报实行自愿、免费原则。

三、评审程序
评审分为资格审核、材料评审、陈述答辩与现场评审、社会评价、评审委员会审议和领导小组审定等环节，结果向社会公示。"""

GUIDELINES = """1. 自评报告按照 GB/T 19580-2012《卓越绩效评价准则》的七个类目逐条撰写，总字数一般不超过三万字。
2. 证明材料须为 PDF、JPEG 或 PNG 格式，单个文件不超过 20 MB。
3. 申报材料提交后即为只读；如需修改，可在截止前撤回后重新提交。

评审全过程接受纪检监察部门监督，评审专家实行回避制度。"""

CONTACT = "市长质量奖评审办公室 林主任 0512-65220000（工作日 9:00—17:00）"


def seed_call_demo(session: Session, *, office: User, cycle: Cycle, now: dt.datetime) -> None:
    call = save_call(session, actor=office, cycle=cycle, now=now, text=CallText(
        title=f"关于开展{cycle.year}年度{cycle.title}申报工作的通知", body=BODY.format(year=cycle.year),
        guidelines=GUIDELINES, contact=CONTACT))
    publish_call(session, actor=office, call=call, now=now)
