"""Generate a synthetic program in our content format: N topics, two sessions each.

Deterministic (a fixed seed): the same N gives the same files, byte for byte. Each topic has a
Markdown body of 300 to 800 words with headings, lists, links and emphasis, like a real one.

    python bench/synthetic.py 1000 /tmp/program-1000
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


def topic_body(rng: random.Random) -> str:
    target, words, parts = rng.randint(300, 800), 0, []
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


def write_program(count: int, root: Path, seed: int = 2023) -> Path:
    """Write content/ and layouts/ for a program of `count` topics into `root`."""
    rng = random.Random(seed)
    content = root / "content"
    (content / "topics").mkdir(parents=True, exist_ok=True)
    (content / "site.yaml").write_text(
        "title: Synthetic Program\norganisation: Benchmark Office\ndescription: A generated program.\n"
        "time_zone: America/Detroit\ntime_zone_label: Eastern Time\nbase_url: https://bench.example.org/\n")
    sessions, first_day = [], date(2024, 1, 8)
    for number in range(count):
        slug = f"topic-{number:05d}"
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 5))).title()
        (content / "topics" / f"{slug}.md").write_text(
            f"---\ntitle: {title}\nsummary: {_plain_sentence(rng)}\n---\n{topic_body(rng)}")
        for part in (1, 2):
            day = first_day + timedelta(days=rng.randrange(0, 730))
            start = rng.choice((9, 10, 12, 13, 15))
            sessions.append(f"- id: {slug}-{part}\n  topic: {slug}\n  date: {day.isoformat()}\n"
                            f"  start: {start}:00\n  end: {start + 1}:30\n")
    (content / "sessions.yaml").write_text("\n".join(sessions))
    if not (root / "layouts").exists():
        shutil.copytree(REPO / "layouts", root / "layouts")
    return root


if __name__ == "__main__":
    write_program(int(sys.argv[1]), Path(sys.argv[2]))
