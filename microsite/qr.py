"""A QR code for the printed schedule: a phone's camera opens the address without typing it."""

from __future__ import annotations

from markupsafe import Markup, escape


def qr_code_svg(address: str) -> Markup:
    """The address as an inline SVG QR code, drawn at build time (no network, no script).

    Error correction level M survives a smudged or folded print; the quiet zone of four modules is
    kept, as scanners need it. The SVG scales with its container (viewBox) and has a text
    alternative: the address itself, which the page prints beside it too.
    """
    # Imported when a code is drawn, not with this module: segno brings its SVG writer's XML
    # helpers and, through them, urllib.request, http.client and ssl (20 ms or more to import),
    # which a build that draws no code does not need.
    import segno

    code = segno.make(address, error="m", micro=False)
    svg = code.svg_inline(scale=1, dark="#000", light="#fff", omitsize=True, svgclass="qr-code", lineclass=None,
                          title=None)
    label = f'role="img" aria-label="QR code: {escape(address)}"'
    return Markup(svg.replace("<svg ", f"<svg {label} ", 1))
