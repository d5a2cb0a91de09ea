"""After-Action Reviews: ``/api/v1/outages/{outage_id}/review/`` (one per outage) and ``/api/v1/reviews/``.

Staff only. The outage's review is read, saved (PUT: every section; PATCH: some), submitted once the
outage is resolved and every section is written, published by reviewers with ``outages.publish_review``,
and exported as Markdown. ``/api/v1/reviews/`` lists the published ones. A step the review's state does not
allow is a 409 ``invalid_state``; a section missing at submission is a 400 naming each missing section.
"""


from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import permissions as drf_permissions
from rest_framework import serializers, viewsets
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from tickets.api.serializers import UserSummarySerializer

from .. import reviews
from ..models import AfterActionReview
from .changes import (
    IsStaff,
    RejectUnknownFieldsMixin,
    TextField,
    conflict_response,
    outage_number,
)

_SECTION_HELP = {
    "initial_symptoms": "What was first noticed, and by whom.",
    "root_cause": "Why it happened.",
    "prevention": "What will keep it from happening again.",
    "resolution": "How it was fixed.",
    "teams_involved": "The teams that worked on it.",
    "customer_effect": "The effect on customers.",
    "systems_affected": "The systems and services affected.",
}


class ReviewSerializer(serializers.ModelSerializer):
    """A review as staff read it, with what is still missing and when it is due."""

    title = serializers.CharField(source="outage.ticket.title", read_only=True)
    service = serializers.SerializerMethodField()
    missing_fields = serializers.SerializerMethodField()
    due_at = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    author = UserSummarySerializer(read_only=True)
    published_by = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = AfterActionReview
        extra_kwargs = {"outage": {"help_text": "The outage's (or problem's) ticket number."}}
        fields = ["id", "outage", "title", "service", "state", *reviews.SECTIONS, "missing_fields",
                  "author", "created_at", "updated_at", "submitted_at", "published_at", "published_by", "due_at",
                  "overdue"]
        read_only_fields = fields

    def get_service(self, review: AfterActionReview) -> str | None:
        service = review.outage.ticket.service
        return service.name if service else None

    def get_missing_fields(self, review: AfterActionReview) -> list[str]:
        """The sections still to write before the review can be submitted."""
        return review.missing_fields()

    @extend_schema_field(serializers.DateTimeField(allow_null=True,
                                                   help_text="When the review is due; null until resolved."))
    def get_due_at(self, review: AfterActionReview) -> str | None:
        due = reviews.review_due_at(review.outage)
        return serializers.DateTimeField().to_representation(due) if due else None

    def get_overdue(self, review: AfterActionReview) -> bool:
        return reviews.review_is_overdue(review)


class ReviewWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """The review's sections: PUT sends them all (blank ones allowed in a draft), PATCH any of them."""

    initial_symptoms = TextField(allow_blank=True, max_length=50_000, help_text=_SECTION_HELP["initial_symptoms"])
    root_cause = TextField(allow_blank=True, max_length=50_000, help_text=_SECTION_HELP["root_cause"])
    prevention = TextField(allow_blank=True, max_length=50_000, help_text=_SECTION_HELP["prevention"])
    resolution = TextField(allow_blank=True, max_length=50_000, help_text=_SECTION_HELP["resolution"])
    teams_involved = TextField(allow_blank=True, max_length=50_000, help_text=_SECTION_HELP["teams_involved"])
    customer_effect = TextField(allow_blank=True, max_length=50_000, help_text=_SECTION_HELP["customer_effect"])
    systems_affected = TextField(allow_blank=True, max_length=50_000, help_text=_SECTION_HELP["systems_affected"])


def _review_queryset():
    return AfterActionReview.objects.select_related("outage__ticket__service", "author", "published_by")


class _OutageReviewBase(GenericAPIView):
    permission_classes = [drf_permissions.IsAuthenticated, IsStaff]
    serializer_class = ReviewSerializer

    def get_queryset(self):
        return _review_queryset()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        outage_number(kwargs["outage_id"])

    def _respond(self, outage_id: int) -> Response:
        return Response(ReviewSerializer(_review_queryset().get(outage_id=outage_id)).data)


class OutageReviewView(_OutageReviewBase):
    """The outage's After-Action Review: read it, or save its sections while it is not yet published."""

    @extend_schema(responses={200: ReviewSerializer})
    def get(self, request, outage_id: int):
        """The review (404 while none was started)."""
        return self._respond(outage_id)

    def _save(self, request, outage_id: int, partial: bool) -> Response:
        serializer = ReviewWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        reviews.review_save(actor=request.user, outage_id=outage_id, **serializer.validated_data)
        return self._respond(outage_id)

    @extend_schema(request=ReviewWriteSerializer, responses={
        200: ReviewSerializer, 409: conflict_response("the review is published."),
    })
    def put(self, request, outage_id: int):
        """Start or rewrite the review: every section, blank ones allowed until it is submitted."""
        return self._save(request, outage_id, partial=False)

    @extend_schema(request=ReviewWriteSerializer, responses={
        200: ReviewSerializer, 409: conflict_response("the review is published."),
    })
    def patch(self, request, outage_id: int):
        """Start the review or change some of its sections."""
        return self._save(request, outage_id, partial=True)


class OutageReviewSubmitView(_OutageReviewBase):
    @extend_schema(request=None, responses={
        200: ReviewSerializer,
        400: OpenApiResponse(description="A section is not written yet: `errors` names each missing section."),
        409: conflict_response("the outage is not resolved yet, or the review was already submitted."),
    })
    def post(self, request, outage_id: int):
        """Submit the review for posting: the outage must be resolved and every section written."""
        reviews.review_submit(actor=request.user, outage_id=outage_id)
        return self._respond(outage_id)


class OutageReviewPublishView(_OutageReviewBase):
    @extend_schema(request=None, responses={
        200: ReviewSerializer,
        409: conflict_response("only a submitted review can be published."),
    })
    def post(self, request, outage_id: int):
        """Publish a submitted review (the ``outages.publish_review`` permission); all staff can then read it."""
        reviews.review_publish(actor=request.user, outage_id=outage_id)
        return self._respond(outage_id)


class OutageReviewMarkdownView(_OutageReviewBase):
    @extend_schema(responses={(200, "text/markdown"): OpenApiTypes.STR})
    def get(self, request, outage_id: int):
        """The review as a Markdown file: facts, every section, and the timeline drawn from the ticket."""
        review = _review_queryset().get(outage_id=outage_id)
        response = HttpResponse(reviews.review_markdown(review), content_type="text/markdown; charset=utf-8")
        filename = f"after-action-review-{review.outage.ticket_id}.md"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ReviewViewSet(viewsets.ReadOnlyModelViewSet):
    """Published After-Action Reviews, newest first: readable by all ITS staff."""

    permission_classes = [drf_permissions.IsAuthenticated, IsStaff]
    serializer_class = ReviewSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return reviews.reviews_published()


def _urlpatterns():
    from django.urls import path
    from rest_framework.routers import SimpleRouter

    router = SimpleRouter()
    router.register("reviews", ReviewViewSet, basename="review")
    return [
        path("outages/<int:outage_id>/review/", OutageReviewView.as_view(), name="outage-review"),
        path("outages/<int:outage_id>/review/submit/", OutageReviewSubmitView.as_view(), name="outage-review-submit"),
        path("outages/<int:outage_id>/review/publish/", OutageReviewPublishView.as_view(),
             name="outage-review-publish"),
        path("outages/<int:outage_id>/review/markdown/", OutageReviewMarkdownView.as_view(),
             name="outage-review-markdown"),
        *router.urls,
    ]


# Under /api/v1/: ``path("", include("outages.api.reviews"))``.
urlpatterns = _urlpatterns()

__all__ = ["OutageReviewMarkdownView", "OutageReviewPublishView", "OutageReviewSubmitView", "OutageReviewView",
           "ReviewSerializer", "ReviewViewSet"]
