"""The admin's FAQ forms: an entry's change form, its phrasings' rows, and one language's column of a topic page."""

from django import forms
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .models import MAX_PHRASING, FaqEntry, FaqPhrasing
from .services import TopicEdit

# The forms' labels, capitalized (the model's verbose names are lower case, for the admin's lists and filters).
LABELS = {"question": pgettext_lazy("FAQ entry", "Question"), "answer": pgettext_lazy("FAQ entry", "Answer"),
          "category": _("Category"), "language": _("Language"), "key": _("Key")}
STATUS_DRAFT = "draft"
STATUS_PUBLISHED = "published"
STATUS_CHOICES = [(STATUS_DRAFT, _("Draft: customers and the assistant don't see it")),
                  (STATUS_PUBLISHED, _("Published: the assistant can answer with it"))]


def _key_taken_error(key: str, language: str) -> str:
    return gettext("There is already a %(language)s entry with the key “%(key)s”: a topic has one entry per "
                   "language.") % {"language": FaqEntry.Language(language).label, "key": key}


class FaqEntryForm(forms.ModelForm):
    """An entry's change form. Its state (draft or published) is set by the button that saves it, not by a field."""

    class Meta:
        model = FaqEntry
        fields = ["question", "answer", "category", "language", "key"]
        labels = LABELS
        help_texts = {
            "key": _("Ties the English and French entries of one topic together: the same key in both languages, "
                     "such as “return-window”. Needed to edit both side by side."),
        }

    def clean(self):
        cleaned = super().clean()
        key, language = cleaned.get("key"), cleaned.get("language")
        if key and language and FaqEntry.objects.filter(key=key, language=language).exclude(
                pk=self.instance.pk).exists():
            self.add_error("key", _key_taken_error(key, language))
        return cleaned

    def validate_constraints(self):
        """The one-entry-per-language rule is checked in clean(), with a message that says it: not twice."""
        if "key" not in self.errors:
            super().validate_constraints()


class PhrasingForm(forms.ModelForm):
    class Meta:
        model = FaqPhrasing
        fields = ["text"]
        labels = {"text": _("A customer asks")}
        help_texts = {"text": _("Another way customers ask this question, in their words. The assistant finds this "
                                "entry when a customer's question matches any of them.")}

    def clean_text(self):
        return FaqPhrasing.normalize(self.cleaned_data["text"])


class TopicEntryForm(forms.ModelForm):
    """One language's entry on a topic's page: question, answer, category, state and phrasings (one per line).

    Unbound fields of a missing language start empty (the category from the other language): left untouched, the
    form is valid and creates nothing (it is built with empty_permitted). `shown_entry` posts back the entry the
    page was showing, which services.save_topic checks is still the topic's."""

    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, widget=forms.RadioSelect,
                               initial=STATUS_DRAFT)
    phrasings = forms.CharField(
        label=_("How customers ask this"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One per line: other ways customers ask this question, in their words."))
    # The entry the page showed (empty: none yet), so that a topic changed meanwhile is refused, not overwritten.
    shown_entry = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = FaqEntry
        fields = ["question", "answer", "category"]
        labels = LABELS
        widgets = {"question": forms.TextInput(attrs={"class": "vTextField"}),
                   "answer": forms.Textarea(attrs={"rows": 10})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["shown_entry"] = self.instance.pk
        for name in ("question", "answer", "phrasings"):  # spelling checked in the entry's language
            self.fields[name].widget.attrs["lang"] = self.instance.language
        if self.instance.pk:
            self.initial["status"] = STATUS_PUBLISHED if self.instance.published else STATUS_DRAFT
            self.initial["phrasings"] = "\n".join(phrasing.text for phrasing in self.instance.phrasings.all())

    def clean_phrasings(self) -> list[str]:
        lines = [FaqPhrasing.normalize(line) for line in self.cleaned_data["phrasings"].splitlines()]
        too_long = [number for number, line in enumerate(lines, 1) if len(line) > MAX_PHRASING]
        if too_long:
            raise forms.ValidationError(ngettext(
                "A phrasing has at most %(max)d characters: line %(lines)s is longer.",
                "A phrasing has at most %(max)d characters: lines %(lines)s are longer.", len(too_long))
                % {"max": MAX_PHRASING, "lines": ", ".join(map(str, too_long))})
        return list(dict.fromkeys(line for line in lines if line))

    def as_edit(self) -> TopicEdit:
        data = self.cleaned_data
        return TopicEdit(language=self.instance.language, question=data["question"], answer=data["answer"],
                         category=data["category"], published=data["status"] == STATUS_PUBLISHED,
                         phrasings=tuple(data["phrasings"]), entry_id=data["shown_entry"])
