"""Contacts are records of the system object `contacts`; this proxy gives staff their own
admin page for them."""

from records.models import Record


class Contact(Record):
    class Meta:
        proxy = True
        ordering = ["name"]
