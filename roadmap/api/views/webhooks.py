"""Webhook subscriptions and their deliveries."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api.viewsets import ServiceViewSet, service_errors
from roadmap import selectors, webhooks

from ..permissions import CanManageWebhooks
from ..serializers import (
    WebhookDeliverySerializer,
    WebhookSubscriptionCreatedSerializer,
    WebhookSubscriptionSerializer,
)


@extend_schema_view(
    create=extend_schema(responses={201: WebhookSubscriptionCreatedSerializer}),
    deliveries=extend_schema(
        summary="List a subscription's deliveries",
        responses=WebhookDeliverySerializer(many=True),
        description="Deliveries to this subscription, newest first, with their outcome.",
    ),
)
class WebhookViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    ServiceViewSet,
):
    """Subscriptions to `priority.changed`. Deliveries are signed with the secret."""

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
    )
    def deliveries(self, request, pk=None):
        subscription = self.get_object()
        page = self.paginate_queryset(
            selectors.webhook_delivery_list(viewer=request.user, subscription=subscription)
        )
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
