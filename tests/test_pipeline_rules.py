"""The house rules of docs/architecture.md, read from the source: the stages know nothing of the
cache, and nothing in the generator keeps global state or reaches below Python for speed."""

from __future__ import annotations

import ast

import pytest

from conftest import REPO

PACKAGE = REPO / "microsite"
# build(), check(), publish() and the preview make the cache and hand it to the stages; every
# other module is a stage or a helper of stages.
MAKE_THE_CACHE = {"__init__.py", "serve.py"}
STAGES = sorted(path for path in PACKAGE.glob("*.py") if path.name not in MAKE_THE_CACHE)


def imports(path) -> list[tuple[int, str]]:
    """(line, module) for every import in the file, relative ones spelled from the package."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ("microsite." * bool(node.level)) + (node.module or "")
            found += [(node.lineno, f"{base}.{alias.name}".replace("..", ".")) for alias in node.names]
    return found


def test_the_stages_are_many_and_the_cache_is_not_among_them():
    assert {"read.py", "record.py", "pages.py", "calendars.py", "schedule_json.py", "hosting.py", "write.py"} <= {
        path.name for path in STAGES}


@pytest.mark.parametrize("stage", STAGES, ids=lambda path: path.name)
def test_a_stage_imports_nothing_about_caching(stage):
    cached = [(line, name) for line, name in imports(stage) if name.startswith("microsite.cache")
              or name in ("microsite.Cache", "functools.lru_cache", "pickle", "shelve", "sqlite3")]
    assert cached == [], f"{stage.name} imports {cached}: a stage takes its work function as a parameter instead"


def test_nothing_keeps_global_state_or_tunes_the_interpreter():
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        assert not [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Global)], path
        names = {name for _, name in imports(path)}
        assert "gc" not in names, path
        assert "ctypes" not in names or path.name == "write.py", path  # the atomic folder exchange, its one home
