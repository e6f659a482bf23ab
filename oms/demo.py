"""Demo users, one per role. Passwords are printed by ``make run``; never use them in production."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from oms.permissions import ROLES

DEMO_USERS = {
    "agent": ("Ana", "Souza"),
    "manager": ("Marcos", "Lima"),
    "admin": ("Adriana", "Costa"),
    "warehouse": ("Wagner", "Alves"),
    "finance": ("Fátima", "Haddad"),
}


def demo_password(role: str) -> str:
    return f"{role}-demo-2026"


def seed(*, stdout) -> None:
    User = get_user_model()
    for role in ROLES:
        first, last = DEMO_USERS[role]
        user, created = User.objects.get_or_create(
            username=role, defaults={"first_name": first, "last_name": last, "email": f"{role}@example.com"}
        )
        if created:
            user.set_password(demo_password(role))
            user.is_staff = role == "admin"
            user.is_superuser = role == "admin"
            user.save()
        user.groups.add(Group.objects.get(name=role))
    stdout.write(f"Demo users ready: {', '.join(ROLES)}")
