"""Hearing saves as they happen (Linux inotify): the paths saved, and when to look at everything."""

from __future__ import annotations

import shutil
import time

import pytest

from microsite import notify


@pytest.fixture
def heard(tmp_path):
    content = tmp_path / "content"
    (content / "topics").mkdir(parents=True)
    events = notify.listen([content])
    if events is None:
        pytest.skip("this system does not report saves; the preview server polls instead")
    yield content, events
    events.close()


def _saves(events):
    time.sleep(0.05)  # the kernel queues events at once; this only spares a busy machine
    return events.saves()


def test_a_save_is_heard_with_its_path(heard):
    content, events = heard
    (content / "topics" / "alpha.md").write_text("---\ntitle: A\n---\n")
    assert _saves(events) == {str(content / "topics" / "alpha.md")}


def test_a_save_by_rename_names_the_file_saved(heard):
    content, events = heard
    (content / "topics" / ".alpha.md.tmp").write_text("new text")
    (content / "topics" / ".alpha.md.tmp").rename(content / "topics" / "alpha.md")
    assert _saves(events) == {str(content / "topics" / "alpha.md")}


def test_editor_scratch_files_are_not_saves(heard):
    content, events = heard
    (content / "topics" / ".alpha.md.swp").write_text("swap")
    (content / "topics" / "alpha.md~").write_text("backup")
    assert _saves(events) == set()


def test_a_new_folder_means_looking_at_everything_and_is_watched_from_then_on(heard):
    content, events = heard
    (content / "pages").mkdir()
    assert _saves(events) is None
    (content / "pages" / "about.md").write_text("---\ntitle: About\n---\n")
    assert _saves(events) == {str(content / "pages" / "about.md")}


def test_the_folder_deleted_and_made_again_is_watched_again(heard):
    content, events = heard
    shutil.rmtree(content)
    assert _saves(events) is None
    (content / "topics").mkdir(parents=True)
    assert _saves(events) is None
    (content / "topics" / "beta.md").write_text("---\ntitle: B\n---\n")
    assert _saves(events) == {str(content / "topics" / "beta.md")}


def test_without_inotify_the_preview_polls(tmp_path, monkeypatch):
    monkeypatch.setattr(notify.ctypes.util, "find_library", lambda name: None)
    assert notify.listen([tmp_path]) is None
