"""`key-results/{id}/check-ins/`: a key result's check-ins, newest first, and new ones."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

import bounds
from api import serializers as strict
from api.filters import ChangedSinceFilter
from api.pagination import NewestFirstCursorPagination
from api.viewsets import service_errors
from okrs import selectors, services
from okrs.models import CheckIn


class CheckInSerializer(strict.ModelSerializer):
    key_result = serializers.PrimaryKeyRelatedField(read_only=True)
    author = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="Who checked in (the caller on POST)"
    )
    checked_at = serializers.DateTimeField(
        required=False,
        validators=[bounds.event_date_validator],
        help_text="When the value was true (from 1970-01-01 to one day ahead of now); now when"
        " left out. The key result takes the value only if no reading or check-in is newer.",
    )
    external_id = strict.StrictCharField(
        max_length=200,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Your id for this check-in: sending it again changes the stored check-in"
        " (200) instead of adding a second one, so a retried request is harmless",
    )

    class Meta:
        model = CheckIn
        fields = [
            "id",
            "key_result",
            "value",
            "confidence",
            "note",
            "author",
            "checked_at",
            "external_id",
            "created_at",
        ]
        read_only_fields = ["id", "key_result", "author", "created_at"]


class CheckInPagination(NewestFirstCursorPagination):
    ordering = ("-checked_at", "-id")


class CheckInsMixin:
    """Adds `GET/POST key-results/{id}/check-ins/` to the key-result viewset."""

    @extend_schema(
        methods=["GET"],
        summary="List a key result's check-ins",
        responses=CheckInSerializer(many=True),
        description="The key result's check-ins, newest first (by `checked_at`), each with its"
        " value, confidence, note and author. Cursor-paginated: follow `next`.",
    )
    @extend_schema(
        methods=["POST"],
        summary="Check in on a key result",
        request=CheckInSerializer,
        responses={201: CheckInSerializer, 200: CheckInSerializer},
        description="Check in: a value, a confidence (on_track, at_risk, off_track) and an"
        " optional note, by the caller. The key result's `current` becomes the value observed"
        " last across its metric's readings and its check-ins (a check-in dated before a newer"
        " one is kept in the history and changes nothing), and the initiatives aligned to it"
        " are re-prioritised. 201 when created; 200 when `external_id` named a stored one.",
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="check-ins",
        filter_backends=[ChangedSinceFilter],
        serializer_class=CheckInSerializer,
        pagination_class=CheckInPagination,
    )
    def check_ins(self, request, *args, **kwargs):
        key_result = self.get_object()
        if request.method == "GET":
            queryset = selectors.check_in_list(viewer=request.user, key_result=key_result)
            page = self.paginate_queryset(self.filter_queryset(queryset))
            return self.get_paginated_response(CheckInSerializer(page, many=True).data)
        serializer = CheckInSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with service_errors():
            result = services.check_in_record(
                actor=request.user,
                key_result=key_result,
                value=data["value"],
                confidence=data["confidence"],
                note=data.get("note", ""),
                checked_at=data.get("checked_at"),
                external_id=data.get("external_id") or None,
            )
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(CheckInSerializer(result.check_in).data, status=code)
