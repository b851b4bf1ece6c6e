"""A QR code for the printed schedule: a phone's camera opens the address without typing it."""

from __future__ import annotations

# Imported with this module rather than when the first code is drawn: a large program's pages are
# rendered by forked worker processes, which then share it instead of each importing
# it for itself. Importing segno takes 20 ms or more: its SVG writer brings XML helpers and,
# through them, urllib.request, http.client and ssl.
import segno
from markupsafe import Markup, escape


def qr_code_svg(address: str) -> Markup:
    """The address as an inline SVG QR code, drawn at build time (no network, no script).

    Error correction level M survives a smudged or folded print; the quiet zone of four modules is
    kept, as scanners need it. The SVG scales with its container (viewBox) and has a text
    alternative: the address itself, which the page prints beside it too.
    """
    code = segno.make(address, error="m", micro=False)
    svg = code.svg_inline(scale=1, dark="#000", light="#fff", omitsize=True, svgclass="qr-code", lineclass=None,
                          title=None)
    label = f'role="img" aria-label="QR code: {escape(address)}"'
    return Markup(svg.replace("<svg ", f"<svg {label} ", 1))
