"""Real servers (Apache, nginx, Caddy, from Debian) serve the built site with the configuration
the generator writes, at a host's root and under a sub-path: the headers of each kind of
response, and every page loaded in Chromium through the server with no policy violation and no
failed request."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
from conftest import copy_of_2023_program, free_port, run_build

MODULES = Path("/usr/lib/apache2/modules")
SERVERS = {"apache": "/usr/sbin/apache2", "nginx": "/usr/sbin/nginx", "caddy": "/usr/bin/caddy"}
MOUNTS = {"at the root": "/", "under a sub-path": "/ally/"}
SESSION = "psychological-safety-2023-1"
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; manifest-src 'self'; connect-src 'self';"
          " object-src 'none'; base-uri 'self'; form-action 'none'; frame-ancestors 'none'")


def _apache(root: Path, www: Path, port: int) -> tuple[list[str], list[str]]:
    user = "www-data" if os.geteuid() == 0 else os.environ.get("USER", "nobody")
    config = root / "httpd.conf"
    config.write_text(f"""
ServerRoot {root}
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {root}/httpd.pid
ErrorLog {root}/error.log
LoadModule mpm_event_module {MODULES}/mod_mpm_event.so
LoadModule authz_core_module {MODULES}/mod_authz_core.so
LoadModule mime_module {MODULES}/mod_mime.so
LoadModule dir_module {MODULES}/mod_dir.so
LoadModule headers_module {MODULES}/mod_headers.so
User {user}
Group {user}
TypesConfig /etc/mime.types
DirectoryIndex index.html
DocumentRoot {www}
<Directory {www}>
  AllowOverride All
  Require all granted
</Directory>
""")
    return ([SERVERS["apache"], "-f", str(config), "-k", "start"],
            [SERVERS["apache"], "-f", str(config), "-k", "stop"])


def _nginx(root: Path, www: Path, port: int, snippet: str) -> tuple[list[str], list[str]]:
    config = root / "nginx.conf"
    config.write_text(f"""
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log;
{"user root;" if os.geteuid() == 0 else ""}
events {{}}
http {{
  include /etc/nginx/mime.types;
  access_log off;
  client_body_temp_path {root}/body;
  proxy_temp_path {root}/proxy;
  fastcgi_temp_path {root}/fastcgi;
  uwsgi_temp_path {root}/uwsgi;
  scgi_temp_path {root}/scgi;
  server {{
    listen 127.0.0.1:{port};
    root {www};
{snippet}
  }}
}}
""")
    return ([SERVERS["nginx"], "-p", str(root), "-c", str(config)],
            [SERVERS["nginx"], "-p", str(root), "-c", str(config), "-s", "stop"])


def _caddy(root: Path, www: Path, port: int, snippet: str) -> tuple[list[str], list[str]]:
    config = root / "Caddyfile"
    config.write_text(f"""{{
  admin off
  auto_https off
  storage file_system {root}/caddy
}}
http://127.0.0.1:{port} {{
  root * {www}
{snippet}
}}
""")
    return [SERVERS["caddy"], "run", "--config", str(config), "--adapter", "caddyfile"], []  # stopped by signal


@pytest.fixture(scope="module", params=[(server, mount) for server in SERVERS for mount in MOUNTS],
                ids=[f"{server} {mount}" for server in SERVERS for mount in MOUNTS])
def served(request) -> str:
    """The 2023 program built for `mount`, served by a real server from its own configuration."""
    server, mount = request.param
    path = MOUNTS[mount]
    if not Path(SERVERS[server]).exists():
        message = f"{server} not installed (apt-get install apache2 nginx-light caddy)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    root = Path(tempfile.mkdtemp(prefix=f"microsite-{server}-"))
    root.chmod(0o755)  # the server's own user must be able to read the site
    project = copy_of_2023_program(root / "project")
    www = root / "www"
    site = www / path.strip("/") if path != "/" else www
    base_url = f"https://ally-training.example.org{path}"
    assert run_build(project, "--out", str(site), "--base-url", base_url).returncode == 0
    for item in [root, www, *www.rglob("*")]:
        item.chmod(0o755 if item.is_dir() else 0o644)
    snippet = run_build(project, "host-config", server, "--base-url", base_url)
    assert snippet.returncode == 0, snippet.stderr
    port = free_port()
    start, stop = (_apache(root, www, port) if server == "apache" else
                   _nginx(root, www, port, snippet.stdout) if server == "nginx" else
                   _caddy(root, www, port, snippet.stdout))
    log = (root / "server.log").open("w")
    if stop:  # a server that puts itself in the background
        assert subprocess.run(start, stdout=log, stderr=log, timeout=60, cwd=root).returncode == 0, \
            (root / "server.log").read_text()
        running = None
    else:
        running = subprocess.Popen(start, stdout=log, stderr=log, cwd=root)
    url = f"http://127.0.0.1:{port}{path}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until the server answers (a loaded machine can take seconds)
        try:
            urllib.request.urlopen(url, timeout=5)
            break
        except OSError:  # refused, reset, or timed out
            time.sleep(0.05)
    yield url
    if running is None:
        subprocess.run(stop, capture_output=True, timeout=30, cwd=root)
    else:
        running.terminate()
        running.wait(timeout=30)
    log.close()
    time.sleep(0.2)
    shutil.rmtree(root, ignore_errors=True)


def _response(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        response = urllib.request.urlopen(url, timeout=5)
    except urllib.error.HTTPError as error:
        response = error
    return response.status, {key.lower(): value for key, value in response.headers.items()}, response.read()


def _asset(served: str) -> str:
    _, _, page = _response(served)
    return page.decode().split('<link rel="stylesheet" href="', 1)[1].split('"', 1)[0]


SECURITY = {"content-security-policy": POLICY, "x-content-type-options": "nosniff",
            "referrer-policy": "strict-origin-when-cross-origin"}


@pytest.mark.parametrize("kind", ["page", "asset", "feed", "session download", "missing page"])
def test_each_kind_of_response_has_its_headers(served, kind):
    path = {"page": "topics/psychological-safety/", "asset": None, "feed": "schedule.ics",
            "session download": f"sessions/{SESSION}.ics", "missing page": "no/such/page"}[kind]
    status, headers, body = _response(served + (path or _asset(served)))
    assert status == (404 if kind == "missing page" else 200)
    assert {name: headers.get(name) for name in SECURITY} == SECURITY
    assert headers.get("permissions-policy", "").startswith("accelerometer=(), camera=()")
    expected_type = {"page": "text/html", "asset": "text/css", "feed": "text/calendar; charset=utf-8",
                     "session download": "text/calendar; charset=utf-8", "missing page": "text/html"}[kind]
    assert headers["content-type"].replace("; charset=UTF-8", "; charset=utf-8").startswith(expected_type)
    assert ("attachment" in headers.get("content-disposition", "")) == (kind == "session download")
    if kind == "asset":
        assert headers["cache-control"] == "public, max-age=31536000, immutable"
    elif kind != "missing page":  # what a subscriber's calendar or a reader gets is never stale
        assert headers["cache-control"] == "no-cache" and "etag" in headers
    if kind == "missing page":
        assert b"<h1>Page not found</h1>" in body


def test_the_atom_feed_is_served_as_atom(served):
    status, headers, _ = _response(served + "changes.xml")
    assert status == 200 and headers["content-type"].startswith("application/atom+xml")


def test_every_page_loads_through_the_server_with_no_violation(served):
    """Chromium applies the policy as the server sends it (and the page's own <meta> copy)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    paths = ["", "about/", "print/", "changes/", "accessibility/", "topics/psychological-safety/",
             f"sessions/{SESSION}/", "no/such/page"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.add_init_script("""window.__violations = [];
            document.addEventListener('securitypolicyviolation',
                (event) => window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`));""")
        failed, violations = [], {}
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.on("response", lambda response: response.status >= 400 and not response.url.endswith("no/such/page")
                and failed.append(f"{response.status} {response.url}"))
        for path in paths:
            page.goto(served + path, wait_until="networkidle")
            assert page.evaluate("getComputedStyle(document.querySelector('.skip-link')).position") == "absolute"
            violations[path] = page.evaluate("window.__violations")
        browser.close()
    assert failed == [] and all(found == [] for found in violations.values()), (failed, violations)
