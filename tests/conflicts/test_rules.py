"""回避 rules: one parametrized table per rule, window boundaries on both sides, groups, e-mail."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from award.conflicts.rules import (
    PINNABLE_TYPES,
    PUBLIC_MAIL_DOMAINS,
    ApplicantFacts,
    CoiSettings,
    Conflict,
    ConflictSource,
    ConflictType,
    ExpertProfile,
    GroupIndex,
    Relation,
    Severity,
    conflict_matrix,
    find_conflicts,
    is_public_mail_domain,
    merge_conflicts,
    pin_conflict,
    window_start,
)
from award.credit_code import InvalidCreditCode, make_credit_code
from award.pool.kinds import RelationKind

CODES = [make_credit_code(f"91310000MA1FL{n:04d}") for n in range(12)]
APPLICANT, OTHER, EXPERT_ORG, PARENT, SUB, SUB_SUB, SISTER, STRANGER = CODES[:8]

REVIEW = date(2024, 5, 15)
WINDOW_START = date(2021, 5, 15)  # REVIEW minus 3 years: the first day inside the window
DAY = timedelta(days=1)
NO_GROUPS = GroupIndex.empty()
DEFAULTS = CoiSettings()


def expert(*relations: Relation, org: str | None = STRANGER, email: str | None = None):
    return ExpertProfile(expert_id=1, organization_code=org, email=email, relations=relations)


def applicant(code: str = APPLICANT, domains: frozenset[str] = frozenset()) -> ApplicantFacts:
    return ApplicantFacts(application_id=10, credit_code=code, email_domains=domains)


def detect(profile, facts=None, *, groups=NO_GROUPS, coi_settings=DEFAULTS, ref=REVIEW):
    return find_conflicts(
        profile,
        facts or applicant(),
        settings=coi_settings,
        groups=groups,
        reference_date=ref,
    )


def types(conflicts: list[Conflict]) -> list[ConflictType]:
    return [conflict.type for conflict in conflicts]


# --- dated rules with a 3-year window -------------------------------------------------------

# (start, end, conflicts?) around the window [REVIEW - 3 years, REVIEW], both ends inclusive.
WINDOW_CASES = [
    pytest.param(date(2010, 1, 1), None, True, id="ongoing"),
    pytest.param(date(2019, 1, 1), WINDOW_START, True, id="ended-on-first-window-day"),
    pytest.param(date(2019, 1, 1), WINDOW_START - DAY, False, id="ended-day-before-window"),
    pytest.param(REVIEW, None, True, id="starts-on-review-date"),
    pytest.param(REVIEW + DAY, None, False, id="starts-day-after-review-date"),
    pytest.param(None, date(2022, 1, 1), True, id="unknown-start-ended-inside"),
    pytest.param(date(2012, 1, 1), date(2015, 12, 31), False, id="long-ago"),
    pytest.param(None, None, True, id="unknown-start-ongoing"),
]


@pytest.mark.parametrize(
    ("kind", "rule"),
    [
        (RelationKind.EMPLOYER, ConflictType.EMPLOYMENT),
        (RelationKind.CLIENT, ConflictType.CONSULTING),
        (RelationKind.DISPUTE, ConflictType.DISPUTE),
    ],
)
@pytest.mark.parametrize(("start", "end", "conflicts"), WINDOW_CASES)
def test_windowed_rules(kind, rule, start, end, conflicts):
    found = detect(expert(Relation(kind, APPLICANT, start, end)))
    assert types(found) == ([rule] if conflicts else [])


# --- rules that must be current on the review date ------------------------------------------

CURRENT_CASES = [
    pytest.param(date(2015, 3, 1), None, True, id="ongoing"),
    pytest.param(date(2015, 3, 1), REVIEW, True, id="ended-on-review-date"),
    pytest.param(date(2015, 3, 1), REVIEW - DAY, False, id="ended-day-before"),
    pytest.param(REVIEW, None, True, id="starts-on-review-date"),
    pytest.param(REVIEW + DAY, None, False, id="starts-day-after"),
    pytest.param(None, None, True, id="unknown-start-ongoing"),
]


@pytest.mark.parametrize(
    ("kind", "rule"),
    [
        (RelationKind.SHAREHOLDING, ConflictType.FINANCIAL),
        (RelationKind.RELATIVE_EMPLOYER, ConflictType.RELATIVE),
        (RelationKind.COMPETITOR, ConflictType.BUSINESS),
        (RelationKind.SUPPLIER, ConflictType.BUSINESS),
        (RelationKind.CUSTOMER, ConflictType.BUSINESS),
    ],
)
@pytest.mark.parametrize(("start", "end", "conflicts"), CURRENT_CASES)
def test_current_rules(kind, rule, start, end, conflicts):
    found = detect(expert(Relation(kind, APPLICANT, start, end)))
    assert types(found) == ([rule] if conflicts else [])


@pytest.mark.parametrize("kind", list(RelationKind))
def test_a_relation_with_another_organization_never_conflicts(kind):
    assert detect(expert(Relation(kind, OTHER, date(2020, 1, 1), None))) == []


# --- configurable windows -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("coi_settings", "kind", "end", "conflicts"),
    [
        (CoiSettings(employment_years=5), RelationKind.EMPLOYER, date(2019, 5, 15), True),
        (CoiSettings(employment_years=5), RelationKind.EMPLOYER, date(2019, 5, 14), False),
        (CoiSettings(employment_years=0), RelationKind.EMPLOYER, REVIEW - DAY, False),
        (CoiSettings(consulting_years=1), RelationKind.CLIENT, date(2023, 5, 15), True),
        (CoiSettings(consulting_years=1), RelationKind.CLIENT, date(2023, 5, 14), False),
        (CoiSettings(dispute_years=5), RelationKind.DISPUTE, date(2019, 5, 15), True),
        (CoiSettings(financial_years=2), RelationKind.SHAREHOLDING, date(2022, 5, 15), True),
        (CoiSettings(financial_years=2), RelationKind.SHAREHOLDING, date(2022, 5, 14), False),
        (CoiSettings(business_years=1), RelationKind.SUPPLIER, date(2023, 5, 15), True),
        (CoiSettings(relative_years=1), RelationKind.RELATIVE_EMPLOYER, date(2023, 5, 14), False),
    ],
)
def test_window_length_is_a_cycle_setting(coi_settings, kind, end, conflicts):
    found = detect(expert(Relation(kind, APPLICANT, date(2000, 1, 1), end)), coi_settings=coi_settings)
    assert bool(found) is conflicts


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
def test_settings_refuse_nonsense_windows(bad):
    with pytest.raises(ValueError, match="employment_years"):
        CoiSettings(employment_years=bad)


@pytest.mark.parametrize(
    ("reference", "years", "start"),
    [
        (date(2024, 2, 29), 3, date(2021, 2, 28)),
        (date(2024, 2, 29), 4, date(2020, 2, 29)),
        (date(2024, 5, 15), 3, date(2021, 5, 15)),
        (date(2024, 5, 15), 0, date(2024, 5, 15)),
    ],
)
def test_window_start_counts_calendar_years(reference, years, start):
    assert window_start(reference, years) == start


def test_the_reference_date_is_a_parameter_not_the_clock():
    relation = Relation(RelationKind.EMPLOYER, APPLICANT, date(2000, 1, 1), date(2010, 6, 30))
    assert types(detect(expert(relation), ref=date(2011, 1, 1))) == [ConflictType.EMPLOYMENT]
    assert detect(expert(relation), ref=date(2014, 1, 1)) == []


def test_relation_refuses_an_end_before_its_start():
    with pytest.raises(ValueError, match="before it starts"):
        Relation(RelationKind.EMPLOYER, APPLICANT, date(2022, 1, 1), date(2021, 1, 1))


# --- direct employment and groups -----------------------------------------------------------


def test_expert_organization_is_the_applicant():
    found = detect(expert(org=APPLICANT))
    assert types(found) == [ConflictType.EMPLOYMENT]
    assert found[0].party_credit_code == APPLICANT
    assert f"organization={APPLICANT}" in found[0].evidence


def test_expert_without_organization_has_no_organization_conflict():
    assert detect(expert(org=None), groups=GroupIndex.from_links([(PARENT, APPLICANT)])) == []


GROUP = GroupIndex.from_links(
    [(PARENT, APPLICANT), (PARENT, SUB), (SUB, SUB_SUB), (SUB_SUB, SISTER), (OTHER, EXPERT_ORG)]
)


@pytest.mark.parametrize(
    ("org", "conflicts"),
    [
        pytest.param(PARENT, True, id="parent"),
        pytest.param(SUB, True, id="sister-company"),
        pytest.param(SUB_SUB, True, id="subsidiary-of-a-subsidiary"),
        pytest.param(SISTER, True, id="three-links-away"),
        pytest.param(EXPERT_ORG, False, id="another-group"),
        pytest.param(STRANGER, False, id="in-no-group"),
    ],
)
def test_group_rule_is_transitive(org, conflicts):
    found = detect(expert(org=org), groups=GROUP)
    assert types(found) == ([ConflictType.GROUP] if conflicts else [])


def test_group_conflict_names_the_chain_of_links():
    (conflict,) = detect(expert(org=SUB_SUB), groups=GROUP)
    assert conflict.party_credit_code == SUB_SUB
    assert f"group_root={PARENT}" in conflict.evidence
    links = [item for item in conflict.evidence if item.startswith("group_link=")]
    # Walked from the expert's organization to the applicant, each link as parent>subsidiary.
    assert links == [
        f"group_link={SUB}>{SUB_SUB}",
        f"group_link={PARENT}>{SUB}",
        f"group_link={PARENT}>{APPLICANT}",
    ]
    assert PARENT in conflict.reason and APPLICANT in conflict.reason


def test_group_root_is_the_top_parent_and_strangers_are_their_own_root():
    assert {GROUP.group_root(code) for code in (APPLICANT, SUB, SUB_SUB, SISTER)} == {PARENT}
    assert GROUP.group_root(STRANGER) == STRANGER
    assert GROUP.same_group(SISTER, APPLICANT)
    assert not GROUP.same_group(STRANGER, APPLICANT)


def test_group_index_takes_codes_not_names():
    with pytest.raises(InvalidCreditCode):
        GroupIndex.from_links([("上海精工集团", APPLICANT)])


# --- credit codes, never names --------------------------------------------------------------


def test_name_alike_organizations_with_different_codes_do_not_conflict():
    # Two companies both called 上海精工机械有限公司: only the credit code decides.
    namesake = Relation(RelationKind.EMPLOYER, OTHER, date(2020, 1, 1), None, note="上海精工机械有限公司")
    found = detect(expert(namesake, org=OTHER), applicant(APPLICANT))
    assert found == []


def test_relations_refuse_a_name_in_place_of_a_code():
    with pytest.raises(InvalidCreditCode):
        Relation(RelationKind.EMPLOYER, "上海精工机械有限公司", date(2020, 1, 1), None)


def test_codes_are_normalized_before_matching():
    lower = APPLICANT.lower()
    found = detect(expert(Relation(RelationKind.EMPLOYER, f" {lower} ", None, None)))
    assert types(found) == [ConflictType.EMPLOYMENT]


# --- e-mail domains -------------------------------------------------------------------------


def test_an_email_domain_alone_is_a_soft_signal_never_a_hard_conflict():
    facts = applicant(domains=frozenset({"jinggong.com.cn"}))
    (signal,) = detect(expert(email="wang@jinggong.com.cn"), facts)
    assert signal.type is ConflictType.EMAIL
    assert signal.severity is Severity.SOFT and not signal.is_hard
    assert signal.evidence == ("email_domain=jinggong.com.cn",)


def test_a_company_domain_supports_a_code_based_conflict():
    facts = applicant(domains=frozenset({"JingGong.com.cn"}))
    relation = Relation(RelationKind.EMPLOYER, APPLICANT, date(2022, 1, 1), None)
    conflict, signal = detect(expert(relation, email="wang@jinggong.com.cn"), facts)
    assert conflict.is_hard and signal.type is ConflictType.EMAIL
    assert "email_domain=jinggong.com.cn" in conflict.evidence
    assert "jinggong.com.cn" in conflict.reason


def test_a_different_company_domain_is_not_evidence():
    facts = applicant(domains=frozenset({"jinggong.com.cn"}))
    relation = Relation(RelationKind.EMPLOYER, APPLICANT, date(2022, 1, 1), None)
    (conflict,) = detect(expert(relation, email="wang@huaxin.com.cn"), facts)
    assert not any(item.startswith("email_domain=") for item in conflict.evidence)
    assert "huaxin.com.cn" not in conflict.reason


@pytest.mark.parametrize("domain", ["qq.com", "163.com", "vip.163.com", "foxmail.com", "gmail.com", "sina.cn"])
def test_a_public_mail_domain_is_never_evidence(domain):
    facts = applicant(domains=frozenset({domain}))
    relation = Relation(RelationKind.EMPLOYER, APPLICANT, date(2022, 1, 1), None)
    (conflict,) = detect(expert(relation, email=f"wang@{domain}"), facts)
    assert domain not in conflict.reason
    assert not any(domain in item for item in conflict.evidence)


def test_public_mail_domains_cover_the_common_providers():
    for domain in ("qq.com", "163.com", "126.com", "sina.com", "aliyun.com", "outlook.com"):
        assert domain in PUBLIC_MAIL_DOMAINS
    assert is_public_mail_domain("VIP.QQ.COM")
    assert not is_public_mail_domain("jinggong.com.cn")


# --- reasons --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "rule_word", "start", "end", "window_word"),
    [
        (RelationKind.EMPLOYER, "Employment", date(2019, 3, 1), date(2022, 6, 30), "2021-05-15"),
        (RelationKind.CLIENT, "Consulting", date(2023, 1, 2), date(2023, 4, 30), "3-year"),
        (RelationKind.SHAREHOLDING, "Financial", date(2018, 7, 1), None, "2024-05-15"),
        (RelationKind.RELATIVE_EMPLOYER, "Relative", date(2020, 2, 3), None, "2024-05-15"),
        (RelationKind.DISPUTE, "Dispute", date(2022, 8, 8), date(2023, 1, 9), "2021-05-15"),
        (RelationKind.SUPPLIER, "supplier", date(2021, 9, 9), None, "2024-05-15"),
    ],
)
def test_reasons_name_the_rule_the_party_and_the_dates(kind, rule_word, start, end, window_word):
    (conflict,) = detect(expert(Relation(kind, APPLICANT, start, end, note="2021 contract")))
    assert rule_word in conflict.reason
    assert APPLICANT in conflict.reason
    assert start.isoformat() in conflict.reason
    assert end is None or end.isoformat() in conflict.reason
    assert window_word in conflict.reason
    assert "note=2021 contract" in conflict.evidence
    assert conflict.source is ConflictSource.DETECTED


def test_conflicts_come_in_a_fixed_order():
    relations = (
        Relation(RelationKind.DISPUTE, APPLICANT, date(2023, 1, 1), None),
        Relation(RelationKind.CUSTOMER, APPLICANT, None, None),
        Relation(RelationKind.EMPLOYER, APPLICANT, date(2022, 1, 1), None),
        Relation(RelationKind.EMPLOYER, APPLICANT, date(2019, 1, 1), date(2021, 12, 31)),
    )
    found = detect(expert(*relations, org=SUB), groups=GROUP)
    assert types(found) == [
        ConflictType.EMPLOYMENT,
        ConflictType.EMPLOYMENT,
        ConflictType.DISPUTE,
        ConflictType.GROUP,
        ConflictType.BUSINESS,
    ]
    assert "2019-01-01" in found[0].reason
    assert found == detect(expert(*reversed(relations), org=SUB), groups=GROUP)


# --- pinned conflicts -----------------------------------------------------------------------


def test_pinned_conflict_needs_a_reason():
    with pytest.raises(ValueError, match="reason"):
        pin_conflict(conflict_type=ConflictType.OTHER, party_credit_code=APPLICANT, reason="  ")


def test_merge_keeps_every_detected_and_pinned_conflict():
    detected = detect(expert(Relation(RelationKind.EMPLOYER, APPLICANT, None, None), org=APPLICANT))
    pinned = [
        pin_conflict(
            conflict_type=ConflictType.EMPLOYMENT,
            party_credit_code=APPLICANT,
            reason="Office: confirmed by phone",
        ),
        pin_conflict(conflict_type=ConflictType.OTHER, party_credit_code=APPLICANT, reason="Co-author"),
    ]
    merged = merge_conflicts(detected, pinned)
    assert merged == [*detected, *pinned]
    assert [c.source for c in merged].count(ConflictSource.PINNED) == 2


def test_merge_refuses_mislabelled_input_rather_than_guessing():
    pinned = pin_conflict(conflict_type=ConflictType.OTHER, party_credit_code=APPLICANT, reason="x")
    with pytest.raises(ValueError, match="detected"):
        merge_conflicts([pinned], [])


conflict_types = st.sampled_from(PINNABLE_TYPES)
reasons = st.text(min_size=1, max_size=8).filter(str.strip)


@given(
    detected=st.lists(st.builds(Conflict, conflict_types, st.sampled_from(CODES), reasons)),
    pinned=st.lists(
        st.builds(
            pin_conflict,
            conflict_type=conflict_types,
            party_credit_code=st.sampled_from(CODES),
            reason=reasons,
        )
    ),
)
def test_merge_never_drops_anything(detected, pinned):
    merged = merge_conflicts(detected, pinned)
    assert len(merged) == len(detected) + len(pinned)
    assert merged[: len(detected)] == detected
    assert merged[len(detected) :] == pinned


# --- the matrix -----------------------------------------------------------------------------

POOL = CODES[:6]
days = st.dates(min_value=date(2018, 1, 1), max_value=date(2025, 12, 31))


@st.composite
def relations(draw):
    start = draw(st.none() | days)
    end = draw(st.none() | days)
    if start is not None and end is not None and start > end:
        start, end = end, start
    return Relation(draw(st.sampled_from(list(RelationKind))), draw(st.sampled_from(POOL)), start, end)


@st.composite
def pools(draw):
    experts = [
        ExpertProfile(
            expert_id=index,
            organization_code=draw(st.none() | st.sampled_from(POOL)),
            email=draw(st.sampled_from([None, "a@x.com.cn", "a@qq.com"])),
            relations=tuple(draw(st.lists(relations(), max_size=3))),
        )
        for index in range(draw(st.integers(0, 6)))
    ]
    applicants = [
        ApplicantFacts(
            application_id=f"A{index}",
            credit_code=code,
            email_domains=draw(st.sampled_from([frozenset(), frozenset({"x.com.cn", "qq.com"})])),
        )
        for index, code in enumerate(draw(st.lists(st.sampled_from(POOL), max_size=6)))
    ]
    links = draw(st.lists(st.tuples(st.sampled_from(POOL), st.sampled_from(POOL)), max_size=4))
    return experts, applicants, GroupIndex.from_links(links)


# too_slow: drawing a pool of experts and applicants is the point, and a busy machine slows it.
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(pool=pools(), reference=days)
def test_matrix_equals_pairwise_detection(pool, reference):
    experts, applicants, groups = pool
    kwargs = {"settings": DEFAULTS, "groups": groups, "reference_date": reference}
    expected = {}
    for facts in applicants:
        for profile in experts:
            found = find_conflicts(profile, facts, **kwargs)
            if found:
                expected[(facts.application_id, profile.expert_id)] = found
    matrix = conflict_matrix(experts, applicants, **kwargs)
    assert matrix == expected
    assert list(matrix) == list(expected)  # same deterministic order


def test_matrix_refuses_duplicate_ids():
    with pytest.raises(ValueError, match="expert_id"):
        conflict_matrix(
            [expert(), expert()],
            [applicant()],
            settings=DEFAULTS,
            groups=NO_GROUPS,
            reference_date=REVIEW,
        )


def test_matrix_lists_only_conflicted_pairs():
    clean = ExpertProfile(expert_id=2, organization_code=STRANGER, email=None)
    tied = ExpertProfile(expert_id=3, organization_code=SUB_SUB, email=None)
    matrix = conflict_matrix(
        [clean, tied],
        [applicant(), ApplicantFacts(application_id=11, credit_code=OTHER)],
        settings=DEFAULTS,
        groups=GROUP,
        reference_date=REVIEW,
    )
    assert list(matrix) == [(10, 3)]
    assert types(matrix[(10, 3)]) == [ConflictType.GROUP]


# --- properties of the window and the groups ------------------------------------------------


@given(
    start=st.none() | days,
    length=st.integers(0, 800),
    open_ended=st.booleans(),
    reference=days,
    years=st.integers(0, 4),
)
def test_window_rule_matches_a_day_by_day_oracle(start, length, open_ended, reference, years):
    end = None if open_ended or start is None else start + timedelta(days=length)
    relation = Relation(RelationKind.EMPLOYER, APPLICANT, start, end)
    first = window_start(reference, years)
    window_days = (first + timedelta(days=n) for n in range((reference - first).days + 1))
    oracle = any((start is None or start <= day) and (end is None or day <= end) for day in window_days)
    found = detect(expert(relation), coi_settings=CoiSettings(employment_years=years), ref=reference)
    assert bool(found) is oracle


@given(
    links=st.lists(st.tuples(st.sampled_from(CODES), st.sampled_from(CODES)), max_size=10),
    data=st.data(),
)
def test_groups_are_connected_components_in_any_link_order(links, data):
    index = GroupIndex.from_links(links)
    shuffled = GroupIndex.from_links(data.draw(st.permutations(links)))
    neighbours = {code: {code} for code in CODES}
    for a, b in links:
        neighbours[a].add(b)
        neighbours[b].add(a)
    for a in CODES:
        reach, frontier = {a}, [a]
        while frontier:
            for near in neighbours[frontier.pop()] - reach:
                reach.add(near)
                frontier.append(near)
        for b in CODES:
            assert index.same_group(a, b) is (b in reach)
        assert index.group_root(a) == shuffled.group_root(a)


# --- translation --------------------------------------------------------------------------


@pytest.mark.parametrize("app_config", [{"BABEL_DEFAULT_LOCALE": "zh_CN"}])
def test_reasons_are_rendered_in_the_request_locale(app, app_config):
    relation = Relation(RelationKind.CLIENT, APPLICANT, date(2022, 3, 1), date(2022, 9, 30))
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        (conflict,) = detect(expert(relation))
    assert "咨询" in conflict.reason and "2022-03-01" in conflict.reason
    assert "2021-05-15" in conflict.reason  # the window's first day survives translation


def test_group_members_are_every_company_of_the_group_at_any_depth():
    groups = GroupIndex.from_links([(PARENT, SUB), (SUB, SUB_SUB), (PARENT, SISTER)])
    assert groups.members(SUB_SUB) == tuple(sorted([PARENT, SUB, SUB_SUB, SISTER]))
    assert groups.members(STRANGER) == ()
