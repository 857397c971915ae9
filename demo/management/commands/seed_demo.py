"""Load a realistic demo Virtual School: ``manage.py seed_demo [--if-empty] [--flush]``."""

import os
import time
from pathlib import Path

from auditlog.context import disable_auditlog
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test import override_settings

from accounts.models import User
from demo.exports import write_demo_exports
from demo.school import DEMO_USERNAMES, build_demo_school, existing_data, flush_demo_data
from peps.models import Child

DEFAULT_PASSWORD = "demo-password-2026"


class Command(BaseCommand):
    help = (
        "Create a demo Virtual School: staff users, schools, social workers, three terms of "
        "children's PEPs and QA reviews. Password: --password, else $DEMO_PASSWORD, else "
        f"{DEFAULT_PASSWORD!r}."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", help="Password for every demo user.")
        parser.add_argument("--children", type=int, default=200, help="How many children (default 200).")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed: the same seed gives the same school.")
        parser.add_argument(
            "--if-empty", action="store_true", dest="if_empty", help="Do nothing if there are already children."
        )
        parser.add_argument(
            "--flush",
            action="store_true",
            help="Delete the existing school data and users first (superusers outside the demo list are kept).",
        )
        parser.add_argument(
            "--exports-dir",
            dest="exports_dir",
            help="Where to write the example export files to import (default: MEDIA_ROOT/demo-exports).",
        )
        parser.add_argument(
            "--no-exports", action="store_true", dest="no_exports", help="Do not write the example export files."
        )

    def handle(self, *args, **options):
        if options["children"] < 1:
            raise CommandError("--children must be at least 1.")
        if options["if_empty"] and Child.objects.exists():
            self.stdout.write("Demo data already exists; nothing loaded.")
            self._list_users(User.objects.filter(username__in=DEMO_USERNAMES))
            return
        blockers = existing_data()
        if blockers:
            if not options["flush"]:
                raise CommandError(
                    "The database already has data (" + "; ".join(blockers) + "). Pass "
                    "--flush to delete it and load the demo school, or --if-empty to skip."
                )
            # Made-up children: their loading and deleting is not the audit trail's business.
            with disable_auditlog():
                flush_demo_data(stdout=self.stdout)

        password = options["password"] or os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
        started = time.monotonic()
        # The demo's schools and social workers have made-up addresses: the messages the
        # demo's reviews write (returned PEPs) are kept in the outbox as sent, to nobody.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), disable_auditlog():
            build_demo_school(password=password, seed=options["seed"], children=options["children"], stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo school loaded in {time.monotonic() - started:.1f} s."))
        if not options["no_exports"]:
            self._write_exports(Path(options["exports_dir"] or Path(settings.MEDIA_ROOT) / "demo-exports"))
        self.stdout.write(
            "Sign in as any user above; password: the one you gave (--password), or $DEMO_PASSWORD, or the default."
        )

    def _write_exports(self, directory: Path):
        paths = write_demo_exports(directory)
        self.stdout.write(f"Example export files to import, in {directory}:")
        for path in paths.values():
            self.stdout.write(f"  {path.name}")
        self.stdout.write(
            "Import one from the import page, or with e.g.:\n"
            f"  .venv/bin/python manage.py import_file --kind children --source Mosaic --dry-run "
            f"{paths['children']}"
        )

    def _list_users(self, users):
        for user in sorted(users, key=lambda u: DEMO_USERNAMES.index(u.username)):
            self.stdout.write(f"  {user.username:<10}  {user.get_role_display():<38}  {user.get_full_name()}")
        self.stdout.write("Password: the one given when the demo was loaded, or $DEMO_PASSWORD, or the default.")
