"""Imports: where a file came from, every run of it (kept), and what each run found and did."""

from django.conf import settings
from django.db import models


class ImportKind(models.TextChoices):
    STAFF = "staff", "Staff"
    CHILDREN = "children", "Children"
    PEPS = "peps", "PEPs"


class ImportSource(models.Model):
    """A system files come from (say "Mosaic" for children, "Welfare Call ePEP" for PEPs),
    with the column mapping saved the first time its headings needed one, so the next
    export from it imports without the mapping step."""

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=ImportKind.choices)
    # The file's heading, normalised (rules.normalise_heading), -> a template field name;
    # "" means "do not import this column".
    mapping = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["name", "kind"], name="unique_import_source")]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"


class ImportStatus(models.TextChoices):
    REFUSED = "refused", "Refused"  # not a file we can read: see message
    NEEDS_MAPPING = "needs_mapping", "Needs its columns mapping"
    PREVIEWED = "previewed", "Previewed"
    APPLIED = "applied", "Applied"
    FAILED = "failed", "Failed"  # the apply found a problem and wrote nothing
    SUPERSEDED = "superseded", "Superseded"  # another run was applied after this preview


class ImportRun(models.Model):
    """One file, previewed and perhaps applied. Every run is kept: who, when, the file and
    its hash, the source, the counts and the rows it changed."""

    kind = models.CharField(max_length=10, choices=ImportKind.choices)
    source = models.ForeignKey(ImportSource, on_delete=models.PROTECT, related_name="runs")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Blank: the system (the command or the nightly drop).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Children's personal data: under MEDIA_ROOT, never served as a static file.
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=300, blank=True)
    file_name = models.CharField(max_length=255)
    # When the retention job deleted the stored file (IMPORT_FILE_RETENTION_DAYS after the
    # upload): the run and what it did stay; it can no longer be previewed or applied.
    file_deleted_at = models.DateTimeField(null=True, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=15, choices=ImportStatus.choices)
    # Why a file was refused or an apply failed, in words for the person who uploaded it.
    message = models.TextField(blank=True)
    # The sheet read, the terms to be added, the columns not imported...
    notes = models.JSONField(default=list, blank=True)
    headings = models.JSONField(default=list, blank=True)  # as in the file
    mapping = models.JSONField(default=dict, blank=True)  # file heading -> field, as read
    ignored_headings = models.JSONField(default=list, blank=True)
    missing_fields = models.JSONField(default=list, blank=True)  # required, not found
    rows = models.PositiveIntegerField(default=0)
    new = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField("rows in error", default=0)
    error_count = models.PositiveIntegerField(default=0)  # may exceed the errors listed
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["kind", "status"])]

    def __str__(self):
        return f"{self.get_kind_display()} import #{self.pk} ({self.file_name}, {self.get_status_display()})"

    @property
    def can_apply(self) -> bool:
        """Previewed without errors. A run that changes nothing may be applied too: it is
        recorded, and writes nothing."""
        return self.status == ImportStatus.PREVIEWED and not self.errors and not self.file_expired

    @property
    def file_expired(self) -> bool:
        return self.file_deleted_at is not None

    @property
    def uploaded_by_label(self) -> str:
        return str(self.uploaded_by) if self.uploaded_by_id else "the system"


class RowAction(models.TextChoices):
    NEW = "new", "New"
    CHANGED = "changed", "Changed"


class ImportRowChange(models.Model):
    """A row a run adds or changes: planned at the preview, what was done once applied."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="row_changes")
    row = models.PositiveIntegerField(help_text="The row in the file (the headings are row 1).")
    key = models.CharField(max_length=200, help_text="The LA reference, username, or child and term.")
    action = models.CharField(max_length=10, choices=RowAction.choices)
    # {field: [before, after]} as text, for a changed row; {} for a new one (the stored
    # file holds its values).
    fields = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["run", "row"]

    def __str__(self):
        return f"Row {self.row} ({self.key}): {self.get_action_display()}"


class ImportRowError(models.Model):
    """Why a row cannot be imported, in words a person understands."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveIntegerField()
    column = models.CharField(max_length=200, blank=True, help_text="The file's heading.")
    value = models.TextField(blank=True)
    message = models.TextField()

    class Meta:
        ordering = ["run", "row", "pk"]

    def __str__(self):
        return error_sentence(self.row, self.column, self.value, self.message)


def error_sentence(row: int, column: str, value: str, message: str) -> str:
    """'Row 14, UPN 'A12345678901X': the check letter does not match'."""
    where = f"Row {row}" if row else "The file"
    if column:
        where += f", {column}"
        if value:
            shown = value if len(value) <= 60 else value[:57] + "..."
            where += f" '{shown}'"
    return f"{where}: {message}"
