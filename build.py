#!/usr/bin/env python3
"""Build the schedule microsite: content/ and layouts/ in, a deployable site/ out.

  python build.py                 build into site/ (records nothing: a preview of the next publication)
  python build.py serve           preview at http://127.0.0.1:8000/, rebuilt and reloaded on every save
  python build.py check           check content, layouts, links and feeds without writing site/
  python build.py publish         record the schedule as published in content/published/, then
                                  build; commit that folder with your change
  python build.py publish --withdraw ID
                                  also forget a published session deleted from sessions.yaml
  python build.py resolve         after a merge conflict in content/published/: keep each
                                  session's side with the higher SEQUENCE
  python build.py host-config nginx
                                  print the configuration for nginx (or caddy; apache and netlify
                                  print what the site holds as .htaccess and _headers)

Content problems are printed as `path:line: problem; fix`, and the previous site is left as it was.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="build.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Field-by-field help for content/ is in README.md, under 'The editor's guide'.")
    parser.add_argument("command", nargs="?", choices=["build", "serve", "check", "publish", "resolve", "host-config"],
                        default="build", help="what to do (default: build)")
    parser.add_argument("server", nargs="?", choices=["nginx", "caddy", "apache", "netlify"],
                        help="with host-config: the server to print the configuration for")
    parser.add_argument("--project", type=Path, default=PROJECT,
                        help="folder holding content/ and layouts/ (default: the folder of build.py)")
    parser.add_argument("--out", type=Path,
                        help="folder to build into; it is replaced as a whole (default: site/ in the project)")
    parser.add_argument("--force", action="store_true",
                        help="replace --out even if it holds files that build.py did not make")
    parser.add_argument("--no-cache", action="store_true",
                        help="build everything afresh without reading or writing .cache/ (the output is the same)")
    parser.add_argument("--base-url", help="absolute URL the site is published at; overrides content/site.yaml")
    parser.add_argument("--deploy-url", metavar="URL",
                        help="with check: the address a deploy publishes at; warns if it is not base_url")
    parser.add_argument("--withdraw", action="append", default=[], metavar="ID",
                        help="with publish: remove this published session for good (repeatable)")
    parser.add_argument("--port", type=int, default=8000, help="with serve: the port (default: 8000)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="with serve: the address to listen on (default: 127.0.0.1, this machine only)")
    parser.add_argument("--open", action="store_true", help="with serve: open the preview in a browser")
    args = parser.parse_args(argv)
    if args.withdraw and args.command != "publish":
        parser.error("--withdraw goes with publish: python build.py publish --withdraw ID")
    if (args.server is None) == (args.command == "host-config"):
        parser.error("host-config takes the server: python build.py host-config nginx (or caddy, apache, netlify)")
    if args.deploy_url and args.command != "check":
        parser.error("--deploy-url goes with check: python build.py check --deploy-url URL")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    import microsite  # after argparse, so that --help answers at once

    if args.command == "serve":
        from microsite.serve import serve

        serve(args.project, args.host, args.port, args.open)
        return 0
    out = args.out or args.project / "site"
    began = time.perf_counter()
    try:
        if args.command == "resolve":
            return resolve(args.project)
        if args.command == "host-config":
            print(microsite.host_config(args.project, args.server, args.base_url), end="")
            return 0
        if args.command == "check":
            schedule = microsite.check(args.project, args.base_url, args.deploy_url)
        elif args.command == "publish":
            schedule, report = microsite.publish(args.project, out, args.base_url, frozenset(args.withdraw),
                                                 args.force)
            print("\n".join(report))
        else:
            schedule = microsite.build(args.project, out, args.base_url, args.force, not args.no_cache)
    except microsite.ContentError as error:
        left = "nothing was written" if args.command == "check" else "the previous site was left as it was"
        return report_problems(error, "Check failed" if args.command == "check" else "Build stopped", left)
    for warning in schedule.warnings:
        print(shown_problem(warning), file=sys.stderr)
    sessions, topics = len(schedule.sessions), len(schedule.topics)
    counted = f"{sessions} session{'s' * (sessions != 1)} of {topics} topic{'s' * (topics != 1)}"
    elapsed = time.perf_counter() - began
    if args.command == "check":
        print(f"Checked {counted}: content, layouts, links and feeds are fine ({elapsed:.2f} s).")
    else:
        print(f"Built {counted} into {_shown(out)} in {elapsed:.2f} s.")
    return 0


def shown_problem(problem) -> str:
    """`path:line: message`; on GitHub Actions also an annotation, which a pull request shows at
    that line of the changed file."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return str(problem)
    where = f"file={problem.path}" + (f",line={problem.line}" if problem.line else "")
    text = str(problem).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::{'warning' if problem.is_warning else 'error'} {where}::{text}"


def report_problems(error, stopped: str, left: str) -> int:
    """Print each problem, errors first, then the count: the exit status of a failed command."""
    for problem in error.problems:
        print(shown_problem(problem), file=sys.stderr)
    errors = sum(not problem.is_warning for problem in error.problems)
    warnings = len(error.problems) - errors
    also = f" (and {warnings} warning{'s' * (warnings != 1)})" if warnings else ""
    print(f"{stopped}: {errors} problem{'s' * (errors != 1)} to fix{also}; {left}.", file=sys.stderr)
    return 1


def resolve(project: Path) -> int:
    """`build.py resolve`: mend the record after a merge, then say what the merged content still needs."""
    import microsite

    try:
        resolved = microsite.resolve(project)
    except microsite.ContentError as error:
        return report_problems(error, "Resolve stopped", "no file was changed")
    for resolution in resolved:
        print(f"{resolution.path}: kept SEQUENCE {resolution.kept.sequence} (the other side had"
              f" {resolution.other_sequence}{', with other content' if resolution.needs_publishing else ''})")
    if not resolved:
        print("No merge conflict in content/published/: nothing to resolve.")
    try:
        schedule, _ = microsite.render_site(project)
    except microsite.ContentError as error:
        return report_problems(error, "The merged content does not build yet", "fix it, then run publish")
    pending = [session.id for session in schedule.sessions if session.is_pending]
    if pending:
        print(f"The merged content changes {len(pending)} session{'s' * (len(pending) != 1)} beyond the record"
              f" ({', '.join(pending)}): run `python build.py publish`, then `git add content/` and commit.")
    else:
        print("The record matches the merged content: `git add content/published/` and commit.")
    return 0


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix() + "/"
    except ValueError:
        return str(path)


def exit_at_once(status: int) -> None:
    """End the process once the command is done, without Python's teardown.

    By the time main() returns, every file it wrote is closed (the site, the record, the cache's
    store), so all that Python's own exit would still do is free the libraries' and the build's
    objects one by one: about 40 ms, a tenth of a build of the real content, that the editor
    waits for and nothing needs. mypy ends the same way. Only the two standard streams are left to
    flush; if that fails, Python's usual exit reports it."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        sys.exit(status)
    os._exit(status)


if __name__ == "__main__":
    exit_at_once(main())
