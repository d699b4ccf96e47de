"""AALL1731 specifics: risk classification, absolute benefit, treatment calendar."""

from survtrial._lazy import layer_exports, lazy_exports

# The layer's public names (those survtrial exports at the top level), imported on first use.
_EXPORTS = layer_exports(__name__)
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
