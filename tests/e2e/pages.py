"""Steps that several browser tests take the same way."""

from __future__ import annotations


def sign_in(page, email: str, password: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("input[type=submit]")


def score_the_sheet(page, rubric, percent: int) -> None:
    """Fill every item of the open sheet at `percent`, with the comments each band asks for."""
    for item in rubric.items:
        band = rubric.band_for_percent(item, percent)
        page.check(f"input[name='band-{item.id}'][value='{band.id}']")
        page.select_option(f"select[name='percent-{item.id}']", str(percent))
        page.fill(f"textarea[name='strength-{item.id}']", f"{item.id} 方法系统，覆盖全面")
        page.fill(f"textarea[name='improvement-{item.id}']", f"{item.id} 展开到班组不足")
        if band.justification_required:
            page.fill(f"textarea[name='justification-{item.id}']", "证据充分")
