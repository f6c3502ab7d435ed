"""The scoring settings form (the policy's fields) and the initiative preview's parsing."""

from __future__ import annotations

from django import forms

from roadmap.models import ScoringSettings
from roadmap.services.policy import POLICY_FIELDS
from web.forms import VersionedForm


class ScoringSettingsForm(VersionedForm):
    class Meta:
        model = ScoringSettings
        fields = POLICY_FIELDS
        labels = {
            "framework": "Framework",
            "formula": "Custom formula",
            "alignment_weight": "Alignment weight",
            "unaligned_factor": "Unaligned work factor",
            "importance_nice_to_have": "Nice to have",
            "importance_important": "Important",
            "importance_critical": "Critical",
            "revenue_weight": "Revenue weight",
            "experiment_confidence": "Confidence after a significant experiment (%)",
            "half_life_days": "Evidence half-life (days)",
        }
        widgets = {
            "formula": forms.TextInput(
                attrs={
                    "placeholder": "reach * impact * confidence / effort + 2 * business_value",
                    "spellcheck": "false",
                    "autocomplete": "off",
                }
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in POLICY_FIELDS:
            if isinstance(self.fields[name], forms.FloatField):
                self.fields[name].widget.attrs.update({"step": "any", "inputmode": "decimal"})
