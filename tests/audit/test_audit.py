import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEntry
from audit.selectors import audit_for_object
from okrs import services as okr_services
from okrs.services import StaleVersion
from roadmap import services
from tests.factories import InitiativeFactory, KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def test_initiative_edit_records_who_changed_what(product_user):
    initiative = services.initiative_create(actor=product_user, title="SSO", reach=10)
    services.initiative_update(
        actor=product_user, initiative=initiative, data={"reach": 40, "lane": "now"}
    )
    entries = list(audit_for_object(instance=initiative))
    assert [e.action for e in entries] == ["update", "create"]
    update = entries[0]
    assert update.actor == product_user
    assert update.changes == {"reach": [10, 40], "lane": ["later", "now"]}
    assert entries[1].changes["title"] == "SSO"


def test_rejected_edit_writes_no_history(product_user):
    initiative = services.initiative_create(actor=product_user, title="SSO")
    with pytest.raises(ValidationError):
        services.initiative_update(actor=product_user, initiative=initiative, data={"effort": 0})
    with pytest.raises(StaleVersion):
        services.initiative_update(
            actor=product_user, initiative=initiative, data={"effort": 3}, expected_version=7
        )
    assert AuditEntry.objects.filter(action="update").count() == 0


def test_alignment_changes_show_in_the_initiative_history(product_user):
    initiative = InitiativeFactory()
    kr = KeyResultFactory()
    alignment = services.alignment_set(
        actor=product_user, initiative=initiative, key_result=kr, contribution="weak"
    )
    services.alignment_set(
        actor=product_user, initiative=initiative, key_result=kr, contribution="strong"
    )
    services.alignment_remove(actor=product_user, alignment=alignment)
    history = list(audit_for_object(instance=initiative))
    assert [(e.action, e.changes["contribution"]) for e in history] == [
        ("delete", ["strong", None]),
        ("update", ["weak", "strong"]),
        ("create", [None, "weak"]),
    ]


def test_objective_and_key_result_changes_are_audited(product_user):
    objective = ObjectiveFactory(weight=1)
    okr_services.objective_update(actor=product_user, objective=objective, data={"weight": 3.0})
    kr = okr_services.key_result_create(
        actor=product_user, objective=objective, title="NPS", start=0, target=50
    )
    okr_services.key_result_update(actor=product_user, key_result=kr, data={"target": 60})
    okr_services.key_result_delete(actor=product_user, key_result=kr)
    own = audit_for_object(instance=objective, include_related=False)
    assert list(own.values_list("action", "changes")) == [("update", {"weight": [1.0, 3.0]})]
    # Its key results' history is filed under it as well: the objective's page shows both.
    assert [e.action for e in audit_for_object(instance=objective)] == [
        "delete",
        "update",
        "create",
        "update",
    ]
    kr_history = AuditEntry.objects.filter(object_repr="NPS").order_by("id")
    assert [e.action for e in kr_history] == ["create", "update", "delete"]
    assert kr_history[1].changes == {"target": [50.0, 60]}
