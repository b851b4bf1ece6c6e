"""Nothing an editor or a contributor writes can run as code or escape its context on the site."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from conftest import run_build

ATTACKS = """\
[click](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) [vb](vbscript:msgbox(1))
<a href="javascript:alert(2)">a</a> <a href=" JaVaScRiPt:alert(3)">b</a>
<img src=x onerror=alert(4)> <svg onload=alert(5)></svg> <iframe src="https://evil.example"></iframe>
<script>alert(6)</script> <style>body{display:none}</style> <form action="https://evil.example"><input></form>
<p onclick="alert(7)" style="color:red">styled</p> <object data="x"></object> <embed src="x">
<meta http-equiv="refresh" content="0;url=https://evil.example"> <base href="https://evil.example/">
[ok](https://example.org/fine) and <abbr title="Diversity, Equity and Inclusion">DEI</abbr>
"""


@pytest.fixture
def built(make_project):
    project = make_project({
        "content/topics/alpha.md": "---\ntitle: 'Alpha \"><img src=x onerror=alert(8)>'\n"
                                   "summary: \"</script><script>alert(9)</script>\"\n---\n" + ATTACKS,
        "content/sessions.yaml": "- id: alpha-1\n  topic: alpha\n  date: 2023-02-17\n  start: 12:00\n  end: 14:00\n"
                                 "  location: '\"><script>alert(10)</script>'\n",
    })
    result = run_build(project)
    assert result.returncode == 0, result.stderr
    return project / "site"


def test_markdown_links_and_raw_html_are_cleaned(built):
    topic = (built / "topics/alpha/index.html").read_text()
    body = topic.split('<div class="prose">')[1].split("</div>")[0]
    for dangerous in ("javascript:", "vbscript:", "data:", "onerror", "onload", "onclick", "<script", "<style",
                      "<iframe", "<form", "<input", "<object", "<embed", "<meta", "<base", "style=", "<img", "<svg"):
        assert dangerous not in body.lower(), dangerous
    assert '<a href="https://example.org/fine">ok</a>' in body
    assert '<abbr title="Diversity, Equity and Inclusion">DEI</abbr>' in body


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_no_page_runs_any_script_but_the_sites_own(built):
    for page in built.rglob("*.html"):
        parser = _Tags()
        parser.feed(page.read_text())
        for tag, attributes in parser.tags:
            assert not [name for name in attributes if name.startswith("on")], (page, tag, attributes)
            assert not str(attributes.get("href", "")).strip().lower().startswith(("javascript:", "data:")), page
            if tag == "script":
                assert attributes.get("type") == "application/ld+json" or \
                    re.search(r"(^|/)assets/site\.[0-9a-f]{8}\.js$", str(attributes.get("src", ""))), (page, attributes)


def test_titles_and_locations_stay_text_in_html_attributes_and_json_ld(built):
    session = (built / "sessions/alpha-1/index.html").read_text()
    assert "<img src=x" not in session and "<script>alert(10)" not in session
    assert "Alpha &#34;&gt;&lt;img src=x onerror=alert(8)&gt;" in session or \
           "Alpha &quot;&gt;&lt;img src=x onerror=alert(8)&gt;" in session
    block = re.search(r'<script type="application/ld\+json">\n(.*?)\n</script>', session, re.S).group(1)
    assert "</script" not in block.lower()
    event = json.loads(block)
    assert event["name"] == 'Alpha "><img src=x onerror=alert(8)>'
    assert event["description"] == "</script><script>alert(9)</script>"
    assert event["location"]["name"] == '"><script>alert(10)</script>'


def test_json_and_calendar_hold_the_exact_text(built):
    data = json.loads((built / "schedule.json").read_text())
    assert data["sessions"][0]["location"] == '"><script>alert(10)</script>'
    ics = (built / "schedule.ics").read_text().replace("\r\n ", "")
    assert 'LOCATION:"><script>alert(10)</script>' in ics
    assert "SUMMARY:Alpha \"><img src=x onerror=alert(8)>" in ics


def test_no_break_spaces_stay_as_written_in_every_output(make_project):
    """French puts a no-break space (U+00A0) or a narrow one (U+202F) before : ? ! and inside
    « »; a field keeps them everywhere. Only line breaks and runs of ordinary spaces fold."""
    import vobject

    title = "Qu\u2019est-ce que l\u2019allyship\u202f?"
    note = "Inscription\u00a0: «\u00a0ouverte\u00a0»"
    project = make_project({
        "content/topics/alpha.md": f"---\ntitle: \"{title}\"\nsummary: Un  résumé\n  sur deux lignes.\n---\nCorps.\n",
        "content/sessions.yaml": "- id: alpha-1\n  topic: alpha\n  date: 2023-02-17\n  start: 12:00\n  end: 14:00\n"
                                 f"  note: \"{note}\"\n"})
    result = run_build(project)
    assert result.returncode == 0, result.stderr
    site = project / "site"
    data = json.loads((site / "schedule.json").read_text(encoding="utf-8"))
    assert (data["sessions"][0]["title"], data["sessions"][0]["note"]) == (title, note)
    assert data["topics"][0]["summary"] == "Un résumé sur deux lignes."  # the ordinary spaces folded
    page = (site / "sessions/alpha-1/index.html").read_text(encoding="utf-8")
    assert f"<h1>{title}<span" in page and note in page
    event = json.loads(re.search(r'<script type="application/ld\+json">\n(.*?)\n</script>', page, re.S).group(1))
    assert event["name"] == title
    feed = vobject.readOne((site / "schedule.ics").read_text(encoding="utf-8"))
    assert feed.vevent.summary.value == title and note in feed.vevent.description.value


def test_code_an_editor_fences_is_shown_as_written(make_project):
    """A fenced block (``` or ~~~) is shown as preformatted text: its markup is not run and its
    quotes and dashes stay straight, while prose around it and in other topics is typeset."""
    project = make_project({
        "content/topics/alpha.md": "---\ntitle: Alpha\nsummary: Code.\n---\n\"Before\" the code:\n\n"
                                   "```html\n<script>alert(11)</script>\n\"straight\" -- quotes\n```\n\n"
                                   "~~~\n  indented *not emphasis*\n~~~\n",
        "content/topics/beta.md": "---\ntitle: Beta\nsummary: Prose.\n---\n\"Typeset\" -- here.\n",
        "content/sessions.yaml": "- id: alpha-1\n  topic: alpha\n  date: 2023-02-17\n  start: 12:00\n  end: 14:00\n"
                                 "- id: beta-1\n  topic: beta\n  date: 2023-02-24\n  start: 12:00\n  end: 14:00\n"})
    result = run_build(project)
    assert result.returncode == 0, result.stderr
    alpha = (project / "site/topics/alpha/index.html").read_text(encoding="utf-8")
    assert "<p>\u201cBefore\u201d the code:</p>" in alpha
    assert ("<pre><code>&lt;script&gt;alert(11)&lt;/script&gt;\n\"straight\" -- quotes\n</code></pre>"
            in alpha), alpha
    assert "<pre><code>  indented *not emphasis*\n</code></pre>" in alpha
    beta = (project / "site/topics/beta/index.html").read_text(encoding="utf-8")
    assert "<p>\u201cTypeset\u201d \u2013 here.</p>" in beta
