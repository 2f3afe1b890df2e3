import re

from openapi_spec_validator import validate


def test_openapi_document_is_valid_openapi_3(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    validate(spec)
    assert "/api/auth/login" in spec["paths"] and "/api/me" in spec["paths"]


def test_every_list_is_paginated(client):
    spec = client.get("/api/openapi.json").get_json()
    lists = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method != "get":
                continue
            content = operation["responses"].get("200", {}).get("content", {}).get("application/json", {})
            if content.get("schema", {}).get("type") == "array":
                lists.append(path)
                names = {p["name"] for p in operation.get("parameters", []) if "name" in p}
                assert {"page", "page_size"} <= names, f"{path} lists without pagination"
    assert lists, "no list endpoint found: the check above would prove nothing"


def test_docs_page_is_served(client):
    response = client.get("/api/docs")
    assert response.status_code == 200 and b"swagger" in response.data.lower()


def test_docs_page_assets_come_from_the_npm_package(client):
    page = client.get("/api/docs").get_data(as_text=True)
    bundle = re.search(r'src="(/static/vendor/swagger-ui-dist/swagger-ui-bundle-[0-9a-f]{32}\.js)"', page)
    assert bundle, "the docs page should load the npm package's bundle under its hashed name"
    response = client.get(bundle.group(1))
    assert response.status_code == 200 and len(response.data) > 100_000
    assert client.get("/static/vendor/swagger-ui-dist/package.json").status_code == 404
    assert client.get("/static/vendor/swagger-ui-dist/../../../package.json").status_code == 404


def test_error_responses_are_documented_as_problem_json(client):
    spec = client.get("/api/openapi.json").get_json()
    unprocessable = spec["components"]["responses"]["UNPROCESSABLE_ENTITY"]
    assert list(unprocessable["content"]) == ["application/problem+json"]
    schema = unprocessable["content"]["application/problem+json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Problem"}
    problem = spec["components"]["schemas"]["Problem"]["properties"]
    assert {"type", "title", "status", "detail", "errors"} <= set(problem)


def test_docs_page_runs_under_the_sites_csp_without_inline_script(client):
    import re

    page = client.get("/api/docs")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert client.get("/static/js/api-docs.js").status_code == 200


def _operations(spec):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield f"{method.upper()} {path}", method, operation


def test_each_operation_lists_its_refusals_as_problem_json(client):
    """No catch-all `default`: the statuses each operation really sends (tests/test_api_fuzz.py checks them)."""
    spec = client.get("/api/openapi.json").get_json()
    components = spec["components"]["responses"]
    for name, method, operation in _operations(spec):
        responses = operation["responses"]
        assert "default" not in responses, name
        assert "400" in responses, name
        if method != "get":
            assert "413" in responses, name
        if operation.get("security"):
            assert "401" in responses, name
        if "{" in name:
            assert "404" in responses, name
        for status, response in responses.items():
            if int(status) >= 400:
                response = components[response["$ref"].rsplit("/", 1)[1]] if "$ref" in response else response
                assert list(response["content"]) == ["application/problem+json"], (name, status)


def test_protected_operations_are_documented_whatever_way_they_are_protected(client):
    # /api/me is protected by a MethodView's class-level decorators, the merchant's by method decorators.
    spec = client.get("/api/openapi.json").get_json()
    me, profile = spec["paths"]["/api/me"], spec["paths"]["/api/merchant/profile"]
    assert me["get"]["security"] == [{"session": []}] and "403" not in me["get"]["responses"]
    assert me["patch"]["security"] == [{"session": [], "csrf": []}]
    assert {"401", "403"} <= set(profile["patch"]["responses"])
    assert "429" in spec["paths"]["/api/auth/login"]["post"]["responses"]
    assert spec["components"]["responses"]["RATE_LIMITED"]["headers"]["Retry-After"]["required"] is True


def test_a_patch_body_may_be_left_out_and_problems_carry_their_extensions(client):
    spec = client.get("/api/openapi.json").get_json()
    for name, method, operation in _operations(spec):
        if method == "patch":
            assert operation["requestBody"]["required"] is False, name
    assert spec["paths"]["/api/auth/login"]["post"]["requestBody"]["required"] is True
    problem = spec["components"]["schemas"]["Problem"]["properties"]
    assert problem["unknown"] == {"type": "array", "items": {"type": "integer"},
                                  "description": problem["unknown"]["description"]}


def test_a_patch_without_a_body_changes_nothing(signed_in):
    from core.identity.models import Role

    client, _ = signed_in(Role.RESIDENT)
    before = client.get("/api/me").get_json()
    response = client.patch("/api/me")
    assert response.status_code == 200 and response.get_json() == before
