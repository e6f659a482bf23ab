"""Forms whose double submit must act once (``oms.forms.SentOnceForm``): the service side.

Each copy of such a form carries a one-off token; the row the first copy created keeps it as ``request_key`` (a
unique column), and a second copy finds that row instead of creating another.
"""

from django.db import connection


def created_by_request(model, request_key: str | None):
    """The row of ``model`` a form copy named ``request_key`` already created, or None. Call inside the transaction
    that creates the row: it holds a transaction-level lock on the key, so a second copy sent while the first is being
    saved waits for it, then finds its row."""
    if not request_key:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{model._meta.label_lower}:{request_key}"])
    return model.objects.filter(request_key=request_key).first()
