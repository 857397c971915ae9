"""Reads of imports for the pages: the list of every import, one import's errors and
changes, the sources. Who may read them is for the access policy ("hvs.import_data")."""

from django.db.models import QuerySet

from .models import ImportRowChange, ImportRowError, ImportRun, ImportSource


def import_runs(kind: str | None = None) -> QuerySet[ImportRun]:
    """Every import, newest first, with who and where from."""
    runs = ImportRun.objects.select_related("source", "uploaded_by", "applied_by")
    return runs.filter(kind=kind) if kind else runs


def run_errors(run: ImportRun) -> QuerySet[ImportRowError]:
    return run.row_errors.order_by("row", "pk")


def run_changes(run: ImportRun, action: str | None = None) -> QuerySet[ImportRowChange]:
    changes = run.row_changes.order_by("row")
    return changes.filter(action=action) if action else changes


def sources(kind: str) -> QuerySet[ImportSource]:
    """The systems files of this kind came from before (their mapping is kept)."""
    return ImportSource.objects.filter(kind=kind).order_by("name")
