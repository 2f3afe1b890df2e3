"""`next` and the Referer only ever send the browser to a path on this site."""

import pytest

from core.db import db
from core.redirects import same_site_path
from tests.conftest import TEST_PASSWORD

# Each of these leaves the site in a browser (tabs and newlines are dropped, "\" reads as "/"),
# or breaks the Location header. A NUL in a form or query string is refused before any view
# (core.input, 400); everything else is sent home.
ESCAPES = ["//evil.example/", "/\t/evil.example/", "/\n/evil.example/", "/\r\n/evil.example/", "/\\evil.example/",
           "/\x00/evil.example/", "/ /evil.example/", "/\u3000/evil.example/", "https://evil.example/",
           "javascript:alert(1)", "\t//evil.example/"]


@pytest.mark.parametrize("target", ESCAPES)
def test_sign_in_never_redirects_off_site(app, make_user, target):
    with app.app_context():
        make_user(identifier="next@example.org")
        db.session.commit()
    response = app.test_client().post("/login", query_string={"next": target},
                                      data={"identifier": "next@example.org", "password": TEST_PASSWORD})
    if "\x00" in target:
        assert response.status_code == 400
        return
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_sign_in_follows_a_same_site_next(app, make_user):
    with app.app_context():
        make_user(identifier="next2@example.org")
        db.session.commit()
    response = app.test_client().post("/login", query_string={"next": "/wallet?tab=all"},
                                      data={"identifier": "next2@example.org", "password": TEST_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/wallet?tab=all"


@pytest.mark.parametrize("target", ESCAPES)
@pytest.mark.parametrize("switch", [("/prefs/language", {"locale": "zh"}), ("/prefs/large-text", {"large_text": "on"})])
def test_preference_switches_never_redirect_off_site(client, switch, target):
    path, form = switch
    responses = [client.post(path, data={**form, "next": target})]
    if "\n" not in target:  # a header cannot carry a newline
        responses.append(client.post(path, data=form, headers={"Referer": target}))
    for response in responses:
        if "\x00" in target and response.request.headers.get("Referer") is None:
            assert response.status_code == 400
            continue
        assert response.status_code == 302 and response.headers["Location"] == "/"


def test_a_referer_of_this_site_is_followed_as_its_path(client):
    response = client.post("/prefs/language", data={"locale": "zh"}, headers={"Referer": "http://localhost/report"})
    assert response.status_code == 302 and response.headers["Location"] == "/report"


def test_same_site_path_rules():
    assert same_site_path("/r/AJCP-9U5F?x=1") == "/r/AJCP-9U5F?x=1"
    assert same_site_path("https://us.example/a", "https://us.example/") == "/a"
    assert same_site_path("https://us.example//evil.example", "https://us.example/") is None
    assert same_site_path("") is None and same_site_path(None) is None
