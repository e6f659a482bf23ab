from django.core.management.base import BaseCommand

from oms.demo import DEMO_USERS, demo_password


class Command(BaseCommand):
    help = "Prints the demo login of each role."

    def handle(self, *args, **options):
        for role in DEMO_USERS:
            self.stdout.write(f"  {role:<10} user: {role:<10} password: {demo_password(role)}")
