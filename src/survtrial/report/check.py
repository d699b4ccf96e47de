"""Static checks of an HTML report: external references (self-containedness) and active content."""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["active_content", "external_references"]

# Attributes whose URL the browser fetches while rendering: only "#fragment" or data: may appear.
_RESOURCE_ATTRS = {"src", "srcset", "data", "poster", "background", "manifest", "codebase", "lowsrc", "dynsrc"}
_RESOURCE_HREF_TAGS = {"link", "use", "image", "feimage", "script", "img", "iframe", "object", "embed"}
# Attributes holding a URL followed only on a click: relative paths (files written next to the
# report) and data: are fine, anything with a network or file scheme is not.
_LINK_ATTRS = {"href", "xlink:href", "action", "formaction", "cite", "longdesc", "ping"}
_SCHEME = re.compile(r"^\s*(?:([a-zA-Z][a-zA-Z0-9+.-]*):|//)")
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)|@import", re.IGNORECASE)
_ACTIVE_TAGS = {"script", "iframe", "frame", "object", "embed", "applet", "base", "portal"}


def _scheme(value: str) -> str | None:
    m = _SCHEME.match(value)
    if not m:
        return None
    return (m.group(1) or "//").lower()


def _css_problems(css: str) -> list[str]:
    out = []
    for m in _CSS_URL.finditer(css):
        if m.group(0).lower() == "@import":
            out.append("CSS @import")
            continue
        url = m.group(2).strip()
        if not (url.startswith("#") or url.lower().startswith("data:")):
            out.append(f"CSS url({url})")
    return out


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.external: list[str] = []
        self.active: list[str] = []
        self._in_style = False

    def _where(self) -> str:
        return f"line {self.getpos()[0]}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        where = self._where()
        if tag in _ACTIVE_TAGS:
            self.active.append(f"{where}: <{tag}> element")
        self._in_style = tag == "style"
        values = {k: (v or "") for k, v in attrs}
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self.external.append(f"{where}: <meta http-equiv=refresh>")
            self.active.append(f"{where}: <meta http-equiv=refresh>")
        for name, value in values.items():
            if name.startswith("on"):
                self.active.append(f"{where}: <{tag} {name}=...> event handler")
            scheme = _scheme(value) if name in _RESOURCE_ATTRS | _LINK_ATTRS else None
            if scheme == "javascript":
                self.active.append(f"{where}: <{tag} {name}={value!r}>")
            if name == "style":
                self.external += [f"{where}: <{tag} style>: {p}" for p in _css_problems(value)]
            loads = name in _RESOURCE_ATTRS or (name in ("href", "xlink:href") and tag in _RESOURCE_HREF_TAGS)
            if loads:
                if not (value.strip() == "" or value.startswith("#") or scheme == "data"):
                    self.external.append(f"{where}: <{tag} {name}={value!r}> loads a resource")
            elif name in _LINK_ATTRS and scheme not in (None, "data", "mailto"):
                self.external.append(f"{where}: <{tag} {name}={value!r}> points outside the report")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.external += [f"{self._where()}: <style>: {p}" for p in _css_problems(data)]


def _scan(html_text: str) -> _Scanner:
    scanner = _Scanner()
    scanner.feed(html_text)
    scanner.close()
    return scanner


def external_references(html_text: str) -> list[str]:
    """Everything in ``html_text`` that would load, or link to, something outside the file.

    Resources (``src``, ``<link href>``, SVG ``<use href>``, CSS ``url()`` / ``@import``) must
    be ``#fragments`` or ``data:`` URLs; clickable links may be relative paths (files written
    beside the report) but not ``http(s):``, ``file:`` or other schemes.

    Returns
    -------
    list of str
        One line per problem ("line 12: <img src='http://...'> loads a resource"); empty if the
        document is self-contained.

    Examples
    --------
    >>> external_references('<img src="https://example.org/x.png"><a href="tables/t.csv">t</a>')
    ["line 1: <img src='https://example.org/x.png'> loads a resource"]
    """
    return _scan(html_text).external


def active_content(html_text: str) -> list[str]:
    """Script-capable content in ``html_text``: ``<script>``/``<iframe>``/``<object>``... elements,
    ``on*`` event-handler attributes and ``javascript:`` URLs. A report should have none.

    Examples
    --------
    >>> active_content("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>")
    []
    >>> active_content("<p><script>alert(1)</script></p>")
    ['line 1: <script> element']
    """
    return _scan(html_text).active
