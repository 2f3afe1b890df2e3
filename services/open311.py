"""Open311 GeoReport v2 under /open311: service discovery, the catalogue, and service requests.

Strictly the spec's shapes and status codes, in .json and .xml. These routes are not /api: their
errors are the spec's list of {code, description}, never problem+json, so this blueprint handles
every error of its own routes itself. Nothing personal ever leaves: the reporter and the contact
fields an Open311 client posts are stored privately and never read here. A posted media_url is
the request's media, not a contact detail: it is kept on the request and returned as the
request's media_url when there is no photo of ours (our own re-encoded photo wins).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, request, url_for
from sqlalchemy import DateTime, String, bindparam, exists, func, select, type_coerce
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import aliased
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError

from core.config import district_tz
from core.db import db, utcnow
from core.errors import BUSY_RETRY_AFTER_S
from core.extensions import csrf
from core.identity.models import Department
from core.problems import NotFound, Problem, ValidationFailed
from core.ratelimit import rate_limit
from services import keys, operations
from services import open311_format as wire
from services.models import OPEN, Category, Channel, Photo, PhotoKind, Question, ServiceRequest, Status
from services.rules import normalize_ref

web = Blueprint("open311", __name__, url_prefix="/open311")

# Every route takes every method and refuses the wrong ones itself: Werkzeug's own 405 is raised
# while routing, before any blueprint is known, and would reach the app's problem+json handler.
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
# Errors of the POST, translated from the operation's field names to the spec's parameters.
PARAMETERS = {"address": "address_string", "photos": "media", "lat": "lat", "lon": "long"}
CONTACT_FIELDS = ("email", "device_id", "account_id", "first_name", "last_name", "phone")
MAX_CONTACT = 255
# The discovery's changeset when the catalogue is empty.
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class Open311Error(Exception):
    """An answer in the spec's error format: one {code, description} per message."""

    def __init__(self, status: int, *descriptions: str, headers: dict | None = None):
        super().__init__("; ".join(descriptions))
        self.status, self.descriptions, self.headers = status, descriptions or ("Error",), headers or {}


# --- responses ---------------------------------------------------------------------------

def _respond(fmt: str, root: str, body, status: int = 200, headers: dict | None = None):
    response = current_app.response_class(wire.render(fmt, root, body), status=status,
                                          content_type=wire.CONTENT_TYPES[fmt])
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _format(fmt: str, *allowed: str) -> str:
    """The extension, checked; and the method, checked against the ones this resource has."""
    if fmt not in wire.FORMATS:
        raise Open311Error(404, f"Unknown format .{fmt}: use .json or .xml.")
    if request.method not in (*allowed, "HEAD", "OPTIONS"):
        raise Open311Error(405, f"The method {request.method} is not allowed here.",
                           headers={"Allow": ", ".join(sorted({*allowed, "HEAD", "OPTIONS"}))})
    return fmt


def _error_format() -> str:
    fmt = (request.view_args or {}).get("fmt") or request.path.rpartition(".")[2]
    return fmt if fmt in wire.FORMATS else "json"


def _errors(status: int, descriptions, headers: dict | None = None):
    body = [wire.error(status, d) for d in descriptions]
    return _respond(_error_format(), "errors", body, status, headers)


@web.errorhandler(Open311Error)
def _open311_error(error: Open311Error):
    return _errors(error.status, error.descriptions, error.headers)


@web.errorhandler(Problem)
def _problem(error: Problem):
    # ValidationFailed is 422 in our JSON API; the spec answers invalid parameters with 400.
    status = 400 if isinstance(error, ValidationFailed) else error.status
    return _errors(status, _field_messages(error.errors) or [error.detail], error.headers)


@web.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return _errors(error.code or 500, [error.description or error.name], headers)


@web.errorhandler(PoolTimeout)
def _busy(_error: PoolTimeout):
    current_app.logger.warning("database pool exhausted on %s %s", request.method, request.path)
    return _errors(503, ["The service is busy. Please try again in a moment."],
                   {"Retry-After": str(BUSY_RETRY_AFTER_S)})


@web.errorhandler(Exception)
def _unexpected(error: Exception):
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return _errors(500, ["An unexpected error occurred."])


def _field_messages(errors: dict | None) -> list[str]:
    return [f"{PARAMETERS.get(field, field)}: {message}" for field, messages in (errors or {}).items()
            for message in (messages if isinstance(messages, list) else [messages])]


def _tz() -> ZoneInfo:
    return district_tz()


# --- discovery and the catalogue ---------------------------------------------------------

@web.route("/discovery.<fmt>", methods=METHODS)
def discovery(fmt: str):
    fmt = _format(fmt, "GET")
    changed = db.session.scalar(select(func.max(Category.created_at))) or EPOCH
    services_url = url_for("open311.services", fmt="json", _external=True)
    body = wire.discovery(
        changeset=wire.iso(changed, _tz()),
        contact=current_app.config["OPEN311_CONTACT"], key_service=current_app.config["OPEN311_KEY_SERVICE"],
        url=services_url.rsplit("/", 1)[0])
    return _respond(fmt, "discovery", body)


@web.route("/v2/services.<fmt>", methods=METHODS)
def services(fmt: str):
    fmt = _format(fmt, "GET")
    has_questions = exists().where(Question.category_id == Category.id)
    rows = db.session.execute(
        select(Category.code, Category.name, Category.description, Category.keywords, Category.group,
               has_questions.label("has_questions"))
        .where(Category.active.is_(True)).order_by(Category.group, Category.name, Category.id))
    body = [wire.service(code=r.code, name=r.name, description=r.description, has_questions=r.has_questions,
                         keywords=r.keywords, group=r.group) for r in rows]
    return _respond(fmt, "services", body)


@web.route("/v2/services/<service_code>.<fmt>", methods=METHODS)
def service_definition(service_code: str, fmt: str):
    fmt = _format(fmt, "GET")
    try:
        category = operations.category_by_code(service_code)
    except NotFound:
        raise Open311Error(404, f"service_code: No service {service_code[:64]}.") from None
    attributes = [wire.attribute(order, code=q.code, prompt=q.prompt, datatype=q.datatype.value,
                                 required=q.required, choices=q.choices)
                  for order, q in enumerate(operations.questions_of(category.id), start=1)]
    return _respond(fmt, "service_definition", wire.service_definition(category.code, attributes))


# --- service requests --------------------------------------------------------------------

def _api_key_fingerprint() -> str:
    # The limit is per client; a hash, so that no plaintext key is ever written to Redis.
    return keys.hash_key(request.form.get("api_key", ""))[:32]


@web.route("/v2/requests.<fmt>", methods=METHODS)
@rate_limit(lambda: current_app.config["OPEN311_RATE_LIMIT"],
            key=_api_key_fingerprint, scope="open311-post")
def requests_(fmt: str):
    fmt = _format(fmt, "GET", "POST")
    if request.method == "POST":
        return _create(fmt)
    args = request.args
    try:
        refs = [normalize_ref(r) for r in wire.comma_list(args.get("service_request_id"))]
        if len(refs) > wire.MAX_IDS:
            raise wire.BadParameter("service_request_id", f"At most {wire.MAX_IDS} at once.")
        # "service_request_id ... overrides all other arguments."
        if refs:
            rows = _request_rows(refs=refs)
        else:
            start, end = wire.date_window(args.get("start_date"), args.get("end_date"), utcnow())
            rows = _request_rows(codes=wire.comma_list(args.get("service_code")), start=start, end=end,
                                 statuses=wire.parse_statuses(args.get("status")))
    except wire.BadParameter as exc:
        raise Open311Error(400, str(exc)) from None
    if fmt == "json":
        return _respond_json(_json_list(rows))
    return _respond(fmt, "service_requests", _serialise(rows))


@web.route("/v2/requests/<service_request_id>.<fmt>", methods=METHODS)
def request_one(service_request_id: str, fmt: str):
    fmt = _format(fmt, "GET")
    rows = _request_rows(refs=[normalize_ref(service_request_id)])
    if not rows:
        raise Open311Error(404, f"service_request_id: No request {service_request_id[:64]}.")
    return _respond(fmt, "service_requests", _serialise(rows))


# Open311 clients hold an API key, not a session cookie: nothing here for CSRF to protect (the
# POST of requests needs the key), and a POST to a read-only resource should hear 405, not
# "CSRF token missing".
csrf.exempt(web)


@web.route("/<path:rest>", methods=METHODS)
def unknown(rest: str):
    raise Open311Error(404, "No such Open311 resource.")


def _request_rows(*, refs: list[str] | None = None, codes: list[str] | None = None,
                  start: datetime | None = None, end: datetime | None = None,
                  statuses: set[str] | None = None) -> list[wire.RequestRow]:
    """Plain columns in one joined query, newest first, at most MAX_RESULTS, each with the token of
    its first report photo."""
    status = "open" if statuses == {"open"} else "closed" if statuses == {"closed"} else None
    stmt = _list_statement(db.session.get_bind().dialect.name, bool(refs), bool(codes), start is not None,
                           end is not None, status)
    params = {"refs": refs, "codes": codes, "start": start, "end": end, "limit": wire.MAX_RESULTS}
    # On the Core connection, fetched at once: plain tuples, none of the ORM's per-row bookkeeping
    # and no row-by-row fetching.
    rows = db.session.connection().execute(stmt, {k: v for k, v in params.items() if v is not None}).all()
    return list(map(wire.RequestRow._make, rows))


@cache
def _list_statement(dialect: str, refs: bool, codes: bool, start: bool, end: bool, status: str | None):
    """Built once per shape of question and process: building the 20-column join cost as much as
    running it. The first photo is a correlated subquery, one index probe a row, instead of a
    second query whose IN list of 1,000 ids the driver and the planner had to read anew each time."""
    r = ServiceRequest
    original = aliased(ServiceRequest)
    first_photo = (select(Photo.token).where(Photo.request_id == r.id, Photo.kind == PhotoKind.REPORT)
                   .order_by(Photo.id).limit(1).correlate(r).scalar_subquery())
    # The enums as their stored strings and the moments as the driver gives them (wire.iso takes
    # SQLite's naive UTC too): converting 5,000 values a response into objects only to write them
    # out again as text was a tenth of its time.
    def raw(column, type_):
        return type_coerce(column, type_).label(column.key)

    moment = DateTime(timezone=True)
    column = {"id": r.id, "ref": r.ref, "status": raw(r.status, String), "resolution": raw(r.resolution, String),
              "resolution_note": r.resolution_note, "referral": r.referral, "duplicate_ref": original.ref,
              "service_code": Category.code, "service_name": Category.name, "agency": Department.name,
              "description": r.description, "created_at": raw(r.created_at, moment),
              "updated_at": raw(r.updated_at, moment), "closed_at": raw(r.closed_at, moment),
              "expected_at": raw(r.expected_at, moment), "address": r.address, "lat": r.lat, "lon": r.lon,
              "media_url": r.media_url, "photo_token": first_photo}
    # Newest first is a walk down ix_service_request_created. SQLite, without statistics, would rather
    # start from the category index and sort the whole category (40 ms instead of 5): "+ 0" keeps it
    # off that index. PostgreSQL has statistics, and the expression would only spoil its estimates.
    category_id = r.category_id + 0 if dialect == "sqlite" else r.category_id
    stmt = (select(*(column[name] for name in wire.RequestRow._fields))
            .join(Category, Category.id == category_id)
            .join(Department, Department.id == r.department_id)
            .outerjoin(original, original.id == r.duplicate_of_id))
    if refs:
        stmt = stmt.where(r.ref.in_(bindparam("refs", expanding=True)))
    if codes:
        stmt = stmt.where(Category.code.in_(bindparam("codes", expanding=True)))
    if start:
        stmt = stmt.where(r.created_at >= bindparam("start", type_=r.created_at.type))
    if end:
        stmt = stmt.where(r.created_at <= bindparam("end", type_=r.created_at.type))
    if status == "open":
        stmt = stmt.where(r.status.in_(OPEN))
    elif status == "closed":
        stmt = stmt.where(r.status == Status.RESOLVED)
    return stmt.order_by(r.created_at.desc(), r.id.desc()).limit(bindparam("limit"))


def _photo_url_parts() -> tuple[str, str]:
    """(before, after) the token in a public photo URL: built once per response, not per row."""
    sentinel = "__token__"
    try:
        url = url_for("reports.photo", token=sentinel, _external=True)
    except BuildError:
        # The public photo route belongs to the reports pages; without it, this is its address.
        return f"{request.host_url}photos/", ".jpg"
    before, _, after = url.rpartition(sentinel)
    return before, after


def _serialise(rows: list[wire.RequestRow]) -> list[dict]:
    """media_url: our own first photo when there is one (checked, re-encoded, served by us), else
    the URL the client posted, else null."""
    tz = _tz()
    before, after = _photo_url_parts() if any(row.photo_token for row in rows) else ("", "")
    return [wire.service_request(row, tz=tz, media_url=f"{before}{row.photo_token}{after}" if row.photo_token
                                 else row.media_url or None)
            for row in rows]


def _json_list(rows: list[wire.RequestRow]) -> bytes:
    """The list as JSON, each request written once per worker for as long as its row reads the
    same: the row's every column is the memo's key, so any change to it (a new status, a renamed
    service, a first photo) writes it afresh. Lists are read over and over while few rows change,
    and writing 1,000 requests was most of the time a list took."""
    tz = _tz()
    parts = _photo_url_parts() if any(row.photo_token for row in rows) else ("", "")
    return ("[" + ",".join([_request_json(row, tz, parts) for row in rows]) + "]").encode("utf-8")


@lru_cache(maxsize=4 * wire.MAX_RESULTS)
def _request_json(row: wire.RequestRow, tz: ZoneInfo, photo_url: tuple[str, str]) -> str:
    before, after = photo_url
    body = wire.service_request(row, tz=tz, media_url=f"{before}{row.photo_token}{after}" if row.photo_token
                                else row.media_url or None)
    return wire.to_json_text(body)


def _respond_json(body: bytes):
    return current_app.response_class(body, status=200, content_type=wire.CONTENT_TYPES["json"])


def _create(fmt: str):
    form = request.form
    key = keys.verify(form.get("api_key"))
    if key is None:
        raise Open311Error(403, "api_key: Missing, wrong or revoked." if form.get("api_key")
                           else "api_key: Required to post a service request.")
    try:
        lat, lon = wire.parse_coordinate("lat", form.get("lat")), wire.parse_coordinate("long", form.get("long"))
        answers = wire.parse_attributes(form.lists())
        media_url = wire.parse_media_url(form.get("media_url"))
    except wire.BadParameter as exc:
        raise Open311Error(400, str(exc)) from None
    # With no master address repository to resolve an address_id, the id itself is what staff
    # get to find the place by.
    address = (form.get("address_string") or "").strip() or (form.get("address_id") or "").strip()
    missing = []
    if not (form.get("service_code") or "").strip():
        missing.append("service_code: Required.")
    if lat is None and lon is None and not address:
        missing.append("lat, long: Give lat and long, address_string or address_id.")
    contact = {name: form.get(name, "").strip() for name in CONTACT_FIELDS if form.get(name, "").strip()}
    missing += [f"{name}: At most {MAX_CONTACT} characters." for name, value in contact.items()
                if len(value) > MAX_CONTACT]
    if missing:
        raise Open311Error(400, *missing)
    media = request.files.get("media")
    photo = media.read() if media else b""
    try:
        report = operations.file_report(operations.NewReport(
            category_code=form["service_code"].strip(), description=form.get("description"), lat=lat, lon=lon,
            address=address, answers=answers, photos=[photo] if photo else [], channel=Channel.OPEN311,
            contact=contact, api_key_id=key.id, media_url=media_url), now=utcnow(), area_of=operations.area_of)
    except NotFound:
        raise Open311Error(404, f"service_code: No service {form['service_code'].strip()[:64]}.") from None
    return _respond(fmt, "service_requests", [wire.created(report.ref, contact.get("account_id"))], 201)
