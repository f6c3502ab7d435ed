"""`updated_at` where a model lacked it, so an integration can sync what changed
(`?updated_after=` on every list). Existing rows count as changed now."""

import django.utils.timezone
from django.db import migrations, models


def _field():
    return models.DateTimeField(auto_now=True, db_index=True, default=django.utils.timezone.now)


class Migration(migrations.Migration):
    dependencies = [("okrs", "0007_check_in_verbose_name")]

    operations = [
        migrations.AddField(
            model_name="metric", name="updated_at", field=_field(), preserve_default=False
        ),
        migrations.AddField(
            model_name="metricreading", name="updated_at", field=_field(), preserve_default=False
        ),
        migrations.AddField(
            model_name="checkin", name="updated_at", field=_field(), preserve_default=False
        ),
    ]
