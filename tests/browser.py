"""Real-browser helpers: the app served on a loopback port, Debian's Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import threading
from contextlib import contextmanager

from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium floods the closed network with connections.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}


def chromium_available() -> bool:
    return shutil.which(CHROMIUM) is not None


@contextmanager
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()  # the listening socket, not left to the garbage collector


def sign_in(page, base: str, identifier: str, password: str) -> None:
    """Through the sign-in form, as a person would."""
    page.goto(f"{base}/login")
    page.get_by_label("Email or mobile number").fill(identifier)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")
