"""Every page every role can reach, on a 390 px phone, in English and Chinese, normal and large text.

The pages are not listed by hand: each role starts from every GET route of the app without
arguments and follows the links it finds (one example per route with arguments: a report, a work
order, a campaign, a coupon...), so a new page is checked as soon as something links to it. A GET
route that no role reaches is a failure too, unless it is listed in NOT_PAGES with the reason.

On each page: nothing sticks out sideways (a wide table or chart row is allowed only inside a scroll
region that is labelled and reachable by keyboard), and in Chinese no short label (a button, a tab,
a chip, a table header, a term, a short heading) breaks inside its word. Every problem of every page
is collected and reported together at the end; a screenshot of each page and variant is saved under
test-artifacts/pages/ to be looked at.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select

from core.db import db
from demo.district import DEMO_PASSWORD
from tests.browser import PHONE
from tests.browser import sign_in as browser_sign_in
from tests.conftest import ARTIFACTS

SHOTS = ARTIFACTS / "pages"
NEAR_CENTRE = {"latitude": 31.1600, "longitude": 121.5010, "accuracy": 10}

# Who signs in, under which name in the report and the screenshots' names.
ROLES = [
    ("anonymous", None),
    ("resident", "resident@linli.demo"),
    ("resident-zh", "13800138000"),  # holds a coupon of the noodle shop
    ("owner", "owner@noodles.linli.demo"),
    ("cashier", "cashier@noodles.linli.demo"),
    ("staff", "staff@linli.demo"),
    ("admin", "admin@linli.demo"),
]
VARIANTS = [("en", False), ("en", True), ("zh", False), ("zh", True)]

# GET routes that are not pages a person reads, with why. Any other GET route must be reached.
NOT_PAGES = {
    "static": "files", "core.service_worker": "script",
    "core.manifest": "manifest", "core.healthz": "probe", "core.readyz": "probe",
    "feeds.airdrops_ical": "calendar feed", "airdrop_pages.signage": "a screen, not a phone page",
    "reports.photo": "image",
    "till_pages.feed": "event stream (never ends)", "till_pages.statement_csv": "download",
    "wallet_pages.coupon_live": "event stream (never ends)",
    "wallet_pages.usable_fragment": "fragment the wallet page fetches",
    "core.api_docs": "Swagger UI for developers (under /api/, in English)",
    "tiles.tile": "image (the local map tiles)",
    "airdrop_pages.signage_code": "image (the screen's presence QR)",
    "airdrop_pages.here": "opened from a screen's QR, never a link: tests/test_browser_presence.py on a phone",
}
NOT_PAGE_PREFIXES = ("/api/", "/open311/")
# Query strings make new pages of one route (a wallet tab, a queue filter): a few of each are enough.
VARIANTS_PER_ROUTE = 2

LAYOUT_PROBLEMS = r"""
() => {
  const problems = [];
  // A phone zooms out to show a page wider than itself, so innerWidth grows with the overflow:
  // the screen's width is the measure.
  const vw = Math.min(window.innerWidth, document.documentElement.clientWidth, screen.width);
  const doc = document.documentElement;
  if (doc.scrollWidth > vw) problems.push(`page is ${doc.scrollWidth}px wide`);
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += "#" + el.id;
    if (el.classList.length) name += "." + [...el.classList].join(".");
    const text = (el.innerText || el.value || "").trim().replace(/\s+/g, " ").slice(0, 40);
    return text ? `${name} "${text}"` : name;
  };
  const shown = (el) => {
    const style = getComputedStyle(el);
    return style.display !== "none" && style.visibility !== "hidden";
  };
  const controls = new Set(["INPUT", "SELECT", "TEXTAREA", "OPTION"]);
  const reported = new Set();
  for (const el of document.body.querySelectorAll("*")) {
    if (!shown(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const style = getComputedStyle(el);
    // A region that scrolls sideways must say what it is and take the keyboard.
    if (!controls.has(el.tagName) && el.clientWidth > 2 && el.scrollWidth > el.clientWidth + 1) {
      const ox = style.overflowX;
      if (ox === "auto" || ox === "scroll") {
        const labelled = el.hasAttribute("aria-label") || el.hasAttribute("aria-labelledby");
        if (!labelled || el.getAttribute("tabindex") !== "0") {
          problems.push(`${describe(el)} scrolls sideways (${el.scrollWidth}px in ${el.clientWidth}px) ` +
                        `without aria-label and tabindex="0"`);
        }
        reported.add(el);
      } else if ((ox === "hidden" || ox === "clip") && !el.classList.contains("leaflet-container")) {
        // (A map is a window onto a world larger than itself: its panes are clipped by design.)
        problems.push(`${describe(el)} cuts off its content (${el.scrollWidth}px in ${el.clientWidth}px)`);
        reported.add(el);
      }
    }
    if (r.right <= 0) continue;  // parked off-screen on purpose (the skip link)
    if (r.right <= vw + 1 && r.left >= -1) continue;
    let clipped = false;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") { clipped = true; break; }
    }
    if (clipped) continue;  // judged above as a region
    // Report the outermost element only: its children stick out with it.
    let parentOut = false;
    const p = el.parentElement;
    if (p && p !== document.body) {
      const pr = p.getBoundingClientRect();
      parentOut = pr.right > vw + 1 || pr.left < -1;
    }
    const span = `${Math.round(r.left)}..${Math.round(r.right)}px`;
    if (!parentOut) problems.push(`${describe(el)} sticks out of the screen (${span})`);
  }
  // Words wider than their box spill out of it without moving any element's edge.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const owner = node.parentElement;
    if (!node.data.trim() || reported.has(owner) || !shown(owner)) continue;
    range.selectNodeContents(node);
    const r = range.getBoundingClientRect();
    if (r.width === 0 || r.right <= 0 || (r.right <= vw + 1 && r.left >= -1)) continue;
    let clipped = false;
    for (let a = owner; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") { clipped = true; break; }
    }
    if (clipped) continue;
    reported.add(owner);
    problems.push(`the words of ${describe(owner)} run off the screen (to ${Math.round(r.right)}px)`);
  }
  return problems;
}
"""

# A short Chinese label on two lines is a word cut in two: 大字 as 大 / 字.
BROKEN_LABELS = r"""
() => {
  const cjk = /[\u3400-\u9fff\uf900-\ufaff]/g;
  const selector = "button, label, th, dt, legend, summary, .chip, .button, .badge, .tabs a, [role=tab], " +
                   "nav a, h1, h2, h3, h4, .figure > span, .status, .count";
  const broken = [];
  // Headers kept only for screen readers (a rows-table's on a phone) are squeezed into 1 px.
  const hiddenAway = (el) => {
    for (let a = el; a; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (a.hidden || style.clip !== "auto" || a.getBoundingClientRect().width <= 1) return true;
    }
    return false;
  };
  for (const el of document.querySelectorAll(selector)) {
    const text = (el.innerText || "").trim();
    const han = (text.match(cjk) || []).length;
    if (han === 0 || han > 8 || text.replace(/\s/g, "").length > 12) continue;
    if (hiddenAway(el)) continue;
    // The words only: a label's own input or select is not part of the label's lines. Each
    // character's line: a new line may start after a space or at punctuation, never inside a word.
    let cuts = 0, lines = 1, lastTop = null, lastChar = "";
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.data.trim() || node.parentElement.closest("select, option, textarea")) continue;
      const range = document.createRange();
      for (let i = 0; i < node.data.length; i++) {
        const ch = node.data[i];
        if (/\s/.test(ch)) { lastChar = ch; continue; }
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const rect = range.getBoundingClientRect();
        if (rect.width < 1 || rect.height < 1) continue;
        if (lastTop !== null && rect.top >= lastTop.bottom - 2) {
          lines += 1;
          if (!/[\s\p{P}]/u.test(lastChar) && !/\p{P}/u.test(ch)) cuts += 1;
        }
        lastTop = rect;
        lastChar = ch;
      }
    }
    const words = text.replace(/\s+/g, " ");
    if (cuts) broken.push(`${el.tagName.toLowerCase()} "${words}" cut inside a word (${lines} lines)`);
  }
  return broken;
}
"""

HREF = re.compile(r'<a\b[^>]*\bhref="([^"]*)"')
LINKS = """() => [...document.querySelectorAll("a[href]")].map((a) => a.href)"""


def _is_page_rule(rule) -> bool:
    if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
        return False
    return not rule.rule.startswith(NOT_PAGE_PREFIXES)


def _slug(endpoint: str, query: str) -> str:
    name = endpoint.split(".", 1)[-1].replace("_", "-")
    if query:
        name += "+" + re.sub(r"[^A-Za-z0-9]+", "-", query).strip("-")
    return name


def _entry_points(app) -> list[str]:
    """Pages people open from outside the app: a report's reference read out on the phone or printed."""
    from services.models import ServiceRequest

    with app.app_context():
        ref = db.session.scalar(select(ServiceRequest.ref).order_by(ServiceRequest.id).limit(1))
    assert ref, "the demo district has no report to track"
    return [f"/r/{ref}"]


class Site:
    """The app's GET pages, and which route a link of the site leads to."""

    def __init__(self, app, base: str):
        self.base = base
        self.adapter = app.url_map.bind("127.0.0.1")
        self.rules = [r for r in app.url_map.iter_rules() if _is_page_rule(r)]
        self.endpoints = {r.endpoint for r in self.rules}
        self.seeds = [base + r.rule for r in self.rules if not r.arguments] + \
            [base + path for path in _entry_points(app)]

    def endpoint_of(self, url: str) -> str | None:
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.base:
            return None
        try:
            endpoint, _args = self.adapter.match(parts.path, method="GET")
        except Exception:  # noqa: BLE001 - a link to a redirect, a 404 or a POST-only route
            return None
        return endpoint if endpoint in self.endpoints else None


def _crawl(site: Site, page, inspect, skip: frozenset[str] = frozenset()) -> dict[str, str]:
    """Follow every link from the seeds; inspect(name, path) each new page. {name: path?query} reached.

    Each candidate is asked for without drawing it first (most are redirects, refusals or pages
    seen already); pages whose path is in `skip` are read for their links only.
    """
    found: dict[str, str] = {}
    per_route: dict[str, int] = {}
    paged: set[str] = set()
    queue, seen = list(site.seeds), set()
    while queue:
        url = queue.pop(0).split("#")[0]
        if url in seen:
            continue
        seen.add(url)
        answer = page.request.get(url)
        endpoint = site.endpoint_of(answer.url)
        if answer.status != 200 or "text/html" not in answer.headers.get("content-type", "") or endpoint is None:
            continue
        parts = urlsplit(answer.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if target in found.values() or per_route.get(endpoint, 0) >= VARIANTS_PER_ROUTE:
            continue
        if "page=" in parts.query:  # one page of a list beyond the first is enough
            if endpoint in paged:
                continue
            paged.add(endpoint)
        per_route[endpoint] = per_route.get(endpoint, 0) + 1
        name = _slug(endpoint, parts.query)
        found[name] = target
        if parts.path in skip:
            links = [urljoin(answer.url, html.unescape(href)) for href in HREF.findall(answer.text())]
        else:
            page.goto(answer.url, wait_until="load")
            inspect(name, target)
            links = page.evaluate(LINKS)
        queue += [link for link in links if site.endpoint_of(link) and link.split("#")[0] not in seen]
    return found


def _set_variant(page, base: str, lang: str, large: bool) -> None:
    """As the chips in the top bar do: the account keeps the choice, or the cookies do."""
    page.goto(f"{base}/offline")
    token = page.evaluate("document.querySelector('meta[name=csrf-token]').content")
    for path, form in (("/prefs/language", {"locale": lang}),
                       ("/prefs/large-text", {"large_text": "on" if large else "off"})):
        answer = page.request.post(base + path, form={"csrf_token": token, **form}, max_redirects=0)
        assert answer.status in (302, 303), (path, answer.status)


def _check(page, where: str, lang: str, large: bool) -> list[str]:
    # Scripts fill some pages after load (the wallet's airdrop answer, the dashboard's charts).
    page.evaluate("document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r))))")
    problems = []
    shown = page.evaluate("[document.documentElement.lang, document.documentElement.className]")
    if shown[0] != ("zh-Hans" if lang == "zh" else "en") or ("large-text" in shown[1]) != large:
        problems.append(f"{where}: shown as lang={shown[0]!r} class={shown[1]!r}")
    problems += [f"{where}: {p}" for p in page.evaluate(LAYOUT_PROBLEMS)]
    if lang == "zh":
        problems += [f"{where}: label breaks: {p}" for p in page.evaluate(BROKEN_LABELS)]
    return problems


def _walk(browser, site: Site, role: str, identifier: str | None, public: frozenset[str]):
    """One role's browser through all its pages in every variant: (problems, paths it reached)."""
    problems: list[str] = []
    # The phone's CSS pixels; screenshots at 1x keep hundreds of full pages quick to take and to look at.
    context = browser.new_context(**{**PHONE, "device_scale_factor": 1}, locale="en-GB", service_workers="block",
                                  geolocation=NEAR_CENTRE, permissions=["geolocation"])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    if identifier:
        browser_sign_in(page, site.base, identifier, DEMO_PASSWORD)
        if "/login" in page.url:
            context.close()
            return [f"{role} could not sign in"], {}
    mine: dict[str, str] = {}

    def inspect(name, path, lang="en", large=False):
        mine[name] = path
        size = "large" if large else "normal"
        problems.extend(_check(page, f"{role} {path} [{lang}, {size}]", lang, large))
        page.screenshot(path=str(SHOTS / f"{role}-{name}-{lang}-{size}.png"), full_page=True)

    (lang, large), *others = VARIANTS
    _set_variant(page, site.base, lang, large)
    everything = _crawl(site, page, inspect, skip=public)
    for lang, large in others:
        _set_variant(page, site.base, lang, large)
        for name, path in mine.items():
            response = page.goto(site.base + path, wait_until="load")
            if response is None or response.status != 200:
                problems.append(f"{role} {path} [{lang}]: answered {response.status if response else 'nothing'}")
                continue
            inspect(name, path, lang, large)
    problems += [f"{role}: script error: {e}" for e in errors]
    context.close()
    return problems, everything


def test_every_page_fits_a_phone_in_both_languages_and_text_sizes(chromium, demo_site, app, database_url):
    if database_url.startswith("postgresql"):
        pytest.skip("browser flow checked on SQLite")
    # Stylesheet and scripts from the browser's cache, not revalidated on each of the many pages.
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 600
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    site = Site(app, demo_site)
    (stranger, _none), *accounts = ROLES
    # What strangers see is checked once, as a stranger.
    problems, seen = _walk(chromium, site, stranger, None, frozenset())
    reached = {site.endpoint_of(demo_site + path) for path in seen.values()}
    public = frozenset(path.split("?")[0] for path in seen.values())
    for role, identifier in accounts:
        found, seen = _walk(chromium, site, role, identifier, public)
        problems += found
        reached |= {site.endpoint_of(demo_site + path) for path in seen.values()}
    unreached = sorted(site.endpoints - reached)
    problems += [f"no role reaches the page {endpoint} (link to it, or add it to NOT_PAGES with why)"
                 for endpoint in unreached]
    assert not problems, f"{len(problems)} problems on phone pages:\n" + "\n".join(problems)


@pytest.mark.parametrize(("region", "expected", "clock"), [
    ("en-GB", "1 Dec 2026, 14:28", re.compile(r"\b\d{2}:\d{2}–\d{2}:\d{2}\b")),
    ("en-US", "Dec 1, 2026, 2:28\u202fPM", re.compile(r"\b\d{1,2}:\d{2}\s?[AP]M–")),
])
def test_times_read_as_the_browsers_region_writes_them(chromium, demo_site, database_url, region, expected, clock):
    if database_url.startswith("postgresql"):
        pytest.skip("browser flow checked on SQLite")
    context = chromium.new_context(**PHONE, locale=region, service_workers="block")
    page = context.new_page()
    page.goto(f"{demo_site}/airdrops")
    assert page.evaluate("document.documentElement.dataset.locale") == region
    # The page's script writes a moment as the server does: 06:28:03 UTC in Shanghai, no seconds.
    # (Intl and Babel may put a narrow no-break space where the other puts a space.)
    assert re.sub(r"\s", " ", page.evaluate("Linli.when('2026-12-01T06:28:03Z')")) == re.sub(r"\s", " ", expected)
    assert clock.search(page.locator("main").inner_text())
    context.close()
