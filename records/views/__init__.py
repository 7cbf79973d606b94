"""The records app's API: the schema (objects and fields) and the records."""
