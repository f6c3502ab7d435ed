"""The importance sums kept per initiative (docs/SCORING.md, "Evidence weights"), and the
evidence's covering index with the importance the aggregate now reads."""

from django.conf import settings
from django.db import migrations, models


def aggregate_again(apps, schema_editor):
    """The kept sums have no importance sums yet: forget them; the next run aggregates all."""
    Initiative = apps.get_model("roadmap", "Initiative")
    FullRescore = apps.get_model("roadmap", "FullRescore")
    if Initiative.objects.exists():
        Initiative.objects.update(reach_anchor=None)
        FullRescore.objects.create(reaggregate=True)


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0026_evidence_dismissal"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="evidence",
            name="evidence_reach_cover",
        ),
        migrations.AddField(
            model_name="initiative",
            name="reach_anonymous_1",
            field=models.FloatField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name="initiative",
            name="reach_anonymous_2",
            field=models.FloatField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name="initiative",
            name="reach_anonymous_4",
            field=models.FloatField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name="initiative",
            name="reach_set_1",
            field=models.FloatField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name="initiative",
            name="reach_set_2",
            field=models.FloatField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name="initiative",
            name="reach_set_3",
            field=models.FloatField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name="initiative",
            name="reach_set_4",
            field=models.FloatField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name="initiative",
            name="reach_set_5",
            field=models.FloatField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name="initiative",
            name="reach_set_6",
            field=models.FloatField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name="initiative",
            name="reach_set_7",
            field=models.FloatField(db_default=0, default=0, editable=False),
        ),
        migrations.AddIndex(
            model_name="evidence",
            index=models.Index(
                fields=["initiative", "customer", "received_at", "importance"],
                name="evidence_reach_cover",
            ),
        ),
        migrations.RunPython(aggregate_again, migrations.RunPython.noop),
    ]
