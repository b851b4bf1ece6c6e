"""What every response carries, decided once here and written for each kind of host.

The rules: security headers on every response (a Content-Security-Policy as strict as the pages
allow, nosniff, a referrer policy, a restrictive Permissions-Policy); assets, whose file names
carry their content's hash (microsite.pages.copy_assets), cached for a year as immutable;
everything else (pages, feeds, schedule.json, the Atom feed) revalidated on every use, so no
subscriber or reader is given a stale schedule; calendars as text/calendar; a session's .ics as
a download; the site's own 404 page. Every rule is a pattern under the site's path (base_url's),
so the configuration is the same size for 13 sessions or 13,000.

Netlify and Cloudflare Pages read `_headers`, Apache `.htaccess`: both go into the site. nginx
and Caddy read their configuration outside the site, so `build.py host-config` prints theirs.
For hosts that read none (GitHub Pages, a folder opened from disk) each page also carries the
policy in a <meta http-equiv> tag, less what a meta tag cannot hold (frame-ancestors).
"""

from __future__ import annotations

from .model import OutputFile, Site

CALENDAR_TYPE = "text/calendar; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
REVALIDATE = "no-cache"  # may be stored, but is checked with the host (ETag) before every use
IMMUTABLE = "public, max-age=31536000, immutable"  # a hashed name never changes its bytes
# Features the pages never use, refused so that nothing injected could use them either.
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "camera", "display-capture", "geolocation", "gyroscope", "magnetometer", "microphone",
    "midi", "payment", "usb"))


def content_security_policy(site: Site, in_meta: bool = False) -> str:
    """Scripts, styles, images and the manifest from the site itself only; no inline script or
    style; nothing else loads. JSON-LD blocks are data, which the policy does not govern.
    connect-src 'self' lets a page read the site's own files (robots.txt, schedule.json): auditing
    tools such as Lighthouse fetch robots.txt from within the page, and a same-origin read gives
    an injected script nothing the site does not already publish."""
    directives = ["default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'",
                  "manifest-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'self'",
                  "form-action 'none'"]
    if not in_meta:  # a <meta> policy cannot say who may frame the page
        directives.append(f"frame-ancestors {site.frame_ancestors}")
    return "; ".join(directives)


def security_headers(site: Site) -> list[tuple[str, str]]:
    return [("Content-Security-Policy", content_security_policy(site)),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "strict-origin-when-cross-origin"),
            ("Permissions-Policy", PERMISSIONS_POLICY)]


def render_host_config(site: Site) -> list[OutputFile]:
    """The configuration files that go into the site: _headers and .htaccess."""
    return [OutputFile("_headers", netlify_headers(site).encode(), "microsite/hosting.py (Netlify, Cloudflare)"),
            OutputFile(".htaccess", apache_htaccess(site).encode(), "microsite/hosting.py (Apache)")]


def netlify_headers(site: Site) -> str:
    """_headers for Netlify and Cloudflare Pages. Both already revalidate every file by default
    (`max-age=0, must-revalidate`), and both would join two matching rules' Cache-Control values
    into one, so only the assets' rule sets it."""
    root = site.base_path
    rules = [(f"{root}*", security_headers(site)),
             (f"{root}assets/*", [("Cache-Control", IMMUTABLE)]),
             (f"{root}*.ics", [("Content-Type", CALENDAR_TYPE)]),
             (f"{root}sessions/*.ics", [("Content-Disposition", "attachment")]),
             (f"{root}changes.xml", [("Content-Type", ATOM_TYPE)])]
    lines = ["# Netlify and Cloudflare Pages: written by build.py from microsite/hosting.py."]
    for pattern, headers in rules:
        lines += [pattern, *(f"  {name}: {value}" for name, value in headers)]
    return "\n".join(lines) + "\n"


def apache_htaccess(site: Site) -> str:
    """.htaccess for Apache (AllowOverride FileInfo; mod_headers for the headers)."""
    root = site.base_path
    lines = ["# Apache: written by build.py from microsite/hosting.py.",
             "AddType text/calendar .ics",
             "AddCharset utf-8 .ics",
             '<Files "changes.xml">',
             "  ForceType application/atom+xml",
             "</Files>",
             f"ErrorDocument 404 {root}404.html",
             "<IfModule mod_headers.c>",
             *(f'  Header always set {name} "{value}"' for name, value in security_headers(site)),
             f'  Header set Cache-Control "{REVALIDATE}"',
             f'  <If "%{{REQUEST_URI}} =~ m#^{root}assets/#">',
             f'    Header set Cache-Control "{IMMUTABLE}"',
             "  </If>",
             f'  <If "%{{REQUEST_URI}} =~ m#^{root}sessions/[^/]+\\.ics$#">',
             "    Header set Content-Disposition attachment",
             "  </If>",
             "</IfModule>"]
    return "\n".join(lines) + "\n"


def nginx_config(site: Site) -> str:
    """Locations to put in an nginx server block whose root holds the site at base_url's path.
    nginx drops inherited add_header lines in a location that adds its own, so each location
    repeats the security headers."""
    root = site.base_path
    every = [f"error_page 404 {root}404.html;",
             *(f'add_header {name} "{value}" always;' for name, value in security_headers(site))]

    def location(match: str, *lines: str) -> list[str]:
        return [f"location {match} {{", *(f"    {line}" for line in (*lines, *every)), "}"]

    return "\n".join([
        f"# nginx: put inside the server {{ }} block whose root holds the site at {root}",
        "# (copy site/ there). Written by `python build.py host-config nginx` from microsite/hosting.py.",
        *location(root, "index index.html;", f'add_header Cache-Control "{REVALIDATE}" always;'),
        *location(f"^~ {root}assets/", f'add_header Cache-Control "{IMMUTABLE}" always;'),
        *location(f"~ ^{root}sessions/[^/]+\\.ics$", "types { }", f'default_type "{CALENDAR_TYPE}";',
                  f'add_header Cache-Control "{REVALIDATE}" always;', "add_header Content-Disposition attachment always;"),
        *location(f"~ ^{root}.*\\.ics$", "types { }", f'default_type "{CALENDAR_TYPE}";',
                  f'add_header Cache-Control "{REVALIDATE}" always;'),
        *location(f"= {root}changes.xml", "types { }", f'default_type "{ATOM_TYPE}";',
                  f'add_header Cache-Control "{REVALIDATE}" always;'),
    ]) + "\n"


def caddy_config(site: Site) -> str:
    """Directives to put in a Caddy site block whose root holds the site at base_url's path.
    Every matcher is disjoint from the others that set the same header, so their order does not
    matter; the types are set after the file server's own (`defer`)."""
    root = site.base_path
    security = [f'\t{name} "{value}"' for name, value in security_headers(site)]
    return "\n".join([
        f"# Caddy: put inside the site block whose root holds the site at {root} (copy site/ there).",
        "# Written by `python build.py host-config caddy` from microsite/hosting.py.",
        f"@microsite path {root}*",
        "header @microsite {", *security, "}",
        "@microsite_revalidated {", f"\tpath {root}*", f"\tnot path {root}assets/*", "}",
        f'header @microsite_revalidated Cache-Control "{REVALIDATE}"',
        f"@microsite_assets path {root}assets/*",
        f'header @microsite_assets Cache-Control "{IMMUTABLE}"',
        f"@microsite_calendars path_regexp ^{root}.*\\.ics$",
        "header @microsite_calendars {", f'\tContent-Type "{CALENDAR_TYPE}"', "\tdefer", "}",
        f"@microsite_downloads path_regexp ^{root}sessions/[^/]+\\.ics$",
        "header @microsite_downloads Content-Disposition attachment",
        f"@microsite_atom path {root}changes.xml",
        "header @microsite_atom {", f'\tContent-Type "{ATOM_TYPE}"', "\tdefer", "}",
        "handle_errors {",
        "\t@microsite_missing {", "\t\texpression {err.status_code} == 404", f"\t\tpath {root}*", "\t}",
        "\thandle @microsite_missing {",
        f"\t\trewrite * {root}404.html",
        "\t\theader {", *(f"\t\t{line}" for line in security), "\t\t}",
        "\t\tfile_server",
        "\t}",
        "}",
        "file_server",
    ]) + "\n"


HOST_CONFIGS = {"nginx": nginx_config, "caddy": caddy_config, "apache": apache_htaccess, "netlify": netlify_headers}
