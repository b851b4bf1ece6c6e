"""Generate synthetic programs in our content format.

- write_program(N): N topics, two sessions each, spread over two years (the large-program case).
- write_ten_year_program(): what the real program becomes in ten years: a series of 13 sessions
  a year from 2023 to 2032, over 70 topics (some come back in later years), each described in 60
  to 120 words, as the real topics are.

Deterministic (a fixed seed): the same call gives the same files, byte for byte. Topic bodies
are Markdown with headings, lists, links and emphasis; in the large programs each is 300 to 800
words long.

    python bench/synthetic.py 1000 /tmp/program-1000
    python bench/synthetic.py ten-years /tmp/program-ten-years
"""

from __future__ import annotations

import random
import shutil
import sys
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORDS = ("allyship equity inclusion belonging bias culture dialogue practice listening power privilege"
         " access barrier disability identity community respect safety learning trust language policy"
         " patient colleague student resident faculty staff department workshop series change").split()


def _plain_sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16))).capitalize() + "."


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 16))]
    if rng.random() < 0.3:
        index = rng.randrange(len(words))
        words[index] = f"*{words[index]}*"
    if rng.random() < 0.15:
        index = rng.randrange(len(words))
        words[index] = f"[{words[index]}](https://example.org/{words[index]})"
    return " ".join(words).capitalize() + "."


def topic_body(rng: random.Random, words_from: int = 300, words_to: int = 800) -> str:
    target, words, parts = rng.randint(words_from, words_to), 0, []
    while words < target:
        kind = rng.random()
        if kind < 0.12:
            parts.append(f"## {_sentence(rng).rstrip('.')}")
        elif kind < 0.3:
            items = [f"- {_sentence(rng)}" for _ in range(rng.randint(2, 5))]
            parts.append("\n".join(items))
            words += sum(len(item.split()) for item in items)
        else:
            paragraph = " ".join(_sentence(rng) for _ in range(rng.randint(2, 5)))
            parts.append(paragraph)
            words += len(paragraph.split())
    return "\n\n".join(parts) + "\n"


def _start_project(root: Path) -> Path:
    content = root / "content"
    (content / "topics").mkdir(parents=True, exist_ok=True)
    (content / "site.yaml").write_text(
        "title: Synthetic Program\norganisation: Benchmark Office\ndescription: A generated program.\n"
        "time_zone: America/Detroit\ntime_zone_label: Eastern Time\nbase_url: https://bench.example.org/\n")
    if not (root / "layouts").exists():
        shutil.copytree(REPO / "layouts", root / "layouts")
    return content


def _write_topics(content: Path, count: int, rng: random.Random, words: tuple[int, int] = (300, 800)) -> list[str]:
    slugs = []
    for number in range(count):
        slug = f"topic-{number:05d}"
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 5))).title()
        (content / "topics" / f"{slug}.md").write_text(
            f"---\ntitle: {title}\nsummary: {_plain_sentence(rng)}\n---\n{topic_body(rng, *words)}")
        slugs.append(slug)
    return slugs


def _session(session_id: str, topic: str, day: date, start: int, series: str = "") -> str:
    named = f'  series: "{series}"\n' if series else ""
    return (f"- id: {session_id}\n{named}  topic: {topic}\n  date: {day.isoformat()}\n  start: {start}:00\n"
            f"  end: {start + 1}:30\n")


def write_program(count: int, root: Path, seed: int = 2023) -> Path:
    """Write content/ and layouts/ for a program of `count` topics, two sessions each, into `root`."""
    rng = random.Random(seed)
    content = _start_project(root)
    sessions, first_day = [], date(2024, 1, 8)
    for slug in _write_topics(content, count, rng):
        for part in (1, 2):
            day = first_day + timedelta(days=rng.randrange(0, 730))
            sessions.append(_session(f"{slug}-{part}", slug, day, rng.choice((9, 10, 12, 13, 15))))
    (content / "sessions.yaml").write_text("\n".join(sessions))
    return root


def write_ten_year_program(root: Path, seed: int = 2023) -> Path:
    """Ten yearly series of 13 sessions (2023 to 2032) over 70 topics, into `root`."""
    rng = random.Random(seed)
    content = _start_project(root)
    (content / "series").mkdir()
    for year in range(2023, 2033):
        (content / f"series/{year}.md").write_text(
            f"---\ntitle: {year} series\nsummary: The sessions of {year}.\n---\nThe {year} series of the program.\n")
    slugs = _write_topics(content, 70, rng, words=(60, 120))  # as long as the real program's topics
    sessions = []
    for index, year in enumerate(range(2023, 2033)):
        # Each year takes up 7 new topics and brings back up to 6 of earlier years'.
        earlier = slugs[:index * 7]
        topics = slugs[index * 7:index * 7 + 7] + rng.sample(earlier, k=min(6, len(earlier)))
        for number in range(13):
            day = date(year, 2, 1) + timedelta(days=number * 21 + rng.randrange(0, 7))
            sessions.append(_session(f"s{year}-{number + 1:02d}", topics[number % len(topics)], day,
                                     rng.choice((9, 12, 13, 15)), series=str(year)))
    (content / "sessions.yaml").write_text("\n".join(sessions))
    return root


if __name__ == "__main__":
    if sys.argv[1] == "ten-years":
        write_ten_year_program(Path(sys.argv[2]))
    else:
        write_program(int(sys.argv[1]), Path(sys.argv[2]))
