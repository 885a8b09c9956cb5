"""Render one of our HTML templates to PDF safely; the same walls as the certificates.

1. The template is a file in ``templates/documents/pdf/``, run in Jinja's
   :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` with autoescape on: every value the
   office or an applicant typed reaches the HTML as text, never markup or template code.
2. WeasyPrint fetches through the certificates' :class:`~award.certificates.engine.AssetFetcher`:
   only plain file names in the templates folder and the ``data:`` URLs made here (a seal image);
   ``file:``, ``http(s):`` and foreign ``data:`` URLs are refused.
3. A CJK font must be installed (:func:`~award.certificates.fonts.require_cjk_font`), or
   rendering stops with the package to install instead of printing empty boxes.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from award.certificates.assets import FetchRecord
from award.certificates.fonts import FontLookup, installed_cjk_families, require_cjk_font

__all__ = ["A4_PORTRAIT", "PDF_TEMPLATES_DIR", "image_data_url", "render_html", "render_pdf"]

PDF_TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates" / "documents" / "pdf"

# The plain A4 page of the printed records (the receipt, the on-site report), a ``page_stylesheet``.
A4_PORTRAIT = "a4-portrait.css"

_IMAGE_MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}


@functools.cache
def _sandbox(folder: Path) -> ImmutableSandboxedEnvironment:
    # One environment per folder: Jinja caches compiled templates inside it.
    return ImmutableSandboxedEnvironment(loader=FileSystemLoader(folder), autoescape=True,
                                         undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _css_string(text: str) -> str:
    """Quote ``text`` as a CSS string that cannot break out of a <style> element."""
    return '"' + "".join(ch if ch.isalnum() or ch in " -_" else f"\\{ord(ch):x} " for ch in text) + '"'


def _stylesheet(folder: Path, name: str, font_family: str, page_stylesheet: str | None) -> Markup:
    # Our own CSS files, inlined: the shared page first (it lives beside this module's templates),
    # then the document's own; the chosen font family is the only value put into them.
    sheets = ([(PDF_TEMPLATES_DIR / page_stylesheet).read_text(encoding="utf-8")] if page_stylesheet else []) + [
        (folder / name).read_text(encoding="utf-8")]
    return Markup(f":root {{ --cjk-font: {_css_string(font_family)}; }}\n" + "\n".join(sheets))


def image_data_url(data: bytes, mime: str) -> str:
    """A ``data:`` URL of a PNG or JPEG image, after checking that the bytes are one."""
    magic = _IMAGE_MAGIC.get(mime)
    if magic is None:
        raise ValueError(f"image must be image/png or image/jpeg, got {mime!r}")
    if not data.startswith(magic):
        raise ValueError(f"the image is not a {mime} file")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def render_html(template_name: str, *, stylesheet: str, page_stylesheet: str | None = None, folder: Path | None = None,
                font_lookup: FontLookup = installed_cjk_families, **context: Any) -> str:
    """Return the template's HTML; ``stylesheet`` (after the shared ``page_stylesheet``, such as
    :data:`A4_PORTRAIT`) and ``font_family`` are added to the context."""
    folder = (folder or PDF_TEMPLATES_DIR).resolve()
    font = require_cjk_font(font_lookup)
    return _sandbox(folder).get_template(template_name).render(
        stylesheet=_stylesheet(folder, stylesheet, font.family, page_stylesheet), font_family=font.family, **context)


def render_pdf(template_name: str, *, stylesheet: str, page_stylesheet: str | None = None, folder: Path | None = None,
               font_lookup: FontLookup = installed_cjk_families, own_data_urls: Iterable[str] = (),
               fetch_log: list[FetchRecord] | None = None, **context: Any) -> bytes:
    """Render the template to PDF bytes. ``own_data_urls`` are the ``data:`` URLs we made (seals)."""
    folder = (folder or PDF_TEMPLATES_DIR).resolve()
    html = render_html(template_name, stylesheet=stylesheet, page_stylesheet=page_stylesheet, folder=folder,
                       font_lookup=font_lookup, **context)
    from award.certificates import engine  # WeasyPrint, loaded when a PDF is made

    return engine.write_pdf(html, templates_dir=folder, own_data_urls=own_data_urls, log=fetch_log)
