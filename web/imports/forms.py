"""Forms of the import pages: the upload, the mapping step, and the past imports' filter.
Rendered with crispy-forms-gds."""

from typing import cast

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms

from imports.models import ImportKind, ImportSource, ImportStatus
from imports.services import NOT_IMPORTED, MappingRequest
from web.widgets import govuk_selects

NEW_SOURCE = "new"
MAX_SOURCE_NAME = 100


class UploadForm(forms.Form):
    """What is imported, where it comes from, and the file. The source is one already
    known (its mapping is kept) or a new one, named in the text box."""

    kind = forms.ChoiceField(
        label="What does the file hold?",
        choices=ImportKind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what the file holds: staff, children or PEPs",
            "invalid_choice": "Choose what the file holds: staff, children or PEPs",
        },
    )
    source = forms.ChoiceField(
        label="Which system is it from?",
        help_text="The mapping of its columns is kept for each system, for the next file from it.",
        error_messages={
            "required": "Choose the system the file is from",
            "invalid_choice": "Choose the system the file is from, from the list",
        },
    )
    new_source = forms.CharField(
        label="Name of the new system",
        help_text="If it is not in the list: for example, Mosaic, Liquidlogic LCS or Welfare Call ePEP.",
        required=False,
        max_length=MAX_SOURCE_NAME,
        error_messages={"max_length": f"The name of the system must be {MAX_SOURCE_NAME} characters or fewer"},
    )
    file = forms.FileField(
        label="Upload the file",
        help_text="A CSV or Excel (XLSX) file, as exported.",
        # Not the clearable input: there is nothing to clear, and it reads a second field.
        widget=forms.FileInput(attrs={"class": "govuk-file-upload"}),
        error_messages={
            "required": "Choose the file to import",
            "empty": "The file is empty: choose the exported file",
            "invalid": "Choose the file to import",
        },
    )

    def __init__(self, *args, max_size: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if max_size:
            self.fields["file"].help_text = f"A CSV or Excel (XLSX) file, as exported, of up to {max_size}."
        self.sources = {str(s.pk): s for s in ImportSource.objects.order_by("kind", "name")}
        groups: dict[str, list[tuple[str, str]]] = {}
        for pk, source in self.sources.items():
            groups.setdefault(source.get_kind_display(), []).append((pk, source.name))
        source_field = cast(forms.ChoiceField, self.fields["source"])
        source_field.choices = [
            ("", "Choose a system"),
            *((f"Sources of {label.lower()}", choices) for label, choices in groups.items()),
            (NEW_SOURCE, "Another system (name it below)"),
        ]
        if not self.sources:
            self.fields["source"].initial = NEW_SOURCE
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.radios("kind", legend_size=Size.SMALL),
            Field("source", context={"label_size": Size.for_label(Size.SMALL)}),
            Field.text("new_source", field_width=20),
            Field("file", context={"label_size": Size.for_label(Size.SMALL)}),
            Button.primary("preview", "Upload and preview"),
        )

    def clean(self):
        cleaned = super().clean() or {}
        kind, chosen = cleaned.get("kind"), cleaned.get("source")
        if chosen == NEW_SOURCE:
            name = " ".join(cleaned.get("new_source", "").split())
            if not name:
                self.add_error("new_source", "Enter the name of the system the file is from")
            cleaned["source_choice"] = name
        elif chosen:
            source = self.sources[chosen]
            if kind and source.kind != kind:
                self.add_error(
                    "source",
                    f"{source.name} is a source of {source.get_kind_display().lower()}: choose a system "
                    f"the {ImportKind(kind).label.lower()} come from, or another system",
                )
            cleaned["source_choice"] = source
        # A browser cannot show a file chosen before: when anything else is wrong, say so.
        if self.errors and "file" not in self.errors and cleaned.get("file"):
            self.add_error("file", "Choose the file again: a page with an error cannot keep the file chosen")
        return cleaned


class MappingForm(forms.Form):
    """The mapping step: for each heading of the file, the field it holds (or not
    imported). Fields are named by the heading's column, so any heading is safe.
    Rendered by templates/imports/_mapping.html: the unmatched columns first."""

    def __init__(self, *args, request: MappingRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        choices = [(NOT_IMPORTED, "Not imported")] + [
            (f.name, f"{f.label} (needed)" if f.required else f.label) for f in request.fields
        ]
        self.columns: list[tuple[str, str, int]] = []  # (form field name, heading, column index)
        for index, heading in enumerate(request.headings):
            if not heading.strip():
                continue
            name = f"column_{index}"
            self.columns.append((name, heading, index))
            self.fields[name] = forms.ChoiceField(
                label=heading,
                choices=choices,
                required=False,
                initial=request.mapping.get(heading, NOT_IMPORTED),
                error_messages={"invalid_choice": f"Choose a field for '{heading}' from the list"},
            )
        self.labels = {f.name: f.label for f in request.fields}

    @property
    def unknown(self) -> set[str]:
        return set(self.request.unknown)

    def clean(self):
        cleaned = super().clean() or {}
        taken: dict[str, str] = {}
        for name, heading, _index in self.columns:
            chosen = cleaned.get(name)
            if not chosen:
                continue
            if chosen in taken:
                self.add_error(
                    name,
                    f"'{taken[chosen]}' is the {self.labels[chosen].lower()} already: "
                    f"choose another field for '{heading}', or \"Not imported\"",
                )
            else:
                taken[chosen] = heading
        return cleaned

    def mapping(self) -> dict[str, str]:
        return {heading: self.cleaned_data.get(name) or NOT_IMPORTED for name, heading, _index in self.columns}


SORTS = {"date": ("created_at", "pk"), "-date": ("-created_at", "-pk")}


class RunFilterForm(forms.Form):
    """A GET form: which past imports the list shows."""

    kind = forms.ChoiceField(label="Kind", choices=[("", "All kinds"), *ImportKind.choices], required=False)
    status = forms.ChoiceField(label="Status", choices=[("", "All statuses"), *ImportStatus.choices], required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        govuk_selects(self.fields)

    def filter(self, runs):
        # An unknown kind or status filters nothing, rather than failing the page.
        if self.is_bound:
            self.is_valid()
        return runs.filter(**{k: v for k, v in getattr(self, "cleaned_data", {}).items() if v})
