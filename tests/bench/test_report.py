"""The benchmark's report renders partial results (a run stopped early) without failing."""

from bench import chart, report


def test_a_partial_run_still_renders():
    results = {
        "date": "2026-01-01 00:00 UTC",
        "commit": "abc",
        "machine": {"cores": 2, "ram_gb": 8.0, "postgres": "15"},
        "knobs": {"connections": 4, "workers": 2},
        "aborted": "received SIGINT",
        "scenarios": {
            "a": {
                "title": "GET one record",
                "product": {"rps": 50.0, "p50_ms": 20.0, "p99_ms": 40.0, "non_2xx": 3},
                "ceiling": {"rps": 200.0, "p50_ms": 5.0, "p99_ms": 9.0},
                "rps_ratio": 0.25,
                "p50_ratio": 4.0,
                "queries": 6,
            }
        },
        "problems": ["scenario a on the product: 3 non-2xx"],
    }

    text = report.markdown(results)
    svg = chart.svg(results["scenarios"], subtitle="test")

    assert "stopped early: received SIGINT" in text
    assert "product: 3 non-2xx" in text
    assert "| a. GET one record | 50.0 |" in text
    assert svg.startswith("<svg") and "50/s (25%)" in svg and "200/s" in svg
