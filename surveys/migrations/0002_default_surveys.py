from django.db import migrations

DEFAULT_SURVEYS = [
    {
        "kind": "nps",
        "name": "Net Promoter Score",
        "question_nb": "Hvor sannsynlig er det at du vil anbefale oss til en kollega eller forretningsforbindelse?",
        "question_en": "How likely are you to recommend us to a colleague or business partner?",
        "low_label_nb": "Svært lite sannsynlig",
        "low_label_en": "Not at all likely",
        "high_label_nb": "Svært sannsynlig",
        "high_label_en": "Extremely likely",
    },
    {
        "kind": "csat",
        "name": "Customer satisfaction",
        "question_nb": "Hvor fornøyd er du med hjelpen du fikk fra oss?",
        "question_en": "How satisfied are you with the help you got from us?",
        "low_label_nb": "Svært misfornøyd",
        "low_label_en": "Very dissatisfied",
        "high_label_nb": "Svært fornøyd",
        "high_label_en": "Very satisfied",
    },
    {
        "kind": "ces",
        "name": "Customer effort",
        "question_nb": "Det var enkelt å få løst saken min.",
        "question_en": "It was easy to get my issue solved.",
        "low_label_nb": "Helt uenig",
        "low_label_en": "Strongly disagree",
        "high_label_nb": "Helt enig",
        "high_label_en": "Strongly agree",
    },
]


def create_default_surveys(apps, schema_editor):
    Survey = apps.get_model("surveys", "Survey")
    for values in DEFAULT_SURVEYS:
        if not Survey.objects.filter(kind=values["kind"], is_active=True).exists():
            Survey.objects.create(is_active=True, **values)


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]

    operations = [migrations.RunPython(create_default_surveys, migrations.RunPython.noop)]
