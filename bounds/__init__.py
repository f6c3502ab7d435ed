"""The documented range of every number and date a person or an integration may type in.

One place, used by the models (validators and CHECK constraints), and through
them by the forms and the serializers, so a value the API refuses is refused by
the browser too. The ranges are wide enough for any real company and narrow
enough that no combination of them can make a score overflow: the largest RICE
score is REACH_MAX x 3 x 1 / EFFORT_MIN = 3e11, and an alignment of a thousand
key results at WEIGHT_MAX keeps the priority below 1e17, far from float's 1.8e308.

    reach            0 .. 1e9 people or events per quarter
    effort           0.01 .. 10,000 person-months
    confidence       more than 0, at most 100 (percent)
    weights          objectives and key results: 0.01 .. 100;
                     segments: 0 .. 100
    values           key-result start/target/current, readings, check-ins:
                     -1e15 .. 1e15
    annual revenue   0 .. 999,999,999,999.99
    ICE ease         1 .. 10
    WSJF inputs      1, 2, 3, 5, 8, 13 or 20 (SAFe's modified Fibonacci scale)
    experiments      lift -1e6 .. 1e6 (percent), p-value 0 .. 1, sample 1 .. 1e12
    dates            evidence received_at, reading observed_at, check-in
                     checked_at: from 1970-01-01 to one day ahead of now
    survey scores    evidence `score`: 0 .. 10 on `nps` items (would you
                     recommend us?), 1 .. 5 on `survey` items (CSAT); none
                     on other sources
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.deconstruct import deconstructible

REACH_MAX = 1e9
EFFORT_MIN = 0.01
EFFORT_MAX = 10_000.0
CONFIDENCE_MAX = 100.0
WEIGHT_MIN = 0.01
WEIGHT_MAX = 100.0
VALUE_ABS_MAX = 1e15
REVENUE_MAX = Decimal("999999999999.99")
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
AHEAD = timedelta(days=1)
# The scale of an evidence item's `score`, by source: (lowest, highest).
SCORE_SCALES = {"nps": (0, 10), "survey": (1, 5)}
SCORE_MAX = 10

EASE_MIN = 1.0
EASE_MAX = 10.0
FIBONACCI = (1, 2, 3, 5, 8, 13, 20)
LIFT_ABS_MAX = 1e6
SAMPLE_MAX = 10**12

reach_validators = [MinValueValidator(0), MaxValueValidator(REACH_MAX)]
effort_validators = [MinValueValidator(EFFORT_MIN), MaxValueValidator(EFFORT_MAX)]
weight_max_validator = MaxValueValidator(WEIGHT_MAX)
value_validators = [MinValueValidator(-VALUE_ABS_MAX), MaxValueValidator(VALUE_ABS_MAX)]
revenue_validators = [MinValueValidator(0), MaxValueValidator(REVENUE_MAX)]
ease_validators = [MinValueValidator(EASE_MIN), MaxValueValidator(EASE_MAX)]
lift_validators = [MinValueValidator(-LIFT_ABS_MAX), MaxValueValidator(LIFT_ABS_MAX)]
p_value_validators = [MinValueValidator(0), MaxValueValidator(1)]
sample_validators = [MinValueValidator(1), MaxValueValidator(SAMPLE_MAX)]


@deconstructible
class WeightMinValidator(MinValueValidator):
    """An objective's or key result's weight: at least WEIGHT_MIN.

    A MinValueValidator, so serializers and the OpenAPI schema state the
    minimum; zero and below keep the message people expect ("more than 0").
    """

    def __init__(self):
        super().__init__(WEIGHT_MIN, message=f"Must be at least {WEIGHT_MIN}.")

    def __call__(self, value):
        if value is not None and value <= 0:
            raise ValidationError("Must be more than 0.", code=self.code, params={"value": value})
        super().__call__(value)


weight_min_validator = WeightMinValidator()


def score_error(source, score) -> str | None:
    """Why `score` cannot go with an evidence item of `source`, or None if it can."""
    if score is None:
        return None
    scale = SCORE_SCALES.get(source)
    if scale is None:
        return "Only nps (0 to 10) and survey (1 to 5) evidence carries a score."
    if type(score) is not int or not scale[0] <= score <= scale[1]:
        return f"A {source} score is a whole number from {scale[0]} to {scale[1]}."
    return None


def latest() -> datetime:
    """The latest date an event may carry: one day ahead of now (clocks differ)."""
    return timezone.now() + AHEAD


def date_in_range(value: datetime) -> bool:
    return EARLIEST <= value <= latest()


@deconstructible
class EventDateValidator:
    """An event's date: not before 1970-01-01, not more than a day ahead of now."""

    code = "date_range"

    def __call__(self, value):
        if value is None:
            return
        if value < EARLIEST:
            raise ValidationError(
                "Enter a date on or after 1970-01-01.", code=self.code, params={"value": value}
            )
        if value > latest():
            raise ValidationError(
                "Enter a date no more than one day ahead of now.",
                code=self.code,
                params={"value": value},
            )

    def __eq__(self, other):
        return isinstance(other, EventDateValidator)

    def __hash__(self):
        return hash(self.code)


event_date_validator = EventDateValidator()
