"""The OpenAPI schema at /api/schema/ and its Swagger UI at /api/docs/."""

import pytest
from django.core.management import call_command
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from tests.factories import FollowUpTaskFactory

pytestmark = pytest.mark.django_db

LIST_FILTERS = {
    "tier", "nps_min", "nps_max", "nps_category", "revenue_min", "revenue_max", "margin_min", "margin_max",
    "margin_pct_min", "time_cost", "account_manager", "industry", "region", "has_product", "lacks_product",
    "potential_min", "search",
}  # fmt: skip


@pytest.fixture
def schema() -> dict:
    response = APIClient().get("/api/schema/", {"format": "json"}, secure=True)
    assert response.status_code == 200
    return response.json()


def parameters(schema: dict, path_: str) -> dict[str, dict]:
    return {p["name"]: p for p in schema["paths"][path_]["get"]["parameters"]}


def test_the_schema_is_public_and_valid_openapi_3(schema):
    validate_schema(schema)

    assert schema["openapi"].startswith("3.")
    assert {"/api/customers/", "/api/customers/{id}/", "/api/upsell-candidates/"} <= set(schema["paths"])


def test_the_customer_list_documents_every_filter_with_a_type_and_a_description(schema):
    params = parameters(schema, "/api/customers/")

    assert set(params) == LIST_FILTERS | {"open_followup", "ordering", "cursor", "page_size", "format"}
    for name, param in params.items():
        assert param["in"] == "query", name
        assert param["schema"].get("type"), name
        assert param.get("description"), name
    assert params["tier"]["schema"] == {"type": "array", "items": {"type": "string", "enum": ["A", "B", "C"]}}
    assert params["tier"]["explode"] is True
    assert params["nps_min"]["schema"] == {"type": "integer", "minimum": 0, "maximum": 10}
    assert params["time_cost"]["schema"] == {"type": "boolean"}
    assert "-latest_nps" in params["ordering"]["schema"]["enum"]
    assert params["format"]["schema"]["enum"] == ["csv", "json"]


def test_the_upsell_candidates_require_a_product_and_share_the_list_filters(schema):
    params = parameters(schema, "/api/upsell-candidates/")

    assert params["product"]["required"] is True
    assert set(params) >= LIST_FILTERS
    assert "ordering" not in params


@pytest.mark.parametrize("path_", ["/api/customers/", "/api/upsell-candidates/"])
def test_lists_document_json_pages_csv_and_every_error(schema, path_):
    responses = schema["paths"][path_]["get"]["responses"]

    assert set(responses) == {"200", "400", "401", "403", "429"}
    assert set(responses["200"]["content"]) == {"application/json", "text/csv"}
    page = responses["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][page]["properties"]) == {"next", "previous", "results"}
    assert responses["400"]["content"]["application/json"]["schema"]["additionalProperties"] == {
        "type": "array",
        "items": {"type": "string"},
    }
    for code in ("401", "403", "429"):
        assert set(responses[code]["content"]) == {"application/json"}


def test_the_detail_documents_404(schema):
    responses = schema["paths"]["/api/customers/{id}/"]["get"]["responses"]

    assert set(responses) == {"200", "400", "401", "403", "404", "429"}


def test_the_sales_endpoints_generate_without_warnings_or_errors():
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/", include("sales.api.urls"))])

    validate_schema(generator.get_schema(request=None, public=True))

    assert not GENERATOR_STATS, (dict(GENERATOR_STATS._warn_cache), dict(GENERATOR_STATS._error_cache))


def test_the_whole_project_schema_validates_without_warnings(tmp_path):
    # Warnings of the whole project fail the deploy check in tests/test_settings.py.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")


def test_the_docs_page_loads_swagger_ui_from_the_sidecar_not_a_cdn():
    response = APIClient().get("/api/docs/", secure=True)

    html = response.content.decode()
    assert response.status_code == 200
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "/api/schema/" in html


def test_an_open_followup_answers_outcome_null_which_the_schema_allows(schema, superuser):

    FollowUpTaskFactory.create()
    client = APIClient()
    client.force_authenticate(superuser)

    row = client.get("/api/followups/", secure=True).json()["results"][0]

    assert row["outcome"] is None
    outcome = schema["components"]["schemas"]["FollowUpTask"]["properties"]["outcome"]
    assert outcome["nullable"] is True
    assert {"$ref": "#/components/schemas/OutcomeEnum"} in outcome["oneOf"]
    assert "" not in schema["components"]["schemas"]["OutcomeEnum"]["enum"]


def test_the_survey_answer_schema_gives_each_kind_its_own_score_range(schema):
    body = schema["components"]["schemas"]["SurveyResponseInputRequest"]

    ranges = {
        alternative["properties"]["kind"]["allOf"][0]["enum"][0]: (
            alternative["properties"]["score"]["minimum"],
            alternative["properties"]["score"]["maximum"],
        )
        for alternative in body["oneOf"]
    }
    assert ranges == {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
    assert schema["paths"]["/api/survey-responses/"]["post"]["requestBody"]["required"] is True


def test_the_followup_patch_schema_lists_the_five_requests_the_server_takes(schema):
    operation = schema["paths"]["/api/followups/{id}/"]["patch"]
    body = schema["components"]["schemas"]["PatchedFollowUpTaskUpdateRequest"]

    assert operation["requestBody"]["required"] is True
    assert set(operation["requestBody"]["content"]) == {"application/json"}
    assert {alt["title"]: sorted(alt["required"]) for alt in body["oneOf"]} == {
        "Start": ["status"],
        "Complete": ["outcome", "status"],
        "Cancel": ["note", "status"],
        "Note": ["note"],
        "Reassign": ["assigned_to"],
    }
    assert all(alt["additionalProperties"] is False for alt in body["oneOf"])


def test_the_metrics_since_parameter_states_the_years_the_server_takes(schema):
    since = {p["name"]: p for p in schema["paths"]["/api/metrics/nps/"]["get"]["parameters"]}["since"]

    assert since["schema"]["pattern"] == r"^(19|20|21)\d\d-"
