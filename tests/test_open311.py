"""Open311 GeoReport v2: a client's whole journey in JSON and XML, the spec's shapes checked against
the community's JSON Schemas, refusals in the spec's error format that store nothing, and the
admin page that issues and revokes API keys."""

from __future__ import annotations

import io
import json
import os
import re
import xml.etree.ElementTree as ET
from datetime import timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
from PIL import Image
from sqlalchemy import insert, select

from core.db import db, utcnow
from core.identity.models import Department, Role
from services import keys
from services import open311_format as wire
from services.models import ApiKey, Category, Channel, Photo, Question, QuestionType, Resolution, ServiceRequest, Status
from services.operations import NewReport, file_report
from tests.conftest import count

# The Open311 community's schemas are not copied into the repository: they are read from the
# shared folder beside the checkout, or wherever LINLI_OPEN311_SCHEMAS points.
_CANDIDATES = [Path(os.environ["LINLI_OPEN311_SCHEMAS"])] if os.environ.get("LINLI_OPEN311_SCHEMAS") else []
_CANDIDATES += [Path(__file__).resolve().parents[2] / "shared/open311/georeport-v2",
                Path("/work/shared/open311/georeport-v2")]
SCHEMAS = next((p for p in _CANDIDATES if p.is_dir()), _CANDIDATES[0])
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'
JSON_TYPE, XML_TYPE = "application/json; charset=utf-8", "text/xml; charset=utf-8"
PRIVATE = ("mei@example.org", "Meixiu", "Linqing", "+8613912345678", "device-7f3a", "acct-991")


# --- fixtures ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def schema():
    """schema(instance, "requests.json"): validate against the community's GeoReport v2 schemas."""
    if not SCHEMAS.is_dir():
        pytest.skip(f"Open311 JSON Schemas not found at {SCHEMAS} (the shared open311/georeport-v2 folder)")
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resources(
        (path.name, Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT202012))
        for path in SCHEMAS.glob("*.json"))

    def validate(instance, name: str) -> None:
        Draft202012Validator({"$ref": name}, registry=registry,
                             format_checker=Draft202012Validator.FORMAT_CHECKER).validate(instance)

    return validate


@pytest.fixture
def district(app):
    """The demo district's catalogue (departments, categories, questions) and one live API key."""
    from demo.district import CATEGORIES, DEPARTMENTS, QUESTIONS

    with app.app_context():
        departments = {name: Department(name=name) for name in DEPARTMENTS}
        db.session.add_all(departments.values())
        db.session.flush()
        for code, name, group, dept, sla, icon, keywords in CATEGORIES:
            category = Category(code=code, name=name, group=group, department_id=departments[dept].id,
                                sla_hours=sla, icon=icon, keywords=keywords, description=f"Report a {name.lower()}.")
            db.session.add(category)
            db.session.flush()
            for position, (q_code, prompt, datatype, required, choices) in enumerate(QUESTIONS.get(code, [])):
                db.session.add(Question(category_id=category.id, code=q_code, prompt=prompt, datatype=datatype,
                                        required=required, position=position,
                                        choices=[{"key": k, "name": n} for k, n in choices]))
        plaintext, key = keys.issue("City app", None, utcnow())
        db.session.commit()
        return {"key": plaintext, "key_id": key.id}


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


LAMP = {"service_code": "streetlight", "lat": "31.1601", "long": "121.5012", "attribute[lamp]": "flickering",
        "description": "The lamp outside number 12 flickers all night."}


def post(client, key: str | None, fmt: str = "json", **fields):
    """A form post as an Open311 client sends it: an API key, no session, no CSRF token."""
    data = {**({"api_key": key} if key is not None else {}), **fields}
    return client.post(f"/open311/v2/requests.{fmt}", data=data, csrf=False)


def xml_of(response) -> ET.Element:
    assert response.content_type == XML_TYPE
    assert response.data.startswith(XML_DECLARATION)
    return ET.fromstring(response.data)


def errors_of(response, status: int, fmt: str = "json") -> list[str]:
    """The spec's error format, whatever the status: a list of {code, description}."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert "problem" not in response.content_type
    if fmt == "json":
        assert response.content_type == JSON_TYPE
        body = response.get_json()
        assert isinstance(body, list) and body
        assert all(set(e) == {"code", "description"} and e["code"] == status and e["description"] for e in body)
        return [e["description"] for e in body]
    root = xml_of(response)
    assert root.tag == "errors" and len(root) >= 1
    assert all(e.tag == "error" and [c.tag for c in e] == ["code", "description"] for e in root)
    assert all(e.findtext("code") == str(status) for e in root)
    return [e.findtext("description") for e in root]


def stored(app) -> tuple[int, int]:
    return count(app, ServiceRequest), count(app, Photo)


# --- discovery and the catalogue -------------------------------------------------------------

def test_discovery_in_json_and_xml(client, district):
    body = client.get("/open311/discovery.json")
    assert body.status_code == 200 and body.content_type == JSON_TYPE
    doc = body.get_json()
    assert set(doc) == {"changeset", "contact", "key_service", "endpoints"}
    (endpoint,) = doc["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://localhost/open311/v2" and endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", doc["changeset"])
    # The advertised base really serves the spec's resources.
    assert client.get(endpoint["url"].removeprefix("http://localhost") + "/services.json").status_code == 200

    root = xml_of(client.get("/open311/discovery.xml"))
    assert root.tag == "discovery"
    assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = root.find("endpoints/endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]


def test_services_and_definitions_match_the_community_schemas(client, district, schema):
    services = client.get("/open311/v2/services.json")
    assert services.status_code == 200 and services.content_type == JSON_TYPE
    schema(services.get_json(), "services.json")
    by_code = {s["service_code"]: s for s in services.get_json()}
    assert set(by_code) == {"streetlight", "pothole", "drain", "litter", "tree"}
    assert by_code["streetlight"] == {
        "service_code": "streetlight", "service_name": "Broken streetlight",
        "description": "Report a broken streetlight.", "metadata": True, "type": "realtime",
        "keywords": "light, dark, lamp", "group": "Streets"}
    assert by_code["litter"]["metadata"] is False

    definition = client.get("/open311/v2/services/streetlight.json")
    assert definition.status_code == 200
    schema(definition.get_json(), "service-definition.json")
    lamp, pole = definition.get_json()["attributes"]
    assert (lamp["code"], lamp["datatype"], lamp["required"], lamp["order"], lamp["variable"]) == \
        ("lamp", "singlevaluelist", True, 1, True)
    assert lamp["description"] == "What is the lamp doing?" and lamp["datatype_description"]
    assert [v["key"] for v in lamp["values"]] == ["off", "flickering", "day"]
    assert (pole["code"], pole["datatype"], pole["required"], pole["order"]) == ("pole_number", "string", False, 2)
    assert "values" not in pole
    assert client.get("/open311/v2/services/litter.json").get_json() == {"service_code": "litter", "attributes": []}


def test_services_and_definitions_in_xml(client, district):
    root = xml_of(client.get("/open311/v2/services.xml"))
    assert root.tag == "services" and {s.tag for s in root} == {"service"}
    light = next(s for s in root if s.findtext("service_code") == "streetlight")
    assert [c.tag for c in light] == ["service_code", "service_name", "description", "metadata", "type", "keywords",
                                      "group"]
    assert light.findtext("metadata") == "true" and light.findtext("type") == "realtime"

    root = xml_of(client.get("/open311/v2/services/streetlight.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "streetlight"
    lamp = root.find("attributes/attribute")
    assert [c.tag for c in lamp] == ["variable", "code", "datatype", "required", "datatype_description", "order",
                                     "description", "values"]
    assert (lamp.findtext("variable"), lamp.findtext("required"), lamp.findtext("order")) == ("true", "true", "1")
    assert [(v.findtext("key"), v.findtext("name")) for v in lamp.findall("values/value")][0] == ("off",
                                                                                                   "Off at night")


def test_unknown_service_is_404_in_the_spec_format(client, district):
    for fmt in wire.FORMATS:
        (message,) = errors_of(client.get(f"/open311/v2/services/parking.{fmt}"), 404, fmt)
        assert "service_code" in message


# --- posting and reading back ------------------------------------------------------------------

def test_client_posts_a_request_and_reads_it_back_in_json(app, client, district, schema):
    response = post(client, district["key"], **LAMP, **{"attribute[pole_number]": "SL-0417"},
                    email="mei@example.org", first_name="Meixiu", last_name="Linqing", phone="+8613912345678",
                    device_id="device-7f3a", account_id="acct-991", media_url="https://example.org/lamp.jpg")
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.content_type == JSON_TYPE
    (created,) = response.get_json()
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    ref = created["service_request_id"]
    assert isinstance(ref, str) and created["account_id"] == "acct-991"

    with app.app_context():
        report = db.session.scalars(select(ServiceRequest).where(ServiceRequest.ref == ref)).one()
        assert report.channel is Channel.OPEN311 and report.api_key_id == district["key_id"]
        assert report.answers == {"lamp": "flickering", "pole_number": "SL-0417"}
        assert report.contact == {"email": "mei@example.org", "first_name": "Meixiu", "last_name": "Linqing",
                                  "phone": "+8613912345678", "device_id": "device-7f3a", "account_id": "acct-991"}
        assert report.media_url == "https://example.org/lamp.jpg"  # the request's media, not a contact detail
        assert report.reporter_id is None

    one = client.get(f"/open311/v2/requests/{ref}.json")
    assert one.status_code == 200 and one.content_type == JSON_TYPE
    schema(one.get_json(), "requests.json")
    (request,) = one.get_json()
    schema(request, "request.json")
    assert request["service_request_id"] == ref and request["status"] == "open"
    assert (request["service_code"], request["service_name"]) == ("streetlight", "Broken streetlight")
    assert request["agency_responsible"] == "Roads and Lighting"
    assert request["description"] == LAMP["description"]
    assert (request["lat"], request["long"]) == (31.1601, 121.5012)
    assert request["media_url"] == "https://example.org/lamp.jpg"
    assert request["address_id"] == "" and request["zipcode"] == ""
    for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert request[field].endswith("+08:00"), request[field]
    assert request["expected_datetime"] > request["requested_datetime"]
    # The reference is found however a person types it.
    assert client.get(f"/open311/v2/requests/{ref.lower().replace('-', '')}.json").get_json() == [request]

    listing = client.get("/open311/v2/requests.json")
    schema(listing.get_json(), "requests.json")
    assert listing.get_json() == [request]
    for answer in (one, listing, client.get(f"/open311/v2/requests/{ref}.xml"), client.get("/open311/v2/requests.xml")):
        assert not any(private in answer.get_data(as_text=True) for private in PRIVATE)


def test_client_posts_with_a_photo_and_several_values_in_xml(app, client, district):
    with app.app_context():
        pothole = db.session.scalar(select(Category.id).where(Category.code == "pothole"))
        db.session.add(Question(category_id=pothole, code="where", prompt="Where is it?", datatype=QuestionType.MULTI,
                                required=True, position=5,
                                choices=[{"key": "road", "name": "Road"}, {"key": "kerb", "name": "Kerb"},
                                         {"key": "path", "name": "Footpath"}]))
        db.session.commit()
    definition = xml_of(client.get("/open311/v2/services/pothole.xml"))
    where = definition.findall("attributes/attribute")[-1]
    assert where.findtext("datatype") == "multivaluelist" and where.findtext("order") == "2"

    response = client.post("/open311/v2/requests.xml", csrf=False, content_type="multipart/form-data", data={
        "api_key": district["key"], "service_code": "pothole", "address_string": "Dongming Road 88, by the bus stop",
        "description": "Deep hole", "attribute[where][]": ["path", "road"],
        "media": (io.BytesIO(jpeg()), "hole.jpg", "image/jpeg")})
    assert response.status_code == 201, response.get_data(as_text=True)
    root = xml_of(response)
    assert root.tag == "service_requests"
    (created,) = root
    assert created.tag == "request" and [c.tag for c in created] == ["service_request_id", "service_notice",
                                                                     "account_id"]
    ref = created.findtext("service_request_id")
    with app.app_context():
        report = db.session.scalars(select(ServiceRequest).where(ServiceRequest.ref == ref)).one()
        assert report.answers == {"where": ["road", "path"]} and report.lat is None
        token = db.session.scalar(select(Photo.token).where(Photo.request_id == report.id))

    root = xml_of(client.get(f"/open311/v2/requests/{ref}.xml"))
    assert root.tag == "service_requests"
    (request,) = root
    assert request.tag == "request"
    assert [c.tag for c in request] == [
        "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
        "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
        "address", "address_id", "zipcode", "lat", "long", "media_url"]
    assert request.findtext("service_request_id") == ref and request.findtext("status") == "open"
    assert request.findtext("address") == "Dongming Road 88, by the bus stop"
    assert request.find("lat").text is None and request.find("long").text is None
    assert request.findtext("media_url") == f"http://localhost/photos/{token}.jpg"
    assert request.findtext("requested_datetime").endswith("+08:00")


def test_multivaluelist_repeating_the_plain_attribute_also_works(app, client, district):
    with app.app_context():
        drain = db.session.scalar(select(Category.id).where(Category.code == "drain"))
        db.session.add(Question(category_id=drain, code="seen", prompt="Seen", datatype=QuestionType.MULTI,
                                position=9, choices=[{"key": "a", "name": "A"}, {"key": "b", "name": "B"}]))
        db.session.commit()
    response = post(client, district["key"], service_code="drain", lat="31.16", long="121.5", description="Blocked",
                    **{"attribute[flooding]": "yes", "attribute[seen]": ["b", "a"]})
    assert response.status_code == 201, response.get_data(as_text=True)
    with app.app_context():
        answers = db.session.scalar(select(ServiceRequest.answers))
    assert answers == {"flooding": "yes", "seen": ["a", "b"]}


# --- the list and its filters ------------------------------------------------------------------

def _file(code: str, now, description: str = "Something is wrong here", **answers) -> str:
    answers = answers or ({"lamp": "off"} if code == "streetlight" else {"flooding": "no"} if code == "drain" else {})
    report = file_report(NewReport(category_code=code, description=description, lat=31.16, lon=121.5,
                                   answers=answers, channel=Channel.OPEN311), now=now)
    return report.ref


def _close(ref: str, resolution: Resolution, note: str, now, **fields) -> None:
    report = db.session.scalars(select(ServiceRequest).where(ServiceRequest.ref == ref)).one()
    report.status, report.resolution, report.resolution_note = Status.RESOLVED, resolution, note
    report.closed_at = report.updated_at = now
    for name, value in fields.items():
        setattr(report, name, value)


def test_list_filters_defaults_and_status_notes(app, client, district, schema):
    now = utcnow()
    with app.app_context():
        old = _file("streetlight", now - timedelta(days=120))
        light = _file("streetlight", now - timedelta(days=3))
        drain = _file("drain", now - timedelta(days=2))
        hole = _file("pothole", now - timedelta(days=1))
        repeat = _file("pothole", now - timedelta(hours=5))
        _close(light, Resolution.FIXED, "Replaced the lamp.", now - timedelta(days=1))
        original = db.session.scalar(select(ServiceRequest.id).where(ServiceRequest.ref == hole))
        _close(repeat, Resolution.DUPLICATE, "Already reported.", now - timedelta(hours=1), duplicate_of_id=original)
        db.session.commit()

    def refs(query: str = "", fmt: str = "json") -> list[str]:
        response = client.get(f"/open311/v2/requests.{fmt}{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        if fmt == "xml":
            return [r.findtext("service_request_id") for r in xml_of(response)]
        schema(response.get_json(), "requests.json")
        return [r["service_request_id"] for r in response.get_json()]

    # The last 90 days, newest first; the 120-day-old report is outside the default window.
    assert refs() == [repeat, hole, drain, light] == refs(fmt="xml")
    assert refs("?status=open") == [hole, drain]
    assert refs("?status=closed") == [repeat, light]
    assert refs("?status=open,closed") == refs()
    assert refs("?service_code=pothole,drain") == [repeat, hole, drain]
    assert refs("?service_code=streetlight&status=closed") == [light]
    assert refs("?service_code=parking") == []
    # A window in the past, in another time zone, with the "+" of its offset encoded...
    start, end = now - timedelta(days=125), now - timedelta(days=100)
    new_york = timezone(timedelta(hours=-5))
    window = f"?start_date={quote(start.astimezone(new_york).isoformat())}&end_date={quote(end.isoformat())}"
    assert refs(window) == [old]
    # ... or not: a raw "+" in a query string arrives as a space.
    assert refs(f"?start_date={(now - timedelta(days=4)).strftime('%Y-%m-%dT%H:%M:%S')}+08:00") == \
        [repeat, hole, drain, light]
    assert refs(f"?end_date={quote((now - timedelta(days=100)).isoformat())}") == [old]
    # service_request_id overrides every other argument.
    assert sorted(refs(f"?service_request_id={old},{drain}&status=closed&service_code=tree")) == sorted([old, drain])

    closed = {r["service_request_id"]: r for r in client.get("/open311/v2/requests.json?status=closed").get_json()}
    assert closed[light]["status"] == "closed" and closed[light]["status_notes"] == "fixed: Replaced the lamp."
    assert closed[repeat]["status_notes"] == f"duplicate of {hole}: Already reported."
    assert closed[light]["updated_datetime"] == wire.iso(now - timedelta(days=1), _shanghai())


def _shanghai():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


BAD_QUERIES = [
    ("status=pending", "status"),
    ("start_date=2026-11-01T08:00:00", "start_date"),
    ("start_date=2026-11-01", "start_date"),
    ("end_date=yesterday", "end_date"),
    ("start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "end_date"),
    ("start_date=2026-06-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", "end_date"),
    # At the calendar's ends the 90-day window would overflow: refused, not a 500.
    ("start_date=9999-12-31T00:00:00Z", "start_date"),
    ("end_date=0001-01-02T00:00:00Z", "end_date"),
]


def test_bad_list_parameters_are_400(client, district):
    # One app for all the cases: each is one request, and a fresh database per case costs more than the case.
    for query, parameter in BAD_QUERIES:
        (message,) = errors_of(client.get(f"/open311/v2/requests.json?{query}"), 400)
        assert message.startswith(f"{parameter}:"), (query, message)
        errors_of(client.get(f"/open311/v2/requests.xml?{query}"), 400, "xml")


def test_the_list_stops_at_1000_newest_first(app, client, district):
    now = utcnow()
    with app.app_context():
        category, department = db.session.execute(select(Category.id, Category.department_id)
                                                  .where(Category.code == "litter")).one()
        db.session.execute(insert(ServiceRequest), [
            {"ref": f"T{i:03d}-{i:04d}", "category_id": category, "department_id": department,
             "description": f"Bin {i}", "lat": 31.16, "lon": 121.5, "address": "", "answers": {}, "contact": {},
             "channel": Channel.APP, "status": Status.RECEIVED, "created_at": now - timedelta(minutes=i),
             "updated_at": now - timedelta(minutes=i), "expected_at": now + timedelta(hours=24)}
            for i in range(1005)])
        db.session.commit()
    body = client.get("/open311/v2/requests.json").get_json()
    assert len(body) == 1000
    assert body[0]["description"] == "Bin 0" and body[-1]["description"] == "Bin 999"


def test_unknown_request_is_404(client, district):
    for fmt in wire.FORMATS:
        (message,) = errors_of(client.get(f"/open311/v2/requests/ZZZZ-ZZZZ.{fmt}"), 404, fmt)
        assert "ZZZZ-ZZZZ" in message


# --- refusals store nothing --------------------------------------------------------------------

BAD = [
    # (what, fields over LAMP or None to drop, status, parameter named in the error, format)
    ("no location", {"lat": None, "long": None}, 400, "lat", "json"),
    ("half a location", {"long": None}, 400, "lat", "xml"),
    ("latitude not a number", {"lat": "north"}, 400, "lat", "json"),
    ("latitude off the earth", {"lat": "123.0"}, 400, "lat", "xml"),
    ("no service_code", {"service_code": None}, 400, "service_code", "json"),
    ("unknown service_code", {"service_code": "parking"}, 404, "service_code", "xml"),
    ("required attribute missing", {"attribute[lamp]": None}, 400, "attribute[lamp]", "json"),
    ("value not in the list", {"attribute[lamp]": "sparking"}, 400, "attribute[lamp]", "xml"),
    ("attribute of another service", {"attribute[flooding]": "yes"}, 400, "attribute[flooding]", "json"),
    ("malformed attribute name", {"attribute[lamp]]": "off"}, 400, "attribute[lamp]]", "json"),
    ("HTML in the description", {"description": "<script>alert(1)</script> lamp"}, 400, "description", "json"),
    ("HTML in an attribute", {"attribute[pole_number]": "<b>7</b>"}, 400, "attribute[pole_number]", "xml"),
    ("email too long", {"email": "m" * 300 + "@example.org"}, 400, "email", "json"),
    ("media_url a script", {"media_url": "javascript:alert(1)"}, 400, "media_url", "json"),
    ("media_url a local file", {"media_url": "file:///etc/passwd"}, 400, "media_url", "xml"),
    ("media_url not absolute", {"media_url": "/photos/1.jpg"}, 400, "media_url", "json"),
    ("media_url with a password", {"media_url": "https://me:secret@example.org/a.jpg"}, 400, "media_url", "json"),
    ("media_url with spaces", {"media_url": "https://example.org/my lamp.jpg"}, 400, "media_url", "json"),
    ("media_url too long", {"media_url": "https://example.org/" + "a" * 2100}, 400, "media_url", "xml"),
]


def test_bad_posts_are_refused_and_store_nothing(app, client, district):
    for what, change, status, parameter, fmt in BAD:
        fields = {k: v for k, v in {**LAMP, **change}.items() if v is not None}
        messages = errors_of(post(client, district["key"], fmt, **fields), status, fmt)
        assert any(m.startswith((f"{parameter}:", f"{parameter},")) for m in messages), (what, messages)
        assert stored(app) == (0, 0), what


def test_a_posted_media_url_is_the_requests_media_unless_we_have_a_photo_of_our_own(app, client, district, schema):
    linked = post(client, district["key"], "xml", **LAMP, media_url="http://photos.example.org/p/638344.jpg?s=2")
    assert linked.status_code == 201, linked.get_data(as_text=True)
    ref = xml_of(linked).findtext("request/service_request_id")
    both = client.post("/open311/v2/requests.json", csrf=False, content_type="multipart/form-data", data={
        "api_key": district["key"], **LAMP, "media_url": "https://example.org/theirs.jpg",
        "media": (io.BytesIO(jpeg()), "lamp.jpg", "image/jpeg")})
    assert both.status_code == 201, both.get_data(as_text=True)
    (created,) = both.get_json()
    with app.app_context():
        token = db.session.scalar(select(Photo.token))

    (one,) = client.get(f"/open311/v2/requests/{ref}.json").get_json()
    assert one["media_url"] == "http://photos.example.org/p/638344.jpg?s=2"
    assert xml_of(client.get(f"/open311/v2/requests/{ref}.xml")).findtext("request/media_url") == one["media_url"]
    listing = client.get("/open311/v2/requests.json").get_json()
    schema(listing, "requests.json")
    media = {r["service_request_id"]: r["media_url"] for r in listing}
    # Our own photo (checked, re-encoded, served by us) wins over the link the client sent.
    assert media == {ref: one["media_url"], created["service_request_id"]: f"http://localhost/photos/{token}.jpg"}
    listed = {r.findtext("service_request_id"): r.findtext("media_url")
              for r in xml_of(client.get("/open311/v2/requests.xml"))}
    assert listed == media


def test_the_description_is_optional_as_the_specification_says(app, client, district):
    fields = {k: v for k, v in LAMP.items() if k != "description"}
    response = post(client, district["key"], "json", **fields)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert stored(app)[0] == 1


def test_a_text_file_named_jpg_is_refused_and_stores_nothing(app, client, district):
    response = client.post("/open311/v2/requests.json", csrf=False, content_type="multipart/form-data", data={
        "api_key": district["key"], **LAMP, "media": (io.BytesIO(b"just some text, not a photo\n" * 20), "lamp.jpg",
                                                       "image/jpeg")})
    (message,) = errors_of(response, 400)
    assert message.startswith("media:")
    assert stored(app) == (0, 0)


def test_every_field_error_is_its_own_entry(app, client, district):
    messages = errors_of(post(client, district["key"], service_code="streetlight", address_string="Dongming Road",
                              description="<b>bold</b>"), 400)
    assert sorted(m.split(":")[0] for m in messages) == ["attribute[lamp]", "description"]
    assert stored(app) == (0, 0)


def test_missing_or_wrong_api_key_is_403_and_stores_nothing(app, client, district):
    for key, fmt in [(None, "json"), ("", "xml"), ("not-a-key", "json"), ("x" * 5000, "xml"),
                     (district["key"][:-1], "json")]:
        (message,) = errors_of(post(client, key, fmt, **LAMP), 403, fmt)
        assert message.startswith("api_key:")
    # Nothing else is looked at before the key: a bad report without a key is still a 403.
    errors_of(post(client, None, service_code="parking"), 403)
    assert stored(app) == (0, 0)


def test_a_revoked_key_is_403(app, client, district):
    assert post(client, district["key"], **LAMP).status_code == 201
    with app.app_context():
        keys.revoke(district["key_id"], utcnow())
        db.session.commit()
    errors_of(post(client, district["key"], **LAMP), 403)
    assert stored(app) == (1, 0)


def test_posts_are_rate_limited_per_key_in_the_spec_format(app, client, district):
    app.config["OPEN311_RATE_LIMIT"] = "2 per minute"
    assert [post(client, district["key"], **LAMP).status_code for _ in range(2)] == [201, 201]
    refused = post(client, district["key"], "xml", **LAMP)
    errors_of(refused, 429, "xml")
    assert int(refused.headers["Retry-After"]) >= 1
    assert stored(app) == (2, 0)


# --- errors stay in the spec's format ----------------------------------------------------------

def test_unknown_formats_paths_and_methods(app, client, district):
    errors_of(client.get("/open311/v2/services.csv"), 404)
    errors_of(client.get("/open311/v2/services"), 404)
    errors_of(client.get("/open311/v2/nothing-here.xml"), 404, "xml")
    errors_of(client.get("/open311/discovery.yaml"), 404)
    wrong = client.delete("/open311/v2/requests.xml", csrf=False)
    errors_of(wrong, 405, "xml")
    assert set(wrong.headers["Allow"].split(", ")) >= {"GET", "POST"}
    errors_of(client.post("/open311/v2/services.json", csrf=False), 405)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    errors_of(client.post("/open311/v2/requests.json", csrf=False, data={**LAMP, "description": "x" * 4096}), 413)
    assert stored(app) == (0, 0)


# --- admins issue and revoke keys --------------------------------------------------------------

def test_admin_issues_a_key_that_works_once_shown_then_revokes_it(app, client, signed_in, district):
    admin, admin_id = signed_in(Role.ADMIN)
    page = admin.get("/admin/open311-keys")
    assert page.status_code == 200 and "City app" in page.get_data(as_text=True)

    issued = admin.post("/admin/open311-keys", data={"name": "Neighbourhood watch app"})
    assert issued.status_code == 201 and issued.headers["Cache-Control"] == "no-store"
    plaintext = re.search(r'id="new-key"[^>]*>([^<]+)<', issued.get_data(as_text=True)).group(1).strip()
    with app.app_context():
        key = db.session.scalars(select(ApiKey).where(ApiKey.name == "Neighbourhood watch app")).one()
        assert key.created_by == admin_id and key.key_hash == keys.hash_key(plaintext)
        assert key.prefix == plaintext[:8] and plaintext not in (key.key_hash, key.prefix)
        key_id = key.id
    # Shown once: the page lists the prefix, never the key again.
    later = admin.get("/admin/open311-keys").get_data(as_text=True)
    assert plaintext not in later and plaintext[:8] in later

    response = post(client, plaintext, **LAMP)
    assert response.status_code == 201
    with app.app_context():
        assert db.session.scalar(select(ServiceRequest.api_key_id)) == key_id

    revoked = admin.post(f"/admin/open311-keys/{key_id}/revoke")
    assert revoked.status_code == 302
    errors_of(post(client, plaintext, **LAMP), 403)
    assert stored(app) == (1, 0)
    assert "Revoked" in admin.get("/admin/open311-keys").get_data(as_text=True)
    # The other key is untouched.
    assert post(client, district["key"], **LAMP).status_code == 201


def test_a_key_needs_a_name_and_a_csrf_token(app, signed_in, district):
    admin, _ = signed_in(Role.ADMIN)
    assert admin.post("/admin/open311-keys", data={"name": "  "}).status_code == 422
    assert admin.post("/admin/open311-keys", data={"name": "Sneaky"}, csrf=False).status_code == 400
    assert count(app, ApiKey) == 1


def test_only_admins_reach_the_keys_page(app, client, signed_in, district):
    for role in (Role.RESIDENT, Role.STAFF, Role.MERCHANT):
        other, _ = signed_in(role)
        assert other.get("/admin/open311-keys").status_code == 403
        assert other.post("/admin/open311-keys", data={"name": "Mine"}).status_code == 403
        assert other.post(f"/admin/open311-keys/{district['key_id']}/revoke").status_code == 403
    assert client.get("/admin/open311-keys").status_code in (302, 401)
    assert count(app, ApiKey) == 1
    with app.app_context():
        assert keys.verify(district["key"]) is not None


# --- the wire format, pure ---------------------------------------------------------------------

def test_attributes_are_read_as_the_spec_writes_them():
    fields = [("attribute[a]", ["1"]), ("attribute[b][]", ["x"]), ("attribute[c]", ["p", "q"]), ("api_key", ["k"]),
              ("attribute[d][]", ["", "y"]), ("attribute[e]", [""])]
    assert wire.parse_attributes(fields) == {"a": "1", "b": ["x"], "c": ["p", "q"], "d": ["y"], "e": ""}
    with pytest.raises(wire.BadParameter):
        wire.parse_attributes([("attribute[a][b]", ["1"])])


def test_datetimes_need_a_time_zone():
    assert wire.parse_datetime("d", "2026-11-22T18:30:00Z").utcoffset() == timedelta(0)
    assert wire.parse_datetime("d", "2026-11-22T18:30:00 08:00").utcoffset() == timedelta(hours=8)
    for bad in ("2026-11-22", "2026-11-22T18:30:00", "tomorrow", ""):
        with pytest.raises(wire.BadParameter):
            wire.parse_datetime("d", bad)


def test_xml_survives_characters_xml_cannot_carry():
    document = wire.to_xml("service_requests", [{"description": "bell\x07 & <tag> \u4f60\u597d", "lat": None,
                                                 "ok": True}])
    assert document.startswith(XML_DECLARATION)
    request = ET.fromstring(document).find("request")
    assert request.findtext("description") == "bell & <tag> \u4f60\u597d"
    assert request.find("lat").text is None and request.findtext("ok") == "true"


def test_status_notes_say_why():
    notes = wire.status_notes
    assert notes(status="received", resolution=None, note="", duplicate_ref=None, referral="") == ""
    assert notes(status="in_progress", resolution=None, note="", duplicate_ref=None, referral="") == "in progress"
    assert notes(status="resolved", resolution="not_ours", note="Power company.", duplicate_ref=None,
                 referral="State Grid") == "not ours: referred to State Grid: Power company."
    assert notes(status="resolved", resolution="not_found", note="", duplicate_ref=None, referral="") == "not found"


def test_photo_urls_have_an_address_even_before_the_photo_route_exists():
    from flask import Flask

    from services.open311 import _photo_url_parts

    with Flask("bare").test_request_context("/", base_url="https://linli.example"):
        assert _photo_url_parts() == ("https://linli.example/photos/", ".jpg")


def test_the_list_shows_a_change_as_soon_as_it_is_made(app, client, district):
    """Each worker keeps the requests it has written; a report that changed is written afresh."""
    now = utcnow()
    with app.app_context():
        lamp = _file("streetlight", now - timedelta(days=1))
        db.session.commit()

    def listed() -> dict:
        (request,) = client.get("/open311/v2/requests.json").get_json()
        return request

    assert listed()["status"] == "open" and listed()["status_notes"] == ""
    with app.app_context():
        _close(lamp, Resolution.FIXED, "Replaced the lamp.", now)
        db.session.commit()
    assert listed()["status"] == "closed" and listed()["status_notes"] == "fixed: Replaced the lamp."
    with app.app_context():
        db.session.execute(Category.__table__.update().where(Category.code == "streetlight")
                           .values(name="Street lamp out"))
        db.session.commit()
    assert listed()["service_name"] == "Street lamp out"
