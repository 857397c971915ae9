from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0003_one_line_management_outcome_per_qa_round"),
    ]

    operations = [
        migrations.AddField(
            model_name="qareview",
            name="version",
            field=models.PositiveIntegerField(default=1, editable=False),
        ),
    ]
