"""Turn a matplotlib SVG file into an element that can sit inline in an HTML page."""

from __future__ import annotations

import re
from html import escape

_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_ID = re.compile(r'\bid="([^"]+)"')


def inline_svg(svg: bytes | str, *, element_id: str, label: str) -> str:
    """Return ``svg`` ready to inline: no XML prolog or metadata, ids unique to this figure.

    Every ``id`` (and each ``url(#id)`` / ``href="#id"`` reference to it) gets the prefix
    ``element_id + "-"``, so several figures can share one page without clashing ids; the
    embedded style sheet is scoped to this figure; the root element gets ``id=element_id``,
    ``class="report-figure-svg"``, ``role="img"`` and ``aria-label=label`` (escaped here).
    """
    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    text = _PROLOG.sub("", text, count=1)
    text = _METADATA.sub("", text)
    prefix = element_id + "-"
    ids = set(_ID.findall(text))
    if ids:
        alternatives = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
        ref = re.compile(r'(url\(#|href="#|\bid=")(' + alternatives + r')(?=[")])')
        text = ref.sub(lambda m: m.group(1) + prefix + m.group(2), text)
    # matplotlib's sheet is `*{stroke-linejoin: ...}`; scope it so it cannot leak into the page.
    text = re.sub(r"(<style[^>]*>\s*)\*\s*\{", lambda m: f"{m.group(1)}#{element_id} *{{", text, count=1)
    attrs = (
        f'id="{escape(element_id)}" class="report-figure-svg" role="img" '
        f'aria-label="{escape(label, quote=True)}" '
    )
    return re.sub(r"<svg\b\s*", lambda m: "<svg " + attrs, text, count=1).strip()
