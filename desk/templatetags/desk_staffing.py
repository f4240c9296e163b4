"""{% availability_panel [next_url] %}: the agent's own status (Available / Away, a small form) and the agents
available, in the header of the queue and of the console."""

from django import template

from desk.permissions import is_support_agent
from desk.selectors import staffing_panel

register = template.Library()


@register.inclusion_tag("admin/desk/availability.html", takes_context=True)
def availability_panel(context, next_url=""):
    """`next_url`: where the toggle goes back to (this page by default; a fragment fetched for a page names the
    page)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or not is_support_agent(user):
        return {"show": False}
    return {"show": True, "next": next_url or request.get_full_path(), "csrf_token": context.get("csrf_token"),
            **staffing_panel(user, language=getattr(request, "LANGUAGE_CODE", "en"))}
