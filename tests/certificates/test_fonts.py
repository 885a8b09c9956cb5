"""Font and native-library checks that keep Chinese PDFs from printing empty boxes."""

from __future__ import annotations

import shutil

import pytest

from award.certificates.fonts import (
    CJK_FONT_PACKAGE,
    CjkFont,
    MissingFontError,
    _fc_list_families,
    check_pdf_system,
    choose_cjk_font,
    installed_cjk_families,
    require_cjk_font,
)


def no_fonts() -> list[str]:
    return []


def all_libraries(name: str) -> str:
    return f"lib{name}.so.0"


@pytest.mark.parametrize(
    ("families", "expected"),
    [
        (["Noto Sans CJK SC", "Noto Serif CJK SC"], CjkFont("Noto Serif CJK SC", serif=True)),
        (["Noto Serif CJK TC", "Source Han Serif SC"], CjkFont("Source Han Serif SC", serif=True)),
        (["WenQuanYi Zen Hei", "AR PL UMing CN"], CjkFont("AR PL UMing CN", serif=True)),
        (["Some Song Font"], CjkFont("Some Song Font", serif=True)),
        (["Noto Sans Mono CJK SC", "Noto Sans CJK SC"], CjkFont("Noto Sans CJK SC", serif=False)),
        (["Noto Sans Mono CJK SC", "Unknown Hei"], CjkFont("Unknown Hei", serif=False)),
        (["Noto Sans Mono CJK SC"], CjkFont("Noto Sans Mono CJK SC", serif=False)),
        ([], None),
    ],
)
def test_choose_prefers_simplified_chinese_serif(families: list[str], expected) -> None:
    assert choose_cjk_font(families) == expected


def test_missing_font_error_names_the_package() -> None:
    with pytest.raises(MissingFontError, match=CJK_FONT_PACKAGE):
        require_cjk_font(no_fonts)


def test_installed_font_is_found() -> None:
    # The machine that runs the suite has fonts-noto-cjk, as production must.
    assert require_cjk_font() == CjkFont("Noto Serif CJK SC", serif=True)


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fc-list not installed")
def test_library_lookup_agrees_with_fc_list() -> None:
    assert set(installed_cjk_families()) == set(_fc_list_families(shutil.which("fc-list")))


def test_healthy_system_has_no_warnings() -> None:
    assert check_pdf_system() == []


def test_warns_without_cjk_font() -> None:
    warnings = check_pdf_system(font_lookup=no_fonts, find_library=all_libraries)
    assert len(warnings) == 1
    assert CJK_FONT_PACKAGE in warnings[0]


def test_warns_when_only_sans_is_installed() -> None:
    warnings = check_pdf_system(font_lookup=lambda: ["Noto Sans CJK SC"],
                                find_library=all_libraries)
    assert len(warnings) == 1
    assert "Noto Sans CJK SC" in warnings[0] and CJK_FONT_PACKAGE in warnings[0]


@pytest.mark.parametrize(
    ("missing", "package"),
    [("harfbuzz-subset", "libharfbuzz-subset0"), ("pango-1.0", "libpango-1.0-0")],
)
def test_warns_about_missing_library(missing: str, package: str) -> None:
    def finder(name: str) -> str | None:
        return None if name == missing else all_libraries(name)

    warnings = check_pdf_system(font_lookup=lambda: ["Noto Serif CJK SC"], find_library=finder)
    assert len(warnings) == 1
    assert package in warnings[0]
