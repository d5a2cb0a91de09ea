import html

import pytest

from tickets.models import Service


def page_text(response) -> str:
    """The page as a person reads it: entities such as &#x27; turned back into characters."""
    return html.unescape(response.content.decode())


@pytest.fixture
def wifi(db, service_desk):
    return Service.objects.create(name="Wi-Fi", slug="wifi", default_group=service_desk)
