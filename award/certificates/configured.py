"""The certificate area as this app is configured: where seals are kept, how batches are laid out, where fonts are
looked up, and the public address of a certificate's check page. Interface level (reads
``current_app``), shared by the routes and the command line."""

from __future__ import annotations

import functools

from flask import current_app

from award.certificates.fonts import FontLookup, installed_cjk_families
from award.certificates.render import Renderer, render_certificates_batch
from award.certificates.seals import DEFAULT_MAX_SEAL_BYTES, SealStore
from award.files import files_root


def seal_store() -> SealStore:
    return SealStore(files_root(current_app.config, current_app.instance_path))


def seal_max_bytes() -> int:
    return int(current_app.config.get("CERTIFICATE_SEAL_MAX_BYTES", DEFAULT_MAX_SEAL_BYTES))


def batch_renderer() -> Renderer:
    """How a batch is laid out; tests set CERTIFICATE_BATCH_RENDER to a renderer that fails or pauses."""
    configured = current_app.config.get("CERTIFICATE_BATCH_RENDER")
    return configured or functools.partial(render_certificates_batch, font_lookup=font_lookup())


def font_lookup() -> FontLookup:
    """Where rendering looks for CJK fonts; tests set CERTIFICATE_FONT_LOOKUP to simulate a bare machine."""
    return current_app.config.get("CERTIFICATE_FONT_LOOKUP") or installed_cjk_families


def public_verify_url(number: str) -> str:
    """The absolute URL of a number's check page (PUBLIC_BASE_URL + the route), built without a request."""
    path = current_app.url_map.bind("localhost").build("certificates.verify", {"number": number})
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path
