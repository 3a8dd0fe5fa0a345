from django.urls import path

from .views import CustomerDetailView, CustomerListView, UpsellCandidateListView

app_name = "sales_api"

urlpatterns = [
    path("customers/", CustomerListView.as_view(), name="customer-list"),
    # str, not int: a malformed id gets the API's JSON 404 from the view instead of Django's HTML page.
    path("customers/<str:pk>/", CustomerDetailView.as_view(), name="customer-detail"),
    path("upsell-candidates/", UpsellCandidateListView.as_view(), name="upsell-candidate-list"),
]
