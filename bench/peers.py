"""The same synthetic topics laid out for Pelican and Hugo, with minimal equivalent templates.

Each peer builds one page per topic and one list page of all topics, from the same Markdown
bodies, titles and summaries as our content/topics/*.md. Our generator builds its full site
(topic and session pages, the schedule, feeds), which is more work than the peers do.
"""

from __future__ import annotations

import shutil
from pathlib import Path

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main>{body}</main></body></html>
"""


def _topics(program: Path):
    """(slug, title, summary, body) for each topic of a program in our format."""
    for path in sorted((program / "content" / "topics").glob("*.md")):
        _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
        fields = dict(line.split(": ", 1) for line in front.strip().splitlines())
        yield path.stem, fields["title"], fields["summary"], body


def write_pelican(program: Path, root: Path) -> Path:
    """A Pelican project: the topics as articles, a theme of two real templates."""
    content, templates = root / "content", root / "theme" / "templates"
    content.mkdir(parents=True)
    templates.mkdir(parents=True)
    for slug, title, summary, body in _topics(program):
        (content / f"{slug}.md").write_text(
            f"Title: {title}\nDate: 2024-01-01\nSlug: {slug}\nSummary: {summary}\n\n{body}", encoding="utf-8")
    (templates / "article.html").write_text(PAGE.format(
        title="{{ article.title }}", body="<h1>{{ article.title }}</h1>{{ article.content }}"))
    (templates / "index.html").write_text(PAGE.format(title="{{ SITENAME }}", body=(
        "<ul>{% for article in articles %}<li><a href=\"{{ article.url }}\">{{ article.title }}</a>:"
        " {{ article.summary }}</li>{% endfor %}</ul>")))
    for unused in ("page", "tag", "category", "author", "archives", "period_archives", "tags", "categories",
                   "authors"):
        (templates / f"{unused}.html").write_text("")
    (root / "pelicanconf.py").write_text("""\
SITENAME = "Synthetic Program"
SITEURL = ""
PATH = "content"
TIMEZONE = "America/Detroit"
DEFAULT_LANG = "en"
THEME = "theme"
DIRECT_TEMPLATES = ["index"]
DEFAULT_PAGINATION = False
ARTICLE_URL = "topics/{slug}/"
ARTICLE_SAVE_AS = "topics/{slug}/index.html"
PAGE_SAVE_AS = CATEGORY_SAVE_AS = TAG_SAVE_AS = AUTHOR_SAVE_AS = ""
ARCHIVES_SAVE_AS = AUTHORS_SAVE_AS = CATEGORIES_SAVE_AS = TAGS_SAVE_AS = ""
YEAR_ARCHIVE_SAVE_AS = MONTH_ARCHIVE_SAVE_AS = DAY_ARCHIVE_SAVE_AS = ""
FEED_ALL_ATOM = FEED_ALL_RSS = CATEGORY_FEED_ATOM = TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = AUTHOR_FEED_RSS = None
STATIC_PATHS = []
LOAD_CONTENT_CACHE = False
CACHE_CONTENT = False
MARKDOWN = {"extension_configs": {"markdown.extensions.tables": {}, "markdown.extensions.def_list": {},
            "markdown.extensions.abbr": {}, "markdown.extensions.fenced_code": {},
            "markdown.extensions.sane_lists": {}, "markdown.extensions.smarty": {}}, "output_format": "html"}
""")
    return root


def write_hugo(program: Path, root: Path) -> Path:
    """A Hugo project: the topics as pages of one section, a home page listing them."""
    content, layouts = root / "content" / "topics", root / "layouts"
    content.mkdir(parents=True)
    (layouts / "_default").mkdir(parents=True)
    for slug, title, summary, body in _topics(program):
        quoted = lambda text: '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'  # noqa: E731
        (content / f"{slug}.md").write_text(
            f"---\ntitle: {quoted(title)}\nsummary: {quoted(summary)}\n---\n{body}", encoding="utf-8")
    (layouts / "_default" / "single.html").write_text(PAGE.format(
        title="{{ .Title }}", body="<h1>{{ .Title }}</h1>{{ .Content }}"))
    (layouts / "index.html").write_text(PAGE.format(title="{{ .Site.Title }}", body=(
        "<ul>{{ range where .Site.RegularPages \"Section\" \"topics\" }}<li><a href=\"{{ .RelPermalink }}\">"
        "{{ .Title }}</a>: {{ .Summary }}</li>{{ end }}</ul>")))
    (root / "hugo.toml").write_text(
        'baseURL = "https://bench.example.org/"\ntitle = "Synthetic Program"\n'
        'disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404", "section"]\n'
        "[markup.goldmark.renderer]\nunsafe = false\n")
    return root
