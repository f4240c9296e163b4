"""The knowledge base in the admin: entries with the ways customers ask them, drafts and publishing, the
assistant's answer previewed, and a topic's English and French entries side by side.

An entry's state is set by the button that saves it ("Save as draft", "Publish") or by the list's actions, which go
through faq.services.set_published (which also sets updated_at, which a bulk update must set by hand).
The change page previews what the assistant would answer a question (faq.editing.preview_answer): as a GET form
that reloads the page, and refreshed as one types by static/js/faq_preview.js from a small JSON view. The topic
page (/admin/faq/faqentry/topic/<key>/) edits both languages' entries in one form and saves them in one transaction
(faq.services.save_topic); the list and the change page say which translation is missing.
"""

from django.contrib import admin, messages
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import editing, services
from .admin_gaps import AnswersContentGaps  # also registers the content-gaps page
from .exceptions import FaqEditRefused
from .forms import FaqEntryForm, PhrasingForm, TopicEntryForm
from .models import FaqEntry, FaqPhrasing

PREVIEW_TEMPLATE = "admin/faq/faqentry/_preview_results.html"


class FaqPhrasingInline(admin.TabularInline):
    """An entry's phrasings are part of the entry: whoever may change (or add) the entry edits them, as on the
    topic page, without permissions of their own."""

    model = FaqPhrasing
    form = PhrasingForm
    fields = ["text"]
    extra = 1
    verbose_name_plural = _("How customers ask this")
    template = "admin/faq/faqentry/phrasings_inline.html"

    def _may_edit_entry(self, request, obj) -> bool:
        return request.user.has_perm("faq.add_faqentry" if obj is None else "faq.change_faqentry")

    def has_add_permission(self, request, obj=None):
        return self._may_edit_entry(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_edit_entry(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit_entry(request, obj)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("faq.view_faqentry") or self._may_edit_entry(request, obj)


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("draft", _("Draft")), ("published", _("Published"))]

    def queryset(self, request, queryset):
        if self.value() in ("draft", "published"):
            return queryset.filter(published=self.value() == "published")
        return queryset


class MissingTranslationFilter(admin.SimpleListFilter):
    title = _("missing a translation")
    parameter_name = "missing"

    def lookups(self, request, model_admin):
        return [("any", _("Any language")), *((code, editing.language_label(code)) for code in editing.LANGUAGES)]

    def queryset(self, request, queryset):
        if self.value() == "any":
            return editing.missing_translation(queryset)
        if self.value() in editing.LANGUAGES:
            return editing.missing_translation(queryset, self.value())
        return queryset


@admin.register(FaqEntry)
class FaqEntryAdmin(AnswersContentGaps, admin.ModelAdmin):
    form = FaqEntryForm
    list_display = ["question", "status", "category", "language", "translations", "updated_at"]
    list_filter = [StatusFilter, MissingTranslationFilter, "category", "language"]
    search_fields = ["question", "answer", "key", "phrasings__text"]
    ordering = ["category", "key", "language"]  # a topic's translations next to each other
    fields = ["question", "answer", "category", "language", "key"]
    inlines = [FaqPhrasingInline]
    actions = ["publish_selected", "move_to_drafts"]

    class Media:
        css = {"all": ["css/faq_admin.css"]}

    def get_queryset(self, request):
        return editing.with_translation_flags(super().get_queryset(request))

    # --- the list ---------------------------------------------------------------------------------------------
    @admin.display(description=_("status"), ordering="published")
    def status(self, entry):
        if entry.published:
            return format_html('<span class="faq-status faq-status-published">{}</span>', gettext("Published"))
        return format_html('<span class="faq-status faq-status-draft">{}</span>', gettext("Draft"))

    @admin.display(description=_("translations"))
    def translations(self, entry):
        missing = editing.missing_languages(entry)
        if not missing:
            others = ", ".join(editing.language_label(code) for code in editing.LANGUAGES if code != entry.language)
            return format_html('<a href="{}" class="faq-translated" title="{}">{}</a>', self._topic_url(entry.key),
                               gettext("Edit English and French side by side"), others)
        warnings = format_html_join(" ", '<span class="faq-missing">{}</span>', (
            (editing.missing_translation_text(code),) for code in missing))
        if not entry.key:
            return format_html("{} <span class=\"faq-no-key\">{}</span>", warnings, gettext("(no key)"))
        return format_html('<a href="{}">{}</a>', self._topic_url(entry.key), warnings)

    @admin.action(description=_("Publish selected entries"), permissions=["change"])
    def publish_selected(self, request, queryset):
        changed = services.set_published(entries=queryset, published=True)
        self.message_user(request, ngettext("%(count)d entry published: the assistant can answer with it.",
                                            "%(count)d entries published: the assistant can answer with them.",
                                            changed) % {"count": changed}, messages.SUCCESS)

    @admin.action(description=_("Move selected entries to drafts"), permissions=["change"])
    def move_to_drafts(self, request, queryset):
        changed = services.set_published(entries=queryset, published=False)
        self.message_user(request, ngettext("%(count)d entry moved to drafts: customers and the assistant don't "
                                            "see it.",
                                            "%(count)d entries moved to drafts: customers and the assistant don't "
                                            "see them.", changed) % {"count": changed}, messages.SUCCESS)

    # --- the change page --------------------------------------------------------------------------------------
    def save_model(self, request, obj, form, change):
        obj.published = editing.published_after_save(request.POST, current=obj.published if change else False)
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        answering_gaps = hasattr(request, "content_gap_outcome") or hasattr(request, "content_gap_error")
        if editing.status_button_pressed(request.POST) and "_popup" not in request.POST and not answering_gaps:
            return self._saved(request, obj)
        return super().response_add(request, obj, post_url_continue)  # a new entry for content gaps: back there

    def response_change(self, request, obj):
        if editing.status_button_pressed(request.POST) and "_popup" not in request.POST:
            return self._saved(request, obj)
        return super().response_change(request, obj)

    def _saved(self, request, entry):
        """After "Publish" or "Save as draft": back to the entry, told which state it is in now."""
        if entry.published:
            text = gettext("“%(question)s” is published: the assistant can answer with it.")
        else:
            text = gettext("“%(question)s” is saved as a draft: customers and the assistant don't see it.")
        self.message_user(request, text % {"question": entry.question}, messages.SUCCESS)
        url = reverse("admin:faq_faqentry_change", args=[entry.pk])
        return HttpResponseRedirect(add_preserved_filters(
            {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}, url))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            query = request.GET.get("preview", obj.question)
            missing = editing.missing_languages(obj)
            context.update({
                "preview": editing.preview_answer(entry=obj, query=query),
                "preview_url": reverse("admin:faq_faqentry_preview", args=[obj.pk]),
                "preview_max": editing.MAX_PREVIEW_QUERY,
                "missing_translations": [editing.missing_translation_text(code) for code in missing],
                "topic_url": self._topic_url(obj.key) if obj.key else "",
                "set_key_url": reverse("admin:faq_faqentry_set_key", args=[obj.pk]),
                "suggested_key": "" if obj.key else editing.suggested_key(obj),
                "can_change_entry": self.has_change_permission(request, obj),
            })
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- the views of its own ---------------------------------------------------------------------------------
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("topic/<slug:key>/", view(self.topic_view), name="faq_faqentry_topic"),
            path("<path:object_id>/preview/", view(self.preview_view), name="faq_faqentry_preview"),
            path("<path:object_id>/set-key/", view(self.set_key_view), name="faq_faqentry_set_key"),
            *super().get_urls(),
        ]

    def _topic_url(self, key: str) -> str:
        return reverse("admin:faq_faqentry_topic", args=[key])

    def _entry_or_404(self, request, object_id) -> FaqEntry:
        entry = self.get_object(request, unquote(object_id))
        if entry is None:
            raise Http404
        return entry

    def preview_view(self, request, object_id):
        """GET ?q=… -> the preview as JSON, with its HTML (the same template as the page's) for the script."""
        entry = self._entry_or_404(request, object_id)
        if not self.has_view_or_change_permission(request, entry):
            raise PermissionDenied
        preview = editing.preview_answer(entry=entry, query=request.GET.get("q", ""))
        html = render_to_string(PREVIEW_TEMPLATE, {"preview": preview, "original": entry}, request=request)
        return JsonResponse({**preview.as_json(), "html": html})

    def set_key_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        entry = self._entry_or_404(request, object_id)
        if not self.has_change_permission(request, entry):
            raise PermissionDenied
        try:
            services.set_topic_key(entry=entry, key=request.POST.get("key", ""))
        except FaqEditRefused as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.log_change(request, entry, [{"changed": {"fields": ["key"]}}])
            self.message_user(request, gettext("The key is “%(key)s”: the English and French entries with this key "
                                               "are one topic.") % {"key": entry.key}, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:faq_faqentry_change", args=[entry.pk]))

    def topic_view(self, request, key):
        """A topic's entries, one column per language, saved together; a missing language's column creates it."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        entries = editing.topic_entries(key)
        if not any(entries.values()):
            raise Http404
        category = next(entry.category for entry in entries.values() if entry)
        columns = []
        for code, entry in entries.items():
            editable = (self.has_change_permission(request, entry) if entry
                        else self.has_add_permission(request))
            bound = request.method == "POST" and editable
            form = None
            if entry or editable:
                form = TopicEntryForm(
                    request.POST if bound else None, prefix=code, empty_permitted=entry is None,
                    use_required_attribute=False,
                    instance=entry or FaqEntry(key=key, language=code, category=category, published=False),
                    initial=None if entry else {"category": category})
                if not editable:
                    for field in form.fields.values():
                        field.disabled = True
            columns.append({"code": code, "label": editing.language_label(code), "entry": entry, "form": form,
                            "editable": editable, "bound": bound,
                            "missing_text": editing.no_entry_yet_text(code)})
        editable_columns = [column for column in columns if column["editable"]]
        if request.method == "POST":
            if not editable_columns:
                raise PermissionDenied
            response = self._save_topic(request, key, editable_columns)
            if response is not None:
                return response
        return TemplateResponse(request, "admin/faq/faqentry/topic.html", {
            **self.admin_site.each_context(request),
            "title": gettext("Topic “%(key)s” in English and French") % {"key": key},
            "opts": self.model._meta,
            "key": key,
            "columns": columns,
            "can_save": bool(editable_columns),
            "editable_count": len(editable_columns),
            "has_errors": any(column["form"] is not None and column["form"].errors for column in columns),
        })

    def _save_topic(self, request, key, columns):
        """Save the posted columns in one transaction and redirect; None (the page shown again) on errors."""
        valid = [column["form"].is_valid() for column in columns]  # every column validated, its errors shown
        if not all(valid):
            return None
        changed = [column for column in columns if column["entry"] or column["form"].has_changed()]
        if not changed:
            self.message_user(request, gettext("Nothing to save: write the entry first."), messages.WARNING)
            return None
        try:
            saved = services.save_topic(key=key, edits=[column["form"].as_edit() for column in changed])
        except FaqEditRefused as error:
            self.message_user(request, error.message, messages.ERROR)
            return None
        for column, (entry, created) in zip(changed, saved, strict=True):
            if created:
                self.log_addition(request, entry, [{"added": {}}])
            elif column["form"].changed_data:
                self.log_change(request, entry, self.construct_change_message(request, column["form"], None))
        states = "; ".join(
            gettext("%(language)s: published") % {"language": entry.get_language_display()} if entry.published
            else gettext("%(language)s: draft") % {"language": entry.get_language_display()}
            for entry, _created in saved)
        self.message_user(request, gettext("Saved (%(states)s).") % {"states": states}, messages.SUCCESS)
        return HttpResponseRedirect(self._topic_url(key))
