"""Find a Chinese font and the native libraries WeasyPrint needs, before rendering anything.

Without a font covering Chinese, WeasyPrint quietly prints empty boxes (tofu) in place of
every character; a certificate like that is worse than an error. So rendering asks
:func:`require_cjk_font` first, which raises :class:`MissingFontError` naming the package to
install. The lookup is a plain callable returning family names, so tests can inject an empty
one and simulate a machine without CJK fonts.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from award.errors import Unavailable
from award.i18n import _

__all__ = [
    "CJK_FONT_PACKAGE",
    "HARFBUZZ_SUBSET_PACKAGE",
    "CjkFont",
    "FontLookup",
    "LibraryFinder",
    "MissingFontError",
    "check_pdf_system",
    "choose_cjk_font",
    "installed_cjk_families",
    "require_cjk_font",
]

CJK_FONT_PACKAGE = "fonts-noto-cjk"
HARFBUZZ_SUBSET_PACKAGE = "libharfbuzz-subset0"
PANGO_PACKAGE = "libpango-1.0-0"

FontLookup = Callable[[], Iterable[str]]
"""Returns the family names of installed fonts that cover Chinese."""

LibraryFinder = Callable[[str], str | None]
"""Same contract as :func:`ctypes.util.find_library`."""

# Serif families for Simplified Chinese first (a certificate is set in a Song/Ming face),
# then Traditional and Japanese cuts of the same designs, which share the common hanzi.
SERIF_PREFERENCE = (
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "Source Han Serif CN",
    "Noto Serif SC",
    "AR PL UMing CN",
    "Noto Serif CJK TC",
    "Source Han Serif TC",
    "AR PL UMing TW",
    "Noto Serif CJK JP",
)
SANS_PREFERENCE = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
)
_SERIF_HINTS = ("serif", "ming", "song", "宋", "明")


class MissingFontError(Unavailable):
    """No installed font covers Chinese, so a PDF would show empty boxes."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="font_missing")


@dataclass(frozen=True, slots=True)
class CjkFont:
    """The font family chosen for Chinese text, and whether it is a serif (Song/Ming) face."""

    family: str
    serif: bool


def _fontconfig_families(library_path: str) -> list[str]:
    """List families covering Chinese through libfontconfig, the library Pango itself uses."""

    class FcFontSet(ctypes.Structure):
        _fields_ = [
            ("nfont", ctypes.c_int),
            ("sfont", ctypes.c_int),
            ("fonts", ctypes.POINTER(ctypes.c_void_p)),
        ]

    fc = ctypes.CDLL(library_path)
    fc.FcInitLoadConfigAndFonts.restype = ctypes.c_void_p
    fc.FcNameParse.restype = ctypes.c_void_p
    fc.FcNameParse.argtypes = [ctypes.c_char_p]
    fc.FcObjectSetCreate.restype = ctypes.c_void_p
    fc.FcObjectSetAdd.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    fc.FcFontList.restype = ctypes.POINTER(FcFontSet)
    fc.FcFontList.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    fc.FcPatternGetString.argtypes = [
        ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
    fc.FcFontSetDestroy.argtypes = [ctypes.POINTER(FcFontSet)]
    for name in ("FcObjectSetDestroy", "FcPatternDestroy", "FcConfigDestroy"):
        getattr(fc, name).argtypes = [ctypes.c_void_p]

    config = fc.FcInitLoadConfigAndFonts()
    pattern = fc.FcNameParse(b":lang=zh")
    object_set = fc.FcObjectSetCreate()
    fc.FcObjectSetAdd(object_set, b"family")
    font_set = fc.FcFontList(config, pattern, object_set)
    families: set[str] = set()
    try:
        for index in range(font_set.contents.nfont):
            font = font_set.contents.fonts[index]
            value_index = 0
            value = ctypes.c_char_p()
            # A font may carry several family names (e.g. a localized one): take them all.
            while fc.FcPatternGetString(font, b"family", value_index, ctypes.byref(value)) == 0:
                if value.value is not None:  # a match always sets it
                    families.add(value.value.decode("utf-8", "replace"))
                value_index += 1
    finally:
        fc.FcFontSetDestroy(font_set)
        fc.FcObjectSetDestroy(object_set)
        fc.FcPatternDestroy(pattern)
        fc.FcConfigDestroy(config)
    return sorted(families)


def _fc_list_families(executable: str) -> list[str]:
    """List families covering Chinese with the ``fc-list`` command."""
    output = subprocess.run(
        [executable, ":lang=zh", "family"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    return sorted({name.strip() for line in output.splitlines() for name in line.split(",")
                   if name.strip()})


@functools.cache
def installed_cjk_families() -> tuple[str, ...]:
    """Return the installed font families covering Chinese, as fontconfig sees them.

    Cached for the life of the process: fonts installed later need a restart, as they do
    for Pango's own font map.
    """
    library = ctypes.util.find_library("fontconfig")
    if library:
        return tuple(_fontconfig_families(library))
    executable = shutil.which("fc-list")
    if executable:
        return tuple(_fc_list_families(executable))
    return ()


def choose_cjk_font(families: Iterable[str]) -> CjkFont | None:
    """Pick the best family for a Chinese certificate: a known serif, any serif, then sans."""
    available = list(dict.fromkeys(families))
    for wanted in SERIF_PREFERENCE:
        if wanted in available:
            return CjkFont(family=wanted, serif=True)
    for family in available:
        if any(hint in family.lower() for hint in _SERIF_HINTS):
            return CjkFont(family=family, serif=True)
    for wanted in SANS_PREFERENCE:
        if wanted in available:
            return CjkFont(family=wanted, serif=False)
    # Skip monospace cuts, which set Chinese text at odd widths, unless nothing else exists.
    proportional = [family for family in available if "mono" not in family.lower()]
    if proportional or available:
        return CjkFont(family=(proportional or available)[0], serif=False)
    return None


def missing_font_message() -> str:
    """The operator-facing explanation of a missing CJK font, naming the package."""
    return _(
        "No font covering Chinese is installed, so PDF text would print as empty boxes. "
        "Install the %(package)s package (apt-get install %(package)s) and restart.",
        package=CJK_FONT_PACKAGE,
    )


def require_cjk_font(lookup: FontLookup = installed_cjk_families) -> CjkFont:
    """Return the CJK font to use, or raise :class:`MissingFontError` naming the package."""
    font = choose_cjk_font(lookup())
    if font is None:
        raise MissingFontError(missing_font_message())
    return font


def check_pdf_system(
    *,
    font_lookup: FontLookup = installed_cjk_families,
    find_library: LibraryFinder = ctypes.util.find_library,
) -> list[str]:
    """Return warnings about the PDF stack, for the app to log at start-up; empty when fine."""
    warnings: list[str] = []
    if not find_library("pango-1.0"):
        warnings.append(_(
            "Pango is missing: WeasyPrint cannot render PDFs. Install the %(package)s package.",
            package=PANGO_PACKAGE,
        ))
    if not find_library("harfbuzz-subset"):
        warnings.append(_(
            "HarfBuzz subsetting library is missing: PDF font subsetting falls back to "
            "fontTools and is much slower with CJK fonts. Install the %(package)s package.",
            package=HARFBUZZ_SUBSET_PACKAGE,
        ))
    font = choose_cjk_font(font_lookup())
    if font is None:
        warnings.append(missing_font_message())
    elif not font.serif:
        warnings.append(_(
            "No Chinese serif font is installed; certificates will use %(family)s. "
            "Install the %(package)s package for Noto Serif CJK.",
            family=font.family,
            package=CJK_FONT_PACKAGE,
        ))
    return warnings
