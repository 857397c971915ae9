"""The nightly drop: files a case-management or ePEP system leaves in a folder, imported
by the same services as the page and the command.

The folder is ``settings.IMPORT_DROP_DIR``, laid out by source and kind::

    <IMPORT_DROP_DIR>/<source name>/<staff|children|peps>/<file>.csv|.xlsx

e.g. ``/srv/hvs-drop/Mosaic/children/cla-2026-03-01.csv``. Each night the kinds are taken
in order (staff, then children, then PEPs, since PEPs need their children), each kind's
files in name order (date-stamped names import oldest first). A file is previewed and,
if it is clean, applied as the system user; then it is moved to ``done/`` beside it, or
to ``failed/`` (refused, needs a mapping, rows in error, or failed to apply) with the
import's number in its new name, so a file is never imported twice and a failed one
waits for a person (the import page lists the run and its errors).
"""

import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from . import services
from .models import ImportKind, ImportStatus

logger = logging.getLogger(__name__)

KIND_ORDER = [ImportKind.STAFF, ImportKind.CHILDREN, ImportKind.PEPS]
SUFFIXES = {".csv", ".txt", ".xlsx", ".xlsm", ".tsv"}


@dataclass
class DropResult:
    path: Path
    run_id: int | None
    status: str
    summary: str

    def __str__(self):
        return f"{self.path.name}: {self.summary}"


def dropped_files(root: Path) -> list[tuple[str, str, Path]]:
    """(source name, kind, file) for every file waiting, in the order they are imported."""
    waiting: list[tuple[str, str, Path]] = []
    if not root.is_dir():
        return waiting
    for kind in KIND_ORDER:
        for source_dir in sorted(p for p in root.iterdir() if p.is_dir()):
            folder = source_dir / kind.value
            if folder.is_dir():
                waiting += [
                    (source_dir.name, kind.value, path)
                    for path in sorted(folder.iterdir())
                    if path.is_file() and path.suffix.lower() in SUFFIXES and not path.name.startswith(".")
                ]
    return waiting


def import_dropped_files(root: str | Path | None = None) -> list[DropResult]:
    """Import every file waiting in the drop folder (see the module docstring)."""
    root = Path(root or settings.IMPORT_DROP_DIR or "")
    if not str(root) or str(root) == ".":
        return []
    results = []
    for source, kind, path in dropped_files(root):
        results.append(_import_one(source, kind, path))
    return results


def _import_one(source: str, kind: str, path: Path) -> DropResult:
    with path.open("rb") as upload:
        run = services.preview_import(kind, upload, source=source, user=None, file_name=path.name)
    if run.status == ImportStatus.PREVIEWED and not run.errors:
        run = services.apply_import(run, None)
    if run.status == ImportStatus.APPLIED:
        summary = f"import #{run.pk} applied: {run.new} new, {run.changed} changed, {run.unchanged} unchanged"
        _move(path, "done", run.pk)
    else:
        reason = run.message or f"{run.errors} rows in error"
        summary = f"import #{run.pk} {run.get_status_display().lower()}: {reason}"
        _move(path, "failed", run.pk)
        logger.warning("Dropped file not imported: %s: %s", path, summary)
    return DropResult(path=path, run_id=run.pk, status=run.status, summary=summary)


def _move(path: Path, folder: str, run_id: int) -> None:
    target = path.parent / folder
    target.mkdir(exist_ok=True)
    path.rename(target / f"{path.stem}.import-{run_id}{path.suffix}")
