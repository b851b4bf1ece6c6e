#!/usr/bin/env python3
"""Build the schedule microsite: content/ and layouts/ in, a deployable site/ out.

  python build.py                 build into site/ (a preview: records nothing)
  python build.py publish         record the schedule as published in content/published.yaml,
                                  then build; commit that file with your change
  python build.py publish --withdraw ID
                                  also forget a published session deleted from sessions.yaml
  python build.py --out DIR       build into DIR instead
  python build.py --base-url URL  publish under another address (e.g. a GitHub Pages sub-path)

Content problems are printed as `path:line: problem; fix`, and the previous site is left as it was.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="build.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Field-by-field help for content/ is in README.md, under 'The editor's guide'.")
    parser.add_argument("command", nargs="?", choices=["build", "publish"], default="build",
                        help="build (the default) or publish")
    parser.add_argument("--withdraw", action="append", default=[], metavar="ID",
                        help="with publish: remove this published session for good (repeatable)")
    parser.add_argument("--project", type=Path, default=PROJECT,
                        help="folder holding content/ and layouts/ (default: the folder of build.py)")
    parser.add_argument("--out", type=Path,
                        help="folder to build into; it is replaced as a whole (default: site/ in the project)")
    parser.add_argument("--base-url", help="absolute URL the site is published at; overrides content/site.yaml")
    args = parser.parse_args(argv)

    if args.withdraw and args.command != "publish":
        parser.error("--withdraw goes with publish: python build.py publish --withdraw ID")

    from microsite import ContentError, build, publish  # after argparse, so --help answers at once

    out = args.out or args.project / "site"
    began = time.perf_counter()
    try:
        if args.command == "publish":
            schedule = publish(args.project, out, args.base_url, frozenset(args.withdraw))
        else:
            schedule = build(args.project, out, args.base_url)
    except ContentError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        errors = sum(not problem.is_warning for problem in error.problems)
        print(f"Build stopped: {errors} problem{'s' * (errors != 1)} to fix; the previous site was left as it was.",
              file=sys.stderr)
        return 1
    for warning in schedule.warnings:
        print(warning, file=sys.stderr)
    elapsed = time.perf_counter() - began
    sessions, topics = len(schedule.sessions), len(schedule.topics)
    print(f"Built {sessions} session{'s' * (sessions != 1)} of {topics} topic{'s' * (topics != 1)} into "
          f"{_shown(out)} in {elapsed:.2f} s.")
    return 0


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix() + "/"
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
