import json

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def post_alert():
    """POST a body to an intake endpoint with the integration's bearer token, as the tool would."""

    def post(integration, path: str, body, *, content_type: str = "application/json"):
        client = APIClient()
        data = body if isinstance(body, bytes | str) else json.dumps(body)
        return client.post(path, data=data, content_type=content_type,
                           HTTP_AUTHORIZATION=f"Bearer {integration.issued.token}")

    return post
