"""The product against the ceiling per scenario, as an SVG drawn here (no plotting library):
for each scenario the ceiling's throughput is the full bar and the product's is its share."""

from html import escape
from typing import Any

WIDTH = 720
BAR = 16
LEFT = 230
RIGHT = 90


def _rate(value: float) -> str:
    return f"{value:,.1f}/s" if value < 10 else f"{value:,.0f}/s"


def svg(scenarios: dict[str, Any], *, subtitle: str) -> str:
    rows = [(name, s) for name, s in scenarios.items() if s.get("ceiling", {}).get("rps")]
    height = 70 + len(rows) * (2 * BAR + 22) + 30
    span = WIDTH - LEFT - RIGHT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        '<text x="10" y="22" font-size="15" font-weight="bold">'
        "Requests per second: product against ceiling</text>",
        f'<text x="10" y="40" fill="#555">{escape(subtitle)}</text>',
        f'<rect x="{LEFT}" y="50" width="12" height="10" fill="#9aa5b1"/>'
        f'<text x="{LEFT + 16}" y="59">ceiling (bare WSGI + psycopg, same SQL)</text>'
        f'<rect x="{LEFT + 300}" y="50" width="12" height="10" fill="#2b6cb0"/>'
        f'<text x="{LEFT + 316}" y="59">product</text>',
    ]
    y = 75
    for name, scenario in rows:
        ceiling = scenario["ceiling"]["rps"]
        product = scenario.get("product", {}).get("rps", 0.0)
        share = product / ceiling if ceiling else 0.0
        label = f"{name}. {scenario.get('title', '')}"
        parts.append(f'<text x="10" y="{y + BAR + 4}">{escape(label[:36])}</text>')
        parts.append(
            f'<rect x="{LEFT}" y="{y}" width="{span}" height="{BAR}" fill="#9aa5b1"/>'
            f'<text x="{LEFT + span + 6}" y="{y + 12}">{_rate(ceiling)}</text>'
        )
        width = max(1.0, min(span, span * share))
        parts.append(
            f'<rect x="{LEFT}" y="{y + BAR + 2}" width="{width:.1f}" height="{BAR}" '
            f'fill="#2b6cb0"/><text x="{LEFT + span + 6}" y="{y + 2 * BAR}">'
            f"{_rate(product)} ({share:.0%})</text>"
        )
        y += 2 * BAR + 22
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
