"""Partials kept by what they read: an included layout's output, keyed by the values of the names it uses.

A page is rendered again when anything in its context changed; on the home page of a large
program that is every session's card, though an edit to one topic changes two of them. A
partial (a layout reached by `{% include %}`) reads only some names of its page's context, and
Jinja can say which before it runs (jinja2.meta): the names in its source and in the sources
of the layouts it includes in turn, each found from the parse that compiles the layout and kept
with its code (compiled.py). Its output is kept under those names' values (plus the
layouts' files), so the unchanged cards come from the cache and the page's bytes are the same
as a render without it (tests/test_cache.py).

Layouts need not know: this is Jinja's own `template_class` setting. A layout whose output
cannot be judged by its names is always rendered: one that extends another or has blocks
(what it shows comes from elsewhere), one that assigns to a namespace (it changes its
caller's values), one that includes a layout named by a variable, and any whose values cannot
be written into a key (a loop's state). An import (`{% import %}`) always runs the layout, for
its macros.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator

import jinja2
from jinja2 import meta, nodes
from jinja2.environment import TemplateModule
from jinja2.runtime import Context, missing

_UNJUDGEABLE = (nodes.Extends, nodes.Block, nodes.NSRef)
Names = tuple[str, ...] | None  # what a layout reads; None: its output is not decided by names alone
# What a layout reads itself and the layouts it includes by name (compiled.py keeps it with the
# layout's code); None: its output is not decided by names alone.
Reads = tuple[tuple[str, ...], tuple[str, ...]] | None


def partial_template_class(keep: Callable[[tuple, Callable[[], str]], str], layouts_digest: str,
                           reads_of: Callable[[jinja2.Environment, str], Reads]) -> type[jinja2.Template]:
    """A Template class whose partials' output is `keep(inputs, render)`: the text that
    render() gives, kept by `inputs`. keep raises TypeError or PicklingError for inputs it
    cannot write into a key; the partial is then rendered as usual. `reads_of(environment,
    name)` gives what a layout reads itself (own_reads); what it reads in all is that and what
    the layouts it includes read, found afresh for every build's layouts."""

    class KeptPartials(jinja2.Template):
        @classmethod
        def _from_namespace(cls, environment, namespace, globals):  # where Jinja makes each template
            template = super()._from_namespace(environment, namespace, globals)
            template.plain_render = template.root_render_func
            names = _names_read(environment, template.name, reads_of)
            if names is not None:
                template.root_render_func = _keeping(template, names, keep, layouts_digest)
            return template

        def make_module(self, vars=None, shared=False, locals=None) -> TemplateModule:
            # An import wants the layout's macros and variables, which only running it makes.
            context = self.new_context(vars, shared, locals)
            return TemplateModule(self, context, list(self.plain_render(context)))

    return KeptPartials


def own_reads(tree: nodes.Template) -> Reads:
    """The names a parsed layout reads from its context, and the layouts it includes by name."""
    if any(True for _ in tree.find_all(_UNJUDGEABLE)):
        return None
    included = tuple(meta.find_referenced_templates(tree))
    if None in included:  # a layout named by a variable
        return None
    return tuple(sorted(meta.find_undeclared_variables(tree))), included


def _keeping(template: jinja2.Template, names: tuple[str, ...], keep: Callable, layouts_digest: str) -> Callable:
    plain = template.plain_render
    helpers = template.environment.globals  # the generator's own functions: its digest is in every key

    def render(context: Context) -> Iterator[str]:
        values = [context.resolve_or_missing(name) for name in names]
        if any(value is missing for value in values):  # let Jinja report the undefined name
            yield from plain(context)
            return
        read = [(name, value) for name, value in zip(names, values) if value is not helpers.get(name, missing)]
        try:
            yield keep((layouts_digest, template.name, read), lambda: "".join(plain(context)))
        except (TypeError, pickle.PicklingError, AttributeError):  # a value that cannot be in a key
            yield from plain(context)
    return render


def _names_read(environment: jinja2.Environment, name: str | None, reads_of: Callable,
                visiting: frozenset[str] = frozenset()) -> Names:
    """Every name a layout reads from its context, with those the layouts it includes read;
    None when its output is not decided by those names alone (or it includes itself)."""
    if name is None or name in visiting or (reads := reads_of(environment, name)) is None:
        return None
    names, included = reads
    found = set(names)
    for other in included:
        more = _names_read(environment, other, reads_of, visiting | {name})
        if more is None:
            return None
        found.update(more)
    return tuple(sorted(found))
