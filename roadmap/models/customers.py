"""Customers and the segments strategy weighs them by."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

import bounds


class Segment(models.Model):
    """A customer segment or persona, with the weight strategy gives it."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True, max_length=5_000)
    weight = models.FloatField(
        default=1.0,
        validators=[MinValueValidator(0), bounds.weight_max_validator],
        help_text="Strategic weight, 0 to 100 (1 = neutral)",
    )
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=0), name="segment_weight_not_negative"),
            models.CheckConstraint(
                condition=Q(weight__lte=bounds.WEIGHT_MAX), name="segment_weight_at_most_max"
            ),
        ]

    def __str__(self):
        return self.name


class Customer(models.Model):
    name = models.CharField(max_length=200)
    external_id = models.CharField(max_length=200, unique=True, null=True, blank=True)
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    annual_revenue = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, validators=bounds.revenue_validators
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]
        # The customer pickers' first page and the customers page read customers
        # by name: 50 of 50,000 without sorting them all.
        indexes = [models.Index(fields=["name", "id"], name="customer_by_name")]
        constraints = [
            models.CheckConstraint(
                condition=Q(annual_revenue__gte=0), name="customer_revenue_not_negative"
            )
        ]

    def __str__(self):
        return self.name
