from django.db import migrations

LEAD_AREAS = [
    ("early-years", "Early Years", "eyfs"),
    ("statutory-school-age", "Statutory school age", "ssa"),
    ("post-16", "Post 16", "post16"),
    ("send", "SEND", ""),
    ("attendance", "Attendance", ""),
    ("pupil-premium-plus", "PP+", ""),
]


def seed(apps, schema_editor):
    LeadArea = apps.get_model("accounts", "LeadArea")
    for code, name, phase in LEAD_AREAS:
        LeadArea.objects.get_or_create(code=code, defaults={"name": name, "phase": phase})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
