"""Partials kept by what they read: an included layout's output, keyed by the values of the names it uses.

A page is rendered again when anything in its context changed; on the home page of a large
program that is every session's card, though an edit to one topic changes two of them. A
partial (a layout reached by `{% include %}`) reads only some names of its page's context, and
Jinja can say which before it runs (jinja2.meta): the names in its source and in the sources
of the layouts it includes in turn. Its output is kept under those names' values (plus the
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


def partial_template_class(keep: Callable[[tuple, Callable[[], str]], str], layouts_digest: str,
                           names_of: Callable[[str, Callable[[], Names]], Names]) -> type[jinja2.Template]:
    """A Template class whose partials' output is `keep(inputs, render)`: the text that
    render() gives, kept by `inputs`. keep raises TypeError or PicklingError for inputs it
    cannot write into a key; the partial is then rendered as usual. `names_of(name, read)`
    gives the names a layout reads as read() finds them, kept by the layouts' digest and the
    layout's name: what a layout reads includes what the layouts it includes read, so a change
    anywhere in layouts/ has them read afresh, not only a change to the layout's own source."""

    class KeptPartials(jinja2.Template):
        @classmethod
        def _from_namespace(cls, environment, namespace, globals):  # where Jinja makes each template
            template = super()._from_namespace(environment, namespace, globals)
            template.plain_render = template.root_render_func
            names = _names_read(environment, template.name, names_of)
            if names is not None:
                template.root_render_func = _keeping(template, names, keep, layouts_digest)
            return template

        def make_module(self, vars=None, shared=False, locals=None) -> TemplateModule:
            # An import wants the layout's macros and variables, which only running it makes.
            context = self.new_context(vars, shared, locals)
            return TemplateModule(self, context, list(self.plain_render(context)))

    return KeptPartials


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


def _names_read(environment: jinja2.Environment, name: str | None, names_of: Callable,
                visiting: frozenset[str] = frozenset()) -> Names:
    """Every name a layout reads from its context, with those the layouts it includes read;
    None when its output is not decided by those names alone (or it includes itself)."""
    if name is None or name in visiting:
        return None
    return names_of(name, lambda: _read_names(environment, name, names_of, visiting | {name}))


def _read_names(environment: jinja2.Environment, name: str, names_of: Callable, visiting: frozenset[str]) -> Names:
    tree = environment.parse(environment.loader.get_source(environment, name)[0], name)
    if any(True for _ in tree.find_all(_UNJUDGEABLE)):
        return None
    found = set(meta.find_undeclared_variables(tree))
    for included in meta.find_referenced_templates(tree):
        names = _names_read(environment, included, names_of, visiting)
        if names is None:
            return None
        found.update(names)
    return tuple(sorted(found))
