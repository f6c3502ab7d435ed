"""The scoring policy (GET every role, PUT product), the what-if preview (POST, product),
and an experiment item's result (GET every role, PUT product)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.autoschema import ERROR_RESPONSES, PriorityAutoSchema
from api.errors import StaleVersionConflict
from api.viewsets import expected_version, service_errors
from okrs.services import StaleVersion
from roadmap import selectors
from roadmap.models import Initiative, Segment
from roadmap.selectors_preview import EDITABLE, preview_body, ranking_preview
from roadmap.services import policy as policy_services
from roadmap.services.experiments import evidence_experiment_set

from ..permissions import CanEditRoadmap
from ..serializers.initiatives import InitiativeSerializer
from ..serializers.policy import (
    ExperimentResultSerializer,
    ExperimentSerializer,
    PreviewRequestSerializer,
    PreviewSerializer,
    ScoringPolicySerializer,
)

ERRORS = {code: ERROR_RESPONSES[code] for code in ("400", "401", "403")}


def policy_body(row) -> dict:
    weights = dict(Segment.objects.order_by("name").values_list("name", "weight"))
    return ScoringPolicySerializer(row, context={"segment_weights": weights}).data


def policy_fields(data) -> dict:
    """Validated policy fields from a request body (partial); `version` left out."""
    serializer = ScoringPolicySerializer(data=data, partial=True)
    serializer.is_valid(raise_exception=True)
    fields = dict(serializer.validated_data)
    fields.pop("version", None)
    return fields


def initiative_edits(user, changes: list[dict]) -> dict[int, dict]:
    """{id: validated scored fields} for the initiatives' edits to preview (one query)."""
    wanted = {c["id"] for c in changes}
    listed = selectors.initiative_list(viewer=user).filter(pk__in=wanted).with_ranks(False)
    found = {i.pk: i for i in listed}
    edits: dict[int, dict] = {}
    errors: dict[str, object] = {}
    for n, change in enumerate(changes):
        instance = found.get(change["id"])
        if instance is None:
            errors[str(n)] = {"id": [f"No initiative {change['id']}."]}
            continue
        serializer = InitiativeSerializer(instance, data=change["changes"], partial=True)
        if not serializer.is_valid():
            errors[str(n)] = serializer.errors
            continue
        edits[instance.pk] = {k: v for k, v in serializer.validated_data.items() if k in EDITABLE}
    if errors:
        raise ValidationError({"initiatives": errors})
    return edits


class ScoringPolicyView(APIView):
    permission_classes = [IsAuthenticated, CanEditRoadmap]
    schema = PriorityAutoSchema()
    versioned = True

    @extend_schema(
        summary="The scoring policy",
        description="The policy every score is computed with: framework, custom formula,"
        " alignment weight, unaligned factor, evidence weights, half-life, experiment"
        " confidence, and the segment weights for reference (docs/SCORING.md).",
        responses={200: ScoringPolicySerializer, **ERRORS},
        tags=["scoring-policy"],
    )
    def get(self, request):
        row = policy_services.scoring_settings_get()
        return Response(policy_body(row), headers={"ETag": f'"{row.version}"'})

    @extend_schema(
        summary="Change the scoring policy (product): every initiative is rescored once",
        description="Changes any of the policy's fields, with `version` (or `If-Match`): a"
        " stale one is a 409 with the current policy. Each snapshot of the rescore lists a"
        " `policy` cause per changed field. A formula the evaluator refuses is a 400 naming"
        " why.",
        request=ScoringPolicySerializer,
        responses={
            200: ScoringPolicySerializer,
            409: ERROR_RESPONSES["409"],
            **ERRORS,
        },
        tags=["scoring-policy"],
    )
    def put(self, request):
        fields = policy_fields(request.data)
        version = expected_version(request)
        try:
            with service_errors():
                row = policy_services.scoring_policy_update(
                    actor=request.user, data=fields, expected_version=version
                )
        except StaleVersion as exc:
            raise StaleVersionConflict(str(exc), current=policy_body(exc.current)) from exc
        return Response(policy_body(row), headers={"ETag": f'"{row.version}"'})

    patch = put


class PreviewView(APIView):
    permission_classes = [IsAuthenticated, CanEditRoadmap]
    schema = PriorityAutoSchema()

    @extend_schema(
        summary="What-if: the ranking a policy change or edits would give; nothing is written",
        description="Any of a policy change, initiative edits and objective weights: the"
        " answer counts who would move up and down, lists the largest moves (at most 50) and"
        " the new top 10. Nothing is written.",
        request=PreviewRequestSerializer,
        responses={200: PreviewSerializer, **ERRORS},
        tags=["scoring-policy"],
    )
    def post(self, request):
        body = PreviewRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        policy = None
        if data.get("policy"):
            try:
                proposed = policy_services.scoring_settings_build(policy_fields(data["policy"]))
            except ValidationError as exc:
                raise ValidationError({"policy": exc.detail}) from exc
            except DjangoValidationError as exc:
                raise ValidationError({"policy": serializers.as_serializer_error(exc)}) from exc
            policy = policy_services.policy_of(proposed)
        edits = initiative_edits(request.user, data.get("initiatives", []))
        weights = {o["id"]: o["weight"] for o in data.get("objectives", [])}
        preview = ranking_preview(policy=policy, initiatives=edits, objective_weights=weights)
        return Response(preview_body(preview))


def initiative_preview(request, instance: Initiative, validated: dict) -> Response:
    """`?preview=1` on an initiative's PUT/PATCH: the ranking the edit would give."""
    edits = {instance.pk: {k: v for k, v in validated.items() if k in EDITABLE}}
    return Response(preview_body(ranking_preview(initiatives=edits)))


EVIDENCE_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The evidence item's id"
)


class ExperimentView(APIView):
    """An experiment item's result: GET every role, PUT product."""

    permission_classes = [IsAuthenticated, CanEditRoadmap]
    schema = PriorityAutoSchema()

    def _evidence(self, request, pk: str):
        # Any text reaches the view (as the router's routes take it): 404 in JSON.
        found = None
        if pk.isascii() and pk.isdigit() and len(pk) <= 18:
            found = selectors.evidence_list(viewer=request.user).filter(pk=int(pk)).first()
        if found is None:
            raise NotFound("No such evidence item.")
        return found

    @extend_schema(
        summary="An experiment item's result",
        parameters=[EVIDENCE_ID],
        responses={200: ExperimentSerializer, **ERRORS},
        tags=["evidence"],
    )
    def get(self, request, pk: str):
        return Response(ExperimentSerializer(self._evidence(request, pk)).data)

    @extend_schema(
        summary="Set an experiment item's result (product); its initiative is rescored",
        parameters=[EVIDENCE_ID],
        request=ExperimentResultSerializer,
        responses={200: ExperimentSerializer, **ERRORS},
        tags=["evidence"],
    )
    def put(self, request, pk: str):
        evidence = self._evidence(request, pk)
        body = ExperimentResultSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            saved = evidence_experiment_set(
                actor=request.user, evidence=evidence, result=dict(body.validated_data)
            )
        return Response(ExperimentSerializer(saved).data)

    patch = put
