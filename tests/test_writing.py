"""Writing the site: same input, same bytes; a failed build changes nothing; the old site is replaced whole."""

from __future__ import annotations

import pytest

from conftest import REPO, copy_of_2023_program, run_build, tree_digest
from microsite import ContentError
from microsite.model import OutputFile
from microsite.write import check_outputs


def test_two_builds_give_identical_bytes(tmp_path):
    project = copy_of_2023_program(tmp_path / "project")
    first, second = tmp_path / "first", tmp_path / "second"
    assert run_build(project, "--out", str(first)).returncode == 0
    assert run_build(project, "--out", str(second), "--no-cache").returncode == 0
    assert tree_digest(first) == tree_digest(second)
    assert run_build(project, "--out", str(first)).returncode == 0  # rebuilding in place
    assert tree_digest(first) == tree_digest(second)


def test_no_machine_path_leaks_into_the_site(tmp_path):
    project = copy_of_2023_program(tmp_path / "project")
    out = tmp_path / "site"
    assert run_build(project, "--out", str(out)).returncode == 0
    for path in out.rglob("*"):
        if path.is_file():
            assert str(tmp_path).encode() not in path.read_bytes()
            assert str(REPO).encode() not in path.read_bytes()


@pytest.mark.parametrize("breakage", [
    ("content/sessions.yaml", lambda text: text.replace("end: 14:00", "end: 25:00")),
    ("layouts/index.html", lambda text: text.replace("{% endfor %}", "{% endfro %}", 1)),
    ("layouts/topic.html", lambda text: text.replace("topic.title", "topic.titel", 1)),
], ids=["content error", "layout syntax error", "layout undefined name"])
def test_failed_build_leaves_the_previous_site_as_it_was(make_project, breakage):
    project = make_project()
    assert run_build(project).returncode == 0
    before = tree_digest(project / "site")
    path, change = breakage
    (project / path).write_text(change((project / path).read_text()))
    result = run_build(project)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert tree_digest(project / "site") == before
    assert sorted(p.name for p in project.iterdir()) == [".cache", "content", "layouts", "site"]  # no staging left


def test_deleted_topic_disappears_from_the_site(make_project):
    project = make_project({"content/topics/beta.md": "---\ntitle: Beta\nsummary: S.\n---\n"})
    assert run_build(project).returncode == 0
    assert (project / "site/topics/beta/index.html").is_file()
    (project / "content/topics/beta.md").unlink()
    assert run_build(project).returncode == 0
    assert not (project / "site/topics/beta").exists() and not (project / "site/topics/beta.ics").exists()


def test_leftovers_of_a_killed_build_are_cleaned_up(make_project):
    project = make_project()
    leftover = project / ".site.new-999999999"
    (leftover / "half").mkdir(parents=True)
    assert run_build(project).returncode == 0
    assert not leftover.exists()


def test_two_outputs_with_one_path_name_both_sources():
    files = [OutputFile("topics/a/index.html", b"", "content/topics/a.md"),
             OutputFile("topics/A/index.html", b"", "content/pages/x.md")]
    with pytest.raises(ContentError) as error:
        check_outputs(files)
    assert str(error.value) == (
        "content/pages/x.md: writes topics/A/index.html, which content/topics/a.md also writes;"
        " rename one of them")


def test_an_output_path_cannot_leave_the_site():
    with pytest.raises(ContentError, match="would write outside the site"):
        check_outputs([OutputFile("../escape.html", b"", "content/pages/x.md")])


@pytest.mark.parametrize("out", [".", "content", "layouts", "content/site", ".."])
def test_refuses_an_output_folder_that_would_destroy_the_project(make_project, out):
    project = make_project()
    before = tree_digest(project)
    result = run_build(project, "--out", str(project / out))
    assert result.returncode == 1
    assert "cannot be the output folder" in result.stderr
    assert tree_digest(project) == before


def test_the_streaming_writer_refuses_duplicates_and_keeps_the_old_site(tmp_path):
    from microsite.write import write_site

    out = tmp_path / "site"
    write_site([OutputFile("index.html", b"old", "first build")], out)
    files = iter([OutputFile("index.html", b"new", "layouts/index.html"),
                  OutputFile("INDEX.html", b"x", "content/pages/index.md"),
                  OutputFile("../escape", b"x", "content/pages/bad.md")])
    with pytest.raises(ContentError) as error:
        write_site(files, out)
    assert [str(problem) for problem in error.value.problems] == [
        "content/pages/bad.md: would write outside the site as '../escape'; rename it",
        "content/pages/index.md: writes INDEX.html, which layouts/index.html also writes; rename one of them"]
    assert (out / "index.html").read_bytes() == b"old"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["site"]


def test_every_broken_layout_is_reported_in_one_build(make_project):
    project = make_project()
    for layout, old, new in (("topic.html", "topic.title", "topic.titel"), ("session.html", "session.day", "session.dya")):
        path = project / "layouts" / layout
        path.write_text(path.read_text().replace(old, new, 1))
    result = run_build(project)
    assert result.returncode == 1
    assert [line.split(":")[0] for line in result.stderr.splitlines()[:-1]] == ["layouts/session.html", "layouts/topic.html"]
