"""Events, endpoints and deliveries (issue #6)."""
