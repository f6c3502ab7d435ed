# The importance as a stored bit, for the reach aggregate's covering indexes
# (which drop the text), and a covering index of the items without a customer.
# Rewrites the evidence table (a stored generated column).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0038_initiative_marked"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="evidence",
            name="evidence_reach_cover",
        ),
        migrations.AddField(
            model_name="evidence",
            name="importance_bit",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Case(
                    models.When(importance="nice_to_have", then=models.Value(1)),
                    models.When(importance="critical", then=models.Value(4)),
                    default=models.Value(2),
                ),
                output_field=models.SmallIntegerField(),
            ),
        ),
        migrations.AddIndex(
            model_name="evidence",
            index=models.Index(
                fields=["initiative", "customer", "received_at", "importance_bit"],
                name="evidence_reach_cover",
            ),
        ),
        migrations.AddIndex(
            model_name="evidence",
            index=models.Index(
                condition=models.Q(("customer__isnull", True), ("initiative__isnull", False)),
                fields=["initiative", "received_at", "importance_bit"],
                name="evidence_anonymous_reach",
            ),
        ),
    ]
