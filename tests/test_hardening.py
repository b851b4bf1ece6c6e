"""Nothing is ever lost: killed builds, symbolic links, foreign output folders, and the dev server under stress."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import REPO, apply_files, run_build, tree_digest
from test_serve import Preview, _get, _wait_for

sys.path.insert(0, str(REPO / "bench"))
from synthetic import write_program  # noqa: E402


def test_a_killed_build_leaves_the_old_site_or_the_new_one_whole(tmp_path):
    project = write_program(60, tmp_path / "program")
    site_yaml = project / "content/site.yaml"
    variants = [site_yaml.read_text(), site_yaml.read_text().replace("Synthetic Program", "Renamed Program")]
    digests = []
    for text in variants:  # what each complete build looks like
        site_yaml.write_text(text)
        assert run_build(project, "--out", str(tmp_path / f"reference{len(digests)}")).returncode == 0
        digests.append(tree_digest(tmp_path / f"reference{len(digests)}"))
    assert run_build(project).returncode == 0
    killed_while_writing = 0
    for attempt, delay in enumerate((0, 0.002, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16)):
        site_yaml.write_text(variants[attempt % 2])
        process = subprocess.Popen([sys.executable, str(REPO / "build.py"), "--project", str(project)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env={"PATH": "/usr/bin:/bin", "SOURCE_DATE_EPOCH": "1672531200"})
        while process.poll() is None and not list(project.glob(".site.new-*")):
            time.sleep(0.0005)
        time.sleep(delay)
        if process.poll() is None:
            killed_while_writing += 1
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert tree_digest(project / "site") in digests, f"a half-written site after a kill {delay} s into writing"
    assert killed_while_writing >= 4
    assert run_build(project).returncode == 0
    assert not list(project.glob(".site.*")), "the next build cleans up what killed builds left"


def test_a_build_touches_nothing_outside_its_output_folder(make_project, tmp_path):
    project = make_project()
    neighbour = project / "notes.txt"
    neighbour.write_text("keep me")
    before = tree_digest(project)
    assert run_build(project).returncode == 0
    after = tree_digest(project)
    assert {path: digest for path, digest in after.items() if not path.startswith(("site/", ".cache/"))} == before


def test_refuses_a_folder_it_did_not_build_unless_forced(make_project, tmp_path):
    project = make_project()
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "holiday.jpg").write_bytes(b"\xff\xd8")
    result = run_build(project, "--out", str(foreign))
    assert result.returncode == 1 and "did not make" in result.stderr and "--force" in result.stderr
    assert (foreign / "holiday.jpg").exists()
    assert run_build(project, "--out", str(foreign), "--force").returncode == 0
    assert not (foreign / "holiday.jpg").exists() and (foreign / "index.html").exists()
    assert run_build(project, "--out", str(foreign)).returncode == 0  # now it is a site we built


def test_symbolic_links_are_refused(make_project):
    project = make_project()
    (project / "content/topics/secret.md").symlink_to("/etc/passwd")
    result = run_build(project)
    assert result.returncode == 1
    assert "content/topics/secret.md:1: is a symbolic link; replace it with the file itself" in result.stderr
    (project / "content/topics/secret.md").unlink()
    (project / "layouts/assets/leak.txt").symlink_to("/etc/passwd")
    result = run_build(project)
    assert result.returncode == 1
    assert "layouts/assets/leak.txt:1: is a symbolic link; replace it with the file itself" in result.stderr
    (project / "layouts/assets/leak.txt").unlink()
    # The logo, and a folder above it: either could publish a file from anywhere on the machine.
    outside = project.parent / "outside"
    outside.mkdir()
    (outside / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (project / "content/images").symlink_to(outside)
    site_yaml = project / "content/site.yaml"
    site_yaml.write_text(site_yaml.read_text() + "logo: images/logo.svg\n")
    result = run_build(project)
    assert result.returncode == 1
    assert "content/site.yaml:7: site settings: `logo` is a symbolic link; put the image itself there" in result.stderr


def test_editor_scratch_files_are_ignored(make_project):
    project = make_project({"content/topics/alpha.md~": "backup", "content/topics/.alpha.md.swp": "swap",
                            "content/topics/#alpha.md#": "emacs"})
    apply_files(project, {"layouts/assets/style.css~": "old styles", "layouts/assets/.style.css.swp": "swap"})
    assert run_build(project).returncode == 0
    published = {path.name for path in (project / "site/assets").iterdir()}
    assert any(re.fullmatch(r"style\.[0-9a-f]{8}\.css", name) for name in published), published
    assert not [name for name in published if "~" in name or name.endswith(".swp")]


@pytest.fixture
def preview(make_project, tmp_path):
    server = Preview(make_project(), tmp_path / "serve.log")
    yield server
    server.stop()


def _raw_get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.putrequest("GET", path, skip_accept_encoding=True)
    connection.endheaders()
    response = connection.getresponse()
    return response.status, response.read()


@pytest.mark.parametrize("path", ["/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                                  "/assets/..%2f..%2f..%2f..%2fetc%2fpasswd", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                                  "//etc/passwd", "/assets/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                                  "/..\\..\\..\\etc\\passwd"])
def test_the_preview_serves_nothing_outside_the_site(preview, path):
    status, body = _raw_get(preview.port, path)
    assert b"root:" not in body and status in (400, 403, 404)


def test_the_preview_does_not_follow_links_out_of_the_site(preview):
    built_in = Path(preview.output().split("the preview is built in ")[1].split(".\n")[0].rstrip("."))
    (built_in / "leak").symlink_to("/etc/passwd")
    (built_in / "leakdir").symlink_to("/etc")
    for path in ("/leak", "/leakdir/passwd"):
        status, body = _raw_get(preview.port, path)
        assert b"root:" not in body and status == 404


def test_the_preview_answers_1000_requests_from_20_clients(preview):
    paths = ["", "topics/alpha/", "sessions/alpha-1/", "schedule.ics", "schedule.json", "print/", "no/such/"]

    def fetch(number: int) -> int:
        return _get(preview.url + paths[number % len(paths)])[0]

    with ThreadPoolExecutor(max_workers=20) as clients:
        statuses = list(clients.map(fetch, range(1000)))
    assert statuses.count(404) == sum(1 for n in range(1000) if paths[n % len(paths)] == "no/such/")
    assert set(statuses) == {200, 404}


def test_the_preview_survives_content_deleted_and_recreated(preview, tmp_path):
    project = Path(preview.process.args[4])
    saved = tmp_path / "saved-content"
    shutil.copytree(project / "content", saved)
    shutil.rmtree(project / "content")
    _wait_for(lambda: _get(preview.url)[0] == 500, "the error page")
    assert "folder not found" in _get(preview.url)[1]
    shutil.copytree(saved, project / "content")
    _wait_for(lambda: _get(preview.url)[0] == 200, "the site again")
    assert preview.process.poll() is None


def test_the_preview_sees_a_save_by_rename(preview):
    project = Path(preview.process.args[4])
    topic = project / "content/topics/alpha.md"
    scratch = topic.with_name("alpha.md.tmp")
    scratch.write_text(topic.read_text().replace("title: Alpha", "title: Alpha Renamed"))
    os.replace(scratch, topic)
    _wait_for(lambda: "Alpha Renamed" in _get(preview.url + "topics/alpha/")[1], "the renamed save")
