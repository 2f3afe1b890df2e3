"""Language, large text and the installable shell."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from core.identity.models import User
from tests.conftest import count

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "N_": None, "ngettext": (1, 2)}


def _source_messages() -> set[str]:
    found = set()
    for top in ("core", "linli", "merchant", "wallet", "geofence", "airdrop", "services", "demo", "templates"):
        method_map = [("**.py", "python"), ("**.html", "jinja2"), ("**.webmanifest", "jinja2")]
        for _file, _line, message, _comments, _ctx in extract_from_dir(ROOT / top, method_map, keywords=KEYWORDS):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_user_facing_string_has_a_chinese_translation():
    with open(ROOT / "translations/zh/LC_MESSAGES/messages.po", "rb") as fh:
        catalog = read_po(fh, locale="zh")
    # A plural entry is (singular, plural) with one form per plural category of the language.
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog
                  if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else [m.string])}
    missing = sorted(_source_messages() - translated)
    assert not missing, f"add these to messages.po (pybabel extract/update): {missing}"


def test_browser_language_picks_chinese(client):
    page = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    html = page.get_data(as_text=True)
    assert 'lang="zh-Hans"' in html and "登录" in html and "Sign in" not in html


def test_language_switch_persists_in_a_cookie(client):
    response = client.post("/prefs/language", data={"locale": "zh", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert "邮箱或手机号码" in client.get("/login").get_data(as_text=True)
    client.post("/prefs/language", data={"locale": "en", "next": "/login"})
    assert "Email or mobile number" in client.get("/login").get_data(as_text=True)


def test_language_switch_refuses_unknown_languages_and_foreign_redirects(client):
    assert client.post("/prefs/language", data={"locale": "xx"}).status_code == 422
    response = client.post("/prefs/language", data={"locale": "zh", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_signed_in_language_and_large_text_follow_the_account(app, signed_in):
    client, _ = signed_in()
    client.post("/prefs/language", data={"locale": "zh", "next": "/resident"})
    client.post("/prefs/large-text", data={"large_text": "on", "next": "/resident"})
    me = client.get("/api/me").json
    assert me["locale"] == "zh" and me["large_text"] is True
    # Another device, fresh cookies, same account: same preferences.
    from tests.conftest import login

    other = login(app, me["email"])
    html = other.get("/resident").get_data(as_text=True)
    assert 'class="large-text"' in html and "您好" in html


def test_large_text_persists_for_visitors(client):
    client.post("/prefs/large-text", data={"large_text": "on"})
    assert 'class="large-text"' in client.get("/login").get_data(as_text=True)
    client.post("/prefs/large-text", data={"large_text": "off"})
    assert 'class="large-text"' not in client.get("/login").get_data(as_text=True)


def test_manifest_makes_the_app_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json(force=True)
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).mimetype == "image/png"


def test_service_worker_is_served_from_the_root_and_never_cached_stale(client):
    response = client.get("/sw.js")
    assert response.status_code == 200 and "javascript" in response.mimetype
    assert "no-cache" in response.headers["Cache-Control"]
    assert b"/offline" in response.data
    assert client.get("/offline").status_code == 200


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_signup_page_creates_a_resident_and_shows_errors_in_place(app, client):
    bad = client.post("/signup", data={"identifier": "nobody", "password": "x", "display_name": "A"})
    assert bad.status_code == 422
    assert "Enter an email address or a mobile number." in bad.get_data(as_text=True)
    assert count(app, User) == 0
    good = client.post("/signup", data={"identifier": "13800138002", "password": "long enough pw",
                                        "display_name": "Grandpa Wu"})
    assert good.status_code == 302 and good.headers["Location"] == "/login"
    client.post("/login", data={"identifier": "13800138002", "password": "long enough pw"})
    assert "Grandpa Wu" in client.get("/resident").get_data(as_text=True)
