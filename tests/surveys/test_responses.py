import pytest

from core.errors import BadInput
from surveys.models import Category, Source, SurveyKind, SurveyPolicy, SurveyResponse
from surveys.services import ResponseConflict, record_response
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "score", "category"),
    [
        (SurveyKind.NPS, 0, Category.DETRACTOR),
        (SurveyKind.NPS, 6, Category.DETRACTOR),
        (SurveyKind.NPS, 7, Category.PASSIVE),
        (SurveyKind.NPS, 8, Category.PASSIVE),
        (SurveyKind.NPS, 9, Category.PROMOTER),
        (SurveyKind.NPS, 10, Category.PROMOTER),
        (SurveyKind.CSAT, 2, Category.DETRACTOR),
        (SurveyKind.CSAT, 3, Category.PASSIVE),
        (SurveyKind.CSAT, 4, Category.PROMOTER),
        (SurveyKind.CES, 3, Category.DETRACTOR),
        (SurveyKind.CES, 4, Category.PASSIVE),
        (SurveyKind.CES, 5, Category.PROMOTER),
    ],
)
def test_scores_fall_into_their_category(kind, score, category):
    response, _ = record_response(
        kind=kind, customer=CustomerFactory.create(), score=score, source=Source.API
    )

    assert SurveyResponse.objects.get(pk=response.pk).category == category


def test_the_csat_and_ces_unhappy_rule_is_configurable():
    SurveyPolicy.objects.update_or_create(pk=1, defaults={"csat_detractor_max": 3, "ces_detractor_max": 2})

    csat, _ = record_response(
        kind=SurveyKind.CSAT, customer=CustomerFactory.create(), score=3, source=Source.API
    )
    ces, _ = record_response(
        kind=SurveyKind.CES, customer=CustomerFactory.create(), score=3, source=Source.API
    )

    assert (csat.category, ces.category) == (Category.DETRACTOR, Category.PASSIVE)


@pytest.mark.parametrize(
    ("kind", "score"),
    [
        (SurveyKind.NPS, -1),
        (SurveyKind.NPS, 11),
        (SurveyKind.CSAT, 0),
        (SurveyKind.CSAT, 6),
        (SurveyKind.CES, 8),
    ],
)
def test_a_score_outside_its_scale_is_refused_and_not_stored(kind, score):
    with pytest.raises(BadInput) as error:
        record_response(kind=kind, customer=CustomerFactory.create(), score=score, source=Source.API)

    assert error.value.field == "score"
    assert not SurveyResponse.objects.exists()


def test_a_score_that_is_not_a_whole_number_is_refused():
    with pytest.raises(BadInput, match="scores run from 0 to 10"):
        record_response(kind=SurveyKind.NPS, customer=CustomerFactory.create(), score="7", source=Source.API)


def test_the_database_refuses_an_off_scale_score_from_any_path():
    from django.db import IntegrityError, transaction

    from tests.factories import SurveyResponseFactory

    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyResponseFactory.create(kind=SurveyKind.CSAT, score=9, category=Category.PROMOTER)


def test_the_same_idempotency_key_twice_stores_one_response():
    customer = CustomerFactory.create()

    first, created_first = record_response(
        kind=SurveyKind.NPS, customer=customer, score=4, source=Source.API, external_id="typeform-123"
    )
    second, created_second = record_response(
        kind=SurveyKind.NPS, customer=customer, score=4, source=Source.API, external_id="typeform-123"
    )

    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert SurveyResponse.objects.count() == 1


def test_the_same_idempotency_key_with_another_answer_is_a_conflict():
    customer = CustomerFactory.create()
    record_response(kind=SurveyKind.NPS, customer=customer, score=4, source=Source.API, external_id="k1")

    with pytest.raises(ResponseConflict, match="already used"):
        record_response(kind=SurveyKind.NPS, customer=customer, score=9, source=Source.API, external_id="k1")

    assert SurveyResponse.objects.get().score == 4
