"""The content-gaps page in the admin: "Questions without an answer", and the FAQ entry add form's part in it.

The page is UnansweredQuestion's changelist, listed under the FAQ app, rendered as the groups of faq.gaps.content_gaps
(filters: language, source, state; open by default). Seeing it needs the view permission on questions without an
answer; acting on a group needs `faq.add_faqentry` (write a new entry) or `faq.change_faqentry` (add it as a
phrasing of an entry, ignore it). Every action is a POST with CSRF that calls a service of faq.gaps.

A group is carried from page to action by `gap`/`ids`: comma-separated question ids, one per wording (each stands
for every open question of its language with the same terms; faq.gaps.open_wordings). "Write a new entry" opens the
FAQ entry add form with the question and language prefilled and `?gap=` in its URL, which the form posts back to
itself: AnswersContentGaps (mixed into FaqEntryAdmin) then marks the questions answered by the new entry and adds
them as its phrasings, in the add form's transaction, and sends the admin back to the page.
"""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from helpdesk.admin import LedgerAdmin

from . import gaps, search
from .exceptions import ContentGapError
from .models import FaqEntry, UnansweredQuestion

GAP_PARAM = "gap"
GROUPS_PER_PAGE = 25
WRITE_PERMISSION = "faq.add_faqentry"
CHANGE_PERMISSION = "faq.change_faqentry"


def parse_ids(value) -> list[int]:
    """Question ids from "12,15,99" (anything else in it is dropped), at most faq.gaps.MAX_ACTION_IDS."""
    ids = []
    for part in str(value or "").split(","):
        part = part.strip()
        if part.isdigit() and int(part) > 0 and int(part) not in ids:
            ids.append(int(part))
    return ids[:gaps.MAX_ACTION_IDS]


def join_ids(ids) -> str:
    return ",".join(str(pk) for pk in ids)


class GapFilters:
    """The page's filters, read from a query string; only known values pass (a redirect is built from them)."""

    LANGUAGES = dict(FaqEntry.Language.choices)
    SOURCES = dict(UnansweredQuestion.Source.choices)
    STATES = dict(UnansweredQuestion.State.choices)

    def __init__(self, query: QueryDict):
        self.language = query.get("language", "") if query.get("language") in self.LANGUAGES else ""
        self.source = query.get("source", "") if query.get("source") in self.SOURCES else ""
        self.state = query.get("state") if query.get("state") in self.STATES else UnansweredQuestion.State.OPEN
        page = query.get("p", "")
        self.page = int(page) if page.isdigit() else 1

    def query(self, *, page=None, **changes) -> str:
        values = {"language": self.language, "source": self.source, "state": self.state, **changes}
        if values["state"] == UnansweredQuestion.State.OPEN:
            values["state"] = ""
        if page and page > 1:
            values["p"] = page
        return urlencode({key: value for key, value in values.items() if value})

    def choices(self):
        """(label, [(label, query, selected)]) for each filter, as the page lists them."""
        every = [("", _("All"))]
        return [
            (_("Language"), [(label, self.query(language=code), code == self.language)
                             for code, label in [*every, *self.LANGUAGES.items()]]),
            (_("Source"), [(label, self.query(source=code), code == self.source)
                           for code, label in [*every, *self.SOURCES.items()]]),
            (_("State"), [(label, self.query(state=code), code == self.state) for code, label in self.STATES.items()]),
        ]


def gaps_url(filters: GapFilters | None = None, *, anchor: str = "") -> str:
    url = reverse("admin:faq_unansweredquestion_changelist")
    query = filters.query(page=filters.page) if filters else ""
    return url + (f"?{query}" if query else "") + (f"#{anchor}" if anchor else "")


def write_entry_url(group: gaps.Group) -> str:
    """The FAQ entry add form for `group`: its question and language prefilled, its questions in `gap`."""
    return reverse("admin:faq_faqentry_add") + "?" + urlencode({
        "question": group.representative.text[:300], "language": group.language,
        GAP_PARAM: join_ids(group.wording_ids)})


def announce(request, outcome: gaps.GapOutcome, *, new: bool) -> None:
    """One message: what an action did, and whether the same questions now find the entry."""
    values = {"entry": outcome.entry.question, "count": outcome.answered}
    if new:
        done = ngettext("“%(entry)s” answers %(count)d customer question; its wording is now one of its phrasings.",
                        "“%(entry)s” answers %(count)d customer questions; their wordings are now its phrasings.",
                        outcome.answered) % values
    else:
        done = ngettext("Added as a way to ask “%(entry)s” (%(count)d question answered).",
                        "Added as a way to ask “%(entry)s” (%(count)d questions answered).",
                        outcome.answered) % values
    others = len(outcome.unfound) - 1
    unfound = ngettext("But “%(question)s” still ranks below the bar: add a clearer phrasing.",
                       "But “%(question)s” and %(others)d more still rank below the bar: add clearer phrasings.",
                       len(outcome.unfound)) % {"question": outcome.unfound[0] if outcome.unfound else "",
                                                "others": others}
    if not outcome.entry.published:
        draft = _("The entry is a draft: customers and the assistant get it once it is published.")
        messages.warning(request, " ".join([done, draft, *([unfound] if outcome.unfound else [])]))
    elif outcome.found:
        messages.success(request, done + " " + _("The same question now finds it."))
    else:
        messages.warning(request, done + " " + unfound)


class UnansweredQuestionAdmin(LedgerAdmin):
    """Questions without an answer: the content-gaps page (the changelist), one question's page for reading, and
    the actions. Nothing is added, edited or deleted by hand."""

    fields = ["text", "language", "source", "state", "asked_at", "nearest_entry", "nearest_score", "ticket_number",
              "conversation_id", "answered_by_entry", "handled_by", "handled_at"]
    readonly_fields = fields

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("phrasing/", view(self.phrasing_view), name="faq_unansweredquestion_phrasing"),
            path("ignore/", view(require_POST(self.ignore_view)), name="faq_unansweredquestion_ignore"),
            *super().get_urls(),
        ]

    def _context(self, request, **context):
        return {**self.admin_site.each_context(request), "opts": self.opts, "app_label": self.opts.app_label,
                **context}

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        filters = GapFilters(request.GET)
        report = gaps.content_gaps(state=filters.state, language=filters.language or None,
                                   source=filters.source or None)
        page = Paginator(report.groups, GROUPS_PER_PAGE).get_page(filters.page)
        can_write = request.user.has_perm(WRITE_PERMISSION)
        can_change = request.user.has_perm(CHANGE_PERMISSION)
        acting = filters.state == UnansweredQuestion.State.OPEN and (can_write or can_change)
        cards = [{"group": group, "ids": join_ids(group.wording_ids),
                  "write_url": write_entry_url(group) if can_write else "",
                  "phrasing_url": (reverse("admin:faq_unansweredquestion_phrasing") + "?"
                                   + urlencode({GAP_PARAM: join_ids(group.wording_ids), "back": filters.query()})
                                   if can_change else "")}
                 for group in page.object_list]
        context = self._context(
            request, title=_("Questions without an answer"), report=report, page=page, cards=cards,
            filters=filters, filter_choices=filters.choices(), acting=acting, can_write=can_write,
            can_change=can_change, back=filters.query(page=filters.page), bar=search.relevance_bar(),
            pages=[(number, filters.query(page=number)) for number in page.paginator.page_range]
            if page.paginator.num_pages > 1 else [],
            **(extra_context or {}))
        return TemplateResponse(request, "admin/faq/content_gaps.html", context)

    def phrasing_view(self, request):
        """GET: the questions of a group (checkboxes) and an entry chooser; POST: add_as_phrasing."""
        if not (self.has_view_or_change_permission(request) and request.user.has_perm(CHANGE_PERMISSION)):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else request.GET
        back = GapFilters(QueryDict(data.get("back", "")))
        try:
            wordings = gaps.open_wordings(parse_ids(data.get(GAP_PARAM)))
        except ContentGapError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(gaps_url(back))
        if not wordings:
            messages.warning(request, _("These questions were already handled (or no longer exist)."))
            return HttpResponseRedirect(gaps_url(back))
        language = wordings[0].language
        chosen_ids = {wording.id for wording in wordings}
        if request.method == "POST":
            chosen = [pk for pk in parse_ids(",".join(request.POST.getlist("question"))) if pk in chosen_ids]
            entry_ids = parse_ids(request.POST.get("entry"))
            entry = FaqEntry.objects.filter(pk=entry_ids[0]).first() if entry_ids else None
            if not chosen:
                messages.error(request, _("Choose at least one of the questions."))
            elif entry is None:
                messages.error(request, _("Choose the entry these questions are another way to ask."))
            else:
                try:
                    outcome = gaps.add_as_phrasing(chosen, entry, request.user)
                except ContentGapError as error:
                    messages.error(request, error.message)
                else:
                    announce(request, outcome, new=False)
                    return HttpResponseRedirect(gaps_url(back))
            chosen_ids = set(chosen) or chosen_ids
        suggestions = search.rank(wordings[0].text, language=language, limit=5, include_drafts=True)
        nearest, _score = gaps.nearest_entry(wordings)
        posted = parse_ids(request.POST.get("entry")) if request.method == "POST" else []
        selected = posted[0] if posted else nearest or (suggestions[0].id if suggestions else None)
        suggested_ids = list(dict.fromkeys([*([nearest] if nearest else []), *(hit.id for hit in suggestions)]))
        entries = FaqEntry.objects.filter(language=language).order_by("question")
        by_id = {entry.pk: entry for entry in entries}
        scores = {hit.id: hit.score for hit in suggestions}
        context = self._context(
            request, title=_("Add as a phrasing of an entry"), wordings=wordings, chosen_ids=chosen_ids,
            language=FaqEntry.Language(language).label, gap=join_ids(w.id for w in wordings), back=back.query(),
            back_url=gaps_url(back), selected=selected, bar=search.relevance_bar(), suggestions=suggestions,
            suggested=[(by_id[pk], scores.get(pk)) for pk in suggested_ids if pk in by_id],
            others=[entry for entry in entries if entry.pk not in suggested_ids])
        return TemplateResponse(request, "admin/faq/gap_phrasing.html", context)

    def ignore_view(self, request):
        if not (self.has_view_or_change_permission(request) and request.user.has_perm(CHANGE_PERMISSION)):
            raise PermissionDenied
        back = GapFilters(QueryDict(request.POST.get("back", "")))
        try:
            ignored = gaps.ignore(parse_ids(request.POST.get("ids")), request.user)
        except ContentGapError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, ngettext(
                "Ignored %(count)d question: the same question asked again is recorded as ignored.",
                "Ignored %(count)d questions: the same questions asked again are recorded as ignored.",
                ignored) % {"count": ignored})
        return HttpResponseRedirect(gaps_url(back))


admin.site.register(UnansweredQuestion, UnansweredQuestionAdmin)


class AnswersContentGaps:
    """Mixed into FaqEntryAdmin (before admin.ModelAdmin): the add form opened by "Write a new entry" carries the
    group's question ids in `?gap=`; saving the new entry marks those still open answered by it and adds their
    wordings as its phrasings (faq.gaps.answer_with_new_entry, in the add form's transaction), then the admin goes
    back to the content-gaps page with what happened. Without the permission to see content gaps, or with ids
    that are no longer open, the entry is saved as any other."""

    def _gap_ids(self, request) -> list[int]:
        if not request.user.has_perm("faq.view_unansweredquestion"):
            return []
        return parse_ids(request.GET.get(GAP_PARAM))

    def add_view(self, request, form_url="", extra_context=None):
        ids = self._gap_ids(request)
        if ids and request.method == "GET":
            try:
                wordings = gaps.open_wordings(ids)
            except ContentGapError as error:
                messages.warning(request, error.message)
            else:
                count = sum(wording.count for wording in wordings)
                if count:
                    messages.info(request, ngettext(
                        "Writing the answer to %(count)d customer question (“%(example)s”): when you save the "
                        "entry, it is marked answered by it and added as one of its phrasings.",
                        "Writing the answer to %(count)d customer questions (“%(example)s”…): when you save the "
                        "entry, they are marked answered by it and their wordings added as its phrasings.",
                        count) % {"count": count, "example": wordings[0].text})
                else:
                    messages.warning(request, _("These questions were already handled (or no longer exist)."))
        return super().add_view(request, form_url, extra_context)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        ids = [] if change else self._gap_ids(request)
        if not ids:
            return
        try:
            request.content_gap_outcome = gaps.answer_with_new_entry(ids, form.instance, request.user)
        except ContentGapError as error:
            request.content_gap_error = error

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        error = getattr(request, "content_gap_error", None)
        if error is not None:
            messages.warning(request, error.message)
        outcome = getattr(request, "content_gap_outcome", None)
        if outcome is None:
            return response
        announce(request, outcome, new=True)
        if any(key in request.POST for key in ("_continue", "_addanother", "_saveasnew", IS_POPUP_VAR)):
            return response
        return HttpResponseRedirect(gaps_url())

