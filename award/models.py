"""Imports every area's models, so Base.metadata is complete (for Alembic and tests)."""

from award.applications.models import Application, BlacklistEntry, EvidenceFile  # noqa: F401
from award.approval.models import Ballot, VoteCandidate, VoteMember, VoteOutcome, VoteSession  # noqa: F401
from award.audit.models import AuditChainHead, AuditRecord
from award.auth.models import Organization, User
from award.awards.models import Award  # noqa: F401
from award.calls.models import CallAttachment, CycleCall  # noqa: F401
from award.certificates.models import CertificateSettings  # noqa: F401
from award.conflicts import models as conflicts_models  # noqa: F401
from award.cycles.models import Cycle, CycleDeadline
from award.db import Base
from award.documents.models import DocumentText, OverlayLayout, PrinterProfile  # noqa: F401
from award.files import StoredFile
from award.heartbeats import WorkerHeartbeat
from award.jobs.models import Job  # noqa: F401
from award.main.models import SiteFlag
from award.notice.models import NoticeCandidate, Objection, PublicNotice  # noqa: F401
from award.notifications.models import Notification, NotificationPreference, OutboxMessage
from award.pool import models as pool_models  # noqa: F401
from award.ranking.models import RankingSettings, RankingSnapshot, ShortlistEntry  # noqa: F401
from award.rounds import models as rounds_models  # noqa: F401
from award.scoring import models as scoring_models  # noqa: F401
from award.social import models as social_models  # noqa: F401
from award.visits import models as visits_models  # noqa: F401

metadata = Base.metadata

__all__ = [
    "AuditChainHead", "AuditRecord", "Cycle", "CycleDeadline", "Notification", "NotificationPreference",
    "OutboxMessage", "Organization", "SiteFlag", "StoredFile", "User", "WorkerHeartbeat", "metadata",
]
