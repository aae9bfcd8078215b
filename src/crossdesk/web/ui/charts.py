"""Small server-rendered SVG charts (no JavaScript, no CDN, allowed by the CSP)."""

from markupsafe import Markup, escape

BAR_HEIGHT = 18
LABEL_WIDTH = 120
CHART_WIDTH = 420


def bar_chart(rows: list[tuple[str, int]]) -> Markup:
    """Horizontal bars, one per (label, value); empty when there is nothing to show."""
    if not rows:
        return Markup("")
    top = max(value for _, value in rows) or 1
    height = BAR_HEIGHT * len(rows) + 4
    parts = [
        f'<svg class="chart" role="img" width="{CHART_WIDTH}" height="{height}" '
        f'viewBox="0 0 {CHART_WIDTH} {height}">'
    ]
    for index, (label, value) in enumerate(rows):
        y = index * BAR_HEIGHT + 2
        width = max(2, int((CHART_WIDTH - LABEL_WIDTH - 40) * value / top))
        parts.append(
            f'<text x="0" y="{y + 13}" class="chart-label">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT - 5}" '
            f'class="chart-bar"><title>{escape(label)}: {value}</title></rect>'
            f'<text x="{LABEL_WIDTH + width + 4}" y="{y + 13}" class="chart-value">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # labels are escaped; the rest is numbers
