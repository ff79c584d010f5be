"""Where an RPC spends its time: the SQL it runs, the slowest with EXPLAIN ANALYZE.

Run inside Odoo: ``$VENV/bin/python bench/explain.py --conf C --db D --calls
in.json --out out.json``.  ``in.json`` is a list of ``{"label", "uid", "model",
"method", "args", "kwargs"}`` (the bench's captured RPCs).  Each call runs once
to warm the caches, then again with every query timed; the slowest SELECTs are
explained with ``EXPLAIN (ANALYZE, BUFFERS)``.  Nothing is committed.
"""

import argparse
import json
import re
import time
from collections import Counter

import psycopg2

import odoo
from odoo import api, sql_db
from odoo.modules.registry import Registry
from odoo.tools import SQL


class QueryRecorder:
    def __init__(self):
        self.queries = []
        self.active = False
        self._original = sql_db.Cursor.execute

    def __enter__(self):
        recorder, original = self, self._original

        def execute(cursor, query, params=None, log_exceptions=True):
            if isinstance(query, SQL):
                code, args = query.code, query.params
            else:
                code, args = query, params
            started = time.perf_counter()
            try:
                return original(cursor, query, params, log_exceptions)
            finally:
                if recorder.active:
                    text = cursor._obj.mogrify(code, args).decode()
                    recorder.queries.append(
                        (text, (time.perf_counter() - started) * 1000)
                    )

        sql_db.Cursor.execute = execute
        return self

    def __exit__(self, *exc):
        sql_db.Cursor.execute = self._original


def explain_call(cr, call, top):
    env = api.Environment(cr, call["uid"], dict(call["kwargs"].get("context") or {}))
    model = env[call["model"]]
    kwargs = {k: v for k, v in call["kwargs"].items() if k != "context"}

    def run():
        odoo.api.call_kw(model, call["method"], list(call["args"]), dict(kwargs))
        # What the request would do before committing (tracking messages,
        # followers, notifications) belongs to it too.
        env.flush_all()
        cr.precommit.run()
        env.flush_all()
        env.invalidate_all()

    with QueryRecorder() as recorder:
        cr.execute("SAVEPOINT bench_explain")
        run()  # warm
        cr.execute("ROLLBACK TO SAVEPOINT bench_explain")
        recorder.active = True
        started = time.perf_counter()
        run()
        total = (time.perf_counter() - started) * 1000
        recorder.active = False
        cr.execute("ROLLBACK TO SAVEPOINT bench_explain")
    queries = recorder.queries
    slowest = sorted(
        (q for q in queries if q[0].lstrip().upper().startswith(("SELECT", "WITH"))),
        key=lambda q: -q[1],
    )[:top]
    explained = []
    for text, ms in slowest:
        try:
            with cr.savepoint(flush=False):
                cr.execute("EXPLAIN (ANALYZE, BUFFERS) " + text)
                plan = "\n".join(row[0] for row in cr.fetchall())
        except psycopg2.Error as error:  # e.g. a FOR UPDATE on a row taken since
            plan = f"(not explained: {error.pgerror or error})"
        explained.append({"sql": text, "ms": round(ms, 2), "plan": plan})
    kinds = Counter(_kind(text) for text, _ms in queries)
    return {
        "label": call["label"],
        "total_ms": round(total, 1),
        "queries": len(queries),
        "sql_ms": round(sum(ms for _text, ms in queries), 1),
        "kinds": kinds.most_common(15),
        "slowest": explained,
    }


def _kind(text):
    """'SELECT res_partner', 'INSERT mail_message'...: what a query is about."""
    words = text.split()
    verb = words[0].upper() if words else "?"
    match = re.search(r'(?:FROM|INTO|UPDATE)\s+"?([a-z_0-9]+)"?', text, re.IGNORECASE)
    return f"{verb} {match.group(1) if match else ''}".strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--conf", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--calls", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--top", type=int, default=2)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.conf, "--log-level=warn"])
    registry = Registry(args.db)
    with open(args.calls) as handle:
        calls = json.load(handle)
    results = []
    with registry.cursor() as cr:
        for call in calls:
            try:
                results.append(explain_call(cr, call, args.top))
            except Exception as error:  # one failing call must not lose the others
                cr.rollback()
                results.append(
                    {
                        "label": call["label"],
                        "total_ms": 0,
                        "queries": 0,
                        "sql_ms": 0,
                        "error": str(error),
                        "slowest": [],
                    }
                )
        cr.rollback()
    with open(args.out, "w") as handle:
        json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
