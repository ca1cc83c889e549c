"""Inline SVG bar charts (browser and PDF) with a text equivalent."""
from __future__ import annotations

from django.utils.html import escape


def bar_chart_svg(chart: dict, *, colour: str = "#1f5fae", width: int = 480) -> str:
    labels = [str(label) for label in chart.get("labels") or []]
    values = [float(v or 0) for v in chart.get("values") or []]
    count = min(len(labels), len(values))
    if not count:
        return ""
    maximum = float(chart.get("max") or 0) or max(values[:count]) or 1.0
    row, label_w, top = 24, 150, 28
    height = top + row * count + 10
    bar_area = width - label_w - 60
    title = escape(chart.get("title") or "Graphique")
    unit = escape(chart.get("unit") or "")
    summary = ", ".join(f"{escape(labels[i])} : {values[i]:g}{unit}" for i in range(count))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{title} – {summary}">',
        f'<text x="0" y="16" font-family="Helvetica" font-size="13" font-weight="bold" fill="#1a1a1a">{title}</text>',
    ]
    for i in range(count):
        y = top + i * row
        w = max(1.0, bar_area * min(values[i], maximum) / maximum)
        parts.append(f'<text x="0" y="{y + 15}" font-family="Helvetica" font-size="11" fill="#1a1a1a">{escape(labels[i][:28])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{colour}"/>')
        parts.append(
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" font-family="Helvetica" font-size="11" fill="#1a1a1a">{values[i]:g}{unit}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def chart_text(chart: dict) -> str:
    labels, values = chart.get("labels") or [], chart.get("values") or []
    unit = chart.get("unit") or ""
    return f"{chart.get('title') or 'Graphique'} : " + ", ".join(f"{l} {float(v):g}{unit}" for l, v in zip(labels, values))
