"""The layers at run time: the domain runs without Flask, and the hooks do not wait for the web layer.

`make test` checks the import contracts of pyproject.toml with lint-imports first; these tests run a
fresh interpreter, so what another test imported cannot hide a missing import.
"""

from __future__ import annotations

import subprocess
import sys

from award import PROJECT_ROOT

DOMAIN_WITHOUT_FLASK = """
import pkgutil, re, sys, tomllib
import award

# The interface layer, as the "interfaces" contract of pyproject.toml names it; everything else is domain.
contracts = tomllib.loads(open("pyproject.toml").read())["tool"]["importlinter"]["contracts"]
patterns = next(c for c in contracts if c["id"] == "interfaces")["protected_modules"]
interface = re.compile("|".join(re.escape(p).replace(r"\\*", r"[^.]+") for p in patterns) + "$")
names = [m.name for m in pkgutil.walk_packages(award.__path__, "award.") if not interface.match(m.name)]
for name in names:
    __import__(name)
flask = sorted(m for m in sys.modules if m.split(".")[0] in ("flask", "flask_login", "flask_babel", "flask_wtf"))
assert not flask, flask
assert len(names) > 100, names

from award.i18n import _, force_locale, format_datetime, local_zone
from award.db import utcnow
with force_locale("zh_CN"):
    assert _("This page does not exist.") == "页面不存在。", _("This page does not exist.")
    assert format_datetime(utcnow()).startswith(str(utcnow().astimezone(local_zone()).year))
assert str(local_zone()) == "Asia/Shanghai"
"""

HOOKS_WITHOUT_WEB = """
import sys
from award import areas
from award.cycles import stages, tasks
from award.cycles.models import Stage
from award.notifications import reminders
from award.auth import services
from award.cycles import services as cycle_services
from award import files

def hooks():
    return ({key: list(guards) for key, guards in stages._GUARDS.items()},
            {role: list(providers) for role, providers in tasks._PROVIDERS.items()},
            list(reminders._SOURCES), list(services._REGISTRATION_LISTENERS),
            list(cycle_services._DEADLINE_LISTENERS), [str(column) for column in files._REFERENCES])

areas.load_hooks()
assert "award.web" not in sys.modules and not any(m.endswith(".routes") for m in sys.modules)
loaded = hooks()
assert stages._GUARDS[(Stage.SCREENING, Stage.DOCUMENT_REVIEW)], "the screening and panel guards"
assert cycle_services._DEADLINE_LISTENERS, "the applicants hear of a moved application deadline"

import pkgutil, award  # every other module, the web layer too, adds nothing more
for module in pkgutil.walk_packages(award.__path__, "award."):
    if module.name != "award.wsgi":  # it builds the app of the server at import
        __import__(module.name)
assert hooks() == loaded, "a module adds to a hook but is missing from award.areas.HOOK_MODULES"
"""


def _run(code: str) -> None:
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr


def test_the_domain_imports_and_translates_without_flask():
    _run(DOMAIN_WITHOUT_FLASK)


def test_every_hook_is_registered_by_load_hooks_without_the_web_layer():
    _run(HOOKS_WITHOUT_WEB)


HEAVY = ("weasyprint", "scipy", "numpy", "highspy", "openpyxl", "PIL", "redis", "segno")

CLI_WITHOUT_HEAVY_LIBRARIES = """
import sys
import award.cli
loaded = sorted(name for name in ("weasyprint", "scipy", "numpy", "highspy", "segno") if name in sys.modules)
assert not loaded, f"importing award.cli imported {loaded}"
"""

APP_WITHOUT_HEAVY_LIBRARIES = f"""
import sys
from award import create_app
create_app({{"DATABASE_URL": "sqlite://", "SECRET_KEY": "x"}})
loaded = sorted(name for name in {HEAVY!r} if name in sys.modules)
assert not loaded, f"building the app imported {{loaded}}: import them where the work that needs them is done"
"""


def test_the_command_line_imports_no_heavy_library():
    """Issue 23: commands start in a second; WeasyPrint, SciPy and NumPy wait for the work that needs them."""
    _run(CLI_WITHOUT_HEAVY_LIBRARIES)


def test_building_the_app_leaves_heavy_libraries_to_the_work_that_needs_them():
    """Every `flask --app award …` command and worker start builds the app first; WeasyPrint (0.6 s),
    SciPy (0.4 s), NumPy (0.1 to 0.3 s), openpyxl (0.2 s), Pillow and redis-py would otherwise be paid
    before a command even parses its arguments, and stay in every web worker's memory."""
    _run(APP_WITHOUT_HEAVY_LIBRARIES)


def test_a_lazy_module_is_imported_by_its_first_attribute_read():
    _run("""
import sys
from award.lazy import lazy_module
np = lazy_module("numpy")
assert "numpy" not in sys.modules
assert np.arange(3).sum() == 3 and "numpy" in sys.modules
assert np.zeros is sys.modules["numpy"].zeros and isinstance(np.zeros(1), np.ndarray)
""")
