from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from .models import AuditEntry


def audit_for_object(*, instance, include_related: bool = True) -> QuerySet[AuditEntry]:
    """History of one object, plus entries recorded as related to it (e.g. its alignments)."""
    ct = ContentType.objects.get_for_model(instance)
    condition = Q(content_type=ct, object_id=instance.pk)
    if include_related:
        condition |= Q(related_to=f"{ct.app_label}.{ct.model}:{instance.pk}")
    return AuditEntry.objects.filter(condition).select_related("actor", "content_type")
