"""The scoring frameworks: the score before alignment, for each framework a policy may choose.

    rice    reach x impact x (confidence / 100) / effort
    ice     impact x confidence x ease, each on 1-10 (Sean Ellis's ICE, as a product):
            impact from the RICE scale (ICE_IMPACT), confidence = percent / 10
    wsjf    (business value + time criticality + risk reduction) / job size
            (SAFe's weighted shortest job first; each on the modified Fibonacci scale)
    custom  the policy's formula (`expression`) over the named inputs

An initiative without an input its framework needs scores 0 and says which
inputs it lacks: it sorts last, visibly, instead of failing the run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from . import expression
from .policy import FRAMEWORKS, IMPACT_SCALE, ScoringError

FIBONACCI = (1, 2, 3, 5, 8, 13, 20)
# RICE's impact scale read on ICE's 1-10 scale.
ICE_IMPACT: dict[float, float] = {0.25: 2.0, 0.5: 4.0, 1.0: 6.0, 2.0: 8.0, 3.0: 10.0}
WSJF_FIELDS = ("business_value", "time_criticality", "risk_reduction", "job_size")
FORMULAS = {
    "rice": "reach x impact x confidence / effort",
    "ice": "impact x confidence x ease (each 1-10)",
    "wsjf": "(business value + time criticality + risk reduction) / job size",
}


@dataclass(frozen=True)
class FrameworkInputs:
    """The inputs of the frameworks other than RICE (None: not set on the initiative)."""

    ease: float | None = None
    business_value: float | None = None
    time_criticality: float | None = None
    risk_reduction: float | None = None
    job_size: float | None = None


NO_FRAMEWORK_INPUTS = FrameworkInputs()


def ice(impact: float, confidence: float, ease: float) -> float:
    """ICE as a product; each input more than 0 and at most 10."""
    for name, value in (("impact", impact), ("confidence", confidence), ("ease", ease)):
        if not 0 < value <= 10:
            raise ScoringError(f"ICE {name} must be more than 0 and at most 10")
    return impact * confidence * ease


def wsjf(
    business_value: float, time_criticality: float, risk_reduction: float, job_size: float
) -> float:
    """SAFe's WSJF: cost of delay over job size; each input more than 0 and at most 20."""
    values = zip(
        WSJF_FIELDS,
        (business_value, time_criticality, risk_reduction, job_size),
        strict=True,
    )
    for name, value in values:
        if not 0 < value <= FIBONACCI[-1]:
            raise ScoringError(f"WSJF {name.replace('_', ' ')} must be more than 0 and at most 20")
    return (business_value + time_criticality + risk_reduction) / job_size


@lru_cache(maxsize=32)
def compiled(formula: str) -> expression.Expression:
    """The parsed formula, parsed once per text (a full rescore scores 10,000 with it)."""
    return expression.parse(formula)


def validate_framework(framework: str, formula: str) -> None:
    """Raise ScoringError unless `framework` is known and a custom one has a usable formula."""
    if framework not in FRAMEWORKS:
        raise ScoringError(f"unknown framework {framework!r}; use one of {', '.join(FRAMEWORKS)}")
    if framework == "custom":
        parsed = compiled(formula)
        # A formula that fails on plain values (1 / (ease - ease)) fails everywhere.
        parsed.evaluate(dict.fromkeys(expression.INPUTS, 1.0))


@dataclass(frozen=True)
class FrameworkScore:
    value: float
    factors: tuple[dict, ...]  # each input as the framework read it
    missing: tuple[str, ...]  # inputs the initiative lacks (value 0)


def framework_score(
    framework: str,
    formula: str,
    *,
    reach: float,
    impact: float,
    confidence: float,
    effort: float,
    alignment: float,
    extra: FrameworkInputs,
    explain: bool = True,
) -> FrameworkScore:
    """The score before alignment under `framework`; RICE is not done here.

    `explain=False` leaves the factors out (the breakdown asks again for them):
    a full rescore or a preview scores 10,000 initiatives and explains few.
    """
    factor = _factor if explain else _no_factor
    if framework == "ice":
        impact10, confidence10 = ICE_IMPACT[impact], confidence / 10.0
        factors = (
            factor("impact", "Impact", impact10, f"{IMPACT_SCALE[impact]} ({impact:g}) on 1-10"),
            factor("confidence", "Confidence", confidence10, f"{confidence:g}% on 1-10"),
            factor("ease", "Ease", extra.ease, "1-10"),
        )
        if extra.ease is None:
            return FrameworkScore(0.0, factors, ("ease",))
        return FrameworkScore(ice(impact10, confidence10, extra.ease), factors, ())
    if framework == "wsjf":
        values = [getattr(extra, name) for name in WSJF_FIELDS]
        factors = tuple(
            factor(name, name.replace("_", " ").capitalize(), value, "1, 2, 3, 5, 8, 13, 20")
            for name, value in zip(WSJF_FIELDS, values, strict=True)
        )
        missing = tuple(n for n, v in zip(WSJF_FIELDS, values, strict=True) if v is None)
        if missing:
            return FrameworkScore(0.0, factors, missing)
        return FrameworkScore(wsjf(*values), factors, ())
    if framework == "custom":
        parsed = compiled(formula)
        values = {
            "reach": reach,
            "impact": impact,
            "confidence": confidence,
            "effort": effort,
            "alignment": alignment,
            "ease": extra.ease,
            "business_value": extra.business_value,
            "time_criticality": extra.time_criticality,
            "risk_reduction": extra.risk_reduction,
            "job_size": extra.job_size,
        }
        names = sorted(parsed.names, key=list(expression.INPUTS).index)
        factors = tuple(
            factor(name, name.replace("_", " ").capitalize(), values[name], "") for name in names
        )
        missing = tuple(name for name in names if values[name] is None)
        if missing:
            return FrameworkScore(0.0, factors, missing)
        value = parsed.evaluate(values)
        if not math.isfinite(value):
            raise ScoringError("the formula's value is not a finite number")
        return FrameworkScore(value, factors, ())
    raise ScoringError(f"unknown framework {framework!r}")


def _no_factor(name: str, label: str, value: float | None, note: str) -> None:
    return None


def _factor(name: str, label: str, value: float | None, note: str) -> dict:
    return {
        "name": name,
        "label": label,
        "value": None if value is None else round(value, 4),
        "note": note,
    }
