"""Staff members: users who work in the admin on their organizations' data.

The admin shows a user what their memberships allow (accounts.selectors.organizations_for_user)
but only the pages their Django permissions allow; without any they see "You don't have
permission to view or edit anything". Making a user staff of an organization therefore does
three things: the staff flag, the membership, and the staff group, which holds the model
permissions below.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.db import transaction
from django.db.models import Q

from accounts.models import Organization
from accounts.services import add_member
from api.exceptions import InvalidInputError

STAFF_GROUP = "Organization staff"

VIEW = ("view",)
EDIT = ("view", "add", "change", "delete")

# (app label, model, actions). What is left out is left out on purpose: organizations are
# created and renamed, and access granted, by a superuser; API keys are revoked, not deleted
# (the revoke action), so that their requests stay attributable; endpoints are added through
# the API, which shows their secret once; the log is not edited. Deleting an endpoint deletes
# its deliveries, and the admin asks for both permissions.
STAFF_PERMISSIONS: list[tuple[str, str, tuple[str, ...]]] = [
    ("records", "object", EDIT),
    ("records", "field", EDIT),
    ("records", "record", EDIT),
    ("contacts", "contact", EDIT),
    ("webhooks", "endpoint", ("view", "change", "delete")),
    ("webhooks", "delivery", ("view", "delete")),
    ("webhooks", "attempt", VIEW),
    ("webhooks", "event", VIEW),
    ("accounts", "organization", VIEW),
    ("accounts", "apikey", ("view", "add", "change")),
    ("api", "requestlog", VIEW),
]


def staff_permissions() -> list[Permission]:
    """The staff group's permissions. They exist once the database is migrated."""
    wanted = Q(pk__in=[])
    for app_label, model, actions in STAFF_PERMISSIONS:
        wanted |= Q(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__in=[f"{action}_{model}" for action in actions],
        )
    found = list(Permission.objects.filter(wanted))
    expected = sum(len(actions) for _, _, actions in STAFF_PERMISSIONS)
    if len(found) != expected:
        raise InvalidInputError("Some staff permissions do not exist yet: run migrate first.")
    return found


def staff_group() -> Group:
    """The staff group, created when missing and given every staff permission (it keeps any
    permission added to it by hand)."""
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    group.permissions.add(*staff_permissions())
    return group


@dataclass
class StaffOutcome:
    user: AbstractBaseUser
    user_created: bool


@transaction.atomic
def make_staff(*, username: str, org: Organization, email: str = "") -> StaffOutcome:
    """Makes `username` (created, without a usable password, when there is no such user) a
    staff member of `org`, in the staff group. A superuser stays one."""
    user_model = get_user_model()
    user = user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).first()
    created = user is None
    if created:
        if not username.strip():
            raise InvalidInputError("A staff member needs a user name.")
        user = user_model.objects.create_user(username, email=email or "", password=None)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    add_member(org=org, user=user)
    user.groups.add(staff_group())
    return StaffOutcome(user=user, user_created=created)
