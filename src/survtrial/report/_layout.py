"""What a rendered page's boxes look like: elements wider than the page, boxes that scroll, print widths."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LANDSCAPE_WIDTH_PX", "LAYOUT_SCRIPT", "PORTRAIT_WIDTH_PX", "Layout", "layout_from"]

#: Printable width in CSS pixels (96 per inch) of the pages Chromium prints by default (US Letter,
#: 8.5 x 11 in) with the report's @page margins of 15 mm left and right.
PORTRAIT_WIDTH_PX = round(8.5 * 96 - 2 * 15 / 25.4 * 96)
LANDSCAPE_WIDTH_PX = round(11 * 96 - 2 * 15 / 25.4 * 96)

# One evaluation in the page. An element "overflows" when its box ends right of the viewport (or
# starts left of it) and no ancestor clips or scrolls it; a "scroller" is an element with
# overflow-x auto/scroll whose content is wider than its box (a table scrolling inside its own
# box). Elements inside <svg> are skipped (the SVG root is measured).
LAYOUT_SCRIPT = """(() => {
  const vw = document.documentElement.clientWidth;
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.classList.length ? '.' + [...el.classList].join('.') : '');
  const contained = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(a).overflowX)) return true;
    }
    return false;
  };
  const overflow = [], scrollers = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if ((r.right > vw + 1 || r.left < -1) && !contained(el)) {
      overflow.push({element: name(el), left: r.left, right: r.right,
                     section: el.closest('section') ? el.closest('section').id : ''});
    }
    const ox = getComputedStyle(el).overflowX;
    if ((ox === 'auto' || ox === 'scroll') && el.scrollWidth > el.clientWidth + 1) {
      scrollers.push({element: name(el.firstElementChild || el), width: el.clientWidth,
                      content: el.scrollWidth});
    }
  }
  return JSON.stringify({viewport: vw, scroll_width: document.documentElement.scrollWidth,
                         overflow: overflow, scrollers: scrollers});
})()"""


@dataclass(frozen=True)
class Layout:
    """Widths measured in a rendered page (CSS pixels).

    ``overflow``: elements reaching beyond the viewport that nothing clips or scrolls, as
    ``(element, left, right, section id)``; ``scrollers``: boxes whose content scrolls
    horizontally inside them, as ``(element, box width, content width)``.
    """

    media: str
    viewport: float
    scroll_width: float
    overflow: tuple[tuple[str, float, float, str], ...]
    scrollers: tuple[tuple[str, float, float], ...]

    @property
    def fits(self) -> bool:
        """Nothing is wider than the page (tables that scroll inside their own box are allowed)."""
        return not self.overflow and self.scroll_width <= self.viewport + 1

    def problems(self) -> list[str]:
        """One line per element that does not fit, naming it, its extent and its section."""
        out = [f"{self.media} at {self.viewport:.0f} px: {e} spans {lo:.0f}-{hi:.0f} px"
               + (f" (in {s})" if s else "") for e, lo, hi, s in self.overflow]
        if not out and self.scroll_width > self.viewport + 1:
            out.append(f"{self.media} at {self.viewport:.0f} px: the page scrolls sideways "
                       f"({self.scroll_width:.0f} px wide)")
        return out

    def __repr__(self) -> str:
        return (f"Layout({self.media} at {self.viewport:.0f} px: {len(self.overflow)} overflowing, "
                f"{len(self.scrollers)} scrolling box(es))")


def layout_from(value: dict, media: str, keep: str | None = None) -> Layout:
    """A :class:`Layout` from :data:`LAYOUT_SCRIPT`'s result; ``keep`` "portrait" / "landscape"
    keeps only overflows outside / inside sections printed on landscape pages (``landscape``
    section ids are read from the DOM by the caller and passed in ``value['landscape']``)."""
    landscape = set(value.get("landscape", ()))
    rows = [(o["element"], float(o["left"]), float(o["right"]), o["section"]) for o in value["overflow"]]
    width = float(value["scroll_width"])
    if keep is not None:
        rows = [r for r in rows if (r[3] in landscape) == (keep == "landscape")]
        width = max([float(value["viewport"]), *(r[2] for r in rows)])
    return Layout(media=media, viewport=float(value["viewport"]), scroll_width=width,
                  overflow=tuple(rows),
                  scrollers=tuple((s["element"], float(s["width"]), float(s["content"])) for s in value["scrollers"]))
