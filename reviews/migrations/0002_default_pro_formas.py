from django.db import migrations

from reviews.proforma_defaults import seed_default_pro_formas


def seed(apps, schema_editor):
    seed_default_pro_formas(apps.get_model("reviews", "ProForma"), apps.get_model("reviews", "ProFormaArea"))


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
