"""Who may open each URL of this app (see ``oms.access``). Cost and margin columns also need ``view_cost``."""

from django.utils.translation import gettext_lazy as _

from oms.access import NavItem

RULES: dict[str, str] = {
    "reports:dashboard": "view_reports",
    "reports:top": "view_reports",
    "reports:kpis": "view_reports",
    "reports:job_list": "view_reports",
    "reports:job_create": "view_reports",
    "reports:job_status": "view_reports",
    "reports:job_download": "view_reports",
    "reports:forecast": "view_reports",
    "reports:reorder_points": "manage_purchasing",  # a buyer's tool: it sets reorder rules
    "reports:schedule_create": "view_reports",
    "reports:schedule_stop": "view_reports",
}

NAV = [
    NavItem(_("Dashboard"), "reports:dashboard", "view_reports", section=_("Reports")),
    NavItem(_("KPIs"), "reports:kpis", "view_reports", section=_("Reports")),
    NavItem(_("Top-N reports"), "reports:top", "view_reports", section=_("Reports")),
    NavItem(_("Report files"), "reports:job_list", "view_reports", section=_("Reports")),
    NavItem(_("Sales forecast"), "reports:forecast", "view_reports", section=_("Reports")),
    NavItem(_("Reorder points from the forecast"), "reports:reorder_points", "manage_purchasing",
            section=_("Inventory")),
]
