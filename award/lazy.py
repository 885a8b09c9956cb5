"""A module imported on its first use: NumPy for the ranking and the assignment solver.

Every command and web worker builds the app, and the app's pages import the ranking and the panels;
NumPy (0.1 to 0.3 s to import) is needed only when a ranking is computed or panels are drawn. A
module writes `np = lazy_module("numpy")` under `if not TYPE_CHECKING` (mypy still sees the real
import) and uses `np.` as before; the first attribute read imports NumPy.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module `name` until an attribute is read, then imports it and reads from it.

    Each attribute read is kept on the instance, so the next read of `np.zeros` is a plain attribute
    lookup, as fast as on the module (a module's functions and constants do not change)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):  # copy, pickle and friends probe for these: not the module's
            raise AttributeError(attribute)
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        value = getattr(module, attribute)
        setattr(self, attribute, value)
        return value

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}{' (imported)' if self._module is not None else ''}>"


def lazy_module(name: str) -> Any:
    """`name`, imported on the first attribute read (typed Any: declare the real import for mypy)."""
    return LazyModule(name)
