"""Where a page may send the browser back to: same-site paths only.

An open redirect would turn our sign-in page (or the language switch) into a phishing tool. A
check on the first characters is not enough: browsers drop tabs and newlines inside a URL and read
a backslash as a slash, so "/\\t/evil.example" and "/\\\\evil.example" both leave the site, and a
newline makes the Location header itself fail. So the target must be printable ASCII without a
backslash, start with one slash, and parse to no scheme and no host.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def same_site_path(target: str | None, host_url: str | None = None) -> str | None:
    """`target` if it is a path on this site, else None. `host_url` ("https://us.example/") lets an
    absolute URL of this very site (a Referer) through, as its path."""
    if not target:
        return None
    if host_url and target.startswith(host_url):
        target = "/" + target[len(host_url):]
    if any(not ("\x21" <= ch <= "\x7e") or ch == "\\" for ch in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
