"""Editors' Markdown to safe HTML: Python-Markdown for the dialect, nh3 for the allow-list."""

from __future__ import annotations

import html
import re

import markdown
import nh3
from markdown.extensions.abbr import AbbrExtension
from markdown.extensions.def_list import DefListExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.smarty import SmartyExtension
from markdown.extensions.tables import TableExtension

# Plain Markdown plus tables, definition lists, abbreviations, fenced code blocks and typographic
# quotes, dashes and ellipses (those two added where a body has something for them: render_all).
# attr_list and md_in_html stay off: they would let a topic file set arbitrary attributes such as
# onclick. Python-Markdown's own extensions, as classes: named by a string, each would have
# Markdown look through every installed package's entry points first.
_EXTENSIONS = (TableExtension, DefListExtension, AbbrExtension, SaneListExtension)
# What SmartyPants changes: every one of its patterns needs one of these (its << >> are off).
_SMARTY_CHANGES = ("'", '"', "--", "...")

# Raw HTML in Markdown is kept only if it is on this list; everything else is removed with its
# attributes, and links keep only http(s), mailto and relative URLs (so `javascript:` never runs).
_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title", "hreflang"}, "abbr": {"title"}, "th": {"scope", "colspan", "rowspan"},
                       "td": {"colspan", "rowspan"}, "ol": {"start", "reversed"}, "q": {"cite"}}
_ALLOWED_SCHEMES = {"http", "https", "mailto"}

def render_all(sources: list[str]) -> list[str]:
    """Each editor's Markdown rendered to HTML that is safe to place in a page as it is, in order."""
    extensions = list(_EXTENSIONS)
    if any("```" in source or "~~~" in source for source in sources):
        # Only for bodies with a fence, the only text it changes: importing Python-Markdown's
        # fenced_code imports its code highlighter, which looks for Pygments and, where Pygments
        # is installed, for Pygments' plugins through importlib.metadata: about 20 ms of every
        # build's start (the site never highlights code).
        from markdown.extensions.fenced_code import FencedCodeExtension

        extensions.append(FencedCodeExtension)
    # SmartyPants walks every body a second time, trying each of its 18 patterns on each piece of
    # text: it doubles the time of a body. A body with no straight quote, double dash or three
    # dots (prose typed with ’ and “ ”, as most of the program's is) comes out the same without it.
    converters: dict[bool, markdown.Markdown] = {}  # one of each kind per batch: it costs 0.6 ms
    rendered = []
    for source in sources:
        smart = any(text in source for text in _SMARTY_CHANGES)
        if smart not in converters:
            kinds = [*extensions, SmartyExtension] if smart else extensions
            converters[smart] = markdown.Markdown(extensions=[kind() for kind in kinds], output_format="html")
        converter = converters[smart]
        converter.reset()
        rendered.append(nh3.clean(converter.convert(source), tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRIBUTES,
                                  url_schemes=_ALLOWED_SCHEMES, link_rel=None))
    return rendered


# A heading as Python-Markdown reads one: one to six # at the start of a line (no space needed).
_HEADING = re.compile(r"\n(#{1,6})")  # greedy: seven # are a level-6 heading, as Python-Markdown reads them


def heading_levels(source: str) -> list[tuple[int, int]]:
    """(line, level) of each `#` heading in Markdown source (1-based, within the body), outside code fences."""
    if "```" not in source and "~~~" not in source:  # most bodies: one search, with a literal to look for
        text = "\n" + source
        return [(text.count("\n", 0, found.start()) + 1, len(found.group(1))) for found in _HEADING.finditer(text)]
    headings, in_fence = [], False
    for number, line in enumerate(source.split("\n"), start=1):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        elif not in_fence and (found := _HEADING.match("\n" + line)):
            headings.append((number, len(found.group(1))))
    return headings


_HEADING_TAG = re.compile(r"<(/?)h([1-6])(?=[\s>])")


def shift_headings(html: str, levels: int) -> str:
    """Cleaned HTML with every heading `levels` lower (h2 -> h3 for 1), at most h6: a body shown
    under a heading of its own page's level."""
    return _HEADING_TAG.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + levels, 6)}", html)


_INLINE_TAGS = {"a", "abbr", "b", "code", "em", "i", "s", "strong", "sub", "sup"}
# A bare address in running text, as editors paste it; Python-Markdown links only <https://...>.
_BARE_URL = re.compile(r"(?<![(<\"'=\]])\bhttps?://[^\s<>()\[\]]*[^\s<>()\[\].,;:!?'\"]")


def inline_sources(texts: list[str]) -> list[str]:
    """One-line texts as Markdown sources whose bare web addresses are links."""
    return [_BARE_URL.sub(lambda found: f"<{found.group()}>", text) for text in texts]


def inline_html(rendered: str) -> str:
    """Rendered Markdown of one line, as phrasing content: links and emphasis, no paragraph or block."""
    cleaned = nh3.clean(rendered, tags=_INLINE_TAGS, attributes=_ALLOWED_ATTRIBUTES, url_schemes=_ALLOWED_SCHEMES,
                        link_rel=None).strip()
    return cleaned.replace("&nbsp;", "\u00a0")  # as the editor wrote it: French spaces before : ? ! stay


_LINK = re.compile(r'<a href="([^"]*)"[^>]*>(.*?)</a>', re.S)
_TAG = re.compile(r"<[^>]+>")


def plain_text(inline: str) -> str:
    """Inline HTML as a calendar or a data file shows it: a link's address follows its words."""
    def spelled_out(found: re.Match) -> str:
        address, words = html.unescape(found.group(1)), _TAG.sub("", found.group(2))
        shown = html.unescape(words)
        return words if shown in (address, address.removeprefix("mailto:")) else f"{words} ({html.escape(address)})"
    return html.unescape(_TAG.sub("", _LINK.sub(spelled_out, inline)))
