"""The API's permission classes (defined once in access.drf, shared with the okrs API)."""

from access.drf import (
    CanAddEvidence,
    CanEditOkrs,
    CanEditRoadmap,
    CanManageWebhooks,
    CanPushReadings,
)

__all__ = [
    "CanAddEvidence",
    "CanEditOkrs",
    "CanEditRoadmap",
    "CanManageWebhooks",
    "CanPushReadings",
]
