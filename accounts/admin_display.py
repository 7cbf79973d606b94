"""How the admin shows what belongs to an organization, and how it shows durations.

Every organization has its own objects, often with the same names ("Companies"), so wherever
a user sees several organizations' objects, fields or records, each is labelled with its
organization. A staff member of one organization sees plain labels: naming the one
organization on every line would only repeat what they already know.
"""

from django import forms
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from accounts.models import Organization
from accounts.selectors import organizations_for_user

# Where the answer is kept on the request: a page asks for it once per column, choice list
# and title.
SEES_SEVERAL = "_sees_several_organizations"


def sees_several_organizations(request: HttpRequest) -> bool:
    """Whether the admin user can see more than one organization (a superuser, or a member
    of several)."""
    answer = getattr(request, SEES_SEVERAL, None)
    if answer is None:
        answer = organizations_for_user(request.user)[:2].count() > 1
        setattr(request, SEES_SEVERAL, answer)
    return answer


def with_organization(label: str, org: Organization) -> str:
    return f"{label} ({org.name})"


class OrganizationLabelledChoiceField(forms.ModelChoiceField):
    """A choice list whose every choice names its organization (the queryset should select
    `org` along)."""

    def label_from_instance(self, obj: Model) -> str:
        return with_organization(str(obj), obj.org)


def foreign_key_choices(request: HttpRequest, kwargs: dict) -> dict:
    """A ModelAdmin.formfield_for_foreignkey's keyword arguments, with choices that name
    their organization when the user sees several (`kwargs["queryset"]` is set)."""
    if sees_several_organizations(request):
        kwargs["queryset"] = kwargs["queryset"].select_related("org")
        kwargs["form_class"] = OrganizationLabelledChoiceField
    return kwargs


@admin.display(description="object", ordering="object")
def object_with_organization(item: Model) -> str:
    """The list column of a field's or record's object, with its organization."""
    return with_organization(str(item.object), item.org)


@admin.display(description="organization", ordering="org__name")
def organization_column(item: Model) -> str:
    return item.org.name


class OrganizationInTitleMixin:
    """For ModelAdmins of models with an `org`: the change page's title names the
    organization when the user sees several."""

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and context.get("subtitle") and sees_several_organizations(request):
            context["subtitle"] = with_organization(context["subtitle"], obj.org)
        return super().render_change_form(request, context, add, change, form_url, obj)


def milliseconds(value: float | None) -> str:
    """A duration in milliseconds as the admin shows it everywhere: to a tenth of a
    millisecond ("8.4 ms"), which keeps fast requests apart from one another without the
    float's noise."""
    if value is None:
        return "—"
    return f"{value:,.1f} ms"
