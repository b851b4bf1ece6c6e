"""A static site generator for a public schedule: pages, calendar feeds and a printable schedule."""

from __future__ import annotations

from pathlib import Path

from .data import render_data
from .ics import render_calendars
from .model import ContentError, Problem, Schedule
from .read import read_schedule
from .render import copy_assets, render_pages, template_environment
from .write import check_outputs, write_site

__all__ = ["ContentError", "Problem", "build", "check_output_folder", "render_site"]


def render_site(project: Path, base_url: str | None = None) -> tuple[Schedule, list]:
    """Read the content and render every output file in memory; write nothing."""
    schedule = read_schedule(project / "content", base_url)
    layouts = template_environment(project / "layouts")
    files = [
        *render_pages(schedule, layouts),
        *copy_assets(project / "layouts"),
        *render_calendars(schedule),
        *render_data(schedule),
    ]
    check_outputs(files)
    return schedule, files


def build(project: Path, out: Path, base_url: str | None = None) -> Schedule:
    """Build the site in `out` from project/content and project/layouts."""
    check_output_folder(project, out)
    schedule, files = render_site(project, base_url)
    write_site(files, out)
    return schedule


def check_output_folder(project: Path, out: Path) -> None:
    """Refuse an output folder whose replacement would destroy the project or its content."""
    out, project = out.resolve(), project.resolve()
    precious = [project, project / "content", project / "layouts", project / "tests", project / ".git"]
    for folder in precious:
        if out == folder or out in folder.parents or (folder != project and folder in out.parents):
            raise ContentError([Problem(str(out), 0, (
                "cannot be the output folder: building replaces the whole folder;"
                " choose a new folder such as site/"))])
