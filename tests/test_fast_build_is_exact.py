"""A cached, parallel, link-reusing build gives exactly the bytes of a cold single-process build."""

from __future__ import annotations

import shutil
import sys

import pytest

from conftest import REPO, run_build, tree_digest

sys.path.insert(0, str(REPO / "bench"))
from synthetic import write_program  # noqa: E402

COLD = {"MICROSITE_WORKERS": "1"}


def cold_reference(project, tmp_path, name: str) -> dict[str, str]:
    """Build a copy of the project with no cache, in one process, into a new folder."""
    copy = tmp_path / f"cold-{name}"
    shutil.copytree(project / "content", copy / "content")
    shutil.copytree(project / "layouts", copy / "layouts")
    assert run_build(copy, "--no-cache", env=COLD).returncode == 0
    assert not (copy / ".cache").exists()
    return tree_digest(copy / "site")


@pytest.fixture
def program(tmp_path):
    project = write_program(60, tmp_path / "program")  # above the size where Markdown goes parallel
    assert run_build(project).returncode == 0  # fills the cache, in parallel
    return project


def test_cached_parallel_build_matches_a_cold_one(program, tmp_path):
    assert run_build(program).returncode == 0  # from the cache, reusing the previous site's files
    assert tree_digest(program / "site") == cold_reference(program, tmp_path, "same")


def make_change(program, change: str) -> None:
    """An editor's change of each kind that touches the cache and the reuse of pages differently."""
    if change == "layout":
        base = program / "layouts/base.html"
        base.write_text(base.read_text().replace("Times are", "All times are"))
    elif change == "delete topic":
        (program / "content/topics/topic-00007.md").unlink()
        sessions = program / "content/sessions.yaml"
        sessions.write_text("\n- ".join(e for e in sessions.read_text().split("\n- ") if "topic-00007" not in e))
    elif change == "setting":
        site = program / "content/site.yaml"
        site.write_text(site.read_text().replace("Synthetic Program", "Renamed Program"))
    elif change == "partial layout":  # used for every session in the lists of the home and print pages
        partial = program / "layouts/_session.html"
        partial.write_text(partial.read_text().replace("Status:", "Session status:"))
    elif change == "topic title":  # shown with each of its sessions on other pages, feeds and data
        topic = program / "content/topics/topic-00005.md"
        topic.write_text(topic.read_text().replace("title: ", "title: Renamed ", 1))
    elif change == "move session":
        sessions = program / "content/sessions.yaml"
        text = sessions.read_text()
        entry = text.index("id: topic-00002-1")
        day = text.index("date: ", entry) + len("date: ")
        sessions.write_text(text[:day] + "2031-01-15" + text[day + len("2031-01-15"):])
    elif change == "publish":
        assert run_build(program, "publish").returncode == 0
    else:
        topic = program / "content/topics/topic-00003.md"
        topic.write_text(topic.read_text() + "\nOne more paragraph.\n")


CHANGES = ["layout", "delete topic", "setting", "topic body", "partial layout", "topic title", "move session"]


@pytest.mark.parametrize("change", CHANGES)
def test_after_a_change_the_fast_build_still_matches(program, tmp_path, change):
    make_change(program, change)
    assert run_build(program).returncode == 0
    assert tree_digest(program / "site") == cold_reference(program, tmp_path, change.replace(" ", "-"))


@pytest.mark.parametrize("change", CHANGES)
def test_the_preview_servers_incremental_updates_match_a_cold_build(program, tmp_path, change, monkeypatch):
    from microsite.serve import Preview

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1672531200")  # as run_build sets it for the cold build
    preview = Preview(program, tmp_path / "served")
    preview.apply(preview.rebuild())
    make_change(program, change)
    preview.apply(preview.rebuild())
    assert tree_digest(tmp_path / "served") == cold_reference(program, tmp_path, "preview-" + change.replace(" ", "-"))


def test_the_preview_stays_exact_through_a_day_of_edits(program, tmp_path, monkeypatch):
    """One preview server through many saves in a row, as an editor works: nothing it kept from an
    earlier build may leak into a later one, including after a change is undone and after publishing."""
    from microsite.serve import Preview

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1672531200")
    preview = Preview(program, tmp_path / "served")
    preview.apply(preview.rebuild())
    topic = program / "content/topics/topic-00003.md"
    original = topic.read_text()
    steps = ["topic title", "move session", "delete topic", "publish", "topic body", "undo topic body",
             "partial layout", "setting"]
    for step in steps:
        if step == "undo topic body":
            topic.write_text(original)
        else:
            make_change(program, step)
        preview.apply(preview.rebuild())
        assert tree_digest(tmp_path / "served") == cold_reference(program, tmp_path, step.replace(" ", "-")), step


def _spare_of(project):
    spares = [path for path in (project / ".cache/microsite/spare").iterdir() if not path.name.startswith(".")]
    assert len(spares) == 1, "the site before last is kept in the cache"
    return spares[0]


def test_rebuilds_through_the_spare_tree_match_a_cold_build_even_when_it_was_tampered_with(program, tmp_path):
    """The spare tree (the site before last) is only ever trusted file by file: whatever happened
    to it, the next build's site is exactly a cold build's."""
    assert run_build(program).returncode == 0  # the first site becomes the spare
    make_change(program, "topic title")
    assert run_build(program).returncode == 0  # brings the spare up to date and swaps it in
    assert tree_digest(program / "site") == cold_reference(program, tmp_path, "spare-1")
    spare = _spare_of(program)
    (spare / "stray.html").write_text("not part of any build")
    (spare / "topics/topic-00001/index.html").write_text("changed behind the build's back")
    shutil.rmtree(spare / "sessions/topic-00002-1")
    (spare / "sessions/topic-00002-1").write_text("a file where a folder belongs")
    (spare / "print/index.html").unlink()
    (spare / "print/index.html").mkdir()  # a folder where a file belongs
    (spare / "robots.txt").unlink()
    (spare / "robots.txt").symlink_to("/etc/hostname")
    (spare / "old/empty/folder").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(spare / "assets")
    (spare / "assets").symlink_to(outside)  # must not lead the build's writing out of the site
    (spare / "topics/topic-00009").rename(spare / "topics/topic-00009-moved")
    (spare / "topics/topic-00009").write_text("a file where the new site has a folder of folders' parent")
    make_change(program, "move session")
    assert run_build(program).returncode == 0
    assert tree_digest(program / "site") == cold_reference(program, tmp_path, "spare-2")
    assert not (program / "site/old").exists() and not (program / "site/robots.txt").is_symlink()
    assert not list(program.glob(".site.*")), "no staging folder is left beside the site"
    assert not list(outside.iterdir())


def test_builds_reusing_the_last_builds_work_stay_exact_through_a_day_of_edits(program, tmp_path):
    """build.py keeps what it could reuse in the cache (microsite.persist): build after build, as an
    editor works, each site is exactly a cold build's."""
    topic = program / "content/topics/topic-00003.md"
    original = topic.read_text()
    assert len(list((program / ".cache/microsite/reuse").glob("*.pickle"))) == 1
    for step in ["topic title", "move session", "delete topic", "publish", "topic body", "undo topic body",
                 "partial layout", "setting", "layout"]:
        if step == "undo topic body":
            topic.write_text(original)
        else:
            make_change(program, step)
        assert run_build(program).returncode == 0
        assert tree_digest(program / "site") == cold_reference(program, tmp_path, "cli-" + step.replace(" ", "-")), step


@pytest.mark.parametrize("damage", ["page edited by hand", "page deleted by hand", "site deleted", "state damaged"])
def test_what_a_build_kept_is_never_trusted_blindly(program, tmp_path, damage):
    """Pages kept from the last build are named by their files in the site; if those changed, or the
    kept state is unreadable, the build makes everything again rather than publish a stale page."""
    assert run_build(program).returncode == 0
    page = program / "site/topics/topic-00004/index.html"
    if damage == "page edited by hand":
        page.write_text(page.read_text().replace("<h1>", "<h1>Edited by hand: "))
    elif damage == "page deleted by hand":
        page.unlink()
    elif damage == "site deleted":
        shutil.rmtree(program / "site")
    else:
        [state] = (program / ".cache/microsite/reuse").glob("*.pickle")
        state.write_bytes(state.read_bytes()[: len(state.read_bytes()) // 2])
    make_change(program, "topic body")
    assert run_build(program).returncode == 0
    assert tree_digest(program / "site") == cold_reference(program, tmp_path, damage.replace(" ", "-"))


def test_builds_into_two_folders_keep_their_own_state(program, tmp_path):
    """What a build kept names the files of its own output folder: a build into another folder
    neither uses nor spoils it."""
    other = tmp_path / "preview-site"
    for out in (other, program / "site", other):
        make_change(program, "topic body")
        assert run_build(program, "--out", str(out)).returncode == 0
        assert tree_digest(out) == cold_reference(program, tmp_path, f"two-{len(list(tmp_path.iterdir()))}")
    assert len(list((program / ".cache/microsite/reuse").glob("*.pickle"))) == 2


def test_fragments_follow_the_site_settings_they_show(program, tmp_path, monkeypatch):
    """A partial may show a site setting for items that do not change with it (topics): changing
    the setting must still change every fragment, in the preview and build after build."""
    from microsite.serve import Preview

    partial = program / "layouts/_topic_item.html"
    partial.write_text(partial.read_text().replace("</li>", " ({{ site.time_zone_label }})</li>"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1672531200")
    preview = Preview(program, tmp_path / "served")
    preview.apply(preview.rebuild())
    assert run_build(program).returncode == 0
    site = program / "content/site.yaml"
    text = site.read_text()
    label = next(line for line in text.splitlines() if line.startswith("time_zone_label:"))
    site.write_text(text.replace(label, "time_zone_label: Michigan time"))
    preview.apply(preview.rebuild())
    assert run_build(program).returncode == 0
    cold = cold_reference(program, tmp_path, "zone-label")
    assert tree_digest(tmp_path / "served") == cold
    assert tree_digest(program / "site") == cold
    assert "(Michigan time)</li>" in (program / "site/index.html").read_text()
