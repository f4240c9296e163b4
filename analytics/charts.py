"""Small server-rendered SVG charts for the KPI dashboard (no JavaScript, no external library, CSP-safe).

Values are numbers we computed; labels are escaped. Each chart has a <title>, and the page puts a data table with
the same numbers beside it (templates/admin/kpis.html). One x position per day of the range: a day without
conversations is a zero bar, or a gap in a line (no rate that day), never a day left out. Dates and numbers are
written for the active language.
"""

from datetime import date

from babel.dates import format_skeleton
from babel.numbers import format_decimal, format_percent
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from helpdesk.money import locale_of

WIDTH, HEIGHT = 640, 180
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 40, 12, 12, 26


def day_label(day: date) -> str:
    """ "Dec 5" in English, "5 déc." in French."""
    return format_skeleton("MMMd", day, locale=locale_of(get_language()))


def _number(value: float, digits: int) -> str:
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=locale_of(get_language()))


def _empty(title: str) -> str:
    return mark_safe('<p class="chart-empty">{}</p>'.format(
        escape(_("%(chart)s: no data in this range.") % {"chart": title})))


def _frame(title: str, max_value: float, unit: str) -> list[str]:
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for fraction in (0, 0.5, 1):
        y = PAD_TOP + plot_h * (1 - fraction)
        if unit == "%":
            label = format_percent(max_value * fraction / 100, locale=locale_of(get_language()))
        else:
            label = _number(max_value * fraction, 0 if max_value >= 10 or unit else 1) + unit
        parts.append(f'<line class="grid" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(label)}</text>')
    return parts


def _x(index: int, count: int) -> float:
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    return PAD_LEFT + plot_w * (index + 0.5) / max(count, 1)


def _day_labels(days: list, count: int) -> list[str]:
    step = max(1, count // 6)
    return [
        f'<text class="axis" x="{_x(i, count):.1f}" y="{HEIGHT - 8}" text-anchor="middle">{escape(day_label(day))}</text>'
        for i, day in enumerate(days) if i % step == 0
    ]


def bar_chart(title: str, days: list, values: list[float]) -> str:
    """One bar per day (a day with none has a zero bar)."""
    if not values or not any(values):
        return _empty(title)
    top = max(values) or 1
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    width = (WIDTH - PAD_LEFT - PAD_RIGHT) / len(values) * 0.7
    parts = _frame(title, top, "")
    for i, value in enumerate(values):
        h = plot_h * value / top
        parts.append(f'<rect class="bar" x="{_x(i, len(values)) - width / 2:.1f}" y="{PAD_TOP + plot_h - h:.1f}" '
                     f'width="{width:.1f}" height="{h:.1f}"><title>{escape(day_label(days[i]))}: {value:g}</title></rect>')
    parts += _day_labels(days, len(values)) + ["</svg>"]
    return mark_safe("".join(parts))


def _runs(values: list[float | None]) -> list[list[tuple[int, float]]]:
    """The consecutive (index, value) stretches without a None: a line is broken where a day has no value."""
    runs, current = [], []
    for i, value in enumerate(values):
        if value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((i, value))
    if current:
        runs.append(current)
    return runs


def line_chart(title: str, days: list, series: dict[str, list[float | None]], *, max_value: float = 1.0,
               unit: str = "%", scale: float = 100.0, target: float | None = None) -> str:
    """Lines for rates (0-1 shown as percentages) with an optional dashed target line. A day without a value breaks
    the line (a lone day is a dot): the points keep their day's place on the x-axis."""
    count = len(days)
    if not count or all(value is None for values in series.values() for value in values):
        return _empty(title)
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    parts = _frame(title, max_value * scale, unit)
    if target is not None:
        y = PAD_TOP + plot_h * (1 - target / max_value)
        parts.append(f'<line class="target" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
    for index, (name, values) in enumerate(series.items()):
        for run in _runs(values):
            points = [(_x(i, count), PAD_TOP + plot_h * (1 - v / max_value)) for i, v in run]
            if len(points) == 1:
                (x, y), = points
                parts.append(f'<circle class="dot line-{index}" cx="{x:.1f}" cy="{y:.1f}" r="3">'
                             f'<title>{escape(name)}</title></circle>')
            else:
                joined = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
                parts.append(f'<polyline class="line line-{index}" points="{joined}"><title>{escape(name)}</title>'
                             "</polyline>")
    parts += _day_labels(days, count) + ["</svg>"]
    return mark_safe("".join(parts))
