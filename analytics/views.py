"""The KPI dashboard in the admin: each KPI beside its target, daily trends, a CSV export.

Both the page and the export need the `chat.view_support_kpis` permission (managers, not every staff member): the
export holds every customer's email and comments. Non-staff are sent to the admin login; staff without the
permission get 403.
"""

import csv
import unicodedata
from datetime import date, timedelta

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics import charts, metrics


def _filters(request) -> tuple[date, date, str | None]:
    today = timezone.localdate()

    def day(name, default):
        try:
            return date.fromisoformat(request.GET.get(name, ""))
        except ValueError:
            return default

    first, last = day("start", today - timedelta(days=29)), day("end", today)
    if first > last:
        first, last = last, first
    language = request.GET.get("language") or None
    return first, last, language if language in ("en", "fr") else None


KPI_PERMISSION = "conversations.view_support_kpis"


def kpi_viewer_required(view):
    """Staff (else the admin login) with the KPI permission (else 403)."""
    return staff_member_required(permission_required(KPI_PERMISSION, raise_exception=True)(view))


@kpi_viewer_required
def kpi_dashboard(request):
    first, last, language = _filters(request)
    start, end = metrics.day_range(first, last)
    kpis = metrics.compute_kpis(start, end, language)
    series = metrics.daily_series(start, end, language)
    days = [row["day"] for row in series]
    context = {
        **admin.site.each_context(request),
        "title": _("Support KPIs"),
        "kpis": kpis,
        "headline": kpis.headline(),
        "first": first,
        "last": last,
        "language": language or "",
        "query": request.GET.urlencode(),
        "volume_chart": charts.bar_chart(_("Conversations per day"), days, [r["conversations"] for r in series]),
        "rates_chart": charts.line_chart(
            _("Auto-resolution and escalation rates per day"), days,
            {_("Auto-resolution"): [r["auto_resolution_rate"] for r in series],
             _("Escalation"): [r["escalation_rate"] for r in series]}),
        "csat_chart": charts.line_chart(_("Average CSAT per day"), days, {_("CSAT"): [r["csat"] for r in series]},
                                        max_value=5, unit="", scale=1, target=4.2),
    }
    return render(request, "admin/kpis.html", context)


class _Echo:
    def write(self, value):
        return value


# A cell a spreadsheet would read as a formula (OWASP CSV injection): = + - @, their full-width forms (which some
# spreadsheets fold to ASCII), or a tab / CR / LF first. Whitespace and invisible format characters (zero-width
# space, BOM, direction marks) in front do not make it safe: spreadsheets skip them.
_FORMULA_STARTS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")


def spreadsheet_safe(value) -> str:
    """`value` as CSV cell text that no spreadsheet evaluates: a would-be formula gets a leading single quote
    (OWASP's advice), so it shows as the text it is. Everything else is unchanged."""
    text = "" if value is None else str(value)
    if not text:
        return text
    first_visible = next((ch for ch in text if not (ch.isspace() or unicodedata.category(ch) == "Cf")), "")
    if text[0] in _FORMULA_STARTS or first_visible in _FORMULA_STARTS:
        return "'" + text
    return text


CSV_HEADER = ["conversation", "started", "closed", "status", "outcome", "language", "customer", "verified_email",
              "messages", "tool_calls", "escalated", "agent_joined", "resolution_seconds", "csat", "csat_comment"]


@kpi_viewer_required
def kpi_export(request):
    """Every conversation of the period, one row each; every cell passes through spreadsheet_safe (customers type
    the comments and emails, and a hostile one must not run in the manager's spreadsheet)."""
    first, last, language = _filters(request)
    start, end = metrics.day_range(first, last)
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(CSV_HEADER)
        for c in metrics.conversation_records(start, end, language).iterator(chunk_size=2000):
            yield writer.writerow([spreadsheet_safe(cell) for cell in (
                c.pk, c.started_at.isoformat(), c.closed_at.isoformat() if c.closed_at else "", c.status,
                c.outcome, c.language, c.customer.email if c.customer else "", c.verified_email, c.message_count,
                c.tool_call_count or 0, "yes" if c.escalated_at else "no", "yes" if c.agent_joined_at else "no",
                round(c.resolution.total_seconds()) if c.resolution is not None and c.closed_at else "",
                c.csat_score or "", c.csat_comment,
            )])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="conversations-{first}-{last}.csv"'
    return response
