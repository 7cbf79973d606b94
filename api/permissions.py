"""Scope checks: every API view says what scope each method needs."""

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from api.scopes import Scope, covers


def required_scope(request, view) -> Scope:
    """`view.required_scopes` maps a method or an action to a scope; otherwise reading is
    `read` and changing is `write`."""
    by_name = getattr(view, "required_scopes", {})
    action = getattr(view, "action", None)
    if action and action in by_name:
        return Scope(by_name[action])
    if request.method in by_name:
        return Scope(by_name[request.method])
    if "*" in by_name:
        return Scope(by_name["*"])
    return Scope.READ if request.method in SAFE_METHODS else Scope.WRITE


class HasScope(BasePermission):
    def has_permission(self, request, view) -> bool:
        method = request.method.lower()
        if method not in view.http_method_names or getattr(view, method, None) is None:
            return True  # the view does not answer this method: a 405 follows, not a 403
        key = request.auth
        if key is None:
            return False  # DRF answers 401 with WWW-Authenticate
        needed = required_scope(request, view)
        if not covers(key.scope, needed):
            raise PermissionDenied(
                f"This API key has the '{key.scope}' scope; this needs '{needed.value}'."
            )
        return True
