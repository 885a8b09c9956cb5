"""The application form's services: the autosave's version check, evidence tied to rubric items,
several files at once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from award.applications import services
from award.applications.models import EvidenceFile
from award.applications.presenters import form_progress
from award.audit.models import AuditRecord
from award.cycles.models import Stage
from award.cycles.services import cycle_rubric
from award.errors import Conflict, Invalid

from .conftest import complete_profile, full_texts, image_bytes, pdf_bytes


def saves(db, application) -> int:
    return len(db.scalars(select(AuditRecord).where(AuditRecord.action == "application.draft_saved",
                                                    AuditRecord.target_id == str(application.id))).all())


def test_a_save_raises_the_version_and_writes_one_audit_record(db, draft, enterprise):
    before = draft.version
    services.save_draft(db, actor=enterprise, application=draft, profile=complete_profile(),
                        self_assessment={"4.1.2": "领导作用", "4.1.3": "治理", "4.7.7": "结果"},
                        expected_version=before)
    assert draft.version == before + 1
    assert saves(db, draft) == 1  # one record for the save, not one per field


def test_a_save_that_changes_nothing_writes_nothing(db, draft, enterprise):
    services.save_draft(db, actor=enterprise, application=draft, profile=complete_profile(),
                        self_assessment={"4.1.2": "一"}, expected_version=draft.version)
    version, records = draft.version, saves(db, draft)
    services.save_draft(db, actor=enterprise, application=draft, profile=complete_profile(),
                        self_assessment={"4.1.2": "一"}, expected_version=version)
    assert (draft.version, saves(db, draft)) == (version, records)


def test_a_stale_version_is_refused_and_overwrites_nothing(db, draft, enterprise):
    loaded = draft.version  # two tabs open the form
    services.save_draft(db, actor=enterprise, application=draft, profile=complete_profile(),
                        self_assessment={"4.1.2": "第一个标签页"}, expected_version=loaded)
    with pytest.raises(services.DraftVersionConflict) as refused:
        services.save_draft(db, actor=enterprise, application=draft, profile=complete_profile(),
                            self_assessment={"4.1.2": "第二个标签页"}, expected_version=loaded)
    assert refused.value.current_version == loaded + 1
    assert "saved elsewhere" in refused.value.message
    assert draft.self_assessment["4.1.2"] == "第一个标签页"


def test_a_submitted_application_is_not_saved(db, make_submitted, open_cycle, enterprise):
    application = make_submitted(open_cycle, enterprise)
    text = dict(application.self_assessment)
    with pytest.raises(Conflict, match="read-only"):
        services.save_draft(db, actor=enterprise, application=application, profile=complete_profile(),
                            self_assessment={"4.1.2": "提交后再改"}, expected_version=application.version)
    assert application.self_assessment == text


def test_evidence_can_be_attached_to_an_item_of_the_cycles_rubric(db, draft, enterprise, store, limits):
    evidence = services.add_evidence(db, actor=enterprise, application=draft, data=pdf_bytes(), filename="a.pdf",
                                     store=store, limits=limits, rubric_item_id="4.2.2")
    assert evidence.rubric_item_id == "4.2.2"
    unattached = services.add_evidence(db, actor=enterprise, application=draft, data=pdf_bytes(),
                                       filename="b.pdf", store=store, limits=limits)
    assert unattached.rubric_item_id is None  # a file of the whole application stays valid


@pytest.mark.parametrize("item", ["1.1", "4.8.1", "4.1"])  # of the city rubric, of none, a category
def test_evidence_for_an_item_of_another_rubric_is_refused(db, draft, enterprise, store, limits, item):
    with pytest.raises(Invalid, match="not part of the rubric"):
        services.add_evidence_files(db, actor=enterprise, application=draft, files=[("a.pdf", pdf_bytes())],
                                    store=store, limits=limits, rubric_item_id=item)
    assert db.scalars(select(EvidenceFile)).all() == []


def test_several_files_one_bad_the_good_ones_are_kept_and_the_bad_one_named(db, draft, enterprise, store,
                                                                             limits):
    outcomes = services.add_evidence_files(
        db, actor=enterprise, application=draft, rubric_item_id="4.3.2", store=store, limits=limits,
        files=[("调查.pdf", pdf_bytes()), ("病毒.pdf", b"MZ not a pdf"), ("照片.png", image_bytes("PNG"))])
    assert [o.evidence is not None for o in outcomes] == [True, False, True]
    assert outcomes[1].filename == "病毒.pdf" and "Only PDF, JPEG and PNG" in outcomes[1].message
    stored = db.scalars(select(EvidenceFile).order_by(EvidenceFile.id)).all()
    assert [(f.display_name, f.rubric_item_id) for f in stored] == [("调查.pdf", "4.3.2"), ("照片.png", "4.3.2")]


def test_too_many_files_at_once_are_all_refused(db, draft, enterprise, store):
    limits = services.EvidenceLimits(max_file_bytes=200_000, max_total_bytes=500_000, max_files_per_upload=2)
    with pytest.raises(Invalid, match="At most 2 files"):
        services.add_evidence_files(db, actor=enterprise, application=draft, store=store, limits=limits,
                                    files=[(f"{n}.pdf", pdf_bytes()) for n in range(3)])
    assert db.scalars(select(EvidenceFile)).all() == []


def test_no_files_after_submission(db, make_submitted, open_cycle, enterprise, store, limits):
    application = make_submitted(open_cycle, enterprise)
    with pytest.raises(Conflict):
        services.add_evidence_files(db, actor=enterprise, application=application, store=store, limits=limits,
                                    files=[("a.pdf", pdf_bytes())], rubric_item_id="4.1.2")


def test_progress_counts_written_items_and_files_per_item(db, draft, enterprise, store, limits, open_cycle):
    texts = {"4.1.2": "写了", "4.1.3": "   "}
    services.add_evidence_files(db, actor=enterprise, application=draft, store=store, limits=limits,
                                rubric_item_id="4.1.3", files=[("a.pdf", pdf_bytes()), ("b.pdf", pdf_bytes())])
    progress = form_progress(cycle_rubric(open_cycle), texts, draft.files)
    assert (progress.done, progress.total) == (1, 23)
    assert progress.items["4.1.2"].state == "scored"
    assert (progress.items["4.1.3"].state, progress.items["4.1.3"].files) == ("partial", 2)
    assert form_progress(cycle_rubric(open_cycle), full_texts(open_cycle), draft.files).done == 23


def test_the_receipt_content_names_the_item_of_each_file(db, draft, enterprise, store, limits):
    services.add_evidence(db, actor=enterprise, application=draft, data=pdf_bytes(), filename="a.pdf",
                          store=store, limits=limits, rubric_item_id="4.7.2")
    services.add_evidence(db, actor=enterprise, application=draft, data=pdf_bytes(), filename="b.pdf",
                          store=store, limits=limits)
    evidence = services.submission_content(db, draft)["evidence"]
    assert evidence[0]["item"] == "4.7.2" and "item" not in evidence[1]  # older digests stay as they were


def test_closed_cycle_refuses_autosave(db, draft, enterprise, make_cycle):
    draft.cycle.stage = Stage.SCREENING
    with pytest.raises(Conflict):
        services.save_draft(db, actor=enterprise, application=draft, profile=complete_profile(),
                            self_assessment={"4.1.2": "截止后"}, expected_version=draft.version)
