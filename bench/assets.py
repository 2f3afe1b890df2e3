"""Cold and warm page loads of the till and the wallet, as a phone on a slow network sees them.

Debian's Chromium (Playwright), a 390 px phone, the network throttled to Lighthouse's "slow 4G"
(1.6 Mbit/s down, 750 kbit/s up, 150 ms round trip), gunicorn's production configuration on the
demo district (SQLite). A cold load is the first visit of a fresh browser profile; a warm load is
the next visit of the same page in that profile, in a new tab, with its HTTP cache. The service
worker is blocked so that what is measured is the server's compression and caching (with it, a
warm visit's static files come from its cache whatever the server says). Bytes are what crossed
the network (Chromium's encoded lengths, headers included).

    .venv/bin/python -m bench.assets
"""

from __future__ import annotations

import sys

from bench.harness import deployment, gunicorn

CHROMIUM = "/usr/bin/chromium"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
SLOW_4G = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8}
PAGES = [("till (cashier)", "cashier@noodles.linli.demo", "/merchant/till"),
         ("wallet (resident)", "resident@linli.demo", "/wallet"),
         ("dashboard (owner)", "owner@noodles.linli.demo", "/merchant/dashboard")]
PASSWORD = "neighbour-2026"


def _visit(context, url: str) -> dict:
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    moved = {"bytes": 0, "requests": 0, "from_cache": 0}
    # Served from the HTTP cache: counted as a request that moved no bytes.

    def finished(event):
        moved["bytes"] += event["encodedDataLength"]
        moved["requests"] += 1

    def served(event):
        moved["from_cache"] += 1

    def received(event):
        if event["response"].get("fromDiskCache"):
            moved["from_cache"] += 1

    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.requestServedFromCache", served)  # the memory cache
    cdp.on("Network.responseReceived", received)
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    timing = page.evaluate("() => { const n = performance.getEntriesByType('navigation')[0];"
                           " return {load: n.loadEventEnd, dcl: n.domContentLoadedEventEnd}; }")
    page.close()
    return {**moved, "load_ms": timing["load"], "dcl_ms": timing["dcl"]}


def page_loads(base: str) -> list[tuple[str, dict, dict]]:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for label, identifier, path in PAGES:
            context = browser.new_context(**PHONE, service_workers="block")
            page = context.new_page()
            page.goto(f"{base}/login")
            page.fill("input[name=identifier]", identifier)
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation():
                page.press("input[name=password]", "Enter")
            page.close()
            # A fresh cache for the cold visit: signing in loaded the shell already.
            cold_page = context.new_page()
            context.new_cdp_session(cold_page).send("Network.clearBrowserCache")
            cold_page.close()
            cold = _visit(context, base + path)
            warm = _visit(context, base + path)
            rows.append((label, cold, warm))
            context.close()
        browser.close()
    return rows


def print_rows(rows) -> None:
    print("\nPage loads on a phone, slow 4G (1.6 Mbit/s, 150 ms RTT), SQLite, gunicorn")
    print(f"{'page':<22} {'cold KiB':>9} {'reqs':>5} {'load ms':>8}   {'warm KiB':>9} {'reqs':>5} "
          f"{'cached':>6} {'load ms':>8}")
    for label, cold, warm in rows:
        print(f"{label:<22} {cold['bytes'] / 1024:>9.1f} {cold['requests']:>5} {cold['load_ms']:>8.0f}   "
              f"{warm['bytes'] / 1024:>9.1f} {warm['requests']:>5} {warm['from_cache']:>6} {warm['load_ms']:>8.0f}")


def main() -> int:
    with deployment("sqlite") as dep, gunicorn("wsgi:app", dep.env, dep.workdir) as server:
        print_rows(page_loads(server.base))
    return 0


if __name__ == "__main__":
    sys.exit(main())
