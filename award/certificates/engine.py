"""WeasyPrint's side of our PDFs: the URL fetcher that serves only our own assets, and the calls
that lay out and write a document.

Imported inside the functions that make a PDF, never at the top of a module: importing WeasyPrint
loads Pango and HarfBuzz through cffi, about 0.6 s that every command and every worker start would
otherwise pay before doing anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from weasyprint import HTML, Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from award.certificates.assets import FetchRecord, RefusedURLError, asset_file

__all__ = ["AssetFetcher", "FontConfiguration", "lay_out", "write_pdf"]


class AssetFetcher(URLFetcher):
    """WeasyPrint URL fetcher that serves the app's own assets and refuses everything else.

    Served: ``award-asset:NAME`` for a plain file name inside ``templates_dir`` and the
    exact ``data:`` URLs listed in ``own_data_urls``. Refused (WeasyPrint then logs and
    leaves the resource out): ``file:``, ``http(s):``, any other scheme and foreign
    ``data:`` URLs. Every request is appended to ``log`` when one is given.
    """

    def __init__(self, *, templates_dir: Path, own_data_urls: Iterable[str] = (),
                 log: list[FetchRecord] | None = None) -> None:
        # Only data: may reach the parent's opener (for decoding); redirects are off anyway.
        super().__init__(allowed_protocols=("data",), allow_redirects=False)
        self._templates_dir = templates_dir.resolve()
        self._own_data_urls = frozenset(own_data_urls)
        self._log = log

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        try:
            response = self._serve(url, headers)
        except Exception:
            self._record(url, served=False)
            raise
        self._record(url, served=True)
        return response

    def _record(self, url: str, *, served: bool) -> None:
        if self._log is not None:
            self._log.append(FetchRecord(url=url, served=served))

    def _serve(self, url: str, headers: dict | None) -> URLFetcherResponse:
        if (found := asset_file(url, self._templates_dir)) is not None:
            path, mime = found
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime})
        if url in self._own_data_urls:
            return super().fetch(url, headers)
        raise RefusedURLError(f"refused to fetch {url[:80]!r}: not an asset of this app")


def lay_out(html: str, *, templates_dir: Path, own_data_urls: Iterable[str] = (),
            log: list[FetchRecord] | None = None, font_config: FontConfiguration | None = None) -> Document:
    fetcher = AssetFetcher(templates_dir=templates_dir, own_data_urls=own_data_urls, log=log)
    return HTML(string=html, url_fetcher=fetcher).render(font_config=font_config)


def write_pdf(html: str, *, templates_dir: Path, own_data_urls: Iterable[str] = (),
              log: list[FetchRecord] | None = None) -> bytes:
    fetcher = AssetFetcher(templates_dir=templates_dir, own_data_urls=own_data_urls, log=log)
    return HTML(string=html, url_fetcher=fetcher).write_pdf()
