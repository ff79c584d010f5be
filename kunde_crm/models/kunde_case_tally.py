"""kunde.case: what the customer's smart buttons count from (an index, a tally)."""

from odoo import api, models, tools
from odoo.tools import SQL

TALLY_TABLE = "kunde_case_tally"

# The rules the tally relies on, as installed by security/kunde_crm_rules.xml
# (whitespace removed). If an administrator edits them, or another module adds
# a rule on cases, the buttons count live instead (exact, slower).
TALLY_RULES = {
    "kunde_crm.kunde_case_rule_company": "[('company_id','in',company_ids)]",
    "kunde_crm.kunde_case_rule_viewer": (
        "['|',('team_id','notin',user.kunde_hidden_team_ids.ids),"
        "('user_id','=',user.id)]"
    ),
    "kunde_crm.kunde_case_rule_manager": "[(1,'=',1)]",
}
# Rules that only widen what a user reads (OR-ed group rules): harmless.
WIDENING_RULES = (
    "kunde_crm.kunde_case_rule_accountant",
    "kunde_crm.kunde_case_rule_portal",
)


class KundeCase(models.Model):
    _inherit = "kunde.case"

    def init(self):
        """Create the tally, its triggers, and rebuild it from the cases.

        The tally holds signed counts of closed active cases per contact,
        company and team. A PostgreSQL trigger adds a row of +1 or -1 for
        every change of a case (ORM, contact merge, plain SQL alike) in the
        same transaction. It only ever inserts: Odoo's transactions are
        REPEATABLE READ, and two agents updating one counter row at the same
        moment would make one of them fail and retry. The hourly job folds the
        rows of each key into one; each module update rebuilds it.
        """
        result = super().init()
        cr = self.env.cr
        table = SQL.identifier(TALLY_TABLE)
        cases = SQL.identifier(self._table)
        # Open cases are counted live: with the columns the record rules test
        # included, PostgreSQL counts them from this index alone, and it holds
        # the open cases only (the predicate is the SQL Odoo writes for
        # is_closed = False), a few per customer whatever their history. An
        # index over every state grows with the history, and each take-next
        # writes to every index of the case (a small one is cheap to write).
        cr.execute(SQL("DROP INDEX IF EXISTS kunde_case_partner_state_idx"))
        cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS kunde_case_partner_open_idx ON %s"
                " (partner_id) INCLUDE (company_id, team_id, user_id)"
                " WHERE active AND (is_closed IS NULL OR is_closed = false)",
                cases,
            )
        )
        cr.execute(
            SQL(
                """
                CREATE TABLE IF NOT EXISTS %(table)s (
                    partner_id integer NOT NULL,
                    company_id integer NOT NULL,
                    team_id integer NOT NULL,
                    n integer NOT NULL
                );
                CREATE INDEX IF NOT EXISTS kunde_case_tally_partner_idx
                    ON %(table)s (partner_id) INCLUDE (company_id, team_id, n);
                CREATE OR REPLACE FUNCTION kunde_case_tally_trg() RETURNS trigger
                LANGUAGE plpgsql AS $body$
                BEGIN
                    IF TG_OP <> 'INSERT' AND OLD.active AND OLD.is_closed
                            AND OLD.partner_id IS NOT NULL THEN
                        INSERT INTO %(table)s VALUES (OLD.partner_id,
                            COALESCE(OLD.company_id, 0), COALESCE(OLD.team_id, 0), -1);
                    END IF;
                    IF TG_OP <> 'DELETE' AND NEW.active AND NEW.is_closed
                            AND NEW.partner_id IS NOT NULL THEN
                        INSERT INTO %(table)s VALUES (NEW.partner_id,
                            COALESCE(NEW.company_id, 0), COALESCE(NEW.team_id, 0), 1);
                    END IF;
                    RETURN NULL;
                END
                $body$;
                DROP TRIGGER IF EXISTS kunde_case_tally_ins_del ON %(cases)s;
                CREATE TRIGGER kunde_case_tally_ins_del
                    AFTER INSERT OR DELETE ON %(cases)s
                    FOR EACH ROW EXECUTE FUNCTION kunde_case_tally_trg();
                DROP TRIGGER IF EXISTS kunde_case_tally_upd ON %(cases)s;
                CREATE TRIGGER kunde_case_tally_upd
                    AFTER UPDATE OF partner_id, company_id, team_id, is_closed, active
                    ON %(cases)s FOR EACH ROW
                    WHEN (OLD.partner_id IS DISTINCT FROM NEW.partner_id
                       OR OLD.company_id IS DISTINCT FROM NEW.company_id
                       OR OLD.team_id IS DISTINCT FROM NEW.team_id
                       OR OLD.is_closed IS DISTINCT FROM NEW.is_closed
                       OR OLD.active IS DISTINCT FROM NEW.active)
                    EXECUTE FUNCTION kunde_case_tally_trg();
                """,
                table=table,
                cases=cases,
            )
        )
        # Rebuilt under a lock that holds other transactions' case writes until
        # the update commits: none of their rows can fall between the count
        # and the commit (schema changes of an update lock harder).
        cr.execute(SQL("LOCK TABLE %s IN SHARE MODE", cases))
        cr.execute(SQL("DELETE FROM %s", table))
        cr.execute(
            SQL(
                """
                INSERT INTO %(table)s (partner_id, company_id, team_id, n)
                SELECT partner_id, COALESCE(company_id, 0), COALESCE(team_id, 0),
                       count(*)
                  FROM %(cases)s
                 WHERE active AND is_closed AND partner_id IS NOT NULL
                 GROUP BY 1, 2, 3
                """,
                table=table,
                cases=cases,
            )
        )
        return result

    @api.model
    def _cron_fold_tally(self):
        """Fold the tally's rows of each key into one (the scheduled action).

        Deletes only rows its snapshot sees and no one else updates or deletes
        them, so it never conflicts with the closes running beside it.
        """
        self.env.cr.execute(
            SQL(
                """
                WITH keys AS (
                    SELECT partner_id, company_id, team_id FROM %(table)s
                     GROUP BY 1, 2, 3 HAVING count(*) > 1
                ), gone AS (
                    DELETE FROM %(table)s t USING keys k
                     WHERE t.partner_id = k.partner_id
                       AND t.company_id = k.company_id AND t.team_id = k.team_id
                    RETURNING t.partner_id, t.company_id, t.team_id, t.n
                )
                INSERT INTO %(table)s (partner_id, company_id, team_id, n)
                SELECT partner_id, company_id, team_id, sum(n) FROM gone
                 GROUP BY 1, 2, 3 HAVING sum(n) <> 0
                """,
                table=SQL.identifier(TALLY_TABLE),
            )
        )

    # ------------------------------------------------------------------
    # Private helpers
    # ------------------------------------------------------------------
    @api.model
    def _kunde_closed_counts(self, partners):
        """Closed cases per contact, as the current user may read them.

        Returns ``{partner_id: count}``. From the tally where the user's rules
        are the ones it knows (cases of the allowed companies outside the
        members-only teams the user is not in are all readable); the cases of
        those hidden teams the user still reads (assigned to them, invoices
        for accountants) are counted live, through the rules. Otherwise all
        live: the answer is the same, only its cost grows with history.
        """
        counts = dict.fromkeys(partners.ids, 0)
        if not partners:
            return counts
        Case = self.with_context(active_test=True)  # as the tally: active cases
        hidden = Case._kunde_tally_hidden_teams()
        if hidden is None:
            domain = [("partner_id", "in", partners.ids), ("is_closed", "=", True)]
            for partner, count in Case._read_group(domain, ["partner_id"], ["__count"]):
                counts[partner.id] += count
            return counts
        Case.flush_model(["partner_id", "company_id", "team_id", "is_closed", "active"])
        conditions = [SQL("partner_id = ANY(%s)", partners.ids)]
        if not self.env.su:
            conditions.append(SQL("company_id = ANY(%s)", self.env.companies.ids))
        if hidden:
            conditions.append(SQL("team_id <> ALL(%s)", hidden))
        rows = self.env.execute_query(
            SQL(
                "SELECT partner_id, SUM(n) FROM %s WHERE %s GROUP BY partner_id",
                SQL.identifier(TALLY_TABLE),
                SQL(" AND ").join(conditions),
            )
        )
        for partner_id, count in rows:
            counts[partner_id] += count
        if hidden:
            domain = [
                ("partner_id", "in", partners.ids),
                ("is_closed", "=", True),
                ("team_id", "in", hidden),
            ]
            for partner, count in Case._read_group(domain, ["partner_id"], ["__count"]):
                counts[partner.id] += count
        return counts

    def _kunde_tally_hidden_teams(self):
        """The team ids the tally must leave out for this user, or None when
        the tally does not apply to them (unknown rules: count live)."""
        if self.env.su:
            return []
        mode = self._kunde_tally_mode()
        if mode == "all":
            return []
        if mode == "viewer":
            return self.env.user.kunde_hidden_team_ids.ids
        return None

    @tools.ormcache("self.env.uid", "self.env.su")
    def _kunde_tally_mode(self):
        """ "all", "viewer" or "" (live), from the rules on cases that apply to
        the user. Cached like Odoo's own rule domains: writing a rule or a
        user's groups clears it."""
        rules = self.env["ir.rule"]._get_rules(self._name, mode="read").sudo()
        known = {}
        for xmlid in list(TALLY_RULES) + list(WIDENING_RULES):
            rule = self.env.ref(xmlid, raise_if_not_found=False)
            if rule:
                known[rule.id] = xmlid
        mode = ""
        seen = set()
        for rule in rules:
            xmlid = known.get(rule.id)
            if not xmlid:
                return ""
            if xmlid in WIDENING_RULES:
                continue
            if "".join((rule.domain_force or "").split()) != TALLY_RULES[xmlid]:
                return ""
            seen.add(xmlid)
            if xmlid.endswith("_manager"):
                mode = "all"
            elif xmlid.endswith("_viewer") and mode != "all":
                mode = "viewer"
        # Without the company rule a user reads every company's cases: the
        # tally's company filter would count too few.
        return mode if "kunde_crm.kunde_case_rule_company" in seen else ""
