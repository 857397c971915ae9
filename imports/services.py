"""Importing staff, children and PEPs: preview a file, map its columns, apply it.

The pages (web/) and the command (`manage.py import_file`) call these; nothing else
writes an import.

- `preview_import(kind, file, source=..., user=...)` stores the file, reads it and checks
  every row against the database **without writing any domain data**, and returns the
  `ImportRun`: its `status` says what happened (`ImportStatus`):
  - PREVIEWED: `new`, `changed`, `unchanged`, `errors` (rows in error) counted,
    `row_errors` and `row_changes` listed; `can_apply` when no row is in error;
  - NEEDS_MAPPING: required columns were not found (or two columns hold one field):
    `mapping_request(run)` says what to ask, `preview_again(run, mapping=...)` answers;
  - REFUSED: the file cannot be read at all (`message` says why; nothing else recorded).
- `preview_again(run, user=..., mapping=...)` previews the stored file again (after the
  mapping step, or when a preview was superseded). A mapping that gives a clean preview
  is saved on the source: the next file from it needs no mapping.
- `apply_import(run, user)` re-reads the stored file (its hash checked), checks it all
  again and applies the whole file in one transaction, or nothing (status FAILED, with
  the reason in `message`). A double click applies once. Then the QA samples of the open
  terms it touched are topped up.
"""

import csv
import hashlib
import io
import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import DatabaseError, transaction
from django.utils import timezone

from accounts.models import User
from sampling.services import draw_term_samples, terms_to_draw

from . import columns, reading, rules
from .importers import IMPORTERS, ApplyFailed
from .models import ImportKind, ImportRowChange, ImportRun, ImportSource, ImportStatus
from .reading import FileRefused

logger = logging.getLogger(__name__)

PERMISSION = "hvs.import_data"
NOT_IMPORTED = ""  # a mapping's "do not import this column"


# The retention job (imports.retention) deleted the stored file.
FILE_EXPIRED = "The uploaded file has been deleted (it is kept for a limited time): upload the file again."


class ImportNotApplicable(ValidationError):
    """This run cannot be applied (errors, refused, superseded): the message says why."""


@dataclass
class Resolution:
    """How a file's headings match the kind's fields."""

    column_fields: dict[int, str]  # column index -> field name
    mapping: dict[str, str]  # heading -> field name, or "" for not imported
    unknown: list[str]  # headings not imported: matched to no field, or mapped to "not imported"
    duplicates: list[str] = field(default_factory=list)  # messages: two columns for one field
    identical: list[str] = field(default_factory=list)  # messages: the same heading twice
    notes: list[str] = field(default_factory=list)


@dataclass
class FieldChoice:
    name: str
    label: str
    help: str
    required: bool


@dataclass
class MappingRequest:
    """What the mapping step asks: for each heading of the file, which field it is.

    `mapping` is the current answer (heading -> field name, "" for not imported), to show
    as the selected choices; `unknown` the headings matched to nothing; `missing` the
    required fields not found (as sentences: "Date of birth", "First name and Last name,
    or Name"); `duplicates` the fields two columns claim; `fields` the choices."""

    kind: str
    headings: list[str]
    mapping: dict[str, str]
    unknown: list[str]
    missing: list[str]
    duplicates: list[str]
    fields: list[FieldChoice]
    message: str


# --- columns ---------------------------------------------------------------------------


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def resolve_columns(
    kind: str, headings: list[str], *, saved: dict | None = None, given: dict | None = None
) -> Resolution:
    """Match headings to fields: the mapping given (by heading), then the source's saved
    mapping, then the template's headings (columns.py), all ignoring case, spaces and
    punctuation."""
    known = columns.field_map(kind)
    template = columns.heading_index(kind)
    given_norm = {rules.normalise_heading(h): f for h, f in (given or {}).items()}
    saved = saved or {}
    for name in [*given_norm.values(), *saved.values()]:
        if name and name not in known:
            raise ValueError(f"{name!r} is not a field of a {kind} import")
    column_fields, mapping, unknown, notes = {}, {}, [], []
    by_field: dict[str, list[int]] = {}
    by_heading: dict[str, list[int]] = {}
    for index, heading in enumerate(headings):
        norm = rules.normalise_heading(heading)
        if not norm:
            continue
        by_heading.setdefault(norm, []).append(index)
        name = given_norm.get(norm, saved.get(norm, template.get(norm)))
        if not name:
            unknown.append(heading)
            mapping[heading] = NOT_IMPORTED
            continue
        mapping[heading] = name
        if name:
            by_field.setdefault(name, []).append(index)
    identical = [
        f"The heading '{headings[found[0]]}' is on columns "
        f"{' and '.join(column_letter(i) for i in found)}: keep one of them."
        for found in by_heading.values()
        if len(found) > 1 and mapping.get(headings[found[0]])
    ]
    duplicates = []
    for name, found in by_field.items():
        if len(found) > 1 and len({rules.normalise_heading(headings[i]) for i in found}) > 1:
            listed = " and ".join(f"'{headings[i]}' ({column_letter(i)})" for i in found)
            duplicates.append(
                f"The columns {listed} are both the {known[name].label.lower()}: import one "
                'of them (map the other to "not imported").'
            )
        column_fields[found[0]] = name
    if {"first_name", "last_name"} <= set(column_fields.values()) and "name" in column_fields.values():
        index = next(i for i, n in column_fields.items() if n == "name")
        del column_fields[index]
        notes.append(f"The column '{headings[index]}' is not imported: the first and last names are.")
    if unknown:
        notes.append("Columns not imported: " + ", ".join(f"'{h}'" for h in unknown) + ".")
    return Resolution(
        column_fields=dict(sorted(column_fields.items())),
        mapping=mapping,
        unknown=unknown,
        duplicates=duplicates,
        identical=identical,
        notes=notes,
    )


def mapping_request(run: ImportRun) -> MappingRequest:
    """The mapping step of a run (NEEDS_MAPPING; or PREVIEWED, to map the columns that
    were not imported)."""
    required = columns.required_names(run.kind)
    fields = [FieldChoice(f.name, f.label, f.help, f.name in required) for f in columns.fields(run.kind)]
    resolution = resolve_columns(run.kind, run.headings, saved=run.source.mapping, given=run.mapping)
    return MappingRequest(
        kind=run.kind,
        headings=list(run.headings),
        mapping=dict(run.mapping),
        unknown=list(run.ignored_headings),
        missing=list(run.missing_fields),
        duplicates=resolution.duplicates,
        fields=fields,
        message=run.message,
    )


# --- preview ----------------------------------------------------------------------------


def _check_permission(user: User | None) -> None:
    # None is the system: the command and the nightly drop.
    if user is not None and not user.has_perm(PERMISSION):
        raise PermissionDenied("Only the Virtual School Head and administrators import files.")


def get_source(name: str, kind: str) -> ImportSource:
    name = " ".join((name or "").split())[:100]
    if not name:
        raise ValueError("An import needs a source (the system the file comes from).")
    source = ImportSource.objects.filter(name__iexact=name, kind=kind).first()
    return source or ImportSource.objects.create(name=name, kind=kind)


def preview_import(
    kind: str,
    uploaded_file,
    *,
    source: ImportSource | str,
    user: User | None = None,
    mapping: dict | None = None,
    file_name: str | None = None,
) -> ImportRun:
    """Store the file and preview it (see the module docstring). `uploaded_file` is a
    Django upload or any binary file; `source` an ImportSource or a source name (made
    if new); `mapping` {heading: field name or ""} overrides the saved and template
    matching."""
    kind = ImportKind(kind)
    _check_permission(user)
    _check_mapping(kind, mapping)
    if not isinstance(source, ImportSource):
        source = get_source(source, kind)
    elif source.kind != kind:
        raise ValueError(f"The source {source} is not a source of {kind.label.lower()}.")
    name = os.path.basename(file_name or getattr(uploaded_file, "name", "") or "import")[:255]
    run = ImportRun(kind=kind, source=source, uploaded_by=user, file_name=name)
    try:
        run.size = reading.file_size(uploaded_file)
        reading.check_size(run.size)
    except FileRefused as exc:
        run.status, run.message = ImportStatus.REFUSED, exc.message
        run.save()
        return run
    uploaded_file.seek(0)
    extension = os.path.splitext(name)[1].lower()[:8]
    run.file.save(f"{uuid.uuid4().hex}{extension}", File(uploaded_file), save=False)
    run.sha256 = _sha256(run)
    # Not applicable until the preview has finished.
    run.status, run.message = ImportStatus.FAILED, UNEXPECTED_PREVIEW
    run.save()
    return _safe_preview(run, user, mapping or {}, learn=bool(mapping))


def preview_again(run: ImportRun, *, user: User | None = None, mapping: dict | None = None) -> ImportRun:
    """Preview the stored file again, with `mapping` ({heading: field or ""}) if given."""
    _check_permission(user)
    if run.status in (ImportStatus.APPLIED, ImportStatus.REFUSED):
        raise ImportNotApplicable(f"This import is {run.get_status_display().lower()}: upload the file again.")
    if run.file_expired:
        raise ImportNotApplicable(FILE_EXPIRED)
    _check_mapping(run.kind, mapping)
    if mapping is None:
        return _safe_preview(run, user, dict(run.mapping), learn=False)
    return _safe_preview(run, user, mapping, learn=True)


def _check_mapping(kind: str, mapping: dict | None) -> None:
    known = columns.field_map(kind)
    unknown = sorted({name for name in (mapping or {}).values() if name and name not in known})
    if unknown:
        raise ValueError(f"Not fields of a {kind} import: {', '.join(unknown)}")


UNEXPECTED_PREVIEW = "The file could not be previewed (an unexpected error, logged for the administrators)."
UNEXPECTED_APPLY = "The import stopped on an unexpected error (logged for the administrators): nothing was imported."


def _safe_preview(run: ImportRun, user, given: dict, *, learn: bool) -> ImportRun:
    """A preview that fails unexpectedly (a bug, a lost connection) leaves a failed run,
    logged, rather than an error page; its own writes are rolled back."""
    try:
        return _preview(run, user, given, learn=learn)
    except Exception:
        logger.exception("Import #%s: the preview failed", run.pk)
        ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.FAILED, message=UNEXPECTED_PREVIEW)
        run.refresh_from_db()
        return run


@transaction.atomic
def _preview(run: ImportRun, user, given: dict, *, learn: bool) -> ImportRun:
    run.row_errors.all().delete()
    run.row_changes.all().delete()
    for name in ("rows", "new", "changed", "unchanged", "errors", "error_count"):
        setattr(run, name, 0)
    run.message, run.notes, run.missing_fields = "", [], []
    try:
        with run.file.open("rb") as stored, reading.open_table(stored, kind=run.kind, file_name=run.file_name) as table:
            resolution = resolve_columns(run.kind, table.headings, saved=run.source.mapping, given=given)
            run.headings, run.mapping, run.ignored_headings = table.headings, resolution.mapping, resolution.unknown
            run.notes = [*table.notes, *resolution.notes]
            if resolution.identical:
                raise FileRefused(" ".join(resolution.identical))
            run.missing_fields = columns.missing_fields(run.kind, set(resolution.column_fields.values()))
            if run.missing_fields or resolution.duplicates:
                run.status = ImportStatus.NEEDS_MAPPING
                run.message = _mapping_message(run, resolution)
                run.save()
                return run
            importer = IMPORTERS[ImportKind(run.kind)](
                run, column_fields=resolution.column_fields, headings=table.headings, apply=False, user=user
            )
            importer.run_rows(table.rows)
            if not importer.counts["rows"]:
                raise FileRefused("The file has its headings but no rows.")
    except FileRefused as exc:
        run.row_errors.all().delete()
        run.row_changes.all().delete()
        run.status, run.message = ImportStatus.REFUSED, exc.message
        run.save()
        return run
    _take_counts(run, importer)
    run.notes += importer.notes
    run.status = ImportStatus.PREVIEWED
    run.save()
    if learn:
        _save_mapping(run.source, given, table_headings=run.headings)
    return run


def _mapping_message(run, resolution: Resolution) -> str:
    parts = []
    if run.missing_fields:
        parts.append("The file has no column for: " + "; ".join(run.missing_fields) + ".")
    parts.extend(resolution.duplicates)
    if resolution.unknown:
        parts.append("Its columns not matched: " + ", ".join(f"'{h}'" for h in resolution.unknown) + ".")
    parts.append("Say which column is which (the mapping is kept for the next file from this source).")
    return " ".join(parts)


def _save_mapping(source: ImportSource, given: dict, *, table_headings: list[str]) -> None:
    """Keep a mapping that gave a clean preview, for the next file from the source."""
    template = columns.heading_index(source.kind)
    present = {rules.normalise_heading(h) for h in table_headings}
    learnt = {
        rules.normalise_heading(h): f
        for h, f in given.items()
        if rules.normalise_heading(h) in present and template.get(rules.normalise_heading(h)) != f
    }
    merged = {**source.mapping, **learnt}
    if merged != source.mapping:
        source.mapping = merged
        source.save(update_fields=["mapping", "updated_at"])


def _take_counts(run: ImportRun, importer) -> None:
    run.rows = importer.counts["rows"]
    run.new = importer.counts["new"]
    run.changed = importer.counts["changed"]
    run.unchanged = importer.counts["unchanged"]
    run.errors = importer.counts["errors"]
    run.error_count = importer.error_count


def _sha256(run: ImportRun) -> str:
    digest = hashlib.sha256()
    with run.file.open("rb") as stored:
        while chunk := stored.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


# --- apply ------------------------------------------------------------------------------


def apply_import(run: ImportRun, user: User | None = None) -> ImportRun:
    """Apply a clean preview: the whole file in one transaction, or nothing (see the
    module docstring). Returns the run: APPLIED, or FAILED with `message`. Raises
    ImportNotApplicable for a run that is not a clean preview; an applied run is
    returned as it is (a double click applies once)."""
    _check_permission(user)
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().select_related("source").get(pk=run.pk)
        if run.status == ImportStatus.APPLIED:
            return run
        if run.file_expired:
            raise ImportNotApplicable(FILE_EXPIRED)
        if run.status != ImportStatus.PREVIEWED:
            raise ImportNotApplicable(
                f"This import is {run.get_status_display().lower()}: preview it again before applying it."
            )
        if run.errors:
            raise ImportNotApplicable("Rows of this file are in error: correct the file and upload it again.")
        try:
            with transaction.atomic():
                importer = _apply(run, user)
        except (ApplyFailed, FileRefused) as exc:
            run.status, run.message = ImportStatus.FAILED, exc.message
            run.save(update_fields=["status", "message"])
            return run
        except DatabaseError as exc:
            run.status = ImportStatus.FAILED
            run.message = f"The database refused the import ({type(exc).__name__}): nothing was imported."
            run.save(update_fields=["status", "message"])
            return run
        except Exception:
            logger.exception("Import #%s: the apply failed", run.pk)
            run.status, run.message = ImportStatus.FAILED, UNEXPECTED_APPLY
            run.save(update_fields=["status", "message"])
            return run
    _top_up_samples(run, importer)
    return run


def _apply(run: ImportRun, user):
    if _sha256(run) != run.sha256:
        raise ApplyFailed("The stored file has changed since the preview: upload it again. Nothing was imported.")
    run.row_changes.all().delete()
    with run.file.open("rb") as stored, reading.open_table(stored, kind=run.kind, file_name=run.file_name) as table:
        if table.headings != run.headings:
            raise ApplyFailed("The file's headings are not those previewed: upload it again.")
        # Exactly the columns previewed.
        resolution = resolve_columns(run.kind, table.headings, given=run.mapping)
        importer = IMPORTERS[ImportKind(run.kind)](
            run, column_fields=resolution.column_fields, headings=table.headings, apply=True, user=user
        )
        importer.run_rows(table.rows)
    _take_counts(run, importer)
    run.status = ImportStatus.APPLIED
    run.message = ""
    run.applied_at = timezone.now()
    run.applied_by = user
    run.save()
    # Other previews were made against the database as it was: they must be made again.
    ImportRun.objects.filter(status=ImportStatus.PREVIEWED).exclude(pk=run.pk).update(status=ImportStatus.SUPERSEDED)
    return importer


def _top_up_samples(run: ImportRun, importer) -> None:
    """The open terms' QA samples follow the PEPs (and children) just imported. After the
    import's commit: if it fails, the import stands and the 06:00 draw tops them up."""
    if run.kind == ImportKind.STAFF or not (run.new or run.changed):
        return
    open_terms = list(terms_to_draw())
    if run.kind == ImportKind.PEPS:
        open_terms = [t for t in open_terms if t.pk in importer.affected_terms]
    lines = [str(draw_term_samples(term)) for term in open_terms]
    if lines:
        run.notes = [*run.notes, *(f"QA samples topped up: {line}" for line in lines)]
        run.save(update_fields=["notes"])


# --- errors and changes, for people ------------------------------------------------------

ERRORS_CSV_HEADINGS = ["Row", "Column", "Value", "Error"]


def _safe_cell(value) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def error_rows(run: ImportRun) -> Iterator[list[str]]:
    """The run's errors as CSV rows (the headings first): row, column, value, message."""
    yield ERRORS_CSV_HEADINGS
    for error in run.row_errors.order_by("row", "pk").iterator(chunk_size=2000):
        yield [str(error.row), _safe_cell(error.column), _safe_cell(error.value), _safe_cell(error.message)]


def errors_csv(run: ImportRun) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(error_rows(run))
    return out.getvalue()


def error_file_name(run: ImportRun) -> str:
    stem = os.path.splitext(run.file_name)[0] or "import"
    return f"{stem}-errors.csv"


CHANGE_LABELS = {
    "school_id": "School URN",
    "allocated_officer_id": "Allocated officer",
    "social_worker_id": "Social worker",
    "designated_teacher_id": "Designated teacher",
    "officer_id": "Officer",
    "line_manager_id": "Line manager",
    "lead_area_ids": "Lead areas",
    "status": "Status here",
}


def change_label(kind: str, name: str) -> str:
    if name in CHANGE_LABELS:
        return CHANGE_LABELS[name]
    known = columns.field_map(kind)
    return known[name].label if name in known else name.replace("_", " ").capitalize()


def change_lines(kind: str, change: ImportRowChange) -> list[tuple[str, str, str]]:
    """A changed row's fields for a person: (label, before, after)."""
    return [(change_label(kind, name), before, after) for name, (before, after) in change.fields.items()]
