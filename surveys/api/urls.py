from django.urls import path

from .views import SurveyResponseCreateView

app_name = "surveys_api"

urlpatterns = [
    path("survey-responses/", SurveyResponseCreateView.as_view(), name="survey-response-create"),
]
