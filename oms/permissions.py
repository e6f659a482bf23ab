"""Back-office permissions and the roles that hold them: the one place access is declared.

Each URL names the permission it needs in its app's ``access.py``; each role is a group with the
permissions below, kept in the database by migrations that call ``sync_roles``. A change here
needs a new migration that calls ``sync_roles`` again (a test fails until then).
"""

from django.utils.translation import gettext_lazy as _

PERMISSIONS = [
    ("use_back_office", _("Use the back office")),
    ("view_catalogue", _("View catalogue and availability")),
    ("manage_catalogue", _("Manage catalogue")),
    ("manage_stock", _("Adjust, count, transfer and receive stock")),
    ("manage_purchasing", _("Manage suppliers, purchase orders and reorder rules")),
    ("take_orders", _("Take orders and manage customers")),
    ("view_orders", _("View orders")),
    ("manage_orders", _("Edit and cancel orders")),
    ("approve_orders", _("Approve held orders")),
    ("fulfil_orders", _("Pick, pack, ship and receive returns")),
    ("manage_marketing", _("Manage prices, promotions and campaigns")),
    ("view_finance", _("View payments, invoices and ledgers")),
    ("manage_finance", _("Refund, reconcile and export accounting")),
    ("view_reports", _("View dashboards and reports")),
    ("view_cost", _("See costs and margins")),
    ("manage_channels", _("Manage sales channels and integrations")),
    ("view_audit", _("View the audit trail")),
    ("manage_users", _("Manage staff users and their roles")),
    ("handle_personal_data", _("Export and erase customers' personal data (LGPD requests)")),
]

ALL = {codename for codename, _label in PERMISSIONS}

ROLE_PERMISSIONS: dict[str, set[str]] = {
    "agent": {"use_back_office", "view_catalogue", "take_orders", "view_orders"},
    "warehouse": {"use_back_office", "view_catalogue", "manage_stock", "fulfil_orders", "view_orders"},
    "manager": {
        "use_back_office", "view_catalogue", "take_orders", "view_orders", "manage_orders",
        "approve_orders", "view_reports", "view_cost", "view_finance", "manage_purchasing",
        "manage_marketing",
    },
    "finance": {"use_back_office", "view_orders", "view_finance", "manage_finance", "view_reports", "view_cost"},
    "admin": set(ALL),
}

ROLES = list(ROLE_PERMISSIONS)

ROLE_LABELS = {
    "agent": _("Call-center agent"),
    "warehouse": _("Warehouse"),
    "manager": _("Manager"),
    "finance": _("Finance"),
    "admin": _("Administrator"),
}


def role_label(role: str) -> str:
    """A role's name in the reader's language (the group's own name for a group that is no role)."""
    return str(ROLE_LABELS.get(role, role))


def sync_roles(apps) -> None:
    """Creates the role groups and sets exactly their permissions (used by data migrations)."""
    from django.contrib.auth.management import create_permissions

    oms_config = apps.get_app_config("oms")
    oms_config.models_module = True
    create_permissions(oms_config, apps=apps, verbosity=0)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    by_codename = {
        p.codename: p
        for p in Permission.objects.filter(content_type__app_label="oms", codename__in=ALL)
    }
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        # An earlier migration's state lacks the permissions added since; the migration adding them syncs again.
        group.permissions.set([by_codename[c] for c in sorted(codenames) if c in by_codename])
