"""Lazy public names for the package and each layer: ``from survtrial.stats import kaplan_meier`` imports km only."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module-level ``__getattr__`` and ``__dir__`` for ``package`` exporting ``name -> defining module``."""
    namespace = importlib.import_module(package).__dict__

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
