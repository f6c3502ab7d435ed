"""Webhook subscriptions and deliveries."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from api import serializers as strict
from roadmap.models import WebhookDelivery, WebhookSubscription
from roadmap.models.webhooks import DELIVERY_EVENT_CHOICES
from roadmap.webhooks import secret_problem, target_check

EVENTS_HELP = "Events to receive (all of them when left out): " + ", ".join(
    WebhookSubscription.Event.values
)
SIGNING_KEY_HELP = (
    "Standard Webhooks signing secret, `whsec_` followed by the base64 of 24 to 64 random"
    " bytes; generated when left out."
)


def _checked_secret(value: str) -> str:
    problem = secret_problem(value)
    if problem:
        raise serializers.ValidationError(problem)
    return value


class WebhookSubscriptionSerializer(strict.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookSubscription.Event.choices),
        min_length=1,
        required=False,
        help_text=EVENTS_HELP,
    )
    secret = strict.StrictCharField(
        write_only=True, required=False, max_length=200, help_text=SIGNING_KEY_HELP
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "events",
            "secret",
            "active",
            "disabled_at",
            "disabled_reason",
            "previous_secret_expires_at",
            "description",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "disabled_at",
            "disabled_reason",
            "previous_secret_expires_at",
            "created_by",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "active": {
                "help_text": "False stops deliveries. Set by itself to false when a delivery"
                " has failed every retry (see `disabled_at`); set it to true to turn it on again."
            },
        }

    def validate_url(self, value):
        try:
            target_check(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return value

    def validate_secret(self, value):
        return _checked_secret(value)


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    secret = strict.StrictCharField(
        read_only=True, help_text="Keep it: it signs every delivery and is not shown again."
    )


class WebhookSecretRotateSerializer(strict.Serializer):
    secret = strict.StrictCharField(
        required=False, max_length=200, help_text=SIGNING_KEY_HELP + " Generated when left out."
    )

    def validate_secret(self, value):
        return _checked_secret(value)


class WebhookSecretRotatedSerializer(serializers.Serializer):
    secret = strict.StrictCharField(
        read_only=True, help_text="The new secret. Keep it: it is not shown again."
    )
    previous_secret_expires_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="Until then every delivery also carries a signature made with the old secret.",
    )


class WebhookDeliverySerializer(strict.ModelSerializer):
    webhook_id = serializers.CharField(
        source="message_id",
        read_only=True,
        help_text="The `webhook-id` header it is sent with (a replay keeps the original's).",
    )

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook_id",
            "subscription",
            "event",
            "payload",
            "status",
            "attempts",
            "last_response_code",
            "last_error",
            "last_attempt_at",
            "next_attempt_at",
            "delivered_at",
            "replay_of",
            "created_at",
        ]
        read_only_fields = fields


class WebhookDeliveryFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices, required=False)
    event = serializers.ChoiceField(choices=DELIVERY_EVENT_CHOICES, required=False)
    created_after = serializers.DateTimeField(required=False, help_text="Created at or after.")
    created_before = serializers.DateTimeField(required=False, help_text="Created before.")
