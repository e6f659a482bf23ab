from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand


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
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
