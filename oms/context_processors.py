from oms.access import has_permission, nav_items
from oms.permissions import role_label


def navigation(request) -> dict:
    """Side navigation grouped by section, limited to what the user may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_sections": []}
    sections: dict[str, list] = {}
    for item in nav_items():
        if has_permission(user, item.permission):
            sections.setdefault(str(item.section), []).append(item)
    roles = [role_label(group.name) for group in user.groups.all()]
    return {"nav_sections": list(sections.items()), "user_roles": roles}
