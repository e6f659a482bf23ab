"""Global search: each app may offer ``search(query=..., user=...)`` in its ``search.py``."""

from dataclasses import dataclass
from importlib import import_module

from django.conf import settings


@dataclass(frozen=True)
class SearchResult:
    kind: str
    label: str
    url: str
    detail: str = ""
    exact: bool = False


def global_search(*, query: str, user, limit: int = 10) -> list[SearchResult]:
    query = query.strip()
    if len(query) < 2:
        return []
    results: list[SearchResult] = []
    for app in settings.PROJECT_APPS:
        try:
            module = import_module(f"{app}.search")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.search":
                raise
            continue
        finder = getattr(module, "search", None)
        if finder is None:  # this module is oms.search: it gathers, the other apps find
            continue
        results.extend(finder(query=query, user=user, limit=limit))
    return sorted(results, key=lambda r: not r.exact)
