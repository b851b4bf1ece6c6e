"""A real Apache serves the built site with the types calendar apps need, from site/.htaccess alone."""

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

from conftest import copy_of_2023_program, free_port, run_build

APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
MODULES = Path("/usr/lib/apache2/modules")



@pytest.fixture(scope="module")
def apache():
    if not Path(APACHE).exists():
        message = "Apache not installed (apt-get install apache2)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    root = Path(tempfile.mkdtemp(prefix="microsite-apache-"))
    root.chmod(0o755)  # the server's own user must be able to read the site
    site = root / "site"
    assert run_build(copy_of_2023_program(root / "project"), "--out", str(site)).returncode == 0
    for path in [site, *site.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    port = free_port()
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
DocumentRoot {site}
<Directory {site}>
  AllowOverride All
  Require all granted
</Directory>
""")
    subprocess.run([APACHE, "-f", str(config), "-k", "start"], check=True, capture_output=True, timeout=30)
    base = f"http://127.0.0.1:{port}/"
    for _ in range(100):
        try:
            urllib.request.urlopen(base, timeout=1)
            break
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    yield base
    subprocess.run([APACHE, "-f", str(config), "-k", "stop"], capture_output=True, timeout=30)
    time.sleep(0.2)
    shutil.rmtree(root, ignore_errors=True)


def _headers(url: str) -> tuple[int, dict[str, str]]:
    try:
        response = urllib.request.urlopen(url, timeout=5)
    except urllib.error.HTTPError as error:
        response = error
    return response.status, {key.lower(): value for key, value in response.headers.items()}


@pytest.mark.parametrize("path, content_type, attachment", [
    ("schedule.ics", "text/calendar; charset=utf-8", False),
    ("topics/psychological-safety.ics", "text/calendar; charset=utf-8", False),
    ("sessions/psychological-safety-2023-1.ics", "text/calendar; charset=utf-8", True),
    ("changes.xml", "application/atom+xml", False),
    ("sitemap.xml", "application/xml", False),
    ("topics/psychological-safety/", "text/html", False),
])
def test_apache_content_types(apache, path, content_type, attachment):
    status, headers = _headers(apache + path)
    assert status == 200
    assert headers["content-type"] == content_type
    assert ("attachment" in headers.get("content-disposition", "")) == attachment


def test_apache_serves_the_404_page(apache):
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(apache + "no/such/page", timeout=5)
    assert error.value.status == 404
    assert "<h1>Page not found</h1>" in error.value.read().decode()
