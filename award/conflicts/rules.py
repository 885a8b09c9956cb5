"""Conflict-of-interest (回避) detection: which experts must not review which applications, and why.

Pure functions over frozen dataclasses: the web layer loads experts, applicants and group links,
calls `find_conflicts` (one pair) or `conflict_matrix` (the office's whole matrix), and stores
pinned conflicts itself. Organizations are matched by their unified social credit code only,
never by name. Declared relations count against every company of the applicant's group (parent,
subsidiary, sister, at any depth the links give), and the reason names the chain of links.

Each conflict has a severity. A hard conflict refuses the pair (assignment, opening, scoring). A
soft one (需关注) is a signal for the office, never silently dropped: a shared non-public e-mail
domain, the same address or phone, and group ties longer than the cycle's `group_depth`. Public
mail domains never count at all.

Window semantics (one rule for every dated relation): a rule with a window of N years looks at
the closed interval [reference_date - N years, reference_date], both ends inclusive. A relation
covers the closed interval [start, end]; `start=None` means "since an unknown date" (treated as
open towards the past, the cautious reading) and `end=None` means "ongoing". The relation
conflicts when the two closed intervals share at least one day. N = 0 means "current on the
reference date". A relation that only starts after the reference date does not conflict.
"N years before" 29 February falls on 28 February when that year has no 29 February.
"""

from __future__ import annotations

import functools
import itertools
import unicodedata
from collections import defaultdict, deque
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from award.credit_code import normalize_credit_code
from award.i18n import _
from award.pool.kinds import RelationKind

__all__ = [
    "PINNABLE_TYPES",
    "PUBLIC_MAIL_DOMAINS",
    "PinnableType",
    "ApplicantFacts",
    "CoiSettings",
    "Conflict",
    "ConflictSource",
    "ConflictType",
    "ExpertProfile",
    "GroupIndex",
    "Relation",
    "RelationKind",
    "Severity",
    "conflict_matrix",
    "email_domain",
    "find_conflicts",
    "is_public_mail_domain",
    "merge_conflicts",
    "normalize_address",
    "normalize_phone",
    "pin_conflict",
    "window_start",
]

# Free mailbox providers: a shared domain there says nothing about an employer. A subdomain of
# one of these (vip.163.com, vip.qq.com, ...) is public too, see is_public_mail_domain.
PUBLIC_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        # Mainland China
        "qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "188.com", "netease.com",
        "sina.com", "sina.cn", "sina.com.cn", "sohu.com", "tom.com", "21cn.com", "139.com",
        "189.cn", "wo.cn", "wo.com.cn", "aliyun.com", "263.net", "eyou.com",
        # International
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "live.cn",
        "msn.com", "yahoo.com", "yahoo.com.cn", "yahoo.cn", "icloud.com", "me.com", "mac.com",
        "aol.com", "proton.me", "protonmail.com", "gmx.com", "mail.com", "yandex.com",
    }
)  # fmt: skip

Id = Hashable  # database ids (int) or any other hashable key chosen by the caller


class ConflictType(StrEnum):
    """The 回避 rules of domain.md; OTHER exists only for conflicts pinned by hand."""

    EMPLOYMENT = "employment"
    CONSULTING = "consulting"
    FINANCIAL = "financial"
    RELATIVE = "relative"
    DISPUTE = "dispute"
    GROUP = "group"
    BUSINESS = "business"
    OTHER = "other"
    # Soft signals only (never pinned): a shared non-public e-mail domain; the same address or phone.
    EMAIL = "email"
    CONTACT = "contact"


class PinnableType(StrEnum):
    """The types a conflict pinned by hand can have: every hard rule and OTHER, never a soft signal.

    Its values are ConflictType's (a StrEnum member equals its value, so either enum reads and
    writes the pinned table); the table's column holds exactly these.
    """

    EMPLOYMENT = "employment"
    CONSULTING = "consulting"
    FINANCIAL = "financial"
    RELATIVE = "relative"
    DISPUTE = "dispute"
    GROUP = "group"
    BUSINESS = "business"
    OTHER = "other"


PINNABLE_TYPES: tuple[ConflictType, ...] = tuple(ConflictType(kind.value) for kind in PinnableType)


class Severity(StrEnum):
    """Hard: the pair is refused. Soft (需关注): a signal the office must look at and acknowledge."""

    HARD = "hard"
    SOFT = "soft"


class ConflictSource(StrEnum):
    DETECTED = "detected"
    PINNED = "pinned"


_TYPE_ORDER = {conflict_type: index for index, conflict_type in enumerate(ConflictType)}

_RULE_OF_KIND: dict[RelationKind, ConflictType] = {
    RelationKind.EMPLOYER: ConflictType.EMPLOYMENT,
    RelationKind.CLIENT: ConflictType.CONSULTING,
    RelationKind.SHAREHOLDING: ConflictType.FINANCIAL,
    RelationKind.RELATIVE_EMPLOYER: ConflictType.RELATIVE,
    RelationKind.DISPUTE: ConflictType.DISPUTE,
    RelationKind.COMPETITOR: ConflictType.BUSINESS,
    RelationKind.SUPPLIER: ConflictType.BUSINESS,
    RelationKind.CUSTOMER: ConflictType.BUSINESS,
}


# --- inputs --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Relation:
    """One dated tie between an expert and an organization, keyed by credit code."""

    kind: RelationKind
    party_code: str
    start: date | None
    end: date | None
    note: str = ""

    def __post_init__(self) -> None:
        # Normalize once here so every comparison below is a plain string equality.
        object.__setattr__(self, "kind", RelationKind(self.kind))
        object.__setattr__(self, "party_code", normalize_credit_code(self.party_code))
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError(f"relation ends ({self.end}) before it starts ({self.start})")


@dataclass(frozen=True, slots=True)
class ExpertProfile:
    """An expert's current organization, e-mail, declared relations, phone and address."""

    expert_id: Id
    organization_code: str | None
    email: str | None
    relations: tuple[Relation, ...] = ()
    phone: str | None = None
    address: str | None = None

    def __post_init__(self) -> None:
        if self.organization_code is not None:
            code = normalize_credit_code(self.organization_code)
            object.__setattr__(self, "organization_code", code)
        object.__setattr__(self, "relations", tuple(self.relations))
        object.__setattr__(self, "phone", normalize_phone(self.phone))
        object.__setattr__(self, "address", normalize_address(self.address))


@dataclass(frozen=True, slots=True)
class ApplicantFacts:
    """An application's organization (credit code), its e-mail domains, addresses and phones."""

    application_id: Id
    credit_code: str
    email_domains: frozenset[str] = frozenset()
    addresses: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "credit_code", normalize_credit_code(self.credit_code))
        domains = frozenset(_clean_domain(domain) for domain in self.email_domains)
        object.__setattr__(self, "email_domains", domains - {""})
        addresses = {normalize_address(address) for address in self.addresses}
        object.__setattr__(self, "addresses", frozenset(a for a in addresses if a is not None))
        phones = {normalize_phone(phone) for phone in self.phones}
        object.__setattr__(self, "phones", frozenset(p for p in phones if p is not None))


@dataclass(frozen=True, slots=True)
class CoiSettings:
    """Window lengths in years per rule, set per cycle; 0 means "current on the review date".

    `group_depth` is the number of group links (parent → subsidiary steps on the shortest chain)
    within which a group tie is a hard conflict; a longer chain is a soft signal. 0: any depth.
    """

    employment_years: int = 3
    consulting_years: int = 3
    dispute_years: int = 3
    financial_years: int = 0
    relative_years: int = 0
    business_years: int = 0
    group_depth: int = 0

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")

    def severity_of_links(self, links: int) -> Severity:
        """Hard within the configured group depth (or at any depth when it is 0), soft beyond."""
        if self.group_depth == 0 or links <= self.group_depth:
            return Severity.HARD
        return Severity.SOFT

    def years_for(self, kind: RelationKind) -> int:
        rule = _RULE_OF_KIND[kind]
        return {
            ConflictType.EMPLOYMENT: self.employment_years,
            ConflictType.CONSULTING: self.consulting_years,
            ConflictType.FINANCIAL: self.financial_years,
            ConflictType.RELATIVE: self.relative_years,
            ConflictType.DISPUTE: self.dispute_years,
            ConflictType.BUSINESS: self.business_years,
        }[rule]


class GroupIndex:
    """Groups of organizations (same parent or control) from parent→subsidiary links.

    Built once with union-find, so membership is transitive: a subsidiary of a subsidiary is in
    the group, and so is a sister company. The group's root is its top parent (the member that
    is nobody's subsidiary); with several top parents (joint control) or a cycle, the smallest
    such code, so the answer never depends on the order of the links.
    """

    __slots__ = ("_adjacent", "_links", "_root", "_trees")

    def __init__(
        self,
        root: dict[str, str],
        adjacent: dict[str, tuple[str, ...]],
        links: frozenset[tuple[str, str]],
    ) -> None:
        self._root = root
        self._adjacent = adjacent
        self._links = links
        self._trees: dict[str, dict[str, str]] = {}

    @property
    def links(self) -> frozenset[tuple[str, str]]:
        """The (parent, subsidiary) links the index was built from, which decide every answer."""
        return self._links

    @classmethod
    def empty(cls) -> GroupIndex:
        return cls({}, {}, frozenset())

    @classmethod
    def from_links(cls, links: Iterable[tuple[str, str]]) -> GroupIndex:
        parent: dict[str, str] = {}

        def find(code: str) -> str:
            root = code
            while parent[root] != root:
                root = parent[root]
            while parent[code] != root:  # path compression
                parent[code], code = root, parent[code]
            return root

        children: set[str] = set()
        pairs: set[tuple[str, str]] = set()
        adjacent: dict[str, set[str]] = defaultdict(set)
        for raw_parent, raw_child in links:
            top, sub = normalize_credit_code(raw_parent), normalize_credit_code(raw_child)
            parent.setdefault(top, top)
            parent.setdefault(sub, sub)
            if top == sub:
                continue  # a self-link says nothing
            children.add(sub)
            pairs.add((top, sub))
            adjacent[top].add(sub)
            adjacent[sub].add(top)
            a, b = find(top), find(sub)
            if a != b:
                parent[max(a, b)] = min(a, b)

        members: dict[str, list[str]] = defaultdict(list)
        for code in parent:
            members[find(code)].append(code)
        root: dict[str, str] = {}
        for group in members.values():
            heads = [code for code in group if code not in children]
            head = min(heads) if heads else min(group)
            root.update(dict.fromkeys(group, head))
        adjacent_sorted = {code: tuple(sorted(near)) for code, near in adjacent.items()}
        return cls(root, adjacent_sorted, frozenset(pairs))

    def group_root(self, code: str) -> str:
        """The group's top parent; an organization outside every link is its own root."""
        code = normalize_credit_code(code)
        return self._root.get(code, code)

    def same_group(self, a: str, b: str) -> bool:
        return self.group_root(a) == self.group_root(b)

    def members(self, code: str) -> tuple[str, ...]:
        """Every organization of code's group, code included, sorted; () when no link names it."""
        code = normalize_credit_code(code)
        if code not in self._root:
            return ()
        root = self._root[code]
        return tuple(sorted(member for member, head in self._root.items() if head == root))

    def link_chain(self, a: str, b: str) -> tuple[str, ...]:
        """The shortest chain of linked codes from a to b (both included); () if unrelated."""
        return self._chain(normalize_credit_code(a), normalize_credit_code(b))

    def _chain(self, a: str, b: str) -> tuple[str, ...]:
        if a == b:
            return (a,)
        if self._root.get(a, a) != self._root.get(b, b):
            return ()
        towards_b = self._tree_towards(b)
        chain = [a]
        while chain[-1] != b:
            chain.append(towards_b[chain[-1]])
        return tuple(chain)

    def _tree_towards(self, target: str) -> dict[str, str]:
        """For each member of target's group, the next code on a shortest path to target.

        One breadth-first search per target, cached: the matrix asks for many chains ending
        at the same applicant, and a big group would otherwise be searched once per pair.
        """
        tree = self._trees.get(target)
        if tree is None:
            tree = {target: target}
            queue = deque([target])
            while queue:
                code = queue.popleft()
                for near in self._adjacent.get(code, ()):  # sorted: deterministic chains
                    if near not in tree:
                        tree[near] = code
                        queue.append(near)
            self._trees[target] = tree
        return tree

    def chain_links(self, chain: Sequence[str]) -> tuple[tuple[str, str], ...]:
        """The (parent, subsidiary) link behind each step of a chain, in chain order."""
        steps = itertools.pairwise(chain)
        return tuple((a, b) if (a, b) in self._links else (b, a) for a, b in steps)

    def _fast_root(self, code: str) -> str:
        # Codes inside this module are already normalized by the dataclasses.
        return self._root.get(code, code)


# --- output --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Conflict:
    """One reason why an expert must not review an application.

    `party_credit_code` is the organization through which the conflict arises: the declared
    party for relation conflicts (the applicant or a company of its group), the applicant for
    direct employment and soft contact signals, the expert's organization for group ones.
    `reason` is rendered in the current locale; `evidence` holds locale-free facts
    ("key=value") for audit and display. `severity` says whether the pair is refused (hard) or
    only needs the office's attention (soft, 需关注).
    """

    type: ConflictType
    party_credit_code: str
    reason: str
    evidence: tuple[str, ...] = ()
    source: ConflictSource = ConflictSource.DETECTED
    severity: Severity = Severity.HARD

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", ConflictType(self.type))
        object.__setattr__(self, "source", ConflictSource(self.source))
        object.__setattr__(self, "evidence", tuple(self.evidence))
        object.__setattr__(self, "severity", Severity(self.severity))

    @property
    def is_hard(self) -> bool:
        return self.severity is Severity.HARD


def pin_conflict(
    *,
    conflict_type: ConflictType,
    party_credit_code: str,
    reason: str,
    evidence: Iterable[str] = (),
) -> Conflict:
    """A conflict the office records by hand (always hard); it needs a written reason."""
    if not reason.strip():
        raise ValueError("a pinned conflict needs a reason")
    if ConflictType(conflict_type) not in PINNABLE_TYPES:
        raise ValueError(f"{conflict_type} is a soft signal and cannot be pinned")
    return Conflict(
        type=conflict_type,
        party_credit_code=normalize_credit_code(party_credit_code),
        reason=reason.strip(),
        evidence=tuple(evidence),
        source=ConflictSource.PINNED,
    )


def merge_conflicts(detected: Iterable[Conflict], pinned: Iterable[Conflict]) -> list[Conflict]:
    """Every detected conflict, then every pinned one: nothing is dropped, not even a duplicate.

    A pinned conflict that repeats a detected one stays, because it records a human decision.
    """
    detected, pinned = list(detected), list(pinned)
    for conflict in detected:
        if conflict.source is not ConflictSource.DETECTED:
            raise ValueError(f"expected a detected conflict, got {conflict!r}")
    for conflict in pinned:
        if conflict.source is not ConflictSource.PINNED:
            raise ValueError(f"expected a pinned conflict, got {conflict!r}")
    return [*detected, *pinned]


# --- e-mail domains ------------------------------------------------------------------------


def _clean_domain(domain: str) -> str:
    return domain.strip().lower().lstrip("@").rstrip(".")


def email_domain(email: str | None) -> str | None:
    """The domain of an address, lower-cased; None when there is no usable address."""
    if not email or "@" not in email:
        return None
    return _clean_domain(email.rpartition("@")[2]) or None


@functools.lru_cache(maxsize=4096)  # the matrix asks about the same few domains many times
def is_public_mail_domain(domain: str) -> bool:
    """True for a free-mail domain or any subdomain of one (vip.163.com)."""
    labels = _clean_domain(domain).split(".")
    return any(".".join(labels[i:]) in PUBLIC_MAIL_DOMAINS for i in range(len(labels)))


def _supporting_domain(expert: ExpertProfile, applicant: ApplicantFacts) -> str | None:
    """The expert's e-mail domain when it equals one the applicant declared and is not public."""
    domain = email_domain(expert.email)
    if domain is None or is_public_mail_domain(domain) or domain not in applicant.email_domains:
        return None
    return domain


# --- addresses and phones ------------------------------------------------------------------

_MIN_ADDRESS_CHARS = 6  # "北京市" or "Room 1" alone says nothing about who else is there
_MIN_PHONE_DIGITS = 7


def normalize_address(address: str | None) -> str | None:
    """An address reduced to its letters and digits (full-width folded, case-free); None if too short.

    "北京市 朝阳区，建国路 8 号" and "北京市朝阳区建国路8号" compare equal; a mere city does not count.
    """
    if not address:
        return None
    folded = unicodedata.normalize("NFKC", address).casefold()
    kept = "".join(char for char in folded if char.isalnum())
    return kept if len(kept) >= _MIN_ADDRESS_CHARS else None


def normalize_phone(phone: str | None) -> str | None:
    """A phone number as its digits, without the +86 / 0086 country prefix and the domestic trunk 0;
    None if too short. "0512-6511 2233" and "+86 512 65112233" compare equal."""
    if not phone:
        return None
    digits = "".join(char for char in unicodedata.normalize("NFKC", phone) if "0" <= char <= "9")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 10:
            digits = digits[len(prefix):]
            break
    digits = digits.removeprefix("0")
    return digits if len(digits) >= _MIN_PHONE_DIGITS else None


# --- windows -------------------------------------------------------------------------------


def window_start(reference_date: date, years: int) -> date:
    """reference_date minus whole years (29 February falls back to 28 February)."""
    try:
        return reference_date.replace(year=reference_date.year - years)
    except ValueError:
        return reference_date.replace(year=reference_date.year - years, day=28)


def _overlaps(relation: Relation, start: date, end: date) -> bool:
    """Closed intervals [relation.start, relation.end] and [start, end] share a day."""
    begins_in_time = relation.start is None or relation.start <= end
    lasts_long_enough = relation.end is None or relation.end >= start
    return begins_in_time and lasts_long_enough


# --- reasons (each sentence is one msgid, so translators see whole sentences) ---------------


def _period_text(start: date | None, end: date | None) -> str:
    if start is not None and end is not None:
        return _("%(start)s to %(end)s", start=start.isoformat(), end=end.isoformat())
    if start is not None:
        return _("since %(start)s, ongoing", start=start.isoformat())
    if end is not None:
        return _("until %(end)s, start unknown", end=end.isoformat())
    return _("ongoing, start unknown")


def _relation_sentence(kind: RelationKind, code: str, period: str) -> str:
    if kind is RelationKind.EMPLOYER:
        return _(
            "Employment: the expert works or worked for the applicant %(code)s (%(period)s).",
            code=code,
            period=period,
        )
    if kind is RelationKind.CLIENT:
        return _(
            "Consulting: the expert consulted, trained or coached the applicant %(code)s, "
            "including any work on its self-assessment (%(period)s).",
            code=code,
            period=period,
        )
    if kind is RelationKind.SHAREHOLDING:
        return _(
            "Financial interest: the expert holds shares or another financial interest "
            "in the applicant %(code)s (%(period)s).",
            code=code,
            period=period,
        )
    if kind is RelationKind.RELATIVE_EMPLOYER:
        return _(
            "Relative: a spouse or direct relative of the expert works for the applicant "
            "%(code)s or sits in its management (%(period)s).",
            code=code,
            period=period,
        )
    if kind is RelationKind.DISPUTE:
        return _(
            "Dispute: the expert has or had a legal dispute with the applicant %(code)s (%(period)s).",
            code=code,
            period=period,
        )
    label = {
        RelationKind.COMPETITOR: _("competitor"),
        RelationKind.SUPPLIER: _("supplier"),
        RelationKind.CUSTOMER: _("customer"),
    }[kind]
    return _(
        "Business relation: the expert's organization is a declared %(relation)s "
        "of the applicant %(code)s (%(period)s).",
        relation=label,
        code=code,
        period=period,
    )


def _timing_sentence(reference_date: date, years: int) -> str:
    if years == 0:
        return _("This holds on the review date %(reference)s.", reference=reference_date.isoformat())
    window = _(
        "%(start)s to %(end)s",
        start=window_start(reference_date, years).isoformat(),
        end=reference_date.isoformat(),
    )
    return _(
        "This overlaps the %(years)d-year window %(window)s before the review date.",
        years=years,
        window=window,
    )


def _support_sentence(domain: str) -> str:
    return _(
        "Supporting evidence: the expert's e-mail domain %(domain)s matches the applicant's.",
        domain=domain,
    )


def _group_relation_sentence(kind: RelationKind, party: str, code: str, period: str) -> str:
    """A relation declared about another company of the applicant's group (one msgid per rule)."""
    if kind is RelationKind.EMPLOYER:
        return _("Employment through the group: the expert works or worked for %(party)s, a company of the "
                 "applicant %(code)s's group (%(period)s).", party=party, code=code, period=period)
    if kind is RelationKind.CLIENT:
        return _("Consulting through the group: the expert consulted, trained or coached %(party)s, a company "
                 "of the applicant %(code)s's group (%(period)s).", party=party, code=code, period=period)
    if kind is RelationKind.SHAREHOLDING:
        return _("Financial interest through the group: the expert holds shares or another financial interest "
                 "in %(party)s, a company of the applicant %(code)s's group (%(period)s).",
                 party=party, code=code, period=period)
    if kind is RelationKind.RELATIVE_EMPLOYER:
        return _("Relative through the group: a spouse or direct relative of the expert works for %(party)s or "
                 "sits in its management, a company of the applicant %(code)s's group (%(period)s).",
                 party=party, code=code, period=period)
    if kind is RelationKind.DISPUTE:
        return _("Dispute through the group: the expert has or had a legal dispute with %(party)s, a company of "
                 "the applicant %(code)s's group (%(period)s).", party=party, code=code, period=period)
    label = {
        RelationKind.COMPETITOR: _("competitor"),
        RelationKind.SUPPLIER: _("supplier"),
        RelationKind.CUSTOMER: _("customer"),
    }[kind]
    return _("Business relation through the group: the expert's organization is a declared %(relation)s of "
             "%(party)s, a company of the applicant %(code)s's group (%(period)s).",
             relation=label, party=party, code=code, period=period)


def _chain_sentences(groups: GroupIndex, chain: Sequence[str]) -> str:
    """Each link of a chain as a sentence, read from its first code to its last."""
    steps = []
    for a, b in itertools.pairwise(chain):
        if (a, b) in groups._links:
            steps.append(_("%(parent)s is the parent of %(child)s.", parent=a, child=b))
        else:
            steps.append(_("%(child)s is a subsidiary of %(parent)s.", child=a, parent=b))
    return " ".join(steps)


def _distance_sentence(links: int, depth: int) -> str:
    return _("The chain has %(links)d group links, beyond the cycle's group depth of %(depth)d: a soft "
             "signal for the office, not a refusal.", links=links, depth=depth)


# --- detection -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Found:
    """A conflict before rendering, with the key that orders it."""

    type: ConflictType
    party_code: str
    sentences: tuple[str, ...]
    evidence: tuple[str, ...]
    sort_key: tuple[object, ...]
    severity: Severity = Severity.HARD


def _iso(day: date | None) -> str:
    return day.isoformat() if day is not None else ".."


def _link_evidence(groups: GroupIndex, chain: Sequence[str]) -> tuple[str, ...]:
    return tuple(f"group_link={top}>{sub}" for top, sub in groups.chain_links(chain))


def _pair_conflicts(
    expert: ExpertProfile,
    applicant: ApplicantFacts,
    relations: Iterable[Relation],
    *,
    settings: CoiSettings,
    groups: GroupIndex,
    reference_date: date,
    memo: dict[tuple[object, ...], str],
) -> list[Conflict]:
    """Conflicts of one pair; `relations` are the expert's relations naming the applicant's group.

    `memo` keeps sentences that repeat across pairs (timing, e-mail support) for one call, so
    the matrix does not translate the same sentence thousands of times in one locale.
    """

    def timing(years: int) -> str:
        key = ("timing", years)
        if key not in memo:
            memo[key] = _timing_sentence(reference_date, years)
        return memo[key]

    def support(domain: str) -> str:
        key = ("support", domain)
        if key not in memo:
            memo[key] = _support_sentence(domain)
        return memo[key]

    code = applicant.credit_code
    root = groups._fast_root(code)
    reference = reference_date.isoformat()
    found: list[_Found] = []

    organization = expert.organization_code
    if organization == code:
        found.append(
            _Found(
                ConflictType.EMPLOYMENT,
                code,
                (
                    _(
                        "Employment: the expert's current organization is the applicant itself (credit code %(code)s).",
                        code=code,
                    ),
                    timing(0),
                ),
                (f"organization={code}", f"reference={reference}"),
                (0, _TYPE_ORDER[ConflictType.EMPLOYMENT], code, 0, "", ""),
            )
        )
    elif organization is not None and groups._fast_root(organization) == root:
        chain = groups._chain(organization, code)
        links = len(chain) - 1
        severity = settings.severity_of_links(links)
        sentences: tuple[str, ...] = (
            _(
                "Group: the expert's organization %(organization)s and the applicant "
                "%(code)s share a parent group or control (group head %(root)s, "
                "links %(chain)s).",
                organization=organization,
                code=code,
                root=root,
                chain=" – ".join(chain),
            ),
            _chain_sentences(groups, chain),
        )
        sentences += (timing(0),) if severity is Severity.HARD else (_distance_sentence(links, settings.group_depth),)
        found.append(
            _Found(
                ConflictType.GROUP,
                organization,
                sentences,
                (
                    f"organization={organization}",
                    f"group_root={root}",
                    *_link_evidence(groups, chain),
                    f"group_links={links}",
                    f"reference={reference}",
                ),
                (0 if severity is Severity.HARD else 1, _TYPE_ORDER[ConflictType.GROUP], organization, 0, "", ""),
                severity,
            )
        )

    for relation in relations:
        party = relation.party_code
        if party != code and groups._fast_root(party) != root:
            continue
        years = settings.years_for(relation.kind)
        if not _overlaps(relation, window_start(reference_date, years), reference_date):
            continue
        conflict_type = _RULE_OF_KIND[relation.kind]
        period = f"{_iso(relation.start)}/{_iso(relation.end)}"
        window = f"{window_start(reference_date, years).isoformat()}/{reference}"
        facts = [f"relation={relation.kind.value}", f"period={period}", f"window={window}"]
        if relation.note:
            facts.append(f"note={relation.note}")
        period_text = _period_text(relation.start, relation.end)
        severity = Severity.HARD
        if party == code:
            sentences = (_relation_sentence(relation.kind, code, period_text), timing(years))
        else:
            chain = groups._chain(party, code)
            links = len(chain) - 1
            severity = settings.severity_of_links(links)
            sentences = (
                _group_relation_sentence(relation.kind, party, code, period_text),
                _chain_sentences(groups, chain),
                timing(years) if severity is Severity.HARD else _distance_sentence(links, settings.group_depth),
            )
            facts += [f"party={party}", f"group_root={root}", *_link_evidence(groups, chain),
                      f"group_links={links}"]
        found.append(
            _Found(
                conflict_type,
                party,
                sentences,
                tuple(facts),
                (0 if severity is Severity.HARD else 1, _TYPE_ORDER[conflict_type], party, 1,
                 relation.kind.value, period, relation.note),
                severity,
            )
        )

    # Soft signals: ties that are no conflict by themselves but that the office must see.
    domain = _supporting_domain(expert, applicant)
    if domain is not None:
        found.append(
            _Found(
                ConflictType.EMAIL,
                code,
                (_("E-mail: the expert's address is at %(domain)s, a non-public mail domain the applicant "
                   "%(code)s's accounts also use.", domain=domain, code=code),),
                (f"email_domain={domain}",),
                (1, _TYPE_ORDER[ConflictType.EMAIL], code, 0, domain, ""),
                Severity.SOFT,
            )
        )
    if expert.address is not None and expert.address in applicant.addresses:
        found.append(
            _Found(
                ConflictType.CONTACT,
                code,
                (_("Address: the expert's address is the address the applicant %(code)s declared.", code=code),),
                (f"address={expert.address}",),
                (1, _TYPE_ORDER[ConflictType.CONTACT], code, 0, "address", expert.address),
                Severity.SOFT,
            )
        )
    if expert.phone is not None and expert.phone in applicant.phones:
        found.append(
            _Found(
                ConflictType.CONTACT,
                code,
                (_("Phone: the expert's phone number %(phone)s is also a phone number of the applicant "
                   "%(code)s's accounts.", phone=expert.phone, code=code),),
                (f"phone={expert.phone}",),
                (1, _TYPE_ORDER[ConflictType.CONTACT], code, 0, "phone", expert.phone),
                Severity.SOFT,
            )
        )

    if not found:
        return []
    conflicts = []
    for item in sorted(found, key=lambda item: item.sort_key):
        sentences, evidence = item.sentences, item.evidence
        # The e-mail domain strengthens every hard conflict found by credit code.
        if domain is not None and item.severity is Severity.HARD:
            sentences = (*sentences, support(domain))
            evidence = (*evidence, f"email_domain={domain}")
        conflicts.append(Conflict(item.type, item.party_code, " ".join(sentences), evidence,
                                  severity=item.severity))
    return conflicts


def find_conflicts(
    expert: ExpertProfile,
    applicant: ApplicantFacts,
    *,
    settings: CoiSettings,
    groups: GroupIndex,
    reference_date: date,
) -> list[Conflict]:
    """Every detected conflict between one expert and one application, in a fixed order.

    Hard conflicts first, then soft signals; each ordered by rule (as listed in ConflictType),
    then party code, then relation facts. `reference_date` is the cycle's review date, never
    today's clock, so a rerun agrees.
    """
    return _pair_conflicts(
        expert,
        applicant,
        expert.relations,
        settings=settings,
        groups=groups,
        reference_date=reference_date,
        memo={},
    )


def conflict_matrix(
    experts: Sequence[ExpertProfile],
    applicants: Sequence[ApplicantFacts],
    *,
    settings: CoiSettings,
    groups: GroupIndex,
    reference_date: date,
) -> dict[tuple[Id, Id], list[Conflict]]:
    """Conflicts of every (application_id, expert_id) pair that has one; absent pairs are clear.

    Relations are indexed by their party's group root, experts by their organization's group
    root, e-mail domain, address and phone, so each applicant only meets the experts tied to it
    instead of the whole pool. Keys come in applicant order, then expert order; each value equals
    `find_conflicts` for that pair.
    """
    _require_unique([expert.expert_id for expert in experts], "expert_id")
    _require_unique([applicant.application_id for applicant in applicants], "application_id")

    by_party_root: dict[str, list[tuple[int, Relation]]] = defaultdict(list)
    by_root: dict[str, list[int]] = defaultdict(list)
    by_contact: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, expert in enumerate(experts):
        for relation in expert.relations:
            by_party_root[groups._fast_root(relation.party_code)].append((index, relation))
        if expert.organization_code is not None:
            by_root[groups._fast_root(expert.organization_code)].append(index)
        domain = email_domain(expert.email)
        if domain is not None:
            by_contact[("domain", domain)].append(index)
        if expert.address is not None:
            by_contact[("address", expert.address)].append(index)
        if expert.phone is not None:
            by_contact[("phone", expert.phone)].append(index)

    matrix: dict[tuple[Id, Id], list[Conflict]] = {}
    memo: dict[tuple[object, ...], str] = {}
    for applicant in applicants:
        root = groups._fast_root(applicant.credit_code)
        candidates: dict[int, list[Relation]] = defaultdict(list)
        for index, relation in by_party_root.get(root, ()):
            candidates[index].append(relation)
        for index in by_root.get(root, ()):
            candidates.setdefault(index, [])
        contacts = [("domain", value) for value in applicant.email_domains]
        contacts += [("address", value) for value in applicant.addresses]
        contacts += [("phone", value) for value in applicant.phones]
        for key in contacts:
            for index in by_contact.get(key, ()):
                candidates.setdefault(index, [])
        for index in sorted(candidates):
            expert = experts[index]
            conflicts = _pair_conflicts(
                expert,
                applicant,
                candidates[index],
                settings=settings,
                groups=groups,
                reference_date=reference_date,
                memo=memo,
            )
            if conflicts:
                matrix[(applicant.application_id, expert.expert_id)] = conflicts
    return matrix


def _require_unique(ids: list[Id], what: str) -> None:
    # Duplicate ids would overwrite each other's matrix cells: refuse rather than lose one.
    seen: set[Id] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"duplicate {what}: {item!r}")
        seen.add(item)
