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
    response = client.get("/vendor/swagger-ui-dist/swagger-ui-bundle.js")
    assert response.status_code == 200 and len(response.data) > 100_000
    assert client.get("/vendor/left-pad/index.js").status_code == 404
    assert client.get("/vendor/swagger-ui-dist/../../package.json").status_code == 404


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
