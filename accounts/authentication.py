"""DRF authentication by API key: `Authorization: Bearer <key>`, or HTTP Basic with the key as
the user name and an empty password (`curl -u 'KEY:'`)."""

import base64
import binascii
from dataclasses import dataclass

from rest_framework import authentication
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import ApiKey
from accounts.selectors import api_key_for_raw
from accounts.services import touch_api_key

REALM = "api"


@dataclass(frozen=True)
class ApiKeyUser:
    """`request.user` for a key: the key acts for its organization, not for a person."""

    api_key: ApiKey
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False

    @property
    def pk(self):
        return self.api_key.pk

    def __str__(self) -> str:
        return f"API key {self.api_key.prefix}"


def authenticate_raw_key(raw_key: str) -> tuple[ApiKeyUser, ApiKey]:
    api_key = api_key_for_raw(raw_key.strip())
    if api_key is None:
        raise AuthenticationFailed("The API key is not valid.")
    if api_key.is_revoked:
        raise AuthenticationFailed("The API key was revoked.")
    touch_api_key(api_key=api_key)
    return ApiKeyUser(api_key=api_key), api_key


class ApiKeyBearerAuthentication(authentication.BaseAuthentication):
    keyword = "bearer"

    def authenticate(self, request):
        scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != self.keyword:
            return None
        if not credentials.strip():
            raise AuthenticationFailed("The Authorization header has no key after 'Bearer'.")
        return authenticate_raw_key(credentials)

    def authenticate_header(self, request) -> str:
        return f'Bearer realm="{REALM}"'


class ApiKeyBasicAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise AuthenticationFailed("The Basic credentials are not valid base64.") from None
        username, _, _password = decoded.partition(":")
        if not username:
            raise AuthenticationFailed("Send the API key as the Basic user name.")
        return authenticate_raw_key(username)

    def authenticate_header(self, request) -> str:
        return f'Basic realm="{REALM}"'
