"""Types for test helpers: what Django's and DRF's test clients return."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    # HttpResponses with .json(), .context and .wsgi_request attached by the test clients.
    from django.test.client import _MonkeyPatchedWSGIResponse as ClientResponse
    from rest_framework.response import _MonkeyPatchedResponse as ApiClientResponse

    AnyClientResponse: TypeAlias = ClientResponse | ApiClientResponse
else:
    from django.http import HttpResponse as ClientResponse

    ApiClientResponse = AnyClientResponse = ClientResponse

__all__ = ["AnyClientResponse", "ApiClientResponse", "ClientResponse"]
