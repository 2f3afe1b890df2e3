import pytest

from core.identity.passwords import hash_password, verify_password
from core.identity.rules import BadIdentifier, normalize_identifier, password_problems


@pytest.mark.parametrize("raw, kind, value", [
    ("  Li.Wei@Example.ORG ", "email", "li.wei@example.org"),
    ("13800138000", "phone", "+8613800138000"),
    ("+86 138 0013 8000", "phone", "+8613800138000"),
    ("+1 650 253 0000", "phone", "+16502530000"),
])
def test_identifiers_are_normalised(raw, kind, value):
    ident = normalize_identifier(raw)
    assert (ident.kind, ident.value) == (kind, value)


@pytest.mark.parametrize("raw", ["", "not an address", "a@b", "12345", "@example.org", "021 5080 0000"])
def test_bad_identifiers_are_refused(raw):
    with pytest.raises(BadIdentifier):
        normalize_identifier(raw)


def test_password_rules_are_about_length_not_composition():
    assert password_problems("correct horse battery") == []
    assert password_problems("short") == ["Use at least 8 characters."]
    assert password_problems("x" * 129)[0] == "Use at most 128 characters."
    assert "The password must not be your account name." in password_problems("li@example.org", "li@example.org")
    assert "The password must not repeat one character." in password_problems("aaaaaaaaaa")


def test_passwords_are_argon2id_and_verified():
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse battery") == (True, None)
    assert verify_password(stored, "wrong horse battery")[0] is False
    assert verify_password(None, "anything")[0] is False
    assert verify_password("not-a-hash", "anything")[0] is False
