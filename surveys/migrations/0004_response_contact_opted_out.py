from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0003_customer_satisfaction"),
    ]

    operations = [
        migrations.AddField(
            model_name="surveyresponse",
            name="contact_opted_out",
            field=models.BooleanField(
                default=False,
                help_text="The contact had opted out of surveys when the answer was stored.",
                verbose_name="contact opted out",
            ),
        ),
    ]
