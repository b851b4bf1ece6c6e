"""The page the preview shows while the content has problems: each one with the file and line to open."""

from __future__ import annotations

import html

from .model import Problem


def error_page(problems: list[Problem]) -> str:
    """A readable, accessible page listing what to fix (errors first, then warnings apart); it
    stays until the content is fixed."""
    def items(kind: list[Problem]) -> str:
        return "\n".join(f'<li><code>{html.escape(p.path)}{":" + str(p.line) if p.line else ""}</code>:'
                         f' {html.escape(p.message)}</li>' for p in kind)

    errors = [p for p in problems if not p.is_warning]
    warnings = [p for p in problems if p.is_warning]
    count = len(errors)
    also = (f"\n<h2>Warnings</h2>\n<p>These do not stop the build.</p>\n<ul>\n{items(warnings)}\n</ul>"
            if warnings else "")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Build stopped: {count} problem{'s' * (count != 1)} to fix</title>
<style>
body {{ font: 1.05rem/1.6 system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem;
       color: #1d1a21; background: #fff; }}
h1 {{ color: #8a1c1c; }} code {{ font-weight: 700; }} li {{ margin: 0.6rem 0; }}
@media (prefers-color-scheme: dark) {{ body {{ color: #f2eef6; background: #16121b; }} h1 {{ color: #ffb3b3; }} }}
</style>
</head>
<body>
<main>
<h1>The site could not be rebuilt</h1>
<p role="status">{count} problem{'s' * (count != 1)} to fix. Each line names the file and line to open.
This page reloads by itself when you save a fix; until then the last good site is kept.</p>
<ol>
{items(errors)}
</ol>{also}
</main>
</body>
</html>
"""
