"""What any request may send, checked before a view runs: bounded size, bounded nesting, and text
that every database can store. Each check is cheap and linear in the (already capped) body, so
no anonymous request can make a worker spend more than a small, bounded amount of CPU on it.

- Bodies: only multipart uploads may be large (MAX_CONTENT_LENGTH, photos); any other body -
  JSON, a form, Open311's form encoding - is capped at SMALL_BODY_BYTES, and Werkzeug stops
  reading there even when no Content-Length was sent.
- JSON: at most MAX_DEPTH levels deep and MAX_ITEMS values in all.
- Text: no NUL characters (PostgreSQL cannot store them) and no unpaired UTF-16 surrogates
  (nothing can encode them), in JSON strings and keys, form fields and query strings alike.
"""

from __future__ import annotations

import json

from flask import current_app, request

from core.problems import Problem

SMALL_BODY_BYTES = 64 * 1024
# Where the checked JSON body is kept for the API's parser (core.extensions), which would
# otherwise decode the same bytes a second time.
PARSED_JSON = "linli.parsed_json"
MAX_DEPTH = 32
MAX_ITEMS = 10_000
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class BadInput(Problem):
    status, type, title = 400, "/problems/bad-input", "Request not accepted"


class BodyTooLarge(Problem):
    status, type, title = 413, "/problems/too-large", "Request too large"


def storable(text: str) -> bool:
    """False for text with NUL or a lone surrogate (both would fail at the database, or later)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_json(value) -> str | None:
    """Why this parsed JSON is refused, or None. Iterative: nesting cannot exhaust the stack."""
    stack, seen = [(value, 1)], 0
    while stack:
        item, depth = stack.pop()
        seen += 1
        if depth > MAX_DEPTH:
            return f"The JSON body is nested more than {MAX_DEPTH} levels deep."
        if seen > MAX_ITEMS:
            return f"The JSON body has more than {MAX_ITEMS} values."
        if isinstance(item, str):
            if not storable(item):
                return "The JSON body contains characters that cannot be stored (NUL or unpaired surrogates)."
        elif isinstance(item, dict):
            for key, child in item.items():
                if not storable(key):
                    return "The JSON body contains characters that cannot be stored (NUL or unpaired surrogates)."
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return None


def _check_request() -> None:
    if request.method in _BODY_METHODS and request.mimetype != "multipart/form-data":
        limit = min(SMALL_BODY_BYTES, current_app.config["MAX_CONTENT_LENGTH"] or SMALL_BODY_BYTES)
        request.max_content_length = limit
        if (request.content_length or 0) > limit:
            raise BodyTooLarge(f"A request body may be at most {max(limit // 1024, 1)} KiB "
                               "(photos are sent as multipart/form-data).")
    for values in ((request.args, request.form) if request.method in _BODY_METHODS else (request.args,)):
        for key, value in values.items(multi=True):
            if not (storable(key) and storable(value)):
                raise BadInput("The request contains characters that cannot be stored (NUL or unpaired surrogates).")
    if request.method in _BODY_METHODS and request.is_json:
        raw = request.get_data(cache=True)
        if raw:
            try:
                value = json.loads(raw)
            except RecursionError:
                raise BadInput(f"The JSON body is nested more than {MAX_DEPTH} levels deep.") from None
            except ValueError:
                return  # not JSON at all: the API's parser answers that in its own words
            problem = check_json(value)
            if problem:
                raise BadInput(problem)
            request.environ[PARSED_JSON] = value


def parsed_json(environ: dict, default):
    """The JSON body as checked before the view ran (`default` if it was not)."""
    return environ.get(PARSED_JSON, default)


def init_input_checks(app) -> None:
    # Form parts beyond these are refused by Werkzeug itself (413) before anything is stored.
    app.config.setdefault("MAX_FORM_MEMORY_SIZE", SMALL_BODY_BYTES)
    app.config.setdefault("MAX_FORM_PARTS", 64)
    app.before_request(_check_request)
