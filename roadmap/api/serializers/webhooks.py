"""Webhook subscriptions and deliveries."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from api import serializers as strict
from roadmap.models import WebhookDelivery, WebhookSubscription
from roadmap.webhooks import target_check


class WebhookSubscriptionSerializer(strict.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookSubscription.Event.choices),
        min_length=1,
        help_text="Events to receive: priority.changed",
    )
    secret = strict.StrictCharField(
        write_only=True,
        required=False,
        min_length=16,
        max_length=128,
        help_text="Signing secret; generated when left out. Shown once, in the create response.",
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "events",
            "secret",
            "active",
            "description",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_by", "created_at", "updated_at"]

    def validate_url(self, value):
        try:
            target_check(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return value


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    secret = strict.StrictCharField(
        read_only=True, help_text="Keep it: it signs every delivery and is not shown again."
    )


class WebhookDeliverySerializer(strict.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "event",
            "payload",
            "status",
            "attempts",
            "last_response_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields
