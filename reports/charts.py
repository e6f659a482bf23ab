"""Small SVG charts rendered on the server (no JavaScript): horizontal bars and daily columns."""

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe


def _fmt(value) -> str:
    return f"{value:.1f}"


def bar_chart(items: list[tuple[str, float]], *, title: str, width: int = 480, bar: int = 18,
              value_format=str) -> SafeString:
    """Horizontal bars, largest first as given; labels inside the SVG so it scales on a phone."""
    if not items:
        return mark_safe("")
    top = max(float(v) for _l, v in items) or 1.0
    label_w = 150
    plot_w = width - label_w - 70
    height = len(items) * (bar + 6) + 6
    parts = [f'<svg class="chart bar-chart" viewBox="0 0 {width} {height}" role="img" '
             f'preserveAspectRatio="xMinYMin meet" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(items):
        y = 6 + i * (bar + 6)
        w = max(float(value), 0) / top * plot_w
        short = label if len(label) <= 22 else label[:21] + "…"
        parts.append(
            f'<g><title>{escape(label)}: {escape(value_format(value))}</title>'
            f'<text x="{label_w - 6}" y="{y + bar - 5}" text-anchor="end" class="chart-label">{escape(short)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{_fmt(w)}" height="{bar}" rx="2" class="chart-bar"></rect>'
            f'<text x="{_fmt(label_w + w + 4)}" y="{y + bar - 5}" class="chart-value">'
            f'{escape(value_format(value))}</text></g>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above


def column_chart(points: list[tuple[str, float]], *, title: str, width: int = 600, height: int = 160,
                 value_format=str) -> SafeString:
    """One column per point (e.g. revenue per day), with the first and last labels under the axis."""
    if not points:
        return mark_safe("")
    top = max(float(v) for _l, v in points) or 1.0
    plot_h = height - 22
    step = width / len(points)
    parts = [f'<svg class="chart column-chart" viewBox="0 0 {width} {height}" role="img" '
             f'preserveAspectRatio="none" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(points):
        h = max(float(value), 0) / top * (plot_h - 4)
        x = i * step + step * 0.1
        parts.append(f'<rect x="{_fmt(x)}" y="{_fmt(plot_h - h)}" width="{_fmt(step * 0.8)}" height="{_fmt(h)}" '
                     f'class="chart-bar"><title>{escape(label)}: {escape(value_format(value))}</title></rect>')
    parts.append(f'<line x1="0" y1="{plot_h}" x2="{width}" y2="{plot_h}" class="chart-axis"></line>')
    parts.append(format_html('<text x="2" y="{}" class="chart-label">{}</text>', height - 6, points[0][0]))
    parts.append(format_html('<text x="{}" y="{}" text-anchor="end" class="chart-label">{}</text>',
                             width - 2, height - 6, points[-1][0]))
    parts.append("</svg>")
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 - every interpolated text is escaped


def line_chart(series: list[tuple[str, list[float | None]]], *, labels: list[str], title: str, width: int = 600,
               height: int = 180) -> SafeString:
    """Several lines over the same x axis (e.g. history and forecast); None leaves a gap."""
    values = [v for _n, vs in series for v in vs if v is not None]
    if not values or not labels:
        return mark_safe("")
    top = max(values) or 1.0
    plot_h = height - 22
    step = width / max(len(labels) - 1, 1)
    parts = [f'<svg class="chart line-chart" viewBox="0 0 {width} {height}" role="img" '
             f'preserveAspectRatio="none" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for index, (name, vs) in enumerate(series):
        path, pen = [], "M"
        for i, v in enumerate(vs):
            if v is None:
                pen = "M"
                continue
            path.append(f"{pen}{_fmt(i * step)},{_fmt(plot_h - v / top * (plot_h - 4))}")
            pen = "L"
        parts.append(f'<path d="{" ".join(path)}" class="chart-line series-{index}" fill="none">'
                     f'<title>{escape(name)}</title></path>')
    parts.append(f'<line x1="0" y1="{plot_h}" x2="{width}" y2="{plot_h}" class="chart-axis"></line>')
    parts.append(format_html('<text x="2" y="{}" class="chart-label">{}</text>', height - 6, labels[0]))
    parts.append(format_html('<text x="{}" y="{}" text-anchor="end" class="chart-label">{}</text>',
                             width - 2, height - 6, labels[-1]))
    parts.append("</svg>")
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 - every interpolated text is escaped
