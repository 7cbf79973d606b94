"""`make bench`: the product against a bare ceiling app on PostgreSQL, writes, webhooks and
tenant scale, bounded in time. The orchestrator is bench/run.py; docs/benchmarks.md says what
each figure means."""
