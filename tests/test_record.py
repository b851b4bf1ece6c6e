"""The publication record's files: git's conflict markers read back, the newer side kept, and the
single-file record of earlier versions carried over without a byte of the site changing."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

from conftest import REPO, run_build, tree_digest
from microsite.model import Change
from microsite.record_files import Recorded, conflict_sides, entry_text, newer, resolve_conflicts

EXAMPLE = REPO / "tests/example"


def _entry(sequence: int, day: int, fingerprint: str = "aaaa", *changes: Change) -> Recorded:
    at = datetime(2024, 1, day, tzinfo=timezone.utc)
    return Recorded(sequence, at, fingerprint, datetime(2024, 3, 1, 12, tzinfo=timezone.utc), "", "scheduled", None,
                    changes)


def test_conflict_sides_in_merge_and_diff3_style():
    merge = "a\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> main\nb\n"
    diff3 = "a\n<<<<<<< HEAD\nours\n||||||| base\nbase\n=======\ntheirs\n>>>>>>> main\nb\n"
    assert conflict_sides(merge) == conflict_sides(diff3) == ("a\nours\nb\n", "a\ntheirs\nb\n")


def test_newer_keeps_the_higher_sequence_and_both_change_logs():
    moved = Change(datetime(2024, 1, 2, tzinfo=timezone.utc), "moved", "x", "X", "a", "b")
    cancelled = Change(datetime(2024, 1, 3, tzinfo=timezone.utc), "cancelled", "x", "X", "", "b")
    low, high = _entry(1, 5, "low", moved), _entry(2, 3, "high", cancelled)
    assert newer(low, high).fingerprint == newer(high, low).fingerprint == "high"  # not the later stamp
    assert newer(low, high).changes == (moved, cancelled)
    assert newer(_entry(1, 3, "early"), _entry(1, 4, "late")).fingerprint == "late"  # a tie: the later stamp


def _conflicted(ours: Recorded, theirs: Recorded) -> str:
    a, b = entry_text(ours).splitlines(keepends=True), entry_text(theirs).splitlines(keepends=True)
    same = [line for line, other in zip(a, b) if line == other]
    return "".join(same[:2]) + "<<<<<<< HEAD\n" + "".join(a[2:]) + "=======\n" + "".join(b[2:]) + ">>>>>>> main\n"


def test_resolve_writes_nothing_when_a_side_cannot_be_read(tmp_path):
    folder = tmp_path / "content/published"
    folder.mkdir(parents=True)
    readable = _conflicted(_entry(1, 3), _entry(2, 4))
    (folder / "good-1.yaml").write_text(readable)
    (folder / "bad-1.yaml").write_text(readable.replace("sequence: 2", "sequence: two"))
    resolved, problems = resolve_conflicts(tmp_path / "content")
    assert [problem.path for problem in problems] == ["content/published/bad-1.yaml (the other side)"]
    assert (folder / "good-1.yaml").read_text() == readable  # all or nothing: the editor fixes, then resolves again


def test_resolve_keeps_the_higher_sequence(tmp_path):
    folder = tmp_path / "content/published"
    folder.mkdir(parents=True)
    (folder / "x-1.yaml").write_text(_conflicted(_entry(3, 3, "ours"), _entry(2, 4, "theirs")))
    resolved, problems = resolve_conflicts(tmp_path / "content")
    assert problems == [] and [(r.kept.sequence, r.other_sequence, r.needs_publishing) for r in resolved] == [
        (3, 2, False)]
    assert (folder / "x-1.yaml").read_text() == entry_text(_entry(3, 3, "ours"))


def test_the_single_file_record_of_earlier_versions_is_carried_over(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE / "content", project / "content")
    shutil.copytree(REPO / "layouts", project / "layouts")
    shutil.rmtree(project / "content/published")
    shutil.copy(REPO / "tests/data/published-single-file.yaml", project / "content/published.yaml")

    built = run_build(project)
    assert built.returncode == 0, built.stderr
    assert ("content/published.yaml:1: warning: is the publication record of an earlier version; run `python"
            " build.py publish`, which moves it into content/published/ (one file per session), and commit both"
            ) in built.stderr.splitlines()
    assert tree_digest(project / "site") == tree_digest(EXAMPLE / "expected")  # no subscriber sees a change

    published = run_build(project, "publish", env={"SOURCE_DATE_EPOCH": "1800000000"})
    assert published.returncode == 0, published.stderr
    assert published.stdout.splitlines()[:2] == [
        "Moved content/published.yaml into content/published/, one file per session; commit both (git add content/).",
        "Nothing new to record: every session is as subscribers were last given it."]
    assert not (project / "content/published.yaml").exists()
    assert tree_digest(project / "content/published") == tree_digest(EXAMPLE / "content/published")
    assert tree_digest(project / "site") == tree_digest(EXAMPLE / "expected")
