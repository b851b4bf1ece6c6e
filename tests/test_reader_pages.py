"""What readers see in a browser of the registration, the next session, the menus and the printed
QR code; Lighthouse's four scores; and the weight of every page.

The sessions of tests/reader-example/ are in May and June 2027; each test sets the browser's clock.
The busy program, made by `write_busy_program`, is 100 sessions of one series around the day the
tests run (Lighthouse runs under the real clock), with the reader fields on many of them.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from browser import CHROMIUM, CompressingHost, StaticHost, axe_violations, keyboard_walk, require_chromium
from calendar_readers import NODE_TOOLS, require_node_package
from conftest import REPO, copy_of_2023_program, run_build

EXAMPLE = Path(__file__).resolve().parent / "reader-example"
BASE_URL = "https://example.org/ally/"
BEFORE_DEADLINE = "2027-05-10T12:00:00-04:00"
AFTER_DEADLINE = "2027-05-16T08:00:00-04:00"  # every-field's registration closed at the end of May 15
STARTED = "2027-05-17T12:30:00-04:00"  # every-field is under way


def write_busy_program(root: Path, today: date) -> Path:
    """One series of 100 sessions over 25 topics, every third day from 60 days before `today`:
    some over, most to come, with locations, notes, registration, facilitators and online links."""
    content = root / "content"
    (content / "topics").mkdir(parents=True)
    (content / "series").mkdir()
    shutil.copytree(REPO / "layouts", root / "layouts")
    (content / "site.yaml").write_text(
        "title: Busy Ally Program\norganisation: Example School of Medicine\n"
        "description: A hundred workshops on allyship in one series.\ntime_zone: America/Detroit\n"
        "time_zone_label: Eastern Time\nbase_url: https://busy.example.org/\nlanguage: en-US\n"
        "default_audience: all faculty, staff, residents and students\n")
    (content / "series/main.md").write_text("---\ntitle: The main series\nsummary: Every session.\n---\n"
                                            "A hundred sessions, a few each week.\n")
    words = ["Allyship", "Access", "Bias", "Belonging", "Care", "Culture", "Equity", "Listening", "Power",
             "Repair", "Safety", "Trust", "Voice"]
    for number in range(25):
        title = f"{words[number % len(words)]} in Practice, Part {number // len(words) + 1}"
        (content / f"topics/topic-{number:02d}.md").write_text(
            f"---\ntitle: {title}\nsummary: How teams put {words[number % len(words)].lower()} into daily work.\n---\n"
            + "What the session covers, and how to prepare. " * 20 + "\n")
    entries = []
    first = today - timedelta(days=60)
    for number in range(100):
        day = first + timedelta(days=3 * number)
        entry = [f"- id: busy-{number:03d}", f"  topic: topic-{number % 25:02d}", f"  date: {day.isoformat()}",
                 f'  start: "{12 + number % 4}:00"', f'  end: "{13 + number % 4}:30"']
        if number % 2:
            entry.append(f"  location: Room {100 + number}, Example Hall")
        if number % 3 == 0:
            entry += [f"  registration_url: https://example.org/register/busy-{number:03d}",
                      f"  registration_closes: {(day - timedelta(days=2)).isoformat()}"]
        if number % 5 == 0:
            entry += ["  facilitators:", "    - Dr. Ada Example", "    - organisation: Example Alliance"]
        if number % 7 == 0:
            entry += ["  format: hybrid", f"  online_url: https://meet.example.org/busy-{number:03d}",
                      "  access: CART captioning."]
        if number % 11 == 0:
            entry.append("  note: Bring a *colleague*; see [the reading list](https://example.org/reading).")
        entries.append("\n".join(entry))
    (content / "sessions.yaml").write_text("\n".join(entries) + "\n")
    return root


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("reader-pages") / "project"
    shutil.copytree(EXAMPLE / "content", project / "content")
    shutil.copytree(REPO / "layouts", project / "layouts")
    assert run_build(project).returncode == 0
    return project / "site"


@pytest.fixture(scope="module")
def host(site) -> StaticHost:
    return StaticHost(site, BASE_URL)


def _page(browser, host, when: str | None = BEFORE_DEADLINE, **options):
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, "timezone_id": "America/Detroit",
                                     "locale": "en-US", **options})
    host.attach(context)
    page = context.new_page()
    if when:
        page.clock.set_fixed_time(when)
    return context, page


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
def test_axe_finds_nothing_on_pages_with_every_field(browser, host, scheme, width):
    require_node_package("axe-core")
    context, page = _page(browser, host, viewport={"width": width, "height": 900}, color_scheme=scheme,
                          bypass_csp=True)
    violations = []
    for url in host.pages():
        page.goto(url)
        for menu in page.locator("details.menu").all()[:2]:  # the menus' contents too
            menu.locator("summary").click()
        violations += [f"{url} {item}" for item in axe_violations(page)]
    context.close()
    assert violations == []


def test_nu_html_checker_finds_no_errors_with_every_field(site):
    require_node_package("vnu-jar")
    if shutil.which("java") is None:
        pytest.fail("Java is needed for the Nu HTML Checker (apt-get install default-jre-headless)")
    pages = sorted(str(path) for path in site.rglob("*.html"))
    result = subprocess.run(["java", "-jar", str(NODE_TOOLS / "node_modules/vnu-jar/build/dist/vnu.jar"),
                             "--errors-only", "--format", "json", *pages], capture_output=True, text=True, timeout=300)
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    assert [f"{m.get('url', '')}:{m.get('lastLine', '')}: {m['message']}" for m in messages] == []


def _registration(page, session_id: str) -> dict:
    return page.evaluate("""(id) => {
        const block = document.querySelector(`#${id} .registration`);
        if (!block || block.hidden) return null;
        return {text: block.innerText.replace(/\\s+/g, ' ').trim(),
                register: Array.from(block.querySelectorAll('a')).map(a => a.getAttribute('href'))};
    }""", session_id)


def test_registration_follows_the_readers_clock(browser, host):
    context, page = _page(browser, host)
    page.goto(BASE_URL)
    assert _registration(page, "every-field") == {
        "text": "Register for Disability as Diversity, Mon, May 17, 2027 Registration closes Saturday, May 15.",
        "register": ["https://example.org/register/every-field"]}
    page.clock.set_fixed_time(AFTER_DEADLINE)
    page.goto(BASE_URL)
    assert _registration(page, "every-field") == {"text": "Registration closed.", "register": []}
    assert _registration(page, "closes-at-five")["register"] == ["https://example.org/register/closes-at-five"]
    page.clock.set_fixed_time("2027-05-21T17:00:00-04:00")  # the minute closes-at-five's registration closes
    page.goto(BASE_URL)
    assert _registration(page, "closes-at-five") == {"text": "Registration closed.", "register": []}
    page.clock.set_fixed_time(STARTED)
    page.goto(BASE_URL + "sessions/every-field/")
    assert page.locator(".registration").is_hidden()  # nothing once the session has started
    assert page.locator("text=Registration closed").count() == 0
    context.close()


def test_full_and_waitlist_say_so(browser, host):
    context, page = _page(browser, host)
    page.goto(BASE_URL)
    assert _registration(page, "full-house") == {"text": "Registration is full.", "register": []}
    assert _registration(page, "waitlist-open") == {
        "text": "Full: join the waitlist for Psychological Safety, Tue, Jun 8, 2027",
        "register": ["https://example.org/waitlist/waitlist-open"]}
    context.close()


def test_without_scripts_the_deadline_is_stated_in_words(browser, host):
    context, page = _page(browser, host, when=None, java_script_enabled=False)
    page.goto(BASE_URL + "sessions/every-field/")
    assert page.get_by_role("link", name="Register for Disability as Diversity, Mon, May 17, 2027").is_visible()
    assert page.locator(".registration").inner_text().endswith("Registration closes Saturday, May 15.")
    context.close()


def test_the_home_page_leads_with_the_next_session(browser, host):
    context, page = _page(browser, host, when=AFTER_DEADLINE)
    page.goto(BASE_URL)
    card = page.locator("#next-session .next-card")
    assert card.locator(".session-heading").inner_text() == "Disability as Diversity"
    assert "Monday, May 17, 2027, Noon–1:30 p.m. Eastern Time" in card.inner_text()
    assert card.locator(".registration").inner_text() == "Registration closed."
    assert card.locator("summary").inner_text().startswith("Add to calendar")
    # The card comes first, before the series, its topics and the schedule; no id is on the page twice.
    order = page.evaluate("""() => Array.from(document.querySelectorAll('main h2')).map(h => h.textContent)""")
    assert order[:4] == ["Next session", "2027 Example series", "Topics of the series", "Schedule"]
    ids = page.evaluate("() => Array.from(document.querySelectorAll('[id]')).map(e => e.id)")
    assert len(ids) == len(set(ids))
    context.close()


def test_the_add_to_calendar_menu_works_by_keyboard(browser, host):
    context, page = _page(browser, host)
    page.goto(BASE_URL + "sessions/every-field/")
    summary = page.locator(".add-to-calendar summary")
    summary.focus()
    assert page.locator(".add-to-calendar .menu-items").is_hidden()
    page.keyboard.press("Enter")
    items = page.locator(".add-to-calendar .menu-items a")
    assert [" ".join(text.split(":")[0].split()) for text in items.all_inner_texts()] == [
        "Google Calendar", "Outlook.com", "Outlook for Microsoft 365", "Apple Calendar, other apps (.ics file)"]
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent")
    assert focused.startswith("Google Calendar")
    name = page.evaluate("() => document.activeElement.textContent.replace(/\\s+/g, ' ')")
    assert name == "Google Calendar: Disability as Diversity, Mon, May 17, 2027"  # what a screen reader says
    page.keyboard.press("Escape")  # closes it, and the focus is back on its button
    assert page.locator(".add-to-calendar .menu-items").is_hidden()
    assert page.evaluate("() => document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Space")  # opens it again, and Space closes it
    assert page.locator(".add-to-calendar .menu-items").is_visible()
    page.keyboard.press("Space")
    assert page.locator(".add-to-calendar .menu-items").is_hidden()
    context.close()


def test_keyboard_reaches_everything_on_pages_with_every_field(browser, host):
    context, page = _page(browser, host)
    problems = keyboard_walk(page, host.pages())
    context.close()
    assert problems == []


def test_the_subscribe_menu_holds_the_apps_and_the_address(browser, host):
    context, page = _page(browser, host)
    page.goto(BASE_URL + "subscribe/")
    page.locator(".subscribe-menu summary").click()
    assert page.locator(".subscribe-menu .menu-items a").count() == 4
    assert page.locator("#subscribe-url").input_value() == BASE_URL + "schedule.ics"
    assert page.locator(".copy-button").is_visible()
    context.close()


def test_the_printed_qr_code_opens_the_subscribe_page(browser, host):
    import zxingcpp
    from PIL import Image

    for paper in ("screen", "print"):
        context, page = _page(browser, host)
        page.goto(BASE_URL + "print/")
        page.emulate_media(media=paper)
        code = page.locator("svg.qr-code")
        box = code.bounding_box()
        assert box["width"] >= 90 and box["width"] == box["height"]  # about an inch on paper
        image = Image.open(io.BytesIO(code.screenshot(scale="device")))
        found = zxingcpp.read_barcodes(image)
        assert [barcode.text for barcode in found] == [BASE_URL + "subscribe/"], paper
        assert BASE_URL + "subscribe/" in page.locator(".print-subscribe").inner_text()  # printed beside it
        context.close()


@pytest.fixture(scope="module")
def busy_site(tmp_path_factory) -> Path:
    project = write_busy_program(tmp_path_factory.mktemp("busy") / "project", date.today())
    result = run_build(project)
    assert result.returncode == 0, result.stderr
    return project / "site"


@pytest.fixture(scope="module")
def real_site(tmp_path_factory) -> Path:
    project = copy_of_2023_program(tmp_path_factory.mktemp("real") / "project")
    assert run_build(project).returncode == 0
    return project / "site"


def _weight(site: Path, page: Path) -> int:
    """The bytes a first visit to `page` fetches, compressed as any static host compresses them:
    its HTML, and the stylesheets and scripts it links."""
    html = page.read_bytes()
    linked = re.findall(rb'<(?:link rel="stylesheet"|script) [^>]*(?:href|src)="([^"]+)"', html)
    def target(name: str) -> Path:  # 404.html links from the site's root, as it is shown at any address
        return site / name[name.index("assets/"):] if name.startswith("/") else (page.parent / name).resolve()
    files = [html, *(target(name.decode()).read_bytes() for name in linked)]
    return sum(len(gzip.compress(data, compresslevel=6)) for data in files)


@pytest.mark.parametrize("which", ["real_site", "busy_site"])
def test_every_page_weighs_at_most_30_kb_compressed(which, request):
    site = request.getfixturevalue(which)
    weights = {page.relative_to(site).as_posix(): _weight(site, page) for page in sorted(site.rglob("*.html"))}
    heavy = {path: weight for path, weight in weights.items() if weight > 30_000}
    assert heavy == {}
    assert len(weights) > 20


@pytest.mark.parametrize("which", ["real_site", "busy_site", "site"])
def test_no_region_a_keyboard_cannot_reach_at_390_px(browser, which, request):
    built = request.getfixturevalue(which)
    host = StaticHost(built, "https://phone.example.org/")
    context, page = _page(browser, host, when=None, viewport={"width": 390, "height": 844})
    stuck = []
    for url in host.pages():
        page.goto(url)
        stuck += [f"{url} {found}" for found in page.evaluate("""() => {
            const found = [];
            if (document.documentElement.scrollWidth > window.innerWidth) found.push('the page scrolls sideways');
            for (const e of document.querySelectorAll('body *')) {
                const s = getComputedStyle(e);
                const scrolls = (e.scrollWidth > e.clientWidth + 1 && /auto|scroll/.test(s.overflowX)) ||
                                (e.scrollHeight > e.clientHeight + 1 && /auto|scroll/.test(s.overflowY));
                if (scrolls && e.tabIndex < 0) found.push(e.tagName + '.' + e.className);
            }
            return found;
        }""")]
    context.close()
    assert stuck == []


LIGHTHOUSE_PAGES = {"real_site": ["", "topics/psychological-safety/", "sessions/psychological-safety-2023-2/", "print/"],
                    "busy_site": ["", "topics/topic-03/", "sessions/busy-063/", "print/"]}


@pytest.mark.parametrize("which", sorted(LIGHTHOUSE_PAGES))
def test_lighthouse_gives_100_in_every_category(which, request, tmp_path):
    """Mobile, as Lighthouse emulates it (a mid-range phone, slow 4G, a CPU four times slower),
    in Debian's Chromium, each page served with gzip as static hosts serve it."""
    require_chromium()
    require_node_package("lighthouse")
    built = request.getfixturevalue(which)
    project = built.parent
    with CompressingHost(tmp_path / "site") as server:
        # Built for the address it is served at, so that canonical links and robots.txt agree.
        result = run_build(project, "--out", str(tmp_path / "site"), "--base-url", server.url)
        assert result.returncode == 0, result.stderr
        output = subprocess.run(["node", str(NODE_TOOLS / "lighthouse.mjs"),
                                 *(server.url + path for path in LIGHTHOUSE_PAGES[which])],
                                capture_output=True, text=True, timeout=600,
                                env={**os.environ, "CHROME_PATH": str(CHROMIUM)})
    assert output.returncode == 0, output.stderr
    reports = json.loads(output.stdout)
    scores = {url.removeprefix(server.url) or "/": report["scores"] for url, report in reports.items()}
    print(json.dumps({which: scores}))  # the figures, for the record (pytest -s)
    below = {url.removeprefix(server.url) or "/": (report["scores"], report["failing"], report["runtimeError"])
             for url, report in reports.items() if set(report["scores"].values()) != {100}}
    assert below == {}
