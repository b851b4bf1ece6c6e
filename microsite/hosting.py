"""Configuration that static hosts read, so feeds reach calendar apps as text/calendar.

Some hosts send .ics files as text/plain or text/html, which Mozilla's clients refuse. Netlify
and Cloudflare Pages read `_headers`; Apache reads `.htaccess`. GitHub Pages already serves .ics
as text/calendar; nginx and S3 are configured on the server side (see README.md).
"""

from __future__ import annotations

from .model import OutputFile, Schedule

CALENDAR_TYPE = "text/calendar; charset=utf-8"


def render_host_config(schedule: Schedule, built: list[OutputFile]) -> list[OutputFile]:
    """_headers for Netlify and Cloudflare Pages, .htaccess for Apache."""
    calendars = tuple(sorted(file.path for file in built if file.path.endswith(".ics")))
    base_path = schedule.site.base_path
    headers = []
    for path in calendars:
        headers += [f"/{path}", f"  Content-Type: {CALENDAR_TYPE}"]
        if path.startswith("sessions/"):  # one session is a download, not a subscription
            headers.append(f'  Content-Disposition: attachment; filename="{path.rsplit("/", 1)[1]}"')
    headers += ["/changes.xml", "  Content-Type: application/atom+xml; charset=utf-8"]
    htaccess = [
        "# Apache: serve calendars as text/calendar, session files as downloads, and the 404 page.",
        "AddType text/calendar .ics",
        "AddCharset utf-8 .ics",
        '<Files "changes.xml">',
        "  ForceType application/atom+xml",
        "</Files>",
        f"ErrorDocument 404 {base_path}404.html",
        "<IfModule mod_headers.c>",
        '  <If "%{REQUEST_URI} =~ m#/sessions/[^/]+\\.ics$#">',
        "    Header set Content-Disposition attachment",
        "  </If>",
        "</IfModule>",
    ]
    return [
        OutputFile("_headers", ("\n".join(headers) + "\n").encode(), "microsite/hosting.py (Netlify, Cloudflare)"),
        OutputFile(".htaccess", ("\n".join(htaccess) + "\n").encode(), "microsite/hosting.py (Apache)"),
    ]
