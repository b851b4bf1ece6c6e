"""The cache's contract: a build with it gives exactly the bytes of a cold, single-process build
without it, whatever an editor changed, whatever happened to the cache, in builds and in the preview."""

from __future__ import annotations

import re
import shutil
import sqlite3
import sys
from importlib import resources

import pytest

from conftest import REPO, run_build, tree_digest

sys.path.insert(0, str(REPO / "bench"))
from synthetic import write_program  # noqa: E402

COLD = {"MICROSITE_WORKERS": "1"}


def cold_reference(project, tmp_path, name: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """Build a copy of the project with no cache, in one process, into a new folder."""
    copy = tmp_path / f"cold-{name}"
    shutil.copytree(project / "content", copy / "content")
    shutil.copytree(project / "layouts", copy / "layouts")
    assert run_build(copy, "--no-cache", env={**COLD, **(env or {})}).returncode == 0
    assert not (copy / ".cache").exists()
    return tree_digest(copy / "site")


@pytest.fixture
def program(tmp_path):
    project = write_program(60, tmp_path / "program")  # 60 bodies, 120 events: both spread over the cores
    assert run_build(project).returncode == 0  # fills the cache, in parallel
    return project


def the_cache(project) -> sqlite3.Connection:
    return sqlite3.connect(project / ".cache/microsite/cache.sqlite")


def test_a_build_from_the_cache_matches_a_cold_one(program, tmp_path):
    keys = [key for key, in the_cache(program).execute("SELECT key FROM entries")]
    assert all(len(key) == 64 and int(key, 16) >= 0 for key in keys)  # digests of content: no path, no object
    assert len(keys) >= 60 + 120 + 180  # Markdown bodies, events, pages
    assert run_build(program).returncode == 0  # everything from the cache
    assert tree_digest(program / "site") == cold_reference(program, tmp_path, "same")


def make_change(program, change: str) -> None:
    """An editor's change of each kind, each reaching the cached work differently."""
    if change == "layout":
        base = program / "layouts/base.html"
        base.write_text(base.read_text().replace("Times are", "All times are"))
    elif change == "delete topic":
        (program / "content/topics/topic-00007.md").unlink()
        sessions = program / "content/sessions.yaml"
        sessions.write_text("\n- ".join(e for e in sessions.read_text().split("\n- ") if "topic-00007" not in e))
    elif change == "setting":  # shown on every page and in every feed
        site = program / "content/site.yaml"
        site.write_text(site.read_text().replace("Synthetic Program", "Renamed Program"))
    elif change == "partial layout":  # used for every session in the lists of the home and topic pages
        partial = program / "layouts/_session.html"
        assert 'class="session-when"' in partial.read_text()
        partial.write_text(partial.read_text().replace('class="session-when"', 'class="session-when when"'))
    elif change == "topic title":  # shown with each of its sessions on other pages, feeds and data
        topic = program / "content/topics/topic-00005.md"
        topic.write_text(topic.read_text().replace("title: ", "title: Renamed ", 1))
    elif change == "move session":
        sessions = program / "content/sessions.yaml"
        text = sessions.read_text()
        entry = text.index("id: topic-00002-1")
        day = text.index("date: ", entry) + len("date: ")
        sessions.write_text(text[:day] + "2031-01-15" + text[day + len("2031-01-15"):])
    elif change == "free page":  # its title is in every page's navigation
        about = program / "content/pages/about.md"
        about.parent.mkdir(exist_ok=True)
        about.write_text("---\ntitle: About us\nsummary: Who we are.\n---\nWe run the program.\n")
    elif change == "publish":
        assert run_build(program, "publish").returncode == 0
    else:
        topic = program / "content/topics/topic-00003.md"
        topic.write_text(topic.read_text() + "\nOne more paragraph.\n")


CHANGES = ["layout", "delete topic", "setting", "topic body", "partial layout", "topic title", "move session",
           "free page"]


@pytest.mark.parametrize("change", CHANGES)
def test_after_a_change_a_build_from_the_cache_still_matches(program, tmp_path, change):
    make_change(program, change)
    assert run_build(program).returncode == 0
    assert tree_digest(program / "site") == cold_reference(program, tmp_path, change.replace(" ", "-"))


@pytest.mark.parametrize("change", CHANGES)
def test_after_a_change_the_preview_matches_a_cold_build(program, tmp_path, change, monkeypatch):
    from microsite.serve import Preview

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1672531200")  # as run_build sets it for the cold build
    preview = Preview(program, tmp_path / "served")
    preview.apply(preview.rebuild())
    make_change(program, change)
    preview.apply(preview.rebuild())
    assert tree_digest(tmp_path / "served") == cold_reference(program, tmp_path, "preview-" + change.replace(" ", "-"))


def zone_rules(name: str) -> bytes:
    """A zone's compiled rules as the tzdata package (a dependency) ships them."""
    folder, _, file = name.rpartition("/")
    return resources.files(f"tzdata.zoneinfo.{folder.replace('/', '.')}").joinpath(file).read_bytes()


def test_new_time_zone_rules_reach_every_page_a_build_kept(program, tmp_path):
    """A zone's rules change with the time zone database (a country stops changing its clocks, as
    Mexico did in 2022). Pages show each session's instant with its UTC offset (data-start,
    JSON-LD) and calendar apps read those, so the rules are an input of every kept page and event:
    the build after an update must match a cold one under the new rules."""
    zones = tmp_path / "zoneinfo"
    (zones / "America").mkdir(parents=True)
    (zones / "America/Detroit").write_bytes(zone_rules("America/Detroit"))
    updated = {"PYTHONTZPATH": str(zones)}  # where zoneinfo looks first, as it does in /usr/share/zoneinfo
    assert run_build(program, env=updated).returncode == 0  # every page kept under Detroit's rules
    summer = re.compile(r'data-start="2024-0[6-8]-\d\dT\d\d:\d\d(-0\d:00)"')
    assert set(summer.findall((program / "site/index.html").read_text())) == {"-04:00"}
    (zones / "America/Detroit").write_bytes(zone_rules("America/Phoenix"))  # the same name, no daylight saving
    assert run_build(program, env=updated).returncode == 0
    assert set(summer.findall((program / "site/index.html").read_text())) == {"-07:00"}
    assert tree_digest(program / "site") == cold_reference(program, tmp_path, "new-rules", env=updated)


DAY_OF_EDITS = ["topic title", "move session", "delete topic", "publish", "topic body", "undo topic body",
                "partial layout", "setting", "free page", "layout"]


def day_of_edits(program):
    """Apply each edit of DAY_OF_EDITS in turn, as an editor would, giving its name after each."""
    topic = program / "content/topics/topic-00003.md"
    original = topic.read_text()
    for step in DAY_OF_EDITS:
        if step == "undo topic body":
            topic.write_text(original)
        else:
            make_change(program, step)
        yield step


def test_the_preview_stays_exact_through_a_day_of_edits(program, tmp_path, monkeypatch):
    """One preview through many saves in a row, as an editor works: nothing kept from an earlier
    build may leak into a later one, including after a change is undone and after publishing.
    Each save goes as the preview's watcher takes it: the pages open in a browser first (one of
    them deleted on the way), then the rest; the pages shown first are already the new build's."""
    from microsite.serve import BuildState, Preview

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1672531200")
    served = tmp_path / "served"
    preview = Preview(program, served)
    preview.apply(preview.rebuild())
    viewed = ["topics/topic-00003/index.html", "index.html", "topics/topic-00007/index.html", "print/index.html"]
    shown_first = []
    for step in day_of_edits(program):
        first = preview.render_viewed(viewed)
        preview.show_viewed(first)
        answered_at_once = {path: tree_digest(served)[path] for path in BuildState.fresh}  # the others wait
        preview.apply(preview.rebuild(first))
        cold = cold_reference(program, tmp_path, step.replace(" ", "-"))
        assert tree_digest(served) == cold, step
        assert answered_at_once == {path: cold[path] for path in answered_at_once}, step
        shown_first += [step] if answered_at_once else []
    # Every edit shows on the home page, which lists every session; publishing changes the feeds
    # and the changes page, not these pages.
    assert shown_first == [step for step in DAY_OF_EDITS if step != "publish"]


def test_builds_stay_exact_through_a_day_of_edits(program, tmp_path):
    for step in day_of_edits(program):
        assert run_build(program).returncode == 0
        assert tree_digest(program / "site") == cold_reference(program, tmp_path, "cli-" + step.replace(" ", "-")), step


def damage_the_cache(program, damage: str) -> None:
    path = program / ".cache/microsite/cache.sqlite"
    if damage == "file cut in half":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "not a database":
        path.write_bytes(b"this is not a database\n" * 100)
    elif damage == "entry changed":  # every page entry's bytes replaced: a checksum no longer matches
        with the_cache(program) as db:
            db.execute("UPDATE entries SET value = CAST('<h1>Stale page</h1>' AS BLOB)")
    elif damage == "foreign entries only":  # as another version of the generator would leave it
        with the_cache(program) as db:
            db.execute("DELETE FROM entries")
            db.execute("INSERT INTO entries VALUES ('not-a-key-any-build-makes', x'00', 'x')")
    elif damage == "working set not a number":  # the most entries a build used, which prunes the store
        with the_cache(program) as db:
            db.execute("UPDATE working_set SET size = 'many'")
    elif damage == "cache folder deleted":
        shutil.rmtree(program / ".cache")
    elif damage == "page edited by hand":
        page = program / "site/topics/topic-00004/index.html"
        page.write_text(page.read_text().replace("<h1>", "<h1>Edited by hand: "))
    elif damage == "site deleted":
        shutil.rmtree(program / "site")


@pytest.mark.parametrize("damage", ["file cut in half", "not a database", "entry changed",
                                    "foreign entries only", "working set not a number", "cache folder deleted",
                                    "page edited by hand", "site deleted"])
def test_a_damaged_cache_or_site_is_never_trusted(program, tmp_path, damage):
    damage_the_cache(program, damage)
    make_change(program, "topic body")
    result = run_build(program)
    assert result.returncode == 0, result.stderr
    assert tree_digest(program / "site") == cold_reference(program, tmp_path, damage.replace(" ", "-"))
    assert "Stale page" not in (program / "site/index.html").read_text()
    assert run_build(program).returncode == 0  # and the cache works again afterwards
    assert tree_digest(program / "site") == cold_reference(program, tmp_path, damage.replace(" ", "-") + "-2")


def test_the_cache_keeps_at_most_about_twice_what_a_build_uses(program, tmp_path):
    def entries() -> int:
        return the_cache(program).execute("SELECT count(*) FROM entries").fetchone()[0]

    one_build = entries()
    site = program / "content/site.yaml"
    for name in ("First", "Second", "Third", "Fourth"):  # each title changes every page, event and feed
        site.write_text(site.read_text().replace("title: ", f"title: {name} ", 1))
        assert run_build(program).returncode == 0
        assert entries() <= 2 * one_build + 100
    assert tree_digest(program / "site") == cold_reference(program, tmp_path, "pruned")


@pytest.mark.parametrize("before", ["publish", "a build that changed nothing"])
def test_the_first_save_in_the_preview_compiles_no_layout_again(program, tmp_path, monkeypatch, before):
    """A build that finds most pages whole looks up no layout and no partial of those pages. The
    store was once pruned down to what such a build used, so that the first save in the preview
    after publishing (whose second build finds the pages the record left alone), or after a
    build that changed nothing, compiled every layout again: 0.2 s instead of 20 ms for the
    real program."""
    import jinja2
    from microsite.serve import Preview

    if before == "publish":
        assert run_build(program, "publish").returncode == 0  # its second build finds most pages whole
    else:
        make_change(program, "setting")  # every page changes: the store holds two of each
        assert run_build(program).returncode == 0
        assert run_build(program).returncode == 0  # nothing changed: every page from the cache
    compiled = []
    compile_layout = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile", lambda environment, source, name=None, *rest, **options: (
        compiled.append(name) or compile_layout(environment, source, name, *rest, **options)))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1672531200")
    preview = Preview(program, tmp_path / "served")
    preview.apply(preview.rebuild())  # as `build.py serve` starts: every page from the cache
    preview.store_made()
    make_change(program, "topic title")
    preview.apply(preview.rebuild())
    assert compiled == []
    assert tree_digest(tmp_path / "served") == cold_reference(program, tmp_path, before.replace(" ", "-"))


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


def test_builds_into_two_folders_each_match_a_cold_build(program, tmp_path):
    other = tmp_path / "preview-site"
    for out in (other, program / "site", other):
        make_change(program, "topic body")
        assert run_build(program, "--out", str(out)).returncode == 0
        assert tree_digest(out) == cold_reference(program, tmp_path, f"two-{len(list(tmp_path.iterdir()))}")


def test_events_made_on_worker_processes_are_the_ones_made_in_one(monkeypatch):
    """A large schedule's events are serialised on all cores: the same bytes in the same order."""
    from datetime import date, datetime, time, timezone
    from zoneinfo import ZoneInfo

    import microsite.cache
    from microsite.calendars import serialise_events
    from microsite.model import Session, Site, Topic

    site = Site(title="T", organisation="O", description="D", time_zone="America/Detroit", time_zone_label="ET",
                base_url="https://example.org/", language="en", contact_email="", feed_refresh_hours=12)
    topic = Topic(slug="t", title="Topic", summary="A topic.", body_html="", source="content/topics/t.md")
    sessions = [Session(id=f"t-{n}", topic=topic, day=date(2024, 1, 1 + n % 28), start_time=time(9 + n % 8),
                        end_time=time(18), zone=ZoneInfo("America/Detroit"), location="", status="scheduled",
                        note=f"Note {n}", reason="", source_line=n,
                        modified=datetime(2024, 1, 1, tzinfo=timezone.utc)) for n in range(41)]
    monkeypatch.setattr(microsite.cache, "EVENTS_FROM", 10)
    monkeypatch.setenv("MICROSITE_WORKERS", "3")
    parallel = microsite.cache.Cache(None).serialising_events(serialise_events)(site, sessions)
    assert parallel == serialise_events(site, sessions)


def test_after_a_topic_s_summary_changes_only_its_calendar_files_are_made_again(program, tmp_path, monkeypatch):
    """A calendar file is kept by what it is made of. A topic's summary is the description of its
    feed and of its sessions' files, and begins its sessions' events: those files and the
    aggregated feed alone are put together again, the topic's in one group (its name lines made
    once), and the site is a cold build's."""
    import microsite

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1672531200")
    made = []
    assemble = microsite.assemble_calendars
    monkeypatch.setattr(microsite, "assemble_calendars", lambda site_lines, vtimezone, groups: made.append(
        [[url.split("/", 3)[-1] for url, _ in group.files] for group in groups]) or assemble(
        site_lines, vtimezone, groups))
    topic = program / "content/topics/topic-00003.md"
    topic.write_text(topic.read_text().replace("summary: ", "summary: Changed. ", 1))
    microsite.build(program, program / "site")
    assert made == [[["schedule.ics"], ["topics/topic-00003.ics", "sessions/topic-00003-1.ics",
                                         "sessions/topic-00003-2.ics"]]]
    assert tree_digest(program / "site") == cold_reference(program, tmp_path, "summary")


def test_calendar_files_made_on_worker_processes_are_the_ones_made_in_one(program, tmp_path, four_cores):
    """Without a cache, the calendar files are put together a group at a time on all cores, the
    groups in the site's order: byte for byte the files made in one process."""
    import microsite.cache
    from microsite.calendars import assemble_calendars, render_calendars
    from microsite.cache import Cache

    schedule = microsite.read_published_schedule(program, None, frozenset(), Cache(None))
    four_cores.clear()  # the Markdown bodies were
    on_all_cores = render_calendars(schedule, assemble=Cache(None).assembling_calendars(assemble_calendars))
    assert len(four_cores) == 3
    assert on_all_cores == render_calendars(schedule)
    assert len(on_all_cores) == 1 + 60 + 120  # the aggregated feed, a feed per topic, a file per session


def test_a_partial_sees_every_variable_its_page_sees(make_project):
    """Layouts are plain Jinja: a partial included in a loop sees the loop's variable and all of
    its page's context; a macro imported with context sees it too."""
    project = make_project()
    (project / "layouts/_topic_item.html").write_text(
        '{% import "_macros.html" as macros with context %}'
        "<li>{{ topic.title }} of {{ schedule.topics | length }} on {{ site.title }}: {{ macros.where() }}</li>\n")
    (project / "layouts/_macros.html").write_text("{% macro where() %}page '{{ page_path }}'{% endmacro %}")
    result = run_build(project)
    assert result.returncode == 0, result.stderr
    assert "<li>Alpha of 1 on Test Program: page ''</li>" in (project / "site/index.html").read_text()


def test_a_rebuild_with_nothing_changed_renders_nothing_again(program, monkeypatch):
    """Keys are made of values only: whether a session's start had been read before it was keyed
    (when its event came from the cache, it had not) once made every session page miss."""
    import microsite
    from microsite.serve import Preview

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1672531200")
    rendered = []
    render_page = microsite.pages.render_page
    monkeypatch.setattr(microsite.pages, "render_page", lambda layouts, page: rendered.append(page.path) or
                        render_page(layouts, page))
    preview = Preview(program, program.parent / "served")
    for _ in range(4):  # as the preview rebuilds after saves that change nothing in the site
        rendered.clear()
        preview.apply(preview.rebuild())
    assert rendered == []


def test_a_partial_that_reads_more_of_its_page_is_kept_by_what_it_reads(program, tmp_path, monkeypatch):
    """A partial's output is kept by the values of the names it reads: a session's card that
    reads the free pages shows their new count on every card after a page is added, in the
    preview and in a build; a partial that reads the whole schedule and changes its caller's
    namespace (rendered every time) shows the new topic count; an import still gets its macros."""
    from microsite.serve import Preview

    (program / "layouts/_session.html").write_text(
        '{% import "_macros.html" as macros %}'
        "<li>{{ session.topic.title }} on {{ site.title }} ({{ pages | length }} pages), {{ macros.shout(session.id) }}</li>\n")
    (program / "layouts/_macros.html").write_text("{% set unused = 1 %}{% macro shout(text) %}{{ text | upper }}{% endmacro %}")
    (program / "layouts/_topic_item.html").write_text(
        "{% set ns.count = ns.count + 1 %}<li>{{ topic.title }}: one of {{ schedule.topics | length }} ({{ ns.count }})</li>\n")
    index = program / "layouts/index.html"
    index.write_text(index.read_text().replace('<ul class="topics">', '{% set ns = namespace(count=0) %}<ul class="topics">'))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1672531200")
    preview = Preview(program, tmp_path / "served")
    preview.apply(preview.rebuild())
    assert run_build(program).returncode == 0
    shown = (tmp_path / "served/index.html").read_text()
    assert "on Synthetic Program (0 pages), TOPIC-00003-1</li>" in shown and "one of 60 (60)</li>" in shown
    added = program / "content/topics/topic-09999.md"
    added.write_text("---\ntitle: Zeta\nsummary: One more topic.\n---\nMore.\n")
    sessions = program / "content/sessions.yaml"
    sessions.write_text(sessions.read_text() + "\n- id: zeta-1\n  topic: topic-09999\n  date: 2031-03-03\n"
                        "  start: \"12:00\"\n  end: \"13:00\"\n")
    make_change(program, "free page")  # the pages' list, which every card now reads
    preview.apply(preview.rebuild())
    assert run_build(program).returncode == 0
    shown = (tmp_path / "served/index.html").read_text()
    assert "Zeta: one of 61 (61)</li>" in shown and "one of 60" not in shown
    assert "on Synthetic Program (1 pages), TOPIC-00003-1</li>" in shown and "(1 pages), ZETA-1</li>" in shown
    cold = cold_reference(program, tmp_path, "reads-more")
    assert tree_digest(tmp_path / "served") == cold
    assert tree_digest(program / "site") == cold


def test_a_partial_kept_in_the_preview_follows_what_the_layouts_it_includes_now_read(program, tmp_path, monkeypatch):
    """A partial is kept by the names it reads, its included layouts' among them. When an
    editor makes an included layout read a new name while the preview runs, the partial that
    includes it must be kept by that name too from then on: a later change to that value alone
    (a free page added: the navigation's list) reaches every card."""
    from microsite.serve import Preview

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1672531200")
    preview = Preview(program, tmp_path / "served")
    preview.apply(preview.rebuild())
    make_change(program, "topic title")  # the lists are rendered again: their partials' names are read
    preview.apply(preview.rebuild())
    register = program / "layouts/_register.html"  # included by _session.html, each card of the lists
    register.write_text(register.read_text() + '<p class="pages-count">{{ pages | length }} pages</p>\n')
    preview.apply(preview.rebuild())
    assert "0 pages</p>" in (tmp_path / "served/index.html").read_text()
    make_change(program, "free page")
    preview.apply(preview.rebuild())
    shown = (tmp_path / "served/index.html").read_text()
    assert "1 pages</p>" in shown and "0 pages</p>" not in shown
    assert tree_digest(tmp_path / "served") == cold_reference(program, tmp_path, "included-reads-more")


def partials_rendered(monkeypatch) -> list[tuple[str, str | None]]:
    """Each kept partial rendered from here on (not taken from the cache), with its session's id."""
    import microsite.cache.partials as partials

    rendered = []
    keeping = partials._keeping

    def counting(template, names, keep, layouts_digest):
        plain = template.plain_render
        template.plain_render = lambda context: rendered.append(
            (template.name, getattr(context.get("session"), "id", None))) or plain(context)
        return keeping(template, names, keep, layouts_digest)
    monkeypatch.setattr(partials, "_keeping", counting)
    return rendered


def test_after_one_topic_edit_only_its_sessions_cards_are_rendered_again(program, monkeypatch):
    """What the kept partials buy: the preview renders the cards of the edited topic's sessions,
    not the 120 cards of the home page and the topic pages' lists."""
    from microsite.serve import Preview

    rendered = partials_rendered(monkeypatch)
    # Fixed, as for a published program: else an unpublished session's time stamp is the content's
    # newest change, which moves with each save from one second to the next.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1672531200")
    preview = Preview(program, program.parent / "served")
    preview.apply(preview.rebuild())
    topic = program / "content/topics/topic-00003.md"
    for edit in range(2):  # the first edit's rebuild renders every card once; later ones only the edited topic's
        rendered.clear()
        topic.write_text(topic.read_text() + f"\nEdit {edit}.\n")
        preview.apply(preview.rebuild())
    cards = [session for name, session in rendered if name == "_session.html"]
    assert cards and set(cards) == {"topic-00003-1", "topic-00003-2"}, rendered


@pytest.fixture
def four_cores(monkeypatch):
    """Four worker processes whatever this machine has; counts the ones the build forks."""
    import os

    import microsite.cache.cores as cores

    forked = []
    fork = os.fork
    monkeypatch.setattr(cores.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(cores.os, "fork", lambda: forked.append(1) or fork())
    monkeypatch.setenv("MICROSITE_WORKERS", "4")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1672531200")
    return forked


def test_a_cold_build_on_all_cores_is_the_one_made_in_one_process(program, tmp_path, four_cores):
    """Without a cache, Markdown bodies, layouts, pages, calendar events and calendar files are
    made on four processes: the same site."""
    import microsite

    microsite.build(program, tmp_path / "parallel", use_cache=False)
    assert len(four_cores) == 5 * 3  # three helpers each for the bodies, layouts, pages, events and calendar files
    assert tree_digest(tmp_path / "parallel") == cold_reference(program, tmp_path, "parallel")


def test_a_layout_problem_on_a_worker_s_pages_is_reported_and_the_site_kept(program, tmp_path, four_cores):
    """A mistake that shows only on some session pages, all rendered on helpers, is reported with
    its layout file and line, and the site already built stays whole."""
    import microsite

    site = tmp_path / "site"
    microsite.build(program, site, use_cache=False)
    before = tree_digest(site)
    layout = program / "layouts/session.html"
    lines = layout.read_text().splitlines(keepends=True)
    head = lines.index("{% block head %}\n") + 1
    lines.insert(head, '{% if session.id.endswith("-2") %}{{ speaker.name }}{% endif %}\n')
    layout.write_text("".join(lines))
    with pytest.raises(microsite.ContentError) as raised:
        microsite.build(program, site, use_cache=False)
    problems = raised.value.problems
    assert {(problem.path, problem.line) for problem in problems} == {("layouts/session.html", head + 1)}
    assert "'speaker' is undefined" in problems[0].message
    assert tree_digest(site) == before


def test_a_worker_s_failure_stops_the_build_with_its_own_error(four_cores):
    """What goes wrong on a helper is raised in the build as it was raised there, in order; an
    error that cannot be sent back still arrives, by name and message."""
    from microsite.cache.cores import each_in_parallel

    def make(number):
        if number == 6:
            raise ValueError("six is not allowed")
        if number == 7:
            class Local(Exception):  # cannot be pickled: defined inside a function
                pass
            raise Local("seven neither")
        return number * number

    made = each_in_parallel(make, list(range(10)), 2)
    assert [next(made) for _ in range(6)] == [0, 1, 4, 9, 16, 25]
    with pytest.raises(ValueError, match="six is not allowed"):
        next(made)
    made.close()
    with pytest.raises(RuntimeError, match="Local: seven neither"):
        list(each_in_parallel(make, [0, 1, 2, 7], 2))


def test_a_layout_that_does_not_compile_on_a_worker_is_reported_with_its_line(program, tmp_path, four_cores):
    """Layouts are compiled on all cores in a cold build; one with a broken tag is left to Jinja,
    which names its file and line, and the site already built stays whole."""
    import microsite

    site = tmp_path / "site"
    microsite.build(program, site, use_cache=False)
    before = tree_digest(site)
    layout = program / "layouts/topic.html"
    layout.write_text(layout.read_text() + "{% if topic.title %}unclosed\n")
    lines = len(layout.read_text().splitlines())
    with pytest.raises(microsite.ContentError) as raised:
        microsite.build(program, site, use_cache=False)
    [problem] = raised.value.problems
    assert (problem.path, problem.line) == ("layouts/topic.html", lines)
    assert "template syntax error" in problem.message
    assert tree_digest(site) == before


def test_a_first_build_compiles_every_layout_on_all_cores_and_the_next_compiles_none(tmp_path, four_cores,
                                                                                      monkeypatch):
    """A fresh clone's first `build.py` finds an empty cache: its layouts are compiled together,
    shared out to the cores as a build without a cache does (most of a small site's first
    build), and kept, so that the next build after an edit compiles none."""
    import jinja2

    import microsite
    import microsite.cache.compiled as compiled

    project = write_program(60, tmp_path / "fresh")
    shared_out = []
    spread = compiled.in_parallel
    monkeypatch.setattr(compiled, "in_parallel", lambda batch, items, *rest: (
        shared_out.append(len(items)) or spread(batch, items, *rest)))
    microsite.build(project, project / "site")
    layouts = [path for path in (project / "layouts").rglob("*") if path.is_file() and "assets" not in path.parts]
    assert shared_out == [len(layouts)]  # every layout, in one batch over the cores
    assert four_cores, "the batch is shared out to worker processes"

    compiled_in_this_process = []
    compile_layout = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile", lambda environment, source, name=None, *rest, **options: (
        compiled_in_this_process.append(name) or compile_layout(environment, source, name, *rest, **options)))
    make_change(project, "topic title")  # its pages are rendered again, with the layouts kept
    microsite.build(project, project / "site")
    assert compiled_in_this_process == []
    assert shared_out == [len(layouts)]
    assert tree_digest(project / "site") == cold_reference(project, tmp_path, "first-build")


def test_a_first_build_parses_each_layout_once(tmp_path, monkeypatch):
    """What a partial reads is found from the parse that compiles it, and kept with its code: a
    second parse of every layout for it was a third of the layouts' share of a first build."""
    import jinja2

    import microsite

    project = write_program(60, tmp_path / "fresh")
    monkeypatch.setenv("MICROSITE_WORKERS", "1")  # every parse in this process, where it is counted
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1672531200")
    parsed = []
    parse = jinja2.Environment._parse
    monkeypatch.setattr(jinja2.Environment, "_parse", lambda environment, source, name, filename: (
        parsed.append(name) or parse(environment, source, name, filename)))
    microsite.build(project, project / "site")
    layouts = [path for path in (project / "layouts").rglob("*") if path.is_file() and "assets" not in path.parts]
    assert sorted(parsed) == sorted(path.relative_to(project / "layouts").as_posix() for path in layouts)
    make_change(project, "partial layout")  # one layout changed: only it is parsed again
    parsed.clear()
    microsite.build(project, project / "site")
    assert parsed == ["_session.html"]
    assert tree_digest(project / "site") == cold_reference(project, tmp_path, "parsed-once")


@pytest.mark.parametrize("tampering", ["not code", "code without what it reads"])
def test_a_tampered_compiled_layout_is_compiled_again(program, tmp_path, tampering):
    """An entry whose checksum matches but which is not what the build keeps for a layout (as a
    hand or another tool could leave it) is ignored: the layout is compiled again."""
    import marshal

    from microsite.cache.store import _checksum

    def is_layout(value: bytes) -> bool:  # a marshalled pair; other entries are text, or HTML, or JSON
        if value[:1] not in (b"(", b")", b"\xa8", b"\xa9"):
            return False
        return type(marshal.loads(value)[0]).__name__ == "code"

    value = marshal.dumps("not code") if tampering == "not code" else marshal.dumps((compile("1", "x", "eval"), 7))
    with the_cache(program) as db:
        layouts = [key for key, kept in db.execute("SELECT key, value FROM entries") if is_layout(kept)]
        assert len(layouts) >= 10, "the layouts' entries were found"
        db.executemany("UPDATE entries SET value = ?, checksum = ? WHERE key = ?",
                       [(value, _checksum(value), key) for key in layouts])
    make_change(program, "layout")
    assert run_build(program).returncode == 0
    assert tree_digest(program / "site") == cold_reference(program, tmp_path, tampering.replace(" ", "-"))


def test_a_first_build_shares_out_its_pages_and_keeps_what_the_workers_made(tmp_path, four_cores, monkeypatch):
    """A fresh clone's first build finds no page kept: its pages are rendered on all cores as
    without a cache, and every entry the workers made (the pages, the session cards in them)
    is kept, so that the next build after one topic's edit renders only that topic's cards."""
    import microsite

    project = write_program(60, tmp_path / "fresh")
    microsite.build(project, project / "site")
    assert len(four_cores) == 5 * 3  # three helpers each for the bodies, layouts, pages, events and calendar files
    assert tree_digest(project / "site") == cold_reference(project, tmp_path, "first")

    rendered = partials_rendered(monkeypatch)
    topic = project / "content/topics/topic-00003.md"
    topic.write_text(topic.read_text() + "\nEdited once.\n")
    microsite.build(project, project / "site")
    cards = {session for name, session in rendered if name == "_session.html"}
    assert cards == {"topic-00003-1", "topic-00003-2"}, rendered
    assert tree_digest(project / "site") == cold_reference(project, tmp_path, "after-edit")
