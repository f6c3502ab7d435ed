"""`updated_at` where a model lacked it, so an integration can sync what changed
(`?updated_after=` on every list). Existing rows count as changed now."""

import django.utils.timezone
from django.db import migrations, models


def _field():
    return models.DateTimeField(auto_now=True, db_index=True, default=django.utils.timezone.now)


class Migration(migrations.Migration):
    dependencies = [("roadmap", "0029_webhooks_standard")]

    operations = [
        migrations.AddField(
            model_name="segment", name="updated_at", field=_field(), preserve_default=False
        ),
        migrations.AddField(
            model_name="customer", name="updated_at", field=_field(), preserve_default=False
        ),
        migrations.AddField(
            model_name="alignment", name="updated_at", field=_field(), preserve_default=False
        ),
    ]
