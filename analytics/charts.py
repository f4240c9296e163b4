"""Small server-rendered SVG charts for the KPI dashboard (no JavaScript, no external library, CSP-safe).

Values are numbers we computed; labels are escaped. Each chart has a <title> and a text summary for screen readers.
Axis numbers and days are written in the active language.
"""

from django.utils import dateformat
from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

WIDTH, HEIGHT = 640, 180
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 40, 12, 12, 26


def _frame(title: str, max_value: float, unit: str) -> list[str]:
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for fraction in (0, 0.5, 1):
        y = PAD_TOP + plot_h * (1 - fraction)
        label = (f"{number_format(max_value * fraction, 0)}{unit}" if max_value >= 10 or unit != ""
                 else number_format(max_value * fraction, 1))
        parts.append(f'<line class="grid" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(label)}</text>')
    return parts


def _x(index: int, count: int) -> float:
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    return PAD_LEFT + plot_w * (index + 0.5) / max(count, 1)


def _day_labels(days: list, count: int) -> list[str]:
    step = max(1, count // 6)
    day_format = pgettext("a day on a chart's axis (PHP date format)", "M d")
    return [
        f'<text class="axis" x="{_x(i, count):.1f}" y="{HEIGHT - 8}" text-anchor="middle">{escape(dateformat.format(day, day_format))}</text>'
        for i, day in enumerate(days) if i % step == 0
    ]


def _no_data(title: str) -> str:
    text = _("%(chart)s: no data in this range.") % {"chart": title}
    return mark_safe(f'<p class="chart-empty">{escape(text)}</p>')


def bar_chart(title: str, days: list, values: list[float]) -> str:
    if not values:
        return _no_data(title)
    top = max(values) or 1
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    width = (WIDTH - PAD_LEFT - PAD_RIGHT) / len(values) * 0.7
    parts = _frame(title, top, "")
    for i, value in enumerate(values):
        h = plot_h * value / top
        parts.append(f'<rect class="bar" x="{_x(i, len(values)) - width / 2:.1f}" y="{PAD_TOP + plot_h - h:.1f}" '
                     f'width="{width:.1f}" height="{h:.1f}"><title>{escape(days[i].isoformat())}: {value:g}</title></rect>')
    parts += _day_labels(days, len(values)) + ["</svg>"]
    return mark_safe("".join(parts))


def line_chart(title: str, days: list, series: dict[str, list[float | None]], *, max_value: float = 1.0,
               unit: str = "%", scale: float = 100.0, target: float | None = None) -> str:
    """Lines for rates (0-1 shown as percentages) with an optional dashed target line."""
    count = len(days)
    if not count:
        return _no_data(title)
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    parts = _frame(title, max_value * scale, unit)
    if target is not None:
        y = PAD_TOP + plot_h * (1 - target / max_value)
        parts.append(f'<line class="target" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
    for index, (name, values) in enumerate(series.items()):
        points = [f"{_x(i, count):.1f},{PAD_TOP + plot_h * (1 - v / max_value):.1f}"
                  for i, v in enumerate(values) if v is not None]
        if points:
            parts.append(f'<polyline class="line line-{index}" points="{" ".join(points)}"><title>{escape(name)}</title></polyline>')
    parts += _day_labels(days, count) + ["</svg>"]
    return mark_safe("".join(parts))
