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


COLUMN_WIDTH = 720
COLUMN_HEIGHT = 140
AXIS_HEIGHT = 16


def column_chart(rows: list[tuple[str, int]], *, chart_id: str, title: str) -> Markup:
    """Vertical bars over time, one per (day label, value), the first and last day named.

    Used for alerts, message volume and leads per day; every day of the period has a bar
    (zero days included) so gaps are visible.
    """
    if not rows:
        return Markup("")
    top = max(value for _, value in rows) or 1
    step = COLUMN_WIDTH / len(rows)
    plot = COLUMN_HEIGHT - AXIS_HEIGHT
    parts = [
        f'<svg id="{escape(chart_id)}" class="chart column-chart" role="img" '
        f'viewBox="0 0 {COLUMN_WIDTH} {COLUMN_HEIGHT}" width="100%" height="{COLUMN_HEIGHT}" '
        f'preserveAspectRatio="none"><title>{escape(title)}</title>'
    ]
    for index, (label, value) in enumerate(rows):
        height = round(value / top * (plot - 4), 1)
        parts.append(
            f'<rect class="bar" x="{round(index * step + 1, 1)}" y="{round(plot - height, 1)}" '
            f'width="{round(max(step - 2, 1), 1)}" height="{height}" data-value="{value}">'
            f"<title>{escape(label)}: {value}</title></rect>"
        )
    parts.append(
        f'<text class="chart-label" x="0" y="{COLUMN_HEIGHT - 3}">{escape(rows[0][0])}</text>'
        f'<text class="chart-label" x="{COLUMN_WIDTH}" y="{COLUMN_HEIGHT - 3}" '
        f'text-anchor="end">{escape(rows[-1][0])}</text></svg>'
    )
    return Markup("".join(parts))  # noqa: S704  # labels are escaped; the rest is numbers


def line_chart(
    labels: list[str], series: list[tuple[str, list[int]]], *, chart_id: str, title: str
) -> Markup:
    """One polyline per named series over the same days (e.g. inbound and outbound)."""
    if not labels or not series:
        return Markup("")
    top = max((max(values) for _, values in series if values), default=0) or 1
    plot = COLUMN_HEIGHT - AXIS_HEIGHT
    step = COLUMN_WIDTH / max(len(labels) - 1, 1)
    parts = [
        f'<svg id="{escape(chart_id)}" class="chart line-chart" role="img" '
        f'viewBox="0 0 {COLUMN_WIDTH} {COLUMN_HEIGHT}" width="100%" height="{COLUMN_HEIGHT}" '
        f'preserveAspectRatio="none"><title>{escape(title)}</title>'
    ]
    for number, (name, values) in enumerate(series):
        points = " ".join(
            f"{round(i * step, 1)},{round(plot - v / top * (plot - 4), 1)}"
            for i, v in enumerate(values)
        )
        parts.append(
            f'<polyline class="line line-{number}" fill="none" points="{points}">'
            f"<title>{escape(name)}: {sum(values)}</title></polyline>"
        )
    parts.append(
        f'<text class="chart-label" x="0" y="{COLUMN_HEIGHT - 3}">{escape(labels[0])}</text>'
        f'<text class="chart-label" x="{COLUMN_WIDTH}" y="{COLUMN_HEIGHT - 3}" '
        f'text-anchor="end">{escape(labels[-1])}</text></svg>'
    )
    return Markup("".join(parts))  # noqa: S704  # names and labels are escaped
