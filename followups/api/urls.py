from django.urls import path
from rest_framework.routers import SimpleRouter

from .metrics import DashboardMetricsView, NpsMetricsView
from .views import FollowUpTaskViewSet

app_name = "followups_api"

# SimpleRouter, not DefaultRouter: the API root view belongs to /api/ as a whole, not to this app.
router = SimpleRouter()
router.register("followups", FollowUpTaskViewSet, basename="followup")

urlpatterns = [
    *router.urls,
    path("metrics/nps/", NpsMetricsView.as_view(), name="metrics-nps"),
    path("metrics/dashboard/", DashboardMetricsView.as_view(), name="metrics-dashboard"),
]
