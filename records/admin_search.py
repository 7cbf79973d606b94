"""The records admin's search box: a record matches when its name or one of its text values
(text, email, phone and url fields) contains each word of the search.

Names are matched on the folded name and values on the value index's whole-text column:
both have trigram indexes on PostgreSQL, and the same lookups answer alike on SQLite.
"""

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Lower
from django.utils.text import smart_split, unescape_string_literal

from records import value_index
from records.lookups import CaseSensitiveContains


def search_words(search_term: str) -> list[str]:
    """The words of a search as the admin splits them: "quoted phrases" stay whole."""
    words = []
    for word in smart_split(search_term):
        if word.startswith(('"', "'")) and word[0] == word[-1] and len(word) > 1:
            word = unescape_string_literal(word)
        if word:
            words.append(word)
    return words


def name_contains(needle: str) -> Q:
    return Q(CaseSensitiveContains(F("name_folded"), Lower(Value(needle))))


def records_matching(search_term: str, *, orgs: QuerySet) -> Q:
    """Records whose name or a text value contains every word of `search_term`; the values
    are looked up among the organizations `orgs` only."""
    condition = Q()
    for word in search_words(search_term):
        condition &= name_contains(word) | value_index.words_containing(orgs, word)
    return condition
