"""Every page of the demo as its users see it (issue 21): each role walks every page it can reach,
at desktop (1280 px) and phone (390 px) width, and each page is checked for what a reader would
reject: the page wider than the screen, table cells squeezed to a character or two per line,
clipped select and button text, overlapping controls, internal identifiers (snake_case words,
dotted codes, {placeholders}, \\u escapes, English enum values) in the Chinese UI, characters
the fonts cannot draw, an ASCII colon after Chinese text, and axe-core's serious and critical
accessibility violations (axe.min.js as bundled by axe-playwright-python, injected locally).

The pages are discovered, never listed: every GET rule of the URL map without arguments, then
every link on the pages reached, kept when it matches a GET rule (at most PER_ENDPOINT addresses
of one endpoint per role), so a new page is walked as soon as a page links to it. A screenshot
of each failing page, its offenders outlined in red, goes to AWARD_AUDIT_DIR (default: a pytest
temporary folder named in the failure). While fixing pages, AWARD_AUDIT_ROLES=office,expert walks only
those roles, and AWARD_AUDIT_ENDPOINTS=calls.,main. checks only the pages whose endpoint starts so (the
walk still goes through every page to find their links).
"""

from __future__ import annotations

import enum
import importlib
import os
import pkgutil
import time
from collections import deque
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

import award
from award.app_db import get_database
from award.demo import DEMO_PASSWORD, seed_demo
from tests.e2e.conftest import CHROMIUM
from tests.e2e.pages import sign_in

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (Debian chromium)")]

WIDTHS = (1280, 390)
PER_ENDPOINT = 2  # addresses of one endpoint walked per role: the page's kinds, not every row
ROLES = {  # one account per role of the demo; anonymous walks the public pages
    "public": None,
    "office": "office@demo.award",
    "supervisor": "supervisor@demo.award",
    "leader": "leader1@demo.award",
    "expert": "expert1@demo.award",
    "enterprise": "enterprise1@demo.award",
}
NOT_PAGES = ("static", "main.set_language")  # files and actions, not pages a person reads
FILE_SUFFIXES = (".pdf", ".xlsx", ".csv", ".zip", ".png", ".json")
IDENTIFIER_CHECK_EXCLUDED: set[str] = set()


def app_enum_values() -> list[str]:
    """Every lower-case value or name of the app's enums: English words no Chinese page shows."""
    for module in pkgutil.walk_packages(award.__path__, "award."):
        if not module.name.endswith(("models", "kinds", "rules", "stages")):
            continue
        importlib.import_module(module.name)
    seen: set[str] = set()
    queue = list(enum.Enum.__subclasses__())
    while queue:
        kind = queue.pop()
        queue.extend(kind.__subclasses__())
        if not kind.__module__.startswith("award."):
            continue
        for member in kind:
            for word in (str(member.value), member.name.lower()):
                if word.isascii() and word.replace("_", "").isalpha() and word.islower() and len(word) > 2:
                    seen.add(word)
    return sorted(seen)


CHECKS = r"""
async ({enums, skipIdentifiers, knownGlyphs, runAxe}) => {
  const findings = [];
  const mark = (element, kind, detail) => {
    if (element && element.setAttribute) element.setAttribute("data-audit", kind);
    findings.push({kind, detail: String(detail).slice(0, 160)});
  };
  const describe = (element) => {
    const id = element.id ? "#" + element.id : "";
    const text = (element.innerText || element.value || "").trim().replace(/\s+/g, " ").slice(0, 40);
    return `${element.tagName.toLowerCase()}${id} "${text}"`;
  };
  const visible = (element) => element.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
  const width = document.documentElement.clientWidth;
  const scrolls = (element) => {
    for (let node = element.parentElement; node && node !== document.body; node = node.parentElement) {
      const overflow = getComputedStyle(node).overflowX;
      if (overflow === "auto" || overflow === "scroll" || overflow === "hidden" || overflow === "clip") return true;
    }
    return false;
  };
  // 1. The page wider than the screen, except inside an element made to scroll.
  if (document.documentElement.scrollWidth > width + 1) {
    const culprits = [...document.body.querySelectorAll("*")].filter((element) => {
      const rect = element.getBoundingClientRect();
      return rect.width && rect.right > width + 1 && visible(element) && !scrolls(element);
    });
    const outermost = culprits.filter((element) => !culprits.includes(element.parentElement));
    for (const element of outermost.slice(0, 3)) mark(element, "overflow", describe(element));
    if (!outermost.length) mark(null, "overflow", `page ${document.documentElement.scrollWidth}px wide`);
  }
  // 2. A table cell whose text is squeezed to one or two characters per line.
  for (const cell of document.querySelectorAll("td, th")) {
    const text = cell.innerText.replace(/\s+/g, "");
    if (text.length < 3 || !visible(cell)) continue;
    const tops = new Set();  // the lines of the cell's own text (not the boxes around it)
    const texts = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = texts.nextNode(); node; node = texts.nextNode()) {
      if (!visible(node.parentElement)) continue;  // e.g. inside a closed <details>
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top));
    }
    if (tops.size >= 2 && text.length / tops.size < 2.5) mark(cell, "squeezed cell", describe(cell));
  }
  // 3. A select or button whose own text is clipped.
  const canvas = document.createElement("canvas").getContext("2d");
  for (const control of document.querySelectorAll("select, button, input[type=submit], input[type=button]")) {
    if (!visible(control)) continue;
    const style = getComputedStyle(control);
    let text = control.tagName === "SELECT" ? (control.selectedOptions[0] || {}).text || "" : "";
    if (control.tagName === "INPUT") text = control.value;
    if (control.tagName === "BUTTON") {
      if (control.scrollWidth > control.clientWidth + 1) mark(control, "clipped control", describe(control));
      continue;
    }
    canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const needed = canvas.measureText(text.trim()).width + parseFloat(style.paddingLeft)
      + parseFloat(style.paddingRight);
    if (needed > control.clientWidth + 1) {
      mark(control, "clipped control", `${control.tagName.toLowerCase()}#${control.id} "${text.trim()}" needs `
        + `${Math.ceil(needed)}px, has ${control.clientWidth}px`);
    }
  }
  // 4. Overlapping interactive elements (a bar made to float over the page, fixed or sticky, aside).
  const floats = (element) => {
    for (let node = element; node && node !== document.body; node = node.parentElement) {
      const position = getComputedStyle(node).position;
      if (position === "fixed" || position === "sticky") return true;
    }
    return false;
  };
  const interactive = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  const controls = [...document.querySelectorAll(interactive)]
    .filter(visible).map((element) => [element, [...element.getClientRects()].filter((r) => r.width && r.height)])
    .filter(([element, rects]) => rects.length && !floats(element));  // a link that wraps has a box per line
  const meet = (ra, rb) => Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left) > 2
    && Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top) > 2;
  for (let i = 0; i < controls.length; i++) {
    for (let j = i + 1; j < controls.length; j++) {
      const [a, rectsA] = controls[i], [b, rectsB] = controls[j];
      if (a.contains(b) || b.contains(a)) continue;
      if (rectsA.some((ra) => rectsB.some((rb) => meet(ra, rb)))) {
        mark(a, "overlap", `${describe(a)} / ${describe(b)}`);
        b.setAttribute("data-audit", "overlap");
      }
    }
  }
  // 5-7. Visible text: identifiers, undrawable characters, an ASCII colon after Chinese.
  const chinese = document.documentElement.lang.startsWith("zh");
  const enumWords = new RegExp(`(^|[^A-Za-z0-9_@.\\-/])(${enums.join("|")})(?![A-Za-z0-9_@\\-])`);
  const patterns = [
    ["snake_case", /(^|[^A-Za-z0-9_@.\-/])[a-z][a-z0-9]*(_[a-z0-9]+)+(?![A-Za-z0-9@.\-])/],
    ["dotted code", /(^|[^A-Za-z0-9_@.\-/])[a-z][a-z_]+\.[a-z_]+(?![A-Za-z0-9@\-])/],
    ["placeholder", /\{[A-Za-z_][A-Za-z0-9_]*\}|%\([a-z_]+\)[sd]/],
    ["\\u escape", /\\u[0-9a-fA-F]{4}/],
  ];
  const scrub = (text) => text
    .replace(/[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+/g, " ")          // e-mail addresses
    .replace(/\b(https?:\/\/|www\.)\S+/g, " ")                      // addresses
    .replace(/\b[\w\-]+\.(pdf|xlsx|csv|zip|png|jpe?g|docx?|toml)\b/gi, " ")  // file names
    .replace(/\b[a-z0-9\-]+(\.[a-z0-9\-]+)*\.(com|cn|net|org|award|gov)\b/g, " ");  // host names
  const glyphless = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    const raw = node.nodeValue;
    if (!raw.trim() || !parent || parent.closest("script, style, template, code, pre, textarea")) continue;
    if (parent.tagName !== "OPTION" && !visible(parent)) continue;
    if (!skipIdentifiers) {
      const text = scrub(raw);
      for (const [kind, pattern] of patterns) {
        const found = text.match(pattern);
        if (found) mark(parent, "identifier", `${kind}: ${found[0].trim()} in "${raw.trim().slice(0, 60)}"`);
      }
      const word = chinese && enums.length ? text.match(enumWords) : null;
      if (word) mark(parent, "identifier", `English enum value: ${word[2]} in "${raw.trim().slice(0, 60)}"`);
    }
    const colon = chinese ? raw.match(/[\u3400-\u9fff\uff09\u300b]:/) : null;
    if (colon) mark(parent, "ascii colon", `"${raw.trim().slice(0, 60)}"`);
    for (const character of raw) {
      if (character.codePointAt(0) < 0x2000 || knownGlyphs.includes(character)) continue;
      if (/\s|\p{M}|\p{Cf}/u.test(character)) continue;
      glyphless.add(character);
    }
  }
  // A character the fonts cannot draw renders as the same box (or nothing) as a private-use one.
  if (glyphless.size) {
    const font = getComputedStyle(document.body).fontFamily;
    const draw = new OffscreenCanvas(48, 48).getContext("2d", {willReadFrequently: true});
    const picture = (character) => {
      draw.clearRect(0, 0, 48, 48);
      draw.font = `32px ${font}`;
      draw.fillText(character, 4, 36);
      return draw.getImageData(0, 0, 48, 48).data.join(",");
    };
    const missing = picture("\uE000");
    for (const character of glyphless) {
      if (picture(character) === missing) {
        const holder = [...document.body.querySelectorAll("*")].reverse()
          .find((element) => element.textContent.includes(character));
        mark(holder, "no glyph", `U+${character.codePointAt(0).toString(16).toUpperCase()} ${character}`);
      } else {
        knownGlyphs.push(character);
      }
    }
  }
  // 8. axe-core: serious and critical violations only.
  if (runAxe) {
    const results = await axe.run(document, {resultTypes: ["violations"]});
    for (const violation of results.violations) {
      if (!["serious", "critical"].includes(violation.impact)) continue;
      for (const node of violation.nodes.slice(0, 3)) {
        mark(document.querySelector(node.target[0]), "axe", `${violation.id}: ${node.target.join(" ")}`);
      }
    }
  }
  return {findings, knownGlyphs};
}
"""
OUTLINE = """() => document.querySelectorAll("[data-audit]").forEach((element) => {
  element.style.setProperty("outline", "3px solid red", "important");  // CSSOM: allowed by the CSP
})"""


@pytest.fixture(scope="module")
def demo(live_app):
    with live_app.app_context():
        session = get_database(live_app).session_factory()
        seed_demo(session, demo_database=True)
        session.commit()
        session.close()
    return live_app


def demo_values(app) -> dict[str, list]:
    """Ids of the demo's records that pages name only inside a page (a certificate number) or
    that no page links to for some role; the walk adds every value it meets in an address."""
    from sqlalchemy import select

    from award.awards.models import Award
    from award.notice.models import Objection, PublicNotice

    with app.app_context():
        session = get_database(app).session_factory()
        values = {"award_id": list(session.scalars(select(Award.id).limit(2))),
                  "number": list(session.scalars(select(Award.certificate_number).limit(2))),
                  "objection_id": list(session.scalars(select(Objection.id).limit(2))),
                  "notice_id": list(session.scalars(select(PublicNotice.id).limit(2)))}
        session.close()
    return {name: found for name, found in values.items() if found}


def filled_addresses(adapter, rule, values: dict[str, list]) -> list[str]:
    """Up to three addresses of a rule with its arguments taken from the values met so far."""
    names = sorted(rule.arguments)
    if not all(values.get(name) for name in names):
        return []
    addresses = []
    for turn in range(3):
        arguments = {name: values[name][min(turn, len(values[name]) - 1)] for name in names}
        try:
            addresses.append(adapter.build(rule.endpoint, arguments, method="GET"))
        except Exception:  # a value of another kind under the same name  # noqa: BLE001
            continue
    return list(dict.fromkeys(addresses))


def page_endpoint(adapter, url: str):
    """The endpoint of a GET page at this same-site address, or None for a file, an action or elsewhere."""
    parts = urlsplit(url)
    if parts.path.endswith(FILE_SUFFIXES):
        return None
    try:
        endpoint, _ = adapter.match(parts.path, method="GET")
    except RequestRedirect:
        return None
    except HTTPException:
        return None
    return None if endpoint in NOT_PAGES else endpoint


def test_every_page_reads_well_at_desktop_and_phone_width(demo, browser, live_server, tmp_path_factory):
    from axe_playwright_python.sync_playwright import Axe

    started = time.monotonic()
    axe_script = Axe().axe_script
    folder = Path(os.environ.get("AWARD_AUDIT_DIR") or tmp_path_factory.mktemp("page-audit"))
    folder.mkdir(parents=True, exist_ok=True)
    adapter = demo.url_map.bind("127.0.0.1")
    starts = [rule.rule for rule in demo.url_map.iter_rules()
              if "GET" in (rule.methods or ()) and not rule.arguments and rule.endpoint not in NOT_PAGES]
    enums = app_enum_values()
    page_rules = [rule for rule in demo.url_map.iter_rules() if "GET" in (rule.methods or ()) and rule.arguments
                  and rule.endpoint not in NOT_PAGES and not rule.rule.endswith(FILE_SUFFIXES)]
    values = demo_values(demo)  # argument name -> values seen in the addresses walked, first the demo's
    known_glyphs: list[str] = []
    failures: list[str] = []
    walked: dict[str, set[str]] = {}
    visits = 0
    spent = [0.0, 0.0]  # seconds in the checks: [phone, desktop with axe]
    only = os.environ.get("AWARD_AUDIT_ROLES")  # e.g. "office,expert" while fixing a page
    checked_endpoints = tuple(filter(None, os.environ.get("AWARD_AUDIT_ENDPOINTS", "").split(",")))
    for role, email in ROLES.items():
        if only and role not in only.split(","):
            continue
        context = browser.new_context(base_url=live_server, locale="zh-CN",
                                      viewport={"width": WIDTHS[0], "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()
        if email:
            sign_in(page, email, DEMO_PASSWORD)
            page.wait_for_url("**/dashboard")
        queue = deque(starts)
        seen: set[str] = set(starts)
        per_endpoint: dict[str, int] = {}
        filled = False
        while queue or not filled:
            if not queue:  # the links are exhausted: fill the ids of the pages no link led to
                filled = True
                for rule in page_rules:
                    for url in filled_addresses(adapter, rule, values):
                        if rule.endpoint not in per_endpoint and url not in seen:
                            seen.add(url)
                            queue.append(url)
                continue
            path = queue.popleft()
            endpoint = page_endpoint(adapter, path)
            if endpoint is None or per_endpoint.get(endpoint, 0) >= PER_ENDPOINT:
                continue
            page.set_viewport_size({"width": WIDTHS[0], "height": 900})
            try:
                response = page.goto(path)
            except Exception as error:  # a download starts instead of a page
                if "Download" in str(error):
                    continue
                raise
            html = response is not None and "text/html" in response.headers.get("content-type", "")
            if not html or response.status >= 400:
                continue
            landed = urlsplit(page.url)
            endpoint = page_endpoint(adapter, landed.path)
            if endpoint is None or landed.path != urlsplit(path).path:
                continue  # redirected: the target is walked under its own address
            per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1
            walked.setdefault(endpoint, set()).add(role)
            for name, value in adapter.match(landed.path, method="GET")[1].items():
                if value not in values.setdefault(name, []):
                    values[name].append(value)
            for href in page.eval_on_selector_all("a[href]", "links => links.map(link => link.href)"):
                parts = urlsplit(href)
                if parts.netloc != urlsplit(live_server).netloc:
                    continue
                target = parts.path + (f"?{parts.query}" if parts.query else "")
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
            for width in WIDTHS if not checked_endpoints or endpoint.startswith(checked_endpoints) else ():
                page.set_viewport_size({"width": width, "height": 900})
                checked = time.monotonic()
                # axe at desktop width, on a role's first page of an endpoint; injected only there (as
                # axe-playwright-python does), not parsed again on each of the walk's navigations
                run_axe = width == WIDTHS[0] and per_endpoint[endpoint] == 1
                if run_axe:
                    page.evaluate(axe_script)
                result = page.evaluate(CHECKS, {"enums": enums, "knownGlyphs": known_glyphs,
                                                "skipIdentifiers": endpoint in IDENTIFIER_CHECK_EXCLUDED,
                                                "runAxe": run_axe})
                visits += 1
                spent[width == WIDTHS[0]] += time.monotonic() - checked
                known_glyphs = result["knownGlyphs"]
                if result["findings"]:
                    shot = folder / f"{role}-{endpoint}-{per_endpoint[endpoint]}-{width}.png"
                    page.evaluate(OUTLINE)
                    page.screenshot(path=str(shot), full_page=True)
                    details = "; ".join(sorted({f"{f['kind']}: {f['detail']}" for f in result["findings"]}))
                    failures.append(f"{role} {path} @{width}px ({shot.name}): {details}")
        context.close()
    print(f"page audit: {visits} page views ({visits // len(WIDTHS)} pages × {len(WIDTHS)} widths, "
          f"{len(walked)} endpoints) in {time.monotonic() - started:.0f} s (checks {spent[1]:.0f} s at desktop "
          f"width with axe, {spent[0]:.0f} s at phone width); screenshots in {folder}")
    unreached = sorted({rule.endpoint for rule in demo.url_map.iter_rules() if "GET" in (rule.methods or ())
                        and not rule.rule.endswith(FILE_SUFFIXES) and rule.endpoint not in NOT_PAGES} - set(walked))
    print("GET endpoints no demo page links to (or files):", ", ".join(unreached))
    assert not failures, f"{len(failures)} page views with findings (screenshots in {folder}):\n" + "\n".join(failures)
