"""The answer of a what-if preview (the ranking an edit or policy would give; nothing written).

Shared: roadmap's preview endpoints and okrs' `?preview=1` on objective and
key-result edits answer this one shape (docs/API.md, "What-if").
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers


class MoveSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    rank_before = serializers.IntegerField(allow_null=True)
    rank_after = serializers.IntegerField(allow_null=True)
    places = serializers.IntegerField(
        allow_null=True, help_text="Places moved: positive is up; null: enters or leaves"
    )
    score_before = serializers.FloatField()
    score_after = serializers.FloatField()


class PreviewSerializer(serializers.Serializer):
    """The ranking that would result; nothing was written."""

    ranked = serializers.IntegerField()
    rescored = serializers.IntegerField(help_text="Initiatives scored again for the preview")
    up = serializers.IntegerField(help_text="Initiatives that would move up")
    down = serializers.IntegerField(help_text="Initiatives that would move down")
    moves = MoveSerializer(many=True, help_text="The largest moves first (at most 50)")
    top = MoveSerializer(many=True, help_text="The first 10 of the resulting ranking")
    failures = serializers.DictField(child=serializers.CharField())
    reaggregated = serializers.BooleanField(
        help_text="Reach taken afresh from the evidence (the policy weighs evidence anew)"
    )
    seconds = serializers.FloatField()


PREVIEW = OpenApiParameter(
    "preview",
    OpenApiTypes.BOOL,
    OpenApiParameter.QUERY,
    required=False,
    description=(
        "1 or true: validate the edit and answer the ranking it would give (a Preview), "
        "writing nothing"
    ),
)


def update_schema(serializer, name: str):
    """The PUT/PATCH schema: the `preview` parameter, and either the saved item or a Preview."""
    return extend_schema(
        parameters=[PREVIEW],
        responses={
            200: PolymorphicProxySerializer(
                component_name=f"{name}OrPreview",
                serializers=[serializer, PreviewSerializer],
                resource_type_field_name=None,
            )
        },
    )
