"""Import a file from the command line: ``manage.py import_file --kind children --source
Mosaic [--dry-run] [--user USERNAME] [--map "Heading=field" ...] PATH``.

The same service as the import page (imports.services): --dry-run prints the preview and
writes nothing; otherwise a clean preview is applied in one transaction. The exit code is
non-zero when the file is refused, needs a mapping, has rows in error, or fails to apply.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from imports import columns, services
from imports.models import ImportKind, ImportStatus

SHOWN = 20


class Command(BaseCommand):
    help = "Preview (--dry-run) or apply an import of staff, children or PEPs from a CSV or XLSX file."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The CSV or XLSX file.")
        parser.add_argument("--kind", required=True, choices=ImportKind.values)
        parser.add_argument(
            "--source", required=True, help="The system the file comes from (its saved column mapping is used)."
        )
        parser.add_argument("--dry-run", action="store_true", dest="dry_run", help="Print the preview; write nothing.")
        parser.add_argument("--user", help="Import as this user (default: the system).")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="HEADING=FIELD",
            help="Map a heading of the file to a field (FIELD empty: not imported); "
            "kept for the source once the preview is clean. Repeat for more.",
        )

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"No active user {options['user']!r}.")
        mapping = self._mapping(options["kind"], options["map"])
        with path.open("rb") as upload:
            run = services.preview_import(
                options["kind"], upload, source=options["source"], user=user, mapping=mapping, file_name=path.name
            )
        self._print_preview(run)
        if run.status != ImportStatus.PREVIEWED:
            raise CommandError(run.message or f"The import is {run.get_status_display().lower()}.")
        if run.errors:
            raise CommandError(
                f"{run.errors} row(s) in error: nothing imported. "
                f"The errors: import #{run.pk} (errors CSV on the import page)."
            )
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing written.")
            return
        run = services.apply_import(run, user)
        if run.status != ImportStatus.APPLIED:
            raise CommandError(run.message)
        self.stdout.write(
            self.style.SUCCESS(
                f"Applied import #{run.pk}: {run.new} new, {run.changed} changed, {run.unchanged} unchanged."
            )
        )
        for note in run.notes:
            if note.startswith("QA samples"):
                self.stdout.write(f"  {note}")

    def _mapping(self, kind, pairs) -> dict:
        known = {f.name for f in columns.fields(kind)}
        mapping = {}
        for pair in pairs:
            heading, sep, field = pair.partition("=")
            if not sep or not heading.strip():
                raise CommandError(f"--map {pair!r}: write it as HEADING=FIELD.")
            field = field.strip()
            if field and field not in known:
                raise CommandError(f"--map {pair!r}: {field!r} is not a field; the fields: {', '.join(sorted(known))}.")
            mapping[heading.strip()] = field
        return mapping

    def _print_preview(self, run):
        out = self.stdout
        out.write(
            f"Import #{run.pk}: {run.get_kind_display()} from {run.source.name}, file {run.file_name}"
            + (f" (sha256 {run.sha256[:12]}...)" if run.sha256 else "")
        )
        for note in run.notes:
            out.write(f"  {note}")
        if run.status == ImportStatus.REFUSED:
            out.write(self.style.ERROR(f"Refused: {run.message}"))
            return
        if run.status == ImportStatus.NEEDS_MAPPING:
            out.write(self.style.WARNING(run.message))
            out.write(
                'Map the columns with --map "Heading=field"; the fields: '
                + ", ".join(f.name for f in columns.fields(run.kind))
                + "."
            )
            return
        out.write(
            f"{run.rows} rows: {run.new} new, {run.changed} changed, {run.unchanged} unchanged, {run.errors} in error."
        )
        if run.error_count:
            out.write(f"Errors (the first {min(SHOWN, run.error_count)} of {run.error_count}):")
            for error in run.row_errors.order_by("row", "pk")[:SHOWN]:
                out.write(f"  {error}")
        changes = list(run.row_changes.filter(action="changed").order_by("row")[:SHOWN])
        if changes:
            out.write(f"Changes (the first {len(changes)} of {run.changed}):")
            for change in changes:
                lines = "; ".join(
                    f"{label}: {before or '(blank)'} -> {after or '(blank)'}"
                    for label, before, after in services.change_lines(run.kind, change)
                )
                out.write(f"  Row {change.row} ({change.key}): {lines}")
