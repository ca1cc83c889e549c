"""Server-side SVG charts (radar, horizontal bars): plain strings, usable in pages and, later,
in PDF documents. Each chart has role="img", a <title> and a <desc> listing every value; pages
also show the same figures in a table (text equivalent)."""
from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import escape

BRAND = "var(--brand-strong, #1f5fae)"
GRID = "#c8ced6"
TEXT = "#1d2733"


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _description(points: Sequence[tuple[str, float | None]], maximum: float) -> str:
    return "; ".join(f"{label} : {'—' if value is None else _fmt(value)} sur {_fmt(maximum)}" for label, value in points)


def radar(points: Sequence[tuple[str, float | None]], *, title: str, maximum: float = 100.0, size: int = 360) -> str:
    """A radar of ``points`` (label, value 0..maximum); None counts as 0 on the drawing."""
    n = len(points)
    if n < 3:
        return bars(points, title=title, maximum=maximum)
    margin = 80
    cx = cy = size / 2 + margin
    radius = size / 2 - 10
    width = size + 2 * margin

    def at(index: int, fraction: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * index / n
        return cx + radius * fraction * math.cos(angle), cy + radius * fraction * math.sin(angle)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {width:.0f}" width="100%" '
        f'role="img" aria-label="{escape(title)}" class="chart__svg">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(_description(points, maximum))}</desc>",
    ]
    for ring in (0.25, 0.5, 0.75, 1.0):
        ring_points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (at(i, ring) for i in range(n)))
        parts.append(f'<polygon points="{ring_points}" fill="none" stroke="{GRID}" stroke-width="1"/>')
    for index, (label, _value) in enumerate(points):
        x, y = at(index, 1.0)
        parts.append(f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>')
        lx, ly = at(index, 1.12)
        anchor = "middle" if abs(lx - cx) < 5 else ("start" if lx > cx else "end")
        parts.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" dominant-baseline="middle" font-size="14" fill="{TEXT}">{escape(label)}</text>'
        )
    shape = " ".join(
        f"{x:.1f},{y:.1f}" for x, y in (at(i, max(0.0, min(1.0, (value or 0) / maximum))) for i, (_, value) in enumerate(points))
    )
    parts.append(f'<polygon points="{shape}" fill="{BRAND}" fill-opacity="0.25" stroke="{BRAND}" stroke-width="2.5"/>')
    for index, (_label, value) in enumerate(points):
        x, y = at(index, max(0.0, min(1.0, (value or 0) / maximum)))
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{BRAND}"/>')
    parts.append("</svg>")
    return "".join(parts)


def bars(points: Sequence[tuple[str, float | None]], *, title: str, maximum: float = 100.0, width: int = 560) -> str:
    """Horizontal bars with the value written at the end of each bar."""
    label_width, bar_height, gap = 200, 22, 12
    plot = width - label_width - 60
    height = len(points) * (bar_height + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(title)}" class="chart__svg">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(_description(points, maximum))}</desc>",
    ]
    for index, (label, value) in enumerate(points):
        y = gap + index * (bar_height + gap)
        length = plot * max(0.0, min(1.0, (value or 0) / maximum))
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar_height / 2:.1f}" text-anchor="end" dominant-baseline="middle" font-size="14" fill="{TEXT}">{escape(label)}</text>'
        )
        parts.append(f'<rect x="{label_width}" y="{y}" width="{plot}" height="{bar_height}" fill="#eef1f5"/>')
        parts.append(f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" fill="{BRAND}"/>')
        parts.append(
            f'<text x="{label_width + length + 6:.1f}" y="{y + bar_height / 2:.1f}" dominant-baseline="middle" font-size="14" fill="{TEXT}">'
            f'{"—" if value is None else _fmt(value)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def result_chart(result) -> str:
    """The chart of a result: radar for RIASEC, Big Five and the primo-diagnostic, bars for values."""
    definition_dimensions = _dimension_labels(result)
    dimensions = result.scores.get("dimensions", {})
    points = [(label, dimensions.get(code, {}).get("score")) for code, label in definition_dimensions.items()]
    if result.kind == "values":
        points.sort(key=lambda point: -(point[1] or 0))
        return bars(points, title="Valeurs professionnelles (score sur 100)")
    titles = {
        "riasec": "Profil d'intérêts RIASEC (score sur 100)",
        "big_five": "Cinq grands traits de personnalité (score sur 100)",
        "primo360": "Maturité du projet de mobilité par domaine de vie (sur 100)",
    }
    return radar(points, title=titles.get(result.kind, "Résultats (score sur 100)"))


def _dimension_labels(result) -> dict[str, str]:
    from bilans.assessments.models import Instrument

    instrument = Instrument.objects.filter(code=result.instrument_code, version=result.instrument_version).first()
    return instrument.definition.get("dimensions", {}) if instrument else {code: code for code in result.scores.get("dimensions", {})}
