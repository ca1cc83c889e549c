"""Database guarantees of the credit ledger, and the seeded forfaits, tariff, packs and rules.

- Entries are immutable: UPDATE and DELETE on plans_ledgerentry raise.
- Inserting an entry moves the cached balance of the wallet/budget accounts on both sides, in
  the same statement: a tracked account's balance is the sum of its entries by construction,
  and the CHECK ``creditaccount_balance_not_negative`` makes an overdraft fail.
- Any other change of ``balance`` / ``total_in`` (or an account created with a balance) raises.
"""
from django.db import migrations

from plans.migrations._seed import seed_credits

SQL = """
CREATE OR REPLACE FUNCTION plans_ledgerentry_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are immutable (% refused)', TG_OP USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;

CREATE TRIGGER plans_ledgerentry_immutable BEFORE UPDATE OR DELETE ON plans_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION plans_ledgerentry_immutable();

CREATE OR REPLACE FUNCTION plans_ledgerentry_apply() RETURNS trigger AS $$
BEGIN
    PERFORM set_config('plans.ledger_apply', 'on', true);
    UPDATE plans_creditaccount SET balance = balance - NEW.amount
        WHERE id = NEW.debit_account_id AND kind IN ('wallet', 'budget');
    UPDATE plans_creditaccount SET balance = balance + NEW.amount, total_in = total_in + NEW.amount
        WHERE id = NEW.credit_account_id AND kind IN ('wallet', 'budget');
    PERFORM set_config('plans.ledger_apply', 'off', true);
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER plans_ledgerentry_apply AFTER INSERT ON plans_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION plans_ledgerentry_apply();

CREATE OR REPLACE FUNCTION plans_creditaccount_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.balance <> 0 OR NEW.total_in <> 0 THEN
            RAISE EXCEPTION 'a credit account starts at zero' USING ERRCODE = 'check_violation';
        END IF;
    ELSIF (NEW.balance IS DISTINCT FROM OLD.balance OR NEW.total_in IS DISTINCT FROM OLD.total_in)
          AND coalesce(current_setting('plans.ledger_apply', true), 'off') <> 'on' THEN
        RAISE EXCEPTION 'credit balances change only through ledger entries' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER plans_creditaccount_guard BEFORE INSERT OR UPDATE ON plans_creditaccount
    FOR EACH ROW EXECUTE FUNCTION plans_creditaccount_guard();
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS plans_creditaccount_guard ON plans_creditaccount;
DROP TRIGGER IF EXISTS plans_ledgerentry_apply ON plans_ledgerentry;
DROP TRIGGER IF EXISTS plans_ledgerentry_immutable ON plans_ledgerentry;
DROP FUNCTION IF EXISTS plans_creditaccount_guard();
DROP FUNCTION IF EXISTS plans_ledgerentry_apply();
DROP FUNCTION IF EXISTS plans_ledgerentry_immutable();
"""


def seed(apps, schema_editor):
    seed_credits(
        apps.get_model("plans", "ForfaitType"),
        apps.get_model("plans", "TariffItem"),
        apps.get_model("plans", "TopUpPack"),
        apps.get_model("plans", "CreditRules"),
    )


class Migration(migrations.Migration):
    dependencies = [("plans", "0003_credits")]
    operations = [
        migrations.RunSQL(SQL, REVERSE_SQL),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
