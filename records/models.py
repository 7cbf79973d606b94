"""Objects, field definitions and records (issue #4)."""
