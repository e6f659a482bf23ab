"""Recomputes every stock level from its movements (and the payments journal, when present).

Exit code 1 when anything drifted, so a cron job or CI step can alert on it.
"""

import importlib
import importlib.util
import sys

from django.core.management.base import BaseCommand

from inventory.services import ledger_drift


class Command(BaseCommand):
    help = "Verifies that every stock level equals the sum of its ledger movements (and the payments journal)."

    def handle(self, *args, **options):
        problems = 0
        drift = ledger_drift()
        for row in drift:
            self.stdout.write(
                f"stock drift: variant {row.variant_id} at location {row.location_id}: "
                f"on hand {row.level_on_hand} vs ledger {row.ledger_on_hand}, "
                f"reserved {row.level_reserved} vs ledger {row.ledger_reserved}"
            )
        problems += len(drift)
        if not drift:
            self.stdout.write("stock ledger: ok")
        problems += self._verify_journal()
        if problems:
            self.stderr.write(f"{problems} ledger problem(s) found")
            sys.exit(1)

    def _verify_journal(self) -> int:
        if importlib.util.find_spec("payments") is None or importlib.util.find_spec("payments.ledger") is None:
            return 0
        ledger = importlib.import_module("payments.ledger")
        verify = getattr(ledger, "verify_journal", None)
        if verify is None:
            return 0
        result = verify()
        if not result:
            self.stdout.write("payments journal: ok")
            return 0
        items = result if isinstance(result, list | tuple) else [result]
        for item in items:
            self.stdout.write(f"journal problem: {item}")
        return len(items)
