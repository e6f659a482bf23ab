"""Who may open each URL of this app (see ``oms.access``)."""

RULES: dict[str, str] = {}

NAV: list = []
