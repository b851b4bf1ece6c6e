"""Measure `build.py serve`: the time from saving a topic file to the page served with the change.

For the real content and for a synthetic program of N topics, start the preview server, save an
edit to one topic several times, and time each save until the edited page is served. Reports
the median (and all runs): a benchmark, not a test; the machine may be busy.

    python bench/serve_latency.py --runs 5 --topics 1000
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import write_program  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _page(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode("utf-8")
    except (urllib.error.URLError, ConnectionError):
        return ""


def first_topic(project: Path) -> str:
    """The program's first topic file by name: the one an edit is timed on. Not a topic named
    here, which an editor's rename of the real content would turn into a failing benchmark."""
    return min(path.stem for path in (project / "content" / "topics").glob("*.md") if not path.name.startswith("."))


def measure(project: Path, topic: str, runs: int, timeout: float = 300, by: str = "reload",
            generator: Path = REPO) -> list[float]:
    """Seconds from each save of content/topics/<topic>.md until its page shows the edit, in the
    preview of the generator in `generator` (this one, or another version side by side).

    by="reload": as a browser does, wait for the preview's live-reload message, then fetch the
    page (and wait for the next message if the page does not show the edit yet).
    by="polling": fetch the page every 2 ms until it shows the edit; those requests share the
    server's one Python thread with the rebuild, so this measures a preview under extra load.
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}/topics/{topic}/index.html"
    server = subprocess.Popen([sys.executable, str(generator / "build.py"), "serve", "--project", str(project),
                               "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "PYTHONPATH": str(generator)})
    try:
        deadline = time.monotonic() + timeout
        while "<h1>" not in _page(url):
            if time.monotonic() > deadline:
                raise RuntimeError("the preview did not start")
            time.sleep(0.05)
        path = project / "content" / "topics" / f"{topic}.md"
        original, timings = path.read_text(), []
        reloads = ReloadListener(port, url) if by == "reload" else None
        try:
            for run in range(runs):
                marker = f"Edited {run}"
                saved = time.perf_counter()
                path.write_text(original.replace("\n---\n", f"\n---\n{marker}\n\n", 1))
                while marker not in _page(url):
                    if time.perf_counter() - saved > timeout:
                        raise RuntimeError("the edit never appeared")
                    if reloads is not None:
                        reloads.wait(timeout)
                    else:
                        time.sleep(0.002)
                timings.append(time.perf_counter() - saved)
                # The rest of the site may still be rebuilding (the page open in a browser comes
                # first); a request for another file is answered once it is done.
                _page(url.replace(f"topics/{topic}/index.html", "schedule.json"))
                time.sleep(0.3)  # let the watcher settle before the next save
                if reloads is not None:
                    reloads.drain()
        finally:
            path.write_text(original)
            if reloads is not None:
                reloads.close()
        return timings
    finally:
        server.terminate()
        server.wait(timeout=10)


class ReloadListener:
    """The live-reload connection a browser tab keeps open (livereload's protocol 7)."""

    def __init__(self, port: int, page_url: str):
        self.socket = _websocket(port)
        self._send({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]})
        self._receive(10)  # the server's hello
        self._send({"command": "info", "url": page_url, "plugins": {}})

    def wait(self, timeout: float) -> None:
        """Until the server says to reload."""
        while True:
            if self._receive(timeout).get("command") == "reload":
                return

    def drain(self) -> None:
        self.socket.settimeout(0)
        try:
            while self.socket.recv(65536):
                pass
        except (BlockingIOError, OSError):
            pass

    def close(self) -> None:
        self.socket.close()

    def _send(self, message: dict) -> None:
        payload = json.dumps(message).encode()
        mask = os.urandom(4)
        header = bytes([0x81, 0x80 | len(payload)]) if len(payload) < 126 else \
            bytes([0x81, 0x80 | 126]) + len(payload).to_bytes(2, "big")
        self.socket.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _receive(self, timeout: float) -> dict:
        self.socket.settimeout(timeout)
        first, second = self._exactly(2)
        length = second & 0x7F
        if length == 126:
            length = int.from_bytes(self._exactly(2), "big")
        elif length == 127:
            length = int.from_bytes(self._exactly(8), "big")
        payload = self._exactly(length)
        return json.loads(payload) if first & 0x0F == 1 else {}

    def _exactly(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = self.socket.recv(count - len(data))
            if not chunk:
                raise ConnectionError("the preview closed the live-reload connection")
            data += chunk
        return data


def _websocket(port: int) -> socket.socket:
    """A WebSocket connection to the preview's /livereload, opened by hand (no client library needed)."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    connection.sendall((f"GET /livereload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    response = b""
    while b"\r\n\r\n" not in response:
        response += connection.recv(1024)
    if b" 101 " not in response.split(b"\r\n", 1)[0]:
        raise ConnectionError(f"no WebSocket: {response[:80]!r}")
    return connection


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--topics", type=int, default=1000, help="size of the synthetic program")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="microsite-bench-"))
    try:
        real = work / "real"
        shutil.copytree(REPO / "content", real / "content")
        shutil.copytree(REPO / "layouts", real / "layouts")
        synthetic = write_program(args.topics, work / "synthetic")
        # Published once, as editors keep a program (and as bench/run.py times it): before the
        # first publication, outside git, every pending session is stamped with the content's
        # newest file time, so each save changes every calendar event (README: Speed).
        subprocess.run([sys.executable, str(REPO / "build.py"), "publish", "--project", str(synthetic)],
                       env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}, capture_output=True, check=True)
        cases = [("real content", real, first_topic(real)),
                 (f"synthetic, {args.topics} topics, published", synthetic, first_topic(synthetic))]
        for name, project, topic in cases:
            for by in ("reload", "polling"):
                timings = measure(project, topic, args.runs, by=by)
                print(f"{name}, by {by}: edit to rebuilt, median {statistics.median(timings) * 1000:.0f} ms"
                      f" (runs: {', '.join(f'{t * 1000:.0f}' for t in timings)} ms)", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
