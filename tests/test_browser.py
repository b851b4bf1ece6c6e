"""What readers get, checked in a real browser: accessibility, keyboard, phones, zoom and print.

axe-core on every page in light and dark schemes at 390 and 1280 px; the Nu HTML Checker on every
page; a keyboard walk through every page; reflow at 320 px and 200% text; print to PDF on Letter
and A4; the past/upcoming script under a fixed clock, and the pages with scripts off.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from browser import StaticHost, axe_violations, keyboard_walk
from calendar_readers import NODE_TOOLS, require_node_package
from conftest import copy_of_2023_program, run_build

BASE_URL = "https://ally-training.example.org/"
VNU = NODE_TOOLS / "node_modules/vnu-jar/build/dist/vnu.jar"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    project = copy_of_2023_program(tmp_path_factory.mktemp("browser") / "project")
    out = project / "site"
    assert run_build(project, "--out", str(out)).returncode == 0
    return out


@pytest.fixture(scope="module")
def host(site) -> StaticHost:
    return StaticHost(site, BASE_URL)


def _context(browser, host: StaticHost, **options):
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, "timezone_id": "America/Detroit",
                                     "locale": "en-US", **options})
    host.attach(context)
    return context


def test_every_page_is_found(host):
    pages = host.pages()
    assert BASE_URL in pages and BASE_URL + "print/" in pages and BASE_URL + "accessibility/" in pages
    # schedule, topics, sessions, about, print, changes, a11y, subscribe, 404, and the series' page and printed page
    assert len(pages) == 1 + 7 + 13 + 1 + 1 + 1 + 1 + 1 + 1 + 2


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
def test_axe_finds_no_violations(browser, host, scheme, width):
    require_node_package("axe-core")
    # bypass_csp: the pages' policy refuses inline scripts, axe's injected one too (the pages under
    # their policy: test_every_page_keeps_its_security_policy, and tests/test_static_hosts.py).
    context = _context(browser, host, viewport={"width": width, "height": 900}, color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    violations = []
    for url in host.pages():
        page.goto(url)
        violations += [f"{url} {item}" for item in axe_violations(page)]
    context.close()
    assert violations == []
    assert host.foreign == []  # no fonts, scripts or trackers from anywhere else


def test_nu_html_checker_finds_no_errors(site):
    require_node_package("vnu-jar")
    if shutil.which("java") is None:
        pytest.fail("Java is needed for the Nu HTML Checker (apt-get install default-jre-headless)")
    pages = sorted(str(path) for path in site.rglob("*.html"))
    result = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "json", *pages],
                            capture_output=True, text=True, timeout=300)
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    assert [f"{m.get('url', '')}:{m.get('lastLine', '')}: {m['message']}" for m in messages] == []
    assert result.returncode == 0


def test_keyboard_reaches_every_link_with_a_visible_focus(browser, host):
    context = _context(browser, host)
    problems = keyboard_walk(context.new_page(), host.pages())
    context.close()
    assert problems == []


@pytest.mark.parametrize("width", [320, 390])
def test_no_horizontal_scrolling_on_phones(browser, host, width):
    context = _context(browser, host, viewport={"width": width, "height": 800})
    page = context.new_page()
    overflowing = []
    for url in host.pages():
        page.goto(url)
        if page.evaluate("document.documentElement.scrollWidth > innerWidth + 1"):
            overflowing.append(url)
    context.close()
    assert overflowing == []


def test_text_at_200_percent_reflows(browser, host):
    context = _context(browser, host, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    overflowing = []
    for url in host.pages():
        page.goto(url)
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        if page.evaluate("document.documentElement.scrollWidth > innerWidth + 1"):
            overflowing.append(url)
    context.close()
    assert overflowing == []


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


@pytest.mark.parametrize("paper", ["Letter", "A4"])
def test_print_schedule_fits_one_page(browser, host, paper):
    context = _context(browser, host)
    page = context.new_page()
    page.goto(BASE_URL + "print/")
    page.emulate_media(media="print")
    assert _pdf_pages(page.pdf(format=paper, prefer_css_page_size=False)) == 1
    context.close()


def test_print_is_black_on_white_at_10pt_or_more_with_the_feed(browser, host):
    context = _context(browser, host, color_scheme="dark")
    page = context.new_page()
    page.goto(BASE_URL + "print/")
    page.emulate_media(media="print", color_scheme="dark")
    styles = page.evaluate("""() => Array.from(document.querySelectorAll('main *'))
        .filter(e => e.offsetParent !== null && e.childNodes.length && Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim()))
        .map(e => { const s = getComputedStyle(e); return [s.color, parseFloat(s.fontSize)]; })""")
    assert styles and {color for color, _ in styles} == {"rgb(0, 0, 0)"}
    assert min(size for _, size in styles) >= 10 * 96 / 72 - 0.01  # 10 pt in CSS pixels
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
    text = page.inner_text("main")
    assert "Ally Training Program" in text and BASE_URL + "subscribe/" in text
    assert "Add the schedule to your calendar" in text and page.locator("svg.qr-code").is_visible()
    context.close()


def test_other_pages_print_without_navigation_or_buttons(browser, host):
    context = _context(browser, host)
    page = context.new_page()
    shown = []
    for url in host.pages():
        page.goto(url)
        page.emulate_media(media="print")
        shown += [f"{url} {tag}" for tag in page.evaluate("""() => Array.from(
            document.querySelectorAll('nav, button, .skip-link, .subscribe, .add-links, footer'))
            .filter(e => e.checkVisibility()).map(e => e.tagName + '.' + e.className)""")]
    context.close()
    assert shown == []


def _schedule_state(browser, host, when: str | None, scripts: bool = True, timezone: str = "America/Detroit"):
    context = _context(browser, host, java_script_enabled=scripts, timezone_id=timezone)
    page = context.new_page()
    if when:
        page.clock.set_fixed_time(when)
    page.goto(BASE_URL)
    page.wait_for_load_state("load")
    state = page.evaluate("""() => ({
        past: Array.from(document.querySelectorAll('.session.is-past')).map(e => e.id),
        next: Array.from(document.querySelectorAll('.session.is-next')).map(e => e.id),
        badges: Array.from(document.querySelectorAll('.session-badge')).map(e => e.textContent),
        status: document.getElementById('series-status').hidden ? null : document.getElementById('series-status').textContent,
        card: document.getElementById('next-session').hidden ? null
            : Array.from(document.querySelectorAll('#next-session .next-card > :not(.session-date)'))
                .map(e => e.innerText.trim()).filter(Boolean).slice(0, 2),
        local: Array.from(document.querySelectorAll('.local-time')).map(e => e.textContent),
        text: document.body.innerText})""")
    context.close()
    return state


def test_before_the_series_the_first_session_is_next(browser, host):
    state = _schedule_state(browser, host, "2023-01-15T12:00:00-05:00")
    assert state["past"] == [] and state["next"] == ["systemic-racism-pt-2-2023-1"]
    assert state["card"] == ["Systemic Racism Pt. 2", "Friday, February 17, 2023, Noon–2:00 p.m. Eastern Time"]
    assert state["status"] is None and state["badges"] == ["Next session."]


def test_during_the_series_past_sessions_are_marked(browser, host):
    state = _schedule_state(browser, host, "2023-06-01T12:00:00-04:00")
    assert state["past"] == ["systemic-racism-pt-2-2023-1", "disability-and-allyship-2023-1",
                             "systemic-racism-pt-2-2023-2", "disability-and-allyship-2023-2",
                             "lgbtq-inequities-pt-2-2023-1"]
    assert state["next"] == ["lgbtq-inequities-pt-2-2023-2"]
    assert state["badges"].count("This session has taken place.") == 5


def test_a_session_in_progress_is_happening_now(browser, host):
    state = _schedule_state(browser, host, "2023-06-14T15:30:00-04:00")
    assert state["next"] == ["lgbtq-inequities-pt-2-2023-2"] and state["badges"].count("Happening now.") == 2
    assert state["card"][0] == "Happening now."  # the home page's card says so too


def test_after_the_series_it_says_it_has_ended(browser, host):
    state = _schedule_state(browser, host, "2024-01-01T09:00:00-05:00")
    assert len(state["past"]) == 13 and state["next"] == [] and state["card"] is None
    assert state["status"] == "This series has ended: every session is in the past."


def test_without_scripts_nothing_claims_to_be_upcoming(browser, host):
    state = _schedule_state(browser, host, None, scripts=False)
    assert state["past"] == state["next"] == state["badges"] == [] and state["status"] is state["card"] is None
    assert not re.search(r"\b(upcoming|next session|has ended|taken place)\b", state["text"], re.I)
    assert state["text"].index("February 17, 2023") < state["text"].index("November 30, 2023")


def test_readers_elsewhere_also_see_their_local_time(browser, host):
    state = _schedule_state(browser, host, "2023-01-15T12:00:00Z", timezone="Europe/Berlin")
    assert state["local"][0] == " (6:00–8:00 p.m. your time)"  # as the site writes its own times
    west = _schedule_state(browser, host, "2023-01-15T12:00:00Z", timezone="America/Los_Angeles")["local"]
    assert (west[0], west[-1]) == (" (9:00–11:00 a.m. your time)", " (9:00 a.m.–2:00 p.m. your time)")
    assert _schedule_state(browser, host, "2023-01-15T12:00:00Z")["local"] == []


def test_reduced_motion_means_no_motion(browser, host):
    context = _context(browser, host, reduced_motion="reduce")
    page = context.new_page()
    page.goto(BASE_URL)
    moving = page.evaluate("""() => Array.from(document.querySelectorAll('*')).filter(e => {
        const s = getComputedStyle(e);
        return s.animationName !== 'none' || parseFloat(s.transitionDuration) > 0 || s.scrollBehavior === 'smooth';
    }).length""")
    context.close()
    assert moving == 0


def test_css_and_script_stay_small(site):
    """A page is readable on a slow phone at once: one small stylesheet, one tiny optional script."""
    [stylesheet], [script] = site.glob("assets/style.*.css"), site.glob("assets/site.*.js")
    assert stylesheet.stat().st_size < 16_000
    assert script.stat().st_size < 9_000  # 8.3 KB with the next session's card, registration by the clock, Escape for menus


def test_a_session_page_says_upcoming_not_next(browser, host):
    context = _context(browser, host)
    page = context.new_page()
    page.clock.set_fixed_time("2023-10-01T12:00:00-04:00")
    page.goto(BASE_URL + "sessions/psychological-safety-2023-2/")
    assert page.inner_text(".session-badge") == "Upcoming."
    page.clock.set_fixed_time("2023-11-20T12:00:00-05:00")
    page.goto(BASE_URL + "sessions/psychological-safety-2023-2/")
    assert page.inner_text(".session-badge") == "This session has taken place."
    context.close()


def test_the_404_page_is_styled_and_accessible_on_any_host(browser, site):
    """Hosts serve 404.html at whatever address was missing, and a deploy preview or a local
    server is not the published host: served from 127.0.0.1, its stylesheet and icon still load
    and axe finds nothing."""
    import functools
    import http.server
    import threading

    from conftest import free_port

    require_node_package("axe-core")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        context = browser.new_context(viewport={"width": 390, "height": 900}, bypass_csp=True)  # for axe
        page = context.new_page()
        failed = []
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/404.html")
        assert page.evaluate("getComputedStyle(document.querySelector('.skip-link')).position") == "absolute"
        found = axe_violations(page)
        context.close()
    finally:
        server.shutdown()
    assert failed == [] and found == []


VIOLATIONS = """window.__violations = [];
document.addEventListener('securitypolicyviolation',
    (event) => window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`));"""


@pytest.mark.parametrize("opened", ["from a host", "from disk"])
def test_every_page_keeps_its_security_policy(browser, host, site, opened):
    """With only the pages' <meta> policy (GitHub Pages, a folder opened from disk): no violation,
    no failed request, and the stylesheet applies."""
    if opened == "from a host":
        context, urls = _context(browser, host), host.pages()
    else:  # every page but 404.html, which only hosts show, at the site's own path
        context = browser.new_context()
        urls = [path.as_uri() for path in sorted(site.rglob("*.html")) if path.name != "404.html"]
    context.add_init_script(VIOLATIONS)
    page = context.new_page()
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    for url in urls:
        page.goto(url, wait_until="networkidle")  # the icon too, which loads last
        assert page.evaluate("window.__violations") == [], url
        assert page.evaluate("getComputedStyle(document.querySelector('.skip-link')).position") == "absolute", url
    context.close()
    assert failed == []


def test_the_preview_reloads_the_page_under_its_security_policy(browser, make_project, tmp_path):
    """livereload's inline snippet is allowed in the preview alone; a save reloads the open tab
    with no violation of what the preview's pages allow."""
    from test_serve import Preview

    project = make_project()
    preview = Preview(project, tmp_path / "serve.log")
    try:
        context = browser.new_context()
        context.add_init_script(VIOLATIONS)
        page = context.new_page()
        page.goto(preview.url + "topics/alpha/", wait_until="networkidle")
        assert page.inner_text("h1") == "Alpha"
        topic = project / "content/topics/alpha.md"
        topic.write_text(topic.read_text().replace("title: Alpha", "title: Alpha, renamed"))
        # A selector, not wait_for_function: the page's policy refuses the string evaluation that polls.
        page.locator("h1", has_text="Alpha, renamed").wait_for(timeout=15_000)
        assert page.evaluate("window.__violations") == []
        context.close()
    finally:
        preview.stop()
    built = (project / "layouts").parent  # the preview builds outside the project; a build keeps the strict policy
    assert run_build(built).returncode == 0
    assert "unsafe-inline" not in (built / "site/topics/alpha/index.html").read_text()


SERIES_URL = "https://example.org/ally/"
JANUARY = "2026-01-15T12:00:00-05:00"


@pytest.fixture(scope="module")
def series_host(tmp_path_factory) -> StaticHost:
    """tests/series-example: three series, the current one (2026) with a cancelled and a moved session."""
    project = tmp_path_factory.mktemp("series") / "project"
    shutil.copytree(Path(__file__).parent / "series-example/content", project / "content")
    shutil.copytree(Path(__file__).parent.parent / "layouts", project / "layouts")
    assert run_build(project).returncode == 0
    return StaticHost(project / "site", SERIES_URL)


SERIES_PAGES = ["", "series/2024/", "series/2025/", "series/2026/", "series/2024/print/", "series/2026/print/",
                "topics/psychological-safety/", "sessions/racism-pt-3-2026-2/"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
def test_axe_finds_nothing_on_the_series_pages(browser, series_host, scheme, width):
    require_node_package("axe-core")
    context = _context(browser, series_host, viewport={"width": width, "height": 900}, color_scheme=scheme,
                       bypass_csp=True)
    page = context.new_page()
    page.clock.set_fixed_time(JANUARY)  # with sessions folded and badges shown
    violations = []
    for path in SERIES_PAGES:
        page.goto(SERIES_URL + path)
        violations += [f"{path} {item}" for item in axe_violations(page)]
    context.close()
    assert violations == []


@pytest.mark.parametrize("paper", ["Letter", "A4"])
@pytest.mark.parametrize("path", ["print/", "series/2024/print/", "series/2025/print/", "series/2026/print/"])
def test_each_series_prints_on_one_page(browser, series_host, path, paper):
    context = _context(browser, series_host)
    page = context.new_page()
    page.goto(SERIES_URL + path)
    page.emulate_media(media="print")
    assert _pdf_pages(page.pdf(format=paper, prefer_css_page_size=False)) == 1
    context.close()


def _series_state(browser, host, when: str, path: str = "") -> dict:
    context = _context(browser, host)
    page = context.new_page()
    page.clock.set_fixed_time(when)
    page.goto(SERIES_URL + path)
    state = page.evaluate("""() => ({
        card: document.querySelector('#next-session .session-heading')?.innerText.trim(),
        cardLink: document.querySelector('#next-session .session-heading a')?.getAttribute('href'),
        folded: Array.from(document.querySelectorAll('.past-sessions .session')).map(e => e.id),
        fold: document.querySelector('.past-sessions > summary')?.textContent,
        shown: Array.from(document.querySelectorAll('.session:not(.past-sessions .session)')).map(e => e.id),
        badges: Object.fromEntries(Array.from(document.querySelectorAll('.session')).map(
            e => [e.id, Array.from(e.querySelectorAll('.session-badge')).map(b => b.textContent)])),
        apps: Object.fromEntries(Array.from(document.querySelectorAll('.session')).map(
            e => [e.id, Array.from(e.querySelectorAll('.add-app')).filter(a => !a.hidden).length])),
        menus: Object.fromEntries(Array.from(document.querySelectorAll('.session')).map(
            e => [e.id, Array.from(e.querySelectorAll('.add-to-calendar')).filter(m => !m.hidden).length]))})""")
    context.close()
    return state


def test_in_january_of_the_newest_series_what_is_over_is_folded_and_what_is_next_is_linked(browser, series_host):
    """The 2026 series runs from November 2025 to March 2026; a reader opens the site in January."""
    state = _series_state(browser, series_host, JANUARY)
    assert state["card"] == "Racism Pt. 3"
    assert state["cardLink"] == "sessions/racism-pt-3-2026-2/index.html"
    assert state["folded"] == ["psychological-safety-2026-1", "racism-pt-3-2026-1"]
    assert state["fold"] == "1 session has taken place; 1 was cancelled"
    assert state["shown"] == ["racism-pt-3-2026-2", "psychological-safety-2026-2"]  # what comes next, first
    assert state["badges"]["racism-pt-3-2026-1"] == []  # cancelled: never said to have taken place
    assert state["badges"]["psychological-safety-2026-1"] == ["This session has taken place."]
    topic = _series_state(browser, series_host, JANUARY, "topics/racism-pt-3/")
    assert topic["apps"] == {"racism-pt-3-2026-2": 3, "racism-pt-3-2026-1": 0, "racism-pt-3-2025-1": 0}
    # A cancelled session has no menu, only its file; one that is over shows none in a list.
    assert topic["menus"] == {"racism-pt-3-2026-2": 1, "racism-pt-3-2026-1": 0, "racism-pt-3-2025-1": 0}
    context = _context(browser, series_host)  # a past session's own page: its file, no apps
    page = context.new_page()
    page.clock.set_fixed_time(JANUARY)
    page.goto(SERIES_URL + "sessions/psychological-safety-2026-1/")
    shown = page.eval_on_selector_all(".add-to-calendar li", "items => items.filter(i => !i.hidden).map(i => i.textContent)")
    assert [" ".join(text.split()) for text in shown] == [
        "Apple Calendar, other apps (.ics file): Psychological Safety, Tue, Nov 18, 2025"]
    page.goto(SERIES_URL + "sessions/psychological-safety-2026-2/")  # and an upcoming one keeps them all
    assert page.eval_on_selector_all(".add-to-calendar li:not([hidden])", "items => items.length") == 4
    context.close()
    topic = _series_state(browser, series_host, JANUARY, "topics/psychological-safety/")
    assert topic["apps"] == {"psychological-safety-2026-2": 3, "psychological-safety-2026-1": 0,
                             "psychological-safety-2025-1": 0, "psychological-safety-2024-1": 0}


def test_ten_years_of_series_each_print_on_one_page(browser, tmp_path):
    import sys
    sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))
    from synthetic import write_ten_year_program

    project = write_ten_year_program(tmp_path / "ten-years")
    assert run_build(project).returncode == 0
    host = StaticHost(project / "site", "https://bench.example.org/")  # the synthetic program's base_url
    context = _context(browser, host)
    page = context.new_page()
    pages = {}
    for year in range(2023, 2033):
        page.goto(f"{host.base_url}series/{year}/print/")
        page.emulate_media(media="print")
        pages[year] = [_pdf_pages(page.pdf(format=paper, prefer_css_page_size=False)) for paper in ("Letter", "A4")]
    context.close()
    assert pages == {year: [1, 1] for year in range(2023, 2033)}
