"""Imports a CSV/XLSX file from the command line: validates every row, then applies all or nothing.

    manage.py inventory_import stock levels.csv [--mode set|add] [--dry-run] [--user admin]
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from inventory.errors import InventoryError
from inventory.imports import KINDS, apply, read_rows, validate


class Command(BaseCommand):
    help = "Imports products, stock, suppliers, supplier_items or reorder_rules from a CSV or XLSX file."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("path")
        parser.add_argument("--dry-run", action="store_true", help="Only check the rows.")
        parser.add_argument("--mode", choices=["set", "add"], default="set",
                            help="Stock only: set on hand to the counted quantity (on_hand column) or add the "
                                 "received quantity (quantity column).")
        parser.add_argument("--user", default="", help="Username recorded on the ledger and audit trail.")

    def handle(self, *args, kind, path, dry_run, user, mode, **options):
        file = Path(path)
        if not file.exists():
            raise CommandError(f"No such file: {path}")
        acting_user = None
        if user:
            acting_user = get_user_model().objects.filter(username=user).first()
            if acting_user is None:
                raise CommandError(f"No such user: {user}")
        try:
            rows = read_rows(file.read_bytes(), file.name)
            checked = validate(KINDS[kind], rows, mode=mode)
        except InventoryError as exc:
            raise CommandError(exc.message)
        if checked.errors:
            for number, message in checked.errors:
                self.stderr.write(f"row {number}: {message}")
            raise CommandError(f"{len(checked.errors)} error(s); nothing was imported.")
        if dry_run:
            self.stdout.write(f"{len(checked.rows)} row(s) are valid (dry run, nothing written).")
            return
        try:
            count = apply(KINDS[kind], checked.rows, acting_user=acting_user, reference=f"import:{file.name}"[:64],
                          mode=mode)
        except InventoryError as exc:
            raise CommandError(f"{exc.message} Nothing was imported.")
        self.stdout.write(f"{count} row(s) imported.")
