"""Webhook subscriptions, their deliveries, pings, replays and secret rotation."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api.pagination import NewestFirstCursorPagination
from api.viewsets import ServiceViewSet, service_errors
from roadmap import selectors, webhooks

from ..permissions import CanManageWebhooks
from ..serializers import (
    WebhookDeliveryFilterSerializer,
    WebhookDeliverySerializer,
    WebhookSecretRotatedSerializer,
    WebhookSecretRotateSerializer,
    WebhookSubscriptionCreatedSerializer,
    WebhookSubscriptionSerializer,
)

PAGING_PARAMETERS = {"cursor", "page_size"}


class DeliveryPagination(NewestFirstCursorPagination):
    ordering = ("-created_at", "-id")


def _delivery_filters(request) -> dict:
    unknown = (
        set(request.query_params)
        - PAGING_PARAMETERS
        - set(WebhookDeliveryFilterSerializer().fields)
    )
    if unknown:
        raise ValidationError({name: ["Unknown query parameter."] for name in sorted(unknown)})
    serializer = WebhookDeliveryFilterSerializer(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema_view(
    create=extend_schema(
        responses={201: WebhookSubscriptionCreatedSerializer},
        description="Subscribe a URL to events (all of them when `events` is left out). The"
        " answer carries the `whsec_` signing secret, shown this once. Deliveries follow the"
        " Standard Webhooks spec: see docs/API.md.",
    ),
    deliveries=extend_schema(
        summary="List a subscription's deliveries",
        responses=WebhookDeliverySerializer(many=True),
        parameters=[WebhookDeliveryFilterSerializer],
        description="Deliveries to this subscription, newest first, with their outcome;"
        " filter by `status`, `event` and `created_after`/`created_before`. Cursor-paginated:"
        " follow `next`.",
    ),
)
class WebhookViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    ServiceViewSet,
):
    """Subscriptions to events, delivered to the Standard Webhooks spec."""

    serializer_class = WebhookSubscriptionSerializer
    permission_classes = [IsAuthenticated, CanManageWebhooks]
    ordering_fields = ["id", "created_at"]

    def get_queryset(self):
        return selectors.webhook_subscription_list(viewer=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            subscription = webhooks.webhook_subscription_create(
                actor=request.user, **serializer.validated_data
            )
        body = WebhookSubscriptionCreatedSerializer(subscription).data
        return Response(body, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        subscription = self.get_object()
        serializer = self.get_serializer(
            subscription, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        with service_errors():
            subscription = webhooks.webhook_subscription_update(
                actor=request.user, subscription=subscription, data=serializer.validated_data
            )
        return Response(self.get_serializer(subscription).data)

    def destroy(self, request, *args, **kwargs):
        webhooks.webhook_subscription_delete(actor=request.user, subscription=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        serializer_class=WebhookDeliverySerializer,
        pagination_class=DeliveryPagination,
    )
    def deliveries(self, request, pk=None):
        subscription = self.get_object()
        queryset = selectors.webhook_delivery_list(
            viewer=request.user, subscription=subscription, filters=_delivery_filters(request)
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="Replay a delivery",
        request=None,
        responses={202: WebhookDeliverySerializer},
        parameters=[
            OpenApiParameter(
                "delivery_id",
                OpenApiTypes.INT,
                OpenApiParameter.PATH,
                description="The delivery to send again.",
            )
        ],
        description="Send a delivery's message again, now: a new delivery with the same payload"
        " and `webhook-id`, signed with the current secret, one attempt (no retries), sent"
        " even when the subscription is disabled. 202: queued; read its outcome in"
        " `deliveries/`.",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[^/]+)/replay",
        filter_backends=[],
        serializer_class=WebhookDeliverySerializer,
    )
    def replay(self, request, pk=None, delivery_id=None):
        subscription = self.get_object()
        if not delivery_id.isascii() or not delivery_id.isdigit():
            raise NotFound()
        delivery = get_object_or_404(
            selectors.webhook_delivery_list(viewer=request.user, subscription=subscription),
            pk=delivery_id,
        )
        replay = webhooks.webhook_delivery_replay(actor=request.user, delivery=delivery)
        replay.refresh_from_db()
        return Response(WebhookDeliverySerializer(replay).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Send a test ping",
        request=None,
        responses={202: WebhookDeliverySerializer},
        description="Send a `webhook.ping` event to the subscription now (one attempt, even when"
        " it is disabled), to check the receiver and its signature check. 202: queued.",
    )
    @action(
        detail=True,
        methods=["post"],
        filter_backends=[],
        serializer_class=WebhookDeliverySerializer,
    )
    def ping(self, request, pk=None):
        delivery = webhooks.webhook_ping(actor=request.user, subscription=self.get_object())
        delivery.refresh_from_db()
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Rotate the signing secret",
        request=WebhookSecretRotateSerializer,
        responses={200: WebhookSecretRotatedSerializer},
        description="Give the subscription a new signing secret (generated unless one is"
        " sent), shown this once. Until `previous_secret_expires_at` (24 h) deliveries carry"
        " two signatures, the new and the old, space-separated in `webhook-signature`.",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="rotate-secret",
        filter_backends=[],
        serializer_class=WebhookSecretRotateSerializer,
    )
    def rotate_secret(self, request, pk=None):
        subscription = self.get_object()
        serializer = WebhookSecretRotateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            rotation = webhooks.webhook_secret_rotate(
                actor=request.user,
                subscription=subscription,
                secret=serializer.validated_data.get("secret"),
            )
        body = {
            "secret": rotation.secret,
            "previous_secret_expires_at": rotation.previous_expires_at,
        }
        return Response(WebhookSecretRotatedSerializer(body).data)
