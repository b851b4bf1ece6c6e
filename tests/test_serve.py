"""`build.py serve`: an editor's save shows up in the browser; a broken save shows the problems."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

import pytest

from conftest import REPO, free_port

sys.path.insert(0, str(REPO / "bench"))
from serve_latency import ReloadListener  # noqa: E402  (a browser tab's live-reload connection)
from synthetic import write_program  # noqa: E402

WAIT_S = 15  # generous: the machine running the tests may be busy



def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.status, error.read().decode("utf-8")


def _wait_for(condition, what: str):
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        try:
            result = condition()
        except (urllib.error.URLError, ConnectionError, OSError):
            result = None
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"not seen within {WAIT_S} s: {what}")


class Preview:
    def __init__(self, project: Path, log: Path, watch: str = "heard"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = log
        environment = {"PATH": "/usr/bin:/bin", "SOURCE_DATE_EPOCH": "0"}
        if watch == "polled":  # as on file systems that do not report saves
            environment["MICROSITE_WATCH"] = "poll"
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "build.py"), "serve", "--project", str(project), "--port", str(self.port)],
            stdout=log.open("w"), stderr=subprocess.STDOUT, env=environment)
        _wait_for(lambda: _get(self.url)[0] == 200, "the preview answering")

    def output(self) -> str:
        return self.log.read_text()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(params=["heard", "polled"])
def preview(make_project, tmp_path, request):
    server = Preview(make_project(), tmp_path / "serve.log", request.param)
    yield server
    server.stop()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_saved_edit_appears_and_reloads(preview, make_project):
    project = Path(preview.process.args[4])
    status, page = _get(preview.url + "topics/alpha/")
    assert status == 200 and "<h1>Alpha</h1>" in page
    assert "livereload.js" in page  # the script that reloads open tabs
    _edit(project / "content/topics/alpha.md", "title: Alpha", "title: Alpha Revised")
    _wait_for(lambda: "<h1>Alpha Revised</h1>" in _get(preview.url + "topics/alpha/")[1], "the edited title")


def test_the_page_open_in_the_browser_shows_a_save_first_and_no_page_mixes_two_builds(tmp_path):
    """After a save, the page the editor has open is rebuilt, written and reloaded before the rest of
    a large site. A page asked for meanwhile waits for the rest rather than coming from the build
    before; a stylesheet, whose address changes with its content, need not wait."""
    project = write_program(500, tmp_path / "program")  # the rest of the site takes a while
    server = Preview(project, tmp_path / "serve.log")
    tab = None
    try:
        page_url = server.url + "topics/topic-00000/"
        topic = project / "content/topics/topic-00000.md"
        title = re.search(r"^title: (.+)$", topic.read_text(), re.M).group(1)
        assert f"<h1>{title}</h1>" in _get(page_url)[1]
        served = Path(re.search(r"the preview is built in (\S+)\.\n", server.output()).group(1))
        assert title in (served / "print/index.html").read_text()  # not asked for, so not open in a browser
        tab = ReloadListener(server.port, page_url)
        builds = server.output().count("Rebuilt in")
        _edit(topic, f"title: {title}", "title: Renamed Topic")
        tab.wait(WAIT_S)
        assert server.output().count("Rebuilt in") == builds  # reloaded before the rest was rebuilt
        status, page = _get(page_url)
        assert status == 200 and "<h1>Renamed Topic</h1>" in page
        stylesheet = urljoin(page_url, re.search(r'href="((?:\.\./)*assets/style\.[0-9a-f]{8}\.css)"', page).group(1))
        assert _get(stylesheet)[0] == 200
        assert server.output().count("Rebuilt in") == builds  # the stylesheet did not wait for the rest
        status, printed = _get(server.url + "print/")  # answered once the rest is rebuilt, never before
        assert status == 200 and "Renamed Topic" in printed and title not in printed
        log = server.output()
        assert log.count("Rebuilt in") == builds + 1
        shown, whole = re.findall(r"Rebuilt in (\d+) ms \(the pages open in a browser in (\d+) ms\)", log)[-1][::-1]
        assert int(shown) <= int(whole)
        assert "Reload 1 waiters" in log and log.count("Reload ") == 1  # one reload for the save

        # A stylesheet edited: the reloaded page links to its new name, and that file is there
        # with the page, before the rest of the site (every page of which changes).
        tab.drain()
        css = project / "layouts/assets/style.css"
        css.write_text(css.read_text() + "\n.edited-rule { outline: none; }\n")
        tab.wait(WAIT_S)
        page = _get(page_url)[1]
        new_stylesheet = urljoin(page_url, re.search(r'href="((?:\.\./)*assets/style\.[0-9a-f]{8}\.css)"', page).group(1))
        assert new_stylesheet != stylesheet
        status, served_css = _get(new_stylesheet)
        assert status == 200 and ".edited-rule" in served_css
        assert server.output().count("Rebuilt in") == builds + 1  # the rest is still being rebuilt
    finally:
        if tab is not None:
            tab.close()
        server.stop()


def test_a_broken_edit_shows_the_problems_and_the_site_comes_back(preview):
    project = Path(preview.process.args[4])
    _edit(project / "content/sessions.yaml", "end: 14:00", "end: 25:00")
    status, page = _wait_for(lambda: (lambda r: r if r[0] == 500 else None)(_get(preview.url)), "the error page")
    assert "<code>content/sessions.yaml:5</code>" in page
    assert "`end` &#x27;25:00&#x27; is not a time of day" in page
    assert '<html lang="en">' in page and "<h1>" in page
    assert _get(preview.url + "schedule.ics")[0] == 200  # the last good site is still there
    assert "content/sessions.yaml:5: session 'alpha-1': `end` '25:00'" in preview.output()
    _edit(project / "content/sessions.yaml", "end: 25:00", "end: 14:30")
    _wait_for(lambda: _get(preview.url)[0] == 200, "the site again")
    assert "2:30 p.m." in _get(preview.url)[1]
    assert preview.process.poll() is None


def test_a_burst_of_saves_is_one_rebuild(preview):
    project = Path(preview.process.args[4])
    _wait_for(lambda: preview.output().count("Rebuilt in") == 1, "the first build")
    for number in range(5):
        (project / "content/topics" / f"extra-{number}.md").write_text(f"---\ntitle: E{number}\nsummary: S.\n---\n")
    _wait_for(lambda: _get(preview.url + "topics/extra-4/")[0] == 200, "the new topics")
    time.sleep(0.5)
    assert preview.output().count("Rebuilt in") == 2


def test_a_save_that_changes_nothing_in_the_site_does_not_reload_the_browser(preview):
    project = Path(preview.process.args[4])
    _wait_for(lambda: preview.output().count("Rebuilt in") == 1, "the first build")
    reloads = preview.output().count("Reload ")
    topic = project / "content/topics/alpha.md"
    (project / "content/topics/.alpha.md.swp").write_bytes(b"an editor's swap file")
    topic.write_text(topic.read_text())  # saved again as it was
    _wait_for(lambda: "nothing in the site changed" in preview.output(), "the rebuild")
    time.sleep(1)  # past the watcher's backup poll
    assert preview.output().count("Reload ") == reloads
    _edit(topic, "title: Alpha", "title: Alpha Again")
    _wait_for(lambda: preview.output().count("Reload ") == reloads + 1, "the reload for a real change")


def test_missing_pages_get_the_404_page(preview):
    status, page = _get(preview.url + "no/such/page/")
    assert status == 404 and "Page not found" in page


def _listening_addresses(port: int) -> set[str]:
    """Local addresses listening on `port`, from the kernel's socket tables."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.rsplit(":", 1)
            if state == "0A" and int(port_hex, 16) == port:
                found.add(address)
    return found


def test_listens_on_loopback_only_by_default(preview):
    assert _listening_addresses(preview.port) == {"0100007F"}  # 127.0.0.1


def test_serve_does_not_write_into_the_project(preview):
    project = Path(preview.process.args[4])
    assert sorted(path.name for path in project.iterdir() if path.name != ".cache") == ["content", "layouts"]


def test_stopping_the_preview_removes_its_folder(preview):
    """A service manager or a closed terminal stops the preview with SIGTERM, as Ctrl+C does with
    SIGINT: either way the temporary folder it built into goes with it."""
    folder = Path(re.search(r"the preview is built in (\S+)/site\.", preview.output()).group(1))
    assert (folder / "site/index.html").is_file()
    preview.stop()  # SIGTERM
    assert preview.process.returncode == 0
    assert not folder.exists()


def test_the_error_page_counts_what_it_lists_and_puts_warnings_apart():
    from microsite.error_page import error_page
    from microsite.model import ContentError, Problem

    problems = ContentError([
        Problem("content/topics/alpha.md", 5, "a `# ` heading repeats the page title", is_warning=True),
        Problem("content/topics/beta.md", 2, "front matter: missing `title:`; add it"),
        Problem("content/sessions.yaml", 4, "session 'a': `end` '25:00' is not a time of day")]).problems
    page = error_page(problems)
    numbered = page.split("<ol>")[1].split("</ol>")[0]
    assert "<title>Build stopped: 2 problems to fix</title>" in page and "2 problems to fix." in page
    assert numbered.count("<li>") == 2 and "heading" not in numbered
    assert numbered.index("sessions.yaml") < numbered.index("beta.md")
    assert page.index("<h2>Warnings</h2>") > page.index("</ol>") and "heading repeats" in page.split("<h2>Warnings</h2>")[1]
