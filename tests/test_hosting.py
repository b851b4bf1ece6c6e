"""What hosts are told, as files: the security policy from one place, hashed assets, patterns that
do not grow with the schedule, and paths under base_url's."""

from __future__ import annotations

import re

from conftest import apply_files, run_build


def _sessions(count: int) -> str:
    return "".join(f"- id: alpha-{n}\n  topic: alpha\n  date: 2023-03-{n:02d}\n  start: 12:00\n  end: 13:00\n"
                   for n in range(1, count + 1))


def test_host_configuration_does_not_grow_with_the_schedule(make_project):
    small, large = make_project({"content/sessions.yaml": _sessions(2)}), make_project({"content/sessions.yaml": _sessions(28)})
    for project in (small, large):
        assert run_build(project).returncode == 0
    for name in ("_headers", ".htaccess"):
        assert (small / "site" / name).read_bytes() == (large / "site" / name).read_bytes(), name
    for server in ("nginx", "caddy"):
        assert run_build(small, "host-config", server).stdout == run_build(large, "host-config", server).stdout


def test_every_rule_names_paths_under_base_urls_path(make_project):
    project = make_project()
    assert run_build(project, "--base-url", "https://example.org/ally/").returncode == 0
    headers = (project / "site/_headers").read_text()
    assert [line for line in headers.splitlines() if line.startswith("/")] == [
        "/ally/*", "/ally/assets/*", "/ally/*.ics", "/ally/sessions/*.ics", "/ally/changes.xml"]
    htaccess = (project / "site/.htaccess").read_text()
    assert "ErrorDocument 404 /ally/404.html" in htaccess and "m#^/ally/assets/#" in htaccess
    nginx = run_build(project, "host-config", "nginx", "--base-url", "https://example.org/ally/").stdout
    assert re.findall(r"^location (.*) \{$", nginx, re.M) == [
        "/ally/", "^~ /ally/assets/", r"~ ^/ally/sessions/[^/]+\.ics$", r"~ ^/ally/.*\.ics$", "= /ally/changes.xml"]
    assert nginx.count("error_page 404 /ally/404.html;") == 5
    caddy = run_build(project, "host-config", "caddy", "--base-url", "https://example.org/ally/").stdout
    assert "rewrite * /ally/404.html" in caddy and "@microsite path /ally/*" in caddy


def test_frame_ancestors_is_a_setting_the_meta_policy_leaves_out(make_project):
    project = make_project()
    apply_files(project, {"content/site.yaml": (project / "content/site.yaml").read_text()
                          + "frame_ancestors: \"'self' https://wmed.example.edu\"\n"})
    assert run_build(project).returncode == 0
    assert "frame-ancestors 'self' https://wmed.example.edu\n" in (project / "site/_headers").read_text()
    page = (project / "site/index.html").read_text()
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page).group(1)
    assert "frame-ancestors" not in meta and "script-src &#39;self&#39;" in meta  # not allowed in a <meta>


def test_assets_are_named_by_their_content(make_project):
    project = make_project()
    assert run_build(project).returncode == 0
    [stylesheet] = (project / "site/assets").glob("style.*.css")
    first = stylesheet.name
    assert f'href="../../assets/{first}"' in (project / "site/topics/alpha/index.html").read_text()
    assert f'href="/assets/{first}"' in (project / "site/404.html").read_text()
    # A changed stylesheet is a new address: a reader's year-long cached copy is never used for it.
    (project / "layouts/assets/style.css").write_text((project / "layouts/assets/style.css").read_text() + "\n/* new */\n")
    assert run_build(project).returncode == 0
    [changed] = (project / "site/assets").glob("style.*.css")
    assert changed.name != first and f'href="assets/{changed.name}"' in (project / "site/index.html").read_text()
    [icon] = (project / "site/assets").glob("favicon.*.svg")
    assert f'"src": "assets/{icon.name}"' in (project / "site/site.webmanifest").read_text()


def test_a_stylesheet_refers_to_other_assets_by_their_published_names(make_project):
    project = make_project()
    (project / "layouts/assets/fonts").mkdir()
    (project / "layouts/assets/fonts/body.woff2").write_bytes(b"font bytes")
    (project / "layouts/assets/style.css").write_text(
        '@font-face { font-family: Body; src: url("fonts/body.woff2") format("woff2"); }\n'
        "body { background: url(data:image/gif;base64,R0lGOD) }\n")
    assert run_build(project).returncode == 0
    [font] = (project / "site/assets/fonts").glob("body.*.woff2")
    [stylesheet] = (project / "site/assets").glob("style.*.css")
    assert f'url("fonts/{font.name}")' in stylesheet.read_text()
    assert "url(data:image/gif;base64,R0lGOD)" in stylesheet.read_text()


def test_a_layout_asking_for_a_missing_asset_is_told_so(make_project):
    project = make_project()
    base = project / "layouts/base.html"
    base.write_text(base.read_text().replace("asset('site.js')", "asset('sites.js')"))
    result = run_build(project)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "layouts/base.html:23: asset('sites.js') names no file in layouts/assets/; check the name")
