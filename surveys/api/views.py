"""Endpoints of the surveys API. They validate, call a service and shape the answer; nothing more."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.throttling import FailOpenUserRateThrottle
from surveys.services.ingest import record_api_response

from .serializers import SurveyResponseInputSerializer, SurveyResponseSerializer


class CanAddSurveyResponses(BasePermission):
    """Signed-in users holding surveys.add_surveyresponse (integration users, importers)."""

    message = _("You need the permission 'surveys | survey response | Can add survey response'.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("surveys.add_surveyresponse"))


class SurveyResponseRateThrottle(FailOpenUserRateThrottle):
    # Generous for a form or a survey tool's webhook, small enough that a client stuck in a retry
    # loop cannot flood the follow-up queue. The rate lives here, not in settings, so the endpoint
    # carries its own limit. Counted in Django's default cache: give production a shared one. An
    # unreachable cache lets answers through (core.throttling): losing an answer is worse than a flood.
    scope = "survey_responses"
    rate = "600/min"


class SurveyResponseCreateView(APIView):
    """Take in one answer from another survey tool or form (POST /api/survey-responses/).

    201 with the stored response; 200 with the same body when `external_id` was seen before for the
    same answer; 409 when it was seen for a different one; 400 with field errors for invalid input.
    The service's refusals (ResponseConflict, BadInput such as no active survey of the kind) are
    answered by core.api.exception_handler.
    """

    # Token first: its WWW-Authenticate header is what turns an anonymous request into 401 rather
    # than 403 (SessionAuthentication has no header to offer).
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [CanAddSurveyResponses]
    throttle_classes = [SurveyResponseRateThrottle]
    # JSON only, as the schema says: a form body cannot carry null or an integer as such.
    parser_classes = [JSONParser]

    # The OpenAPI descriptions are documentation for the integrating developer, kept in English.
    @extend_schema(
        operation_id="survey_responses_create",
        request=SurveyResponseInputSerializer,
        responses={
            201: SurveyResponseSerializer,
            200: OpenApiResponse(SurveyResponseSerializer, description="Seen before: the stored response."),
            400: OpenApiResponse(description="Field errors: {field: [message, ...]}."),
            401: OpenApiResponse(description="No or invalid credentials."),
            403: OpenApiResponse(description="Lacks the permission to add survey responses."),
            409: OpenApiResponse(description="external_id already used for a different answer."),
        },
    )
    def post(self, request: Request) -> Response:
        incoming = SurveyResponseInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        response, created = record_api_response(**incoming.validated_data)
        return Response(
            SurveyResponseSerializer(response).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
