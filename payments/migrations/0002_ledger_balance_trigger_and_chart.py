"""The database refuses unbalanced journal entries (checked at commit), and the chart of accounts is seeded."""

from django.db import migrations

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION payments_journal_entry_balanced() RETURNS trigger AS $$
DECLARE
    entry bigint;
    debits numeric;
    credits numeric;
    line_count integer;
BEGIN
    IF TG_OP = 'DELETE' THEN entry := OLD.entry_id; ELSE entry := NEW.entry_id; END IF;
    SELECT COALESCE(SUM(debit), 0), COALESCE(SUM(credit), 0), COUNT(*) INTO debits, credits, line_count
      FROM payments_journalline WHERE entry_id = entry;
    IF line_count > 0 AND (debits <> credits OR line_count < 2) THEN
        RAISE EXCEPTION 'journal entry % is not balanced: debits % credits % (% lines)',
            entry, debits, credits, line_count USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER payments_journal_entry_balanced
    AFTER INSERT OR UPDATE OR DELETE ON payments_journalline
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_journal_entry_balanced();
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS payments_journal_entry_balanced ON payments_journalline;
DROP FUNCTION IF EXISTS payments_journal_entry_balanced();
"""


def seed_chart(apps, schema_editor):
    from payments.ledger import CHART

    Account = apps.get_model("payments", "Account")
    for code, name, kind in CHART:
        Account.objects.get_or_create(code=code, defaults={"name": str(name), "kind": kind})


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [
        migrations.RunSQL(TRIGGER_SQL, REVERSE_SQL),
        migrations.RunPython(seed_chart, migrations.RunPython.noop),
    ]
