"""Small charts rendered on the server (no JavaScript).

Text is never drawn inside a scaled SVG: an SVG with a viewBox scales its text with the panel, so labels were
7 px in a narrow dashboard panel and 26 px (and cut) in a wide one, and a stretched axis squashed them sideways.

- ``bar_chart``: horizontal bars in HTML and CSS (``static/css/reports.css``). Labels and values are page text
  at the page's size; the bars grow from the side the text starts on, so they mirror in right-to-left pages.
- ``column_chart`` and ``line_chart``: the marks alone in an SVG stretched to the panel, with the first and last
  labels under it in HTML. In right-to-left pages the drawing is mirrored by CSS so time runs the way the text
  reads, like the labels under it.

Labels come from the caller already formatted for the reader (dates with ``SHORT_DATE_FORMAT``).
"""

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


def _fmt(value) -> str:
    return f"{value:.1f}"


def bar_chart(items: list[tuple[str, float]], *, title: str, value_format=str) -> SafeString:
    """Horizontal bars, largest first as given. A long label wraps to a second line, then is cut with "…" by
    CSS (at its own end: ``dir="auto"``, so a Latin SKU in an Arabic page keeps its start) and shows whole on
    hover."""
    if not items:
        return mark_safe("")
    top = max(float(v) for _l, v in items) or 1.0
    rows = format_html_join(
        "", '<li class="bar-row" title="{0}: {1}"><span class="bar-label" dir="auto">{0}</span>'
            '<span class="bar-track" aria-hidden="true"><span class="bar" style="width: {2}%"></span></span>'
            '<bdi class="bar-value" dir="ltr">{1}</bdi></li>',
        ((label, value_format(value), _fmt(max(float(value), 0) / top * 100)) for label, value in items))
    return format_html('<figure class="chart bar-chart"><figcaption class="sr-only">{}</figcaption>'
                       '<ol class="bar-list">{}</ol></figure>', title, rows)


def _axis(first: str, last: str) -> SafeString:
    return format_html('<div class="chart-axis-labels" aria-hidden="true"><bdi>{}</bdi><bdi>{}</bdi></div>',
                       first, last)


def column_chart(points: list[tuple[str, float]], *, title: str, width: int = 600, height: int = 140,
                 value_format=str) -> SafeString:
    """One column per point (e.g. revenue per day), with the first and last labels under the axis."""
    if not points:
        return mark_safe("")
    top = max(float(v) for _l, v in points) or 1.0
    step = width / len(points)
    parts = [f'<svg class="chart-plot" viewBox="0 0 {width} {height}" role="img" '
             f'preserveAspectRatio="none" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for x, (label, value) in enumerate(points):
        h = max(float(value), 0) / top * (height - 4)
        parts.append(f'<rect x="{_fmt(x * step + step * 0.1)}" y="{_fmt(height - h)}" width="{_fmt(step * 0.8)}" '
                     f'height="{_fmt(h)}" class="chart-bar"><title>{escape(label)}: {escape(value_format(value))}'
                     f'</title></rect>')
    parts.append(f'<line x1="0" y1="{height - 0.5}" x2="{width}" y2="{height - 0.5}" class="chart-axis"></line></svg>')
    svg = mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above
    return format_html('<figure class="chart column-chart">{}{}</figure>', svg, _axis(points[0][0], points[-1][0]))


def line_chart(series: list[tuple[str, list[float | None]]], *, labels: list[str], title: str, width: int = 600,
               height: int = 160) -> SafeString:
    """Several lines over the same x axis (e.g. history and forecast); None leaves a gap."""
    values = [v for _n, vs in series for v in vs if v is not None]
    if not values or not labels:
        return mark_safe("")
    top = max(values) or 1.0
    step = width / max(len(labels) - 1, 1)
    parts = [f'<svg class="chart-plot" viewBox="0 0 {width} {height}" role="img" '
             f'preserveAspectRatio="none" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for index, (name, vs) in enumerate(series):
        path, pen = [], "M"
        for i, v in enumerate(vs):
            if v is None:
                pen = "M"
                continue
            path.append(f"{pen}{_fmt(i * step)},{_fmt(height - v / top * (height - 4))}")
            pen = "L"
        parts.append(f'<path d="{" ".join(path)}" class="chart-line series-{index}" fill="none">'
                     f'<title>{escape(name)}</title></path>')
    parts.append(f'<line x1="0" y1="{height - 0.5}" x2="{width}" y2="{height - 0.5}" class="chart-axis"></line></svg>')
    svg = mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above
    # which line is which: the names were only in the lines' tooltips, so the forecast could pass for the history
    legend = format_html_join("", '<li><span class="chart-swatch series-{}" aria-hidden="true"></span>{}</li>',
                              ((index, name) for index, (name, _values) in enumerate(series)))
    return format_html('<figure class="chart line-chart">{}{}<ul class="chart-legend">{}</ul></figure>', svg,
                       _axis(labels[0], labels[-1]), legend)
