import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tickets import services
from tickets.models import Attachment

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def ticket(customer):
    return services.ticket_create(actor=customer, title="Screen flickers", impact="individual", urgency="impaired")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_customer_attaches_a_screenshot_and_downloads_it(api, customer, ticket):
    upload = SimpleUploadedFile("screen.png", PNG, content_type="image/png")
    response = api(customer).post(f"/api/v1/tickets/{ticket.pk}/attachments/", {"file": upload}, format="multipart")

    assert response.status_code == 201, response.json()
    assert (response.json()["original_name"], response.json()["content_type"]) == ("screen.png", "image/png")
    attachment = Attachment.objects.get()
    assert "screen" not in attachment.file.name  # stored under a generated name
    download = api(customer).get(f"/api/v1/tickets/{ticket.pk}/attachments/{attachment.pk}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download["Content-Disposition"]


def test_oversized_file_is_refused(api, customer, ticket, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    upload = SimpleUploadedFile("notes.txt", b"x" * 11, content_type="text/plain")
    response = api(customer).post(f"/api/v1/tickets/{ticket.pk}/attachments/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert "limit" in response.json()["errors"]["file"][0]
    assert not Attachment.objects.exists()


@pytest.mark.parametrize("name, content", [("tool.exe", b"MZ\x90\x00"), ("fake.pdf", b"MZ\x90\x00 not a pdf"),
                                           ("page.html", b"<script>alert(1)</script>")])
def test_disallowed_or_disguised_types_are_refused(api, customer, ticket, name, content):
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = api(customer).post(f"/api/v1/tickets/{ticket.pk}/attachments/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert not Attachment.objects.exists()


def test_path_in_file_name_is_neutralised(api, customer, ticket):
    upload = SimpleUploadedFile("../../etc/passwd.txt", b"hello", content_type="text/plain")
    response = api(customer).post(f"/api/v1/tickets/{ticket.pk}/attachments/", {"file": upload}, format="multipart")
    assert response.status_code == 201
    assert response.json()["original_name"] == "passwd.txt"
