from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection


class Command(BaseCommand):
    help = "Loads demo data for every app (idempotent: running it again adds nothing twice)."

    def handle(self, *args, **options):
        for app in settings.PROJECT_APPS:
            try:
                module = import_module(f"{app}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app}.demo":
                    raise
                continue
            # Each seed runs its own transactions: some call services whose entry points are durable.
            module.seed(stdout=self.stdout)
            # Planner statistics for the rows just loaded, before the next app's seed queries them (autovacuum
            # would get there later, and never inside a caller's transaction): with statistics from before the
            # load, the planner takes the demo's thousands of rows for a handful and picks nested loops over them.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
