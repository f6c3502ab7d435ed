"""factory_boy factories for every model. Scores are computed by services, not here."""

from datetime import timedelta

import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone

from okrs.models import CheckIn, KeyResult, Metric, MetricReading, Objective
from roadmap.models import Alignment, Customer, Evidence, Initiative, Segment


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw-for-tests-1")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            for name in extracted:
                self.groups.add(Group.objects.get_or_create(name=name)[0])


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Objective

    title = factory.Sequence(lambda n: f"Objective {n}")
    period = "2026-Q4"
    weight = 1.0


class MetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Metric
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"metric_{n}")
    name = factory.LazyAttribute(lambda m: m.key.replace("_", " ").title())


class KeyResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyResult

    objective = factory.SubFactory(ObjectiveFactory)
    title = factory.Sequence(lambda n: f"Key result {n}")
    kind = KeyResult.Kind.INCREASE
    start = 0
    target = 100
    current = 0


class MetricReadingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MetricReading

    metric = factory.SubFactory(MetricFactory)
    value = 1.0
    observed_at = factory.LazyFunction(timezone.now)


class CheckInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckIn

    key_result = factory.SubFactory(KeyResultFactory)
    value = 1.0
    confidence = "on_track"
    checked_at = factory.LazyFunction(timezone.now)


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Segment {n}")
    weight = 1.0


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    external_id = factory.Sequence(lambda n: f"cust-{n}")
    segment = None
    annual_revenue = 10_000


class InitiativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Initiative

    title = factory.Sequence(lambda n: f"Initiative {n}")
    status = Initiative.Status.PLANNED
    lane = Initiative.Lane.NOW
    reach = 100
    impact = 1.0
    confidence = 80
    effort = 1

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        # Ranks are counted from scores, not stored: `rank=n` asks for scored
        # work (ranked by its priority_score, ties by id), `rank=None` for
        # work not scored yet.
        if "rank" in kwargs:
            kwargs["scored_at"] = None if kwargs.pop("rank") is None else timezone.now()
        return kwargs


class AlignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alignment

    initiative = factory.SubFactory(InitiativeFactory)
    key_result = factory.SubFactory(KeyResultFactory)
    contribution = "strong"


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evidence

    source = "interview"
    text = factory.Sequence(lambda n: f"Customer feedback number {n}")
    received_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1))
