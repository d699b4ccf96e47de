"""Lazy public names for the package and each layer: ``from survtrial.stats import kaplan_meier`` imports km only."""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any


class _Package(types.ModuleType):
    """A package whose exported functions win over their same-named submodules.

    ``survtrial.design.ahr_design`` is both a module and the function it defines; importing the
    module makes Python set the package attribute to the module, so ``from survtrial.design import
    ahr_design`` would give the module or the function depending on what was imported before. Here
    the package keeps the function (the submodule stays in ``sys.modules``: ``from
    survtrial.design.ahr_design import ahr_power`` and ``importlib.import_module`` are unchanged).
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and value.__name__ in self.__dict__.get("_SAME_NAMED", ()):
            value = getattr(value, name, value)
        super().__setattr__(name, value)


def keep_exports(package: str, exports: Mapping[str, str]) -> None:
    """Make ``package`` keep its exported names where a submodule has the same name (see ``_Package``)."""
    module = sys.modules[package]
    same = {m for n, m in exports.items() if m == f"{package}.{n}"}
    if not same:
        return
    module._SAME_NAMED = frozenset(same)
    module.__class__ = _Package
    for name in [n for n, m in exports.items() if m in same]:
        if isinstance(module.__dict__.get(name), types.ModuleType):  # already imported: take the function
            module.__dict__[name] = getattr(module.__dict__[name], name)


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module-level ``__getattr__`` and ``__dir__`` for ``package`` exporting ``name -> defining module``."""
    namespace = importlib.import_module(package).__dict__
    keep_exports(package, exports)

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__


def layer_exports(layer: str) -> dict[str, str]:
    """The top-level names (``survtrial._EXPORTS``) defined inside ``layer`` (e.g. ``survtrial.stats``)."""
    from survtrial import _EXPORTS

    return {name: module for name, module in _EXPORTS.items() if module.startswith(layer + ".")}
