"""A program that lives for years: series, each with its pages and feed, the current one first.

tests/series-example/ is a program in its third year (three series; the current one, from
November 2025 to March 2026, holds a cancelled and a moved session), built and compared byte
for byte with its committed output.
Regenerate it after an intended change, and review the diff:

    REGENERATE_EXPECTED=1 .venv/bin/python -m pytest tests/test_series.py
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from calendar_readers import read_with_ical
from conftest import REPO, copy_of_2023_program, run_build, tree_digest

EXAMPLE = Path(__file__).resolve().parent / "series-example"
EXPECTED = EXAMPLE / "expected"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("series") / "project"
    shutil.copytree(EXAMPLE / "content", project / "content")
    shutil.copytree(REPO / "layouts", project / "layouts")
    result = run_build(project)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    if os.environ.get("REGENERATE_EXPECTED"):
        shutil.rmtree(EXPECTED, ignore_errors=True)
        shutil.copytree(project / "site", EXPECTED)
    return project / "site"


def test_built_files_are_exactly_the_expected_ones(built):
    assert tree_digest(built) == tree_digest(EXPECTED)


def test_the_home_page_leads_with_the_current_series(built):
    index = (built / "index.html").read_text()
    assert index.index("<h2 id=\"current-series-heading\">2026 Example series</h2>") < index.index("Earlier series")
    assert index.count("<li class=\"session") == 4  # only the current series' sessions
    earlier = index[index.index("Earlier series"):index.index('id="subscribe"')]
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', earlier) == [
        ("series/2025/index.html", "2025 Example series"), ("series/2024/index.html", "2024 Example series")]


def test_each_series_has_its_page_print_page_and_feed(built):
    for year, count in (("2024", 2), ("2025", 2), ("2026", 4)):
        page = (built / f"series/{year}/index.html").read_text()
        assert f"<h1>{year} Example series</h1>" in page and page.count("<li class=\"session") == count
        printed = (built / f"series/{year}/print/index.html").read_text()
        assert f"<h1>Example Ally Program: {year} Example series</h1>" in printed
        assert printed.count("<tr") == count + 1
        assert len(read_with_ical(built / f"series/{year}.ics")) == count
    assert "<h1>Example Ally Program: 2026 Example series</h1>" in (built / "print/index.html").read_text()
    assert len(read_with_ical(built / "schedule.ics")) == 8  # every series, at its old address


def test_topics_group_their_sessions_by_series_newest_first(built):
    page = (built / "topics/psychological-safety/index.html").read_text()
    headings = re.findall(r"<h3>(\d{4}) Example series</h3>", page)
    assert headings == ["2026", "2025", "2024"]


def test_a_session_names_its_series_everywhere(built):
    page = (built / "sessions/racism-pt-3-2026-2/index.html").read_text()
    assert "(moved from Tuesday, February 3, 2026, 3:00 p.m.)" in page
    assert '<dd><a href="../../series/2026/index.html">2026 Example series</a></dd>' in page
    data = json.loads(re.search(r'<script type="application/ld\+json">\n(.*?)\n</script>', page, re.S).group(1))
    assert data["superEvent"] == {"@type": "EventSeries", "name": "2026 Example series",
                                  "url": "https://example.org/ally/series/2026/"}
    schedule = json.loads((built / "schedule.json").read_text())
    assert [s["slug"] for s in schedule["series"]] == ["2026", "2025", "2024"]
    assert {s["id"]: s["series"] for s in schedule["sessions"]}["racism-pt-3-2026-2"] == "2026"
    sitemap = (built / "sitemap.xml").read_text()
    assert "https://example.org/ally/series/2024/</loc>" in sitemap
    assert "https://example.org/ally/series/2024/print/</loc>" in sitemap


def test_a_2023_subscriber_receives_the_next_series_unchanged_otherwise(tmp_path):
    """The subscriber scenario: moving the 2023 program into a series changed no event, and a
    second series, added as the README says, reaches the same feed with every 2023 event as it was."""
    project = copy_of_2023_program(tmp_path / "project")
    assert run_build(project, "--out", str(tmp_path / "before")).returncode == 0
    before = _events(tmp_path / "before/schedule.ics")
    unmoved = copy_of_2023_program(tmp_path / "unmoved")  # the content as it was before content/series/
    shutil.rmtree(unmoved / "content/series")
    assert run_build(unmoved).returncode == 0
    assert (unmoved / "site/schedule.ics").read_bytes() == (tmp_path / "before/schedule.ics").read_bytes()
    (project / "content/series/2024.md").write_text(
        "---\ntitle: 2024 Ally Training series\nsummary: The sessions of 2024.\n---\nThe 2024 series.\n")
    sessions = project / "content/sessions.yaml"
    text = re.sub(r"^- id: (.*)$", r'- id: \1\n  series: "2023"', sessions.read_text(), flags=re.M)
    sessions.write_text(text + "- id: psychological-safety-2024-1\n  series: \"2024\"\n  topic: psychological-safety\n"
                        "  date: 2024-02-13\n  start: 12:00\n  end: 14:00\n")
    published = run_build(project, "publish", env={"SOURCE_DATE_EPOCH": "1704067200"})
    assert published.returncode == 0, published.stderr
    assert published.stdout.splitlines()[1].split() == ["new", "psychological-safety-2024-1", "SEQUENCE", "0"]
    after = _events(project / "site/schedule.ics")
    assert set(after) == set(before) | {"psychological-safety-2024-1@ally-training.example.org"}
    assert {uid: after[uid] for uid in before} == before  # not a byte of a 2023 event changed


def _events(feed: Path) -> dict[str, str]:
    return {re.search(r"^UID:(.*)$", event, re.M).group(1): event.split("END:VEVENT")[0]
            for event in feed.read_text().split("BEGIN:VEVENT")[1:]}


def test_ten_years_of_series_build(tmp_path):
    import sys
    sys.path.insert(0, str(REPO / "bench"))
    from synthetic import write_ten_year_program

    project = write_ten_year_program(tmp_path / "ten-years")
    result = run_build(project)
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in (project / "site/series").glob("*.ics")) == [
        f"{year}.ics" for year in range(2023, 2033)]
    assert "2032 series" in (project / "site/index.html").read_text().split("Earlier series")[0]
