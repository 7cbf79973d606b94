"""The contacts system object (issue #5)."""
