"""Simplified Chinese is the default and complete; English is one click away."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from award import PROJECT_ROOT

CATALOG = PROJECT_ROOT / "award/translations/zh_Hans_CN/LC_MESSAGES/messages.po"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    template = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "babel.cfg",
         "-k", "lazy_gettext", "-k", "_l", "-o", str(template), "."],
        cwd=PROJECT_ROOT, check=True, capture_output=True,
    )
    with Path(template).open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


def test_every_message_has_a_chinese_translation(extracted):
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog if m.id and not m.fuzzy and (m.string if isinstance(m.string, str) else all(m.string))
    }
    missing = sorted(extracted - translated)
    assert missing == [], "run `make translations` and translate these in zh_Hans_CN/messages.po"


def test_translations_keep_their_placeholders():
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check()]
    assert problems == []


@pytest.mark.parametrize("app_config", [{"BABEL_DEFAULT_LOCALE": "zh_CN"}])
def test_chinese_is_the_default_and_english_is_switchable(client, app_config):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "登录" in page
    client.post("/language/en", data={"next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Sign in" in page
