"""The published OpenAPI schema: valid, free of generator warnings, and naming both auth schemes."""

import yaml
from django.core.management import call_command


def test_the_schema_is_valid_and_documents_token_and_session_auth(tmp_path, db):
    path = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))

    schema = yaml.safe_load(path.read_text())
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "http", "scheme": "bearer",
        "description": "An API token issued in the admin: `Authorization: Bearer <token>` (or `Token <token>`).",
    }
    assert "cookieAuth" in schema["components"]["securitySchemes"]
    assert {"/api/v1/tickets/", "/api/v1/tickets/{id}/timeline/", "/api/v1/calendar/holidays/"} <= set(schema["paths"])
