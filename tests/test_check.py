"""`build.py check`: the gate before publishing, for CI and pre-commit; it never writes site/."""

from __future__ import annotations

from conftest import copy_of_2023_program, run_build


def test_the_2023_program_passes(tmp_path):
    result = run_build(copy_of_2023_program(tmp_path / "project"), "check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Checked 13 sessions of 7 topics: content, layouts, links and feeds are fine")


def test_check_writes_nothing(make_project):
    project = make_project()
    assert run_build(project, "check").returncode == 0
    assert sorted(path.name for path in project.iterdir() if path.name != ".cache") == ["content", "layouts"]


def test_content_errors_fail_the_check(make_project):
    project = make_project({"content/sessions.yaml": "- id: a\n  topic: alpha\n  date: 2023-02-30\n  start: 9:00\n  end: 10:00\n"})
    result = run_build(project, "check")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "content/sessions.yaml:3: session 'a': `date` '2023-02-30' is not a day in the calendar; check the month and day",
        "Check failed: 1 problem to fix; nothing was written."]


def test_a_broken_link_in_a_topic_fails_the_check(make_project):
    project = make_project({"content/topics/alpha.md": "---\ntitle: Alpha\nsummary: S.\n---\nSee [beta](../beta/index.html)"
                            " and [the schedule](../../index.html#no-such-section).\n"})
    result = run_build(project, "check")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert any(line.startswith("site/topics/alpha/index.html:") and "links to ../beta/index.html, which the build"
               " does not produce; fix the link in content/topics/alpha.md" in line for line in lines)
    assert any("links to #no-such-section in index.html, which has no such id" in line for line in lines)
    assert run_build(project).returncode == 0  # a plain build does not check links


def test_unrecorded_changes_fail_the_check(make_project):
    project = make_project()
    assert run_build(project, "publish").returncode == 0
    path = project / "content/sessions.yaml"
    path.write_text(path.read_text().replace("start: 12:00", "start: 12:30"))
    assert run_build(project).returncode == 0  # a preview build only warns
    result = run_build(project, "check")
    assert result.returncode == 1
    assert "1 session new or changed since the last publication ('alpha-1'); run `python build.py publish`" in result.stderr
    assert run_build(project, "publish").returncode == 0
    assert run_build(project, "check").returncode == 0


def test_a_deploy_at_another_address_is_warned_of(make_project):
    """The deploy job passes the address GitHub Pages publishes at; base_url stays the one source."""
    project = make_project()
    same = run_build(project, "check", "--deploy-url", "https://SCHEDULE.example.org")  # case and slash aside
    assert same.returncode == 0 and same.stderr == "", same.stderr
    elsewhere = run_build(project, "check", "--deploy-url", "https://owner.github.io/ally/",
                          env={"GITHUB_ACTIONS": "true"})
    assert elsewhere.returncode == 0  # a warning: the deploy goes on
    warning = ("content/site.yaml:6: warning: this deploy publishes the site at https://owner.github.io/ally/, but"
               " `base_url` is https://schedule.example.org/, which its absolute links, feed addresses and calendar"
               " IDs use; set `base_url` to the deploy's address (before the first publication: a new host gives"
               " every event a new ID), or give the deploy base_url's address (for GitHub Pages: Settings > Pages >"
               " Custom domain)")
    # On GitHub Actions every problem is also an annotation on its file and line.
    assert elsewhere.stderr.splitlines() == [f"::warning file=content/site.yaml,line=6::{warning}"]
    assert run_build(project, "--deploy-url", "https://x.org/").returncode == 2  # only check takes it
