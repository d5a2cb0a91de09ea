import pytest

from outages import services as outages
from outages.models import Outage


@pytest.fixture
def outage(incident_manager, admin_user, email_service) -> Outage:
    """An outage of the e-mail service, its incident manager named by an administrator."""
    run = outages.outage_raise(actor=incident_manager, title="VPN concentrator down", impact="university",
                               urgency="stopped_no_workaround", service=email_service)
    return outages.incident_manager_set(actor=admin_user, outage_id=run.pk, user=incident_manager)
