"""An SVG made safe to paste into an HTML page: rebuilt from its parsed tree, keeping only drawing.

The decision report inlines the SVGs kaleido draws (``core.chart_images``). Their text comes from model
ids, already plotly-escaped, but the report does not rely on that alone: ``inline_svg`` parses the SVG and
writes it out again element by element, so

* only drawing elements survive (no ``script``, ``foreignObject``, ``a``, ``image``, ``style``, ...),
* no event handler (``on*``) and no link or ``url(...)`` that leaves the SVG (only ``#id`` references),
* every text and attribute value is escaped again, quotes included: a model id reads as text and
  never as markup, not even as a quoted ``href="..."`` inside a text node,
* every ``id`` (and each reference to it) gets ``prefix``: several charts on one page cannot take each
  other's clip paths.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import escape

SVG_NS = "{http://www.w3.org/2000/svg}"
ATTRIBUTE_NS = {"{http://www.w3.org/1999/xlink}": "xlink:", "{http://www.w3.org/XML/1998/namespace}": "xml:"}
DRAWING = frozenset({
    "svg", "g", "defs", "clipPath", "mask", "pattern", "linearGradient", "radialGradient", "stop", "rect",
    "circle", "ellipse", "line", "polyline", "polygon", "path", "text", "tspan", "title", "desc",
})
_OUTSIDE_REF = re.compile(r"url\(\s*['\"]?(?!#)|javascript:|data:", re.IGNORECASE)
_LOCAL_REF = re.compile(r"url\(\s*(['\"]?)#")


def _attribute_name(name: str) -> str | None:
    """``name`` as written in HTML, or None for an attribute in a namespace nobody needs."""
    if not name.startswith("{"):
        return name
    namespace, _, local = name.partition("}")
    prefix = ATTRIBUTE_NS.get(namespace + "}")
    return prefix + local if prefix else None


def _attribute(name: str, value: str, prefix: str) -> str | None:
    """The attribute, written out, or None when it could run code or reach outside the SVG."""
    html_name = _attribute_name(name)
    if html_name is None or html_name.lower().startswith("on"):
        return None
    if html_name in ("href", "xlink:href"):
        if not value.startswith("#"):
            return None
        value = "#" + prefix + value[1:]
    elif _OUTSIDE_REF.search(value):
        return None
    elif html_name == "id":
        value = prefix + value
    else:
        value = _LOCAL_REF.sub(lambda m: f"url({m.group(1)}#{prefix}", value)
    return f' {html_name}="{escape(value)}"'


def _element(node: ET.Element, prefix: str, out: list[str]) -> None:
    tag = node.tag.removeprefix(SVG_NS)
    if tag in DRAWING:
        attributes = "".join(a for name, value in node.attrib.items() if (a := _attribute(name, value, prefix)))
        out.append(f"<{tag}{attributes}>{escape(node.text or '')}")
        for child in node:
            _element(child, prefix, out)
        out.append(f"</{tag}>")
    out.append(escape(node.tail or ""))


def inline_svg(svg: bytes | str, prefix: str) -> str:
    """``svg`` as inert markup for an HTML page (see the module docstring); ``ValueError`` if it is not an SVG."""
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as exc:
        raise ValueError(f"not a well-formed SVG: {exc}") from exc
    if root.tag != SVG_NS + "svg":
        raise ValueError(f"not an SVG: the root element is {root.tag}")
    out: list[str] = []
    _element(root, prefix, out)
    return "".join(out)
