"""Django's answers to Tally's filter cases, for test/django-parity.test.ts.

usage: /usr/bin/python3 test/django/parity.py <input.json> <output.json>

The input holds the PostgreSQL URL to use (its database is only used to create and drop our own) and, per
Tally store, the records as Tally's list endpoint returned them and the filter cases to answer:
    {"pg_url": "...", "stores": {"<store>": {"records": [...], "cases": [{"field", "op", "value"}, ...]}}}
The script creates a fresh database of its own (tally_django_parity_<pid>_<hex>), a standalone Django 3.2
(postgresql backend, USE_TZ, UTC) with one model per store whose columns are Tally's filterable fields,
loads the records, answers every case with the QuerySet lookup Tally's operator names ("" exact, "not"
exclude, ...) and drops the database again. The output, per store and in case order:
    {"django": "3.2.25", "stores": {"<store>": {
        "answers": [{"rows": [record positions, ascending], "sql": "<the SQL as sent>"} | {"error": "..."}],
        "types": {"<metadata path a__b>": [jsonb_typeof(field_9 #> path) per record, null when absent]}}}}
Record positions are indexes into that store's "records".
"""
import json
import os
import re
import secrets
import sys
import warnings
from urllib.parse import unquote, urlparse

import psycopg2

DB_PREFIX = "tally_django_parity_"

TEXT = ["id", "unique_id", "org_id", "field_1", "field_2", "field_3", "field_4", "field_10", "field_11", "field_12",
        "field_13", "field_14", "field_15", "field_19", "status"]
FLOAT = ["field_6", "field_7", "field_8", "rate"]
INT = ["field_18", "sub_field_a", "sub_field_b", "sub_field_total"]


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    url = urlparse(spec["pg_url"])
    server = {"host": url.hostname or "127.0.0.1", "port": url.port or 5432,
              "user": unquote(url.username) if url.username else "postgres",
              "password": unquote(url.password) if url.password else None}
    admin = psycopg2.connect(dbname=unquote(url.path.lstrip("/")) or "postgres", connect_timeout=5,
                             **{k: v for k, v in server.items() if v is not None})
    admin.autocommit = True
    name = f"{DB_PREFIX}{os.getpid()}_{secrets.token_hex(4)}"
    try:
        drop_stale(admin)
        create_database(admin, name)
        try:
            result = answer_all(spec, name, server)
        finally:
            try:
                from django.db import connections
                connections.close_all()
            except Exception:  # noqa: BLE001 - Django may not be configured yet; the drop below forces anyway
                pass
            with admin.cursor() as c:
                c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        admin.close()
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False)


def create_database(admin, name):
    """Code point order for text and jsonb strings (LC_COLLATE C, as Tally's contract orders text) and the
    server's own character classes (LC_CTYPE, which decides UPPER() for icontains, as on Tally's own store)."""
    with admin.cursor() as c:
        c.execute("SELECT datctype FROM pg_database WHERE datname = current_database()")
        ctype = c.fetchone()[0]
        c.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE %s", [ctype])


def drop_stale(admin):
    """Databases left by runs that died before their clean-up (their process is gone)."""
    with admin.cursor() as c:
        c.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [DB_PREFIX.replace("_", r"\_") + "%"])
        for (datname,) in c.fetchall():
            m = re.match(re.escape(DB_PREFIX) + r"(\d+)_", datname)
            if m and not alive(int(m.group(1))):
                c.execute(f"DROP DATABASE IF EXISTS {datname} WITH (FORCE)")


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except PermissionError:
        return True
    except OSError:
        return False


def answer_all(spec, name, server):
    import django
    from django.conf import settings
    settings.configure(
        DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "NAME": name, "USER": server["user"],
                               "PASSWORD": server["password"] or "", "HOST": server["host"],
                               "PORT": str(server["port"])}},
        INSTALLED_APPS=[], USE_TZ=True, TIME_ZONE="UTC", DEFAULT_AUTO_FIELD="django.db.models.AutoField")
    django.setup()
    from django.db import connection

    out = {"django": django.get_version(), "stores": {}}
    for store, data in spec["stores"].items():
        model = make_model(store)
        with connection.schema_editor() as editor:
            editor.create_model(model)
        load(model, data["records"])
        position = {r["id"]: i for i, r in enumerate(data["records"])}
        answers = [answer(model, case, position) for case in data["cases"]]
        paths = sorted({c["field"][len("field_9__"):] for c in data["cases"] if c["field"].startswith("field_9__")})
        out["stores"][store] = {"answers": answers, "types": json_types(model, paths, position)}
    return out


def make_model(store):
    from django.db import models
    attrs = {
        "__module__": __name__,
        "Meta": type("Meta", (), {"app_label": "parity", "db_table": f"parity_{store}"}),
        "id": models.TextField(primary_key=True),
        "timestamp": models.DateTimeField(null=True),
        "field_9": models.JSONField(null=True),
    }
    attrs.update({f: models.TextField(null=True) for f in TEXT if f != "id"})
    attrs.update({f: models.FloatField(null=True) for f in FLOAT})
    # sub_field_* hold up to 2^53 - 1: BigIntegerField, an IntegerField with the same lookups.
    attrs.update({f: (models.IntegerField if f == "field_18" else models.BigIntegerField)(null=True) for f in INT})
    return type(f"Parity_{store}", (models.Model,), attrs)


def load(model, records):
    from django.utils.dateparse import parse_datetime
    objs = []
    for r in records:
        kw = {f: r.get(f) for f in TEXT + FLOAT + INT}
        kw["timestamp"] = parse_datetime(r["timestamp"]) if r.get("timestamp") else None
        kw["field_9"] = r.get("field_9")  # None is SQL NULL (null=True), as a record without metadata
        objs.append(model(**kw))
    model.objects.bulk_create(objs)


def answer(model, case, position):
    from django.core.exceptions import EmptyResultSet
    from django.db import connection
    field, op, value = case["field"], case["op"], case["value"]
    arg = value if op == "in" else value[0]
    lookup = "exact" if op in ("", "not") else op
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a date alone is a naive datetime, made aware in UTC (as Tally reads it)
        try:
            manager = model.objects.exclude if op == "not" else model.objects.filter
            qs = manager(**{f"{field}__{lookup}": arg}).values_list("id", flat=True)
            try:
                sql, params = qs.query.sql_with_params()
            except EmptyResultSet:
                return {"rows": [], "sql": "(none: Django raises EmptyResultSet, the query matches nothing)"}
            with connection.cursor() as cur:
                cur.execute(sql, params)
                rows = sorted(position[i] for (i,) in cur.fetchall())
                return {"rows": rows, "sql": connection.ops.last_executed_query(cur, sql, params)}
        except Exception as e:  # noqa: BLE001 - reported per case by the test
            return {"error": f"{type(e).__name__}: {e}"}


def json_types(model, paths, position):
    """jsonb_typeof of each record's value at each metadata path, as #> reads it (null: no value there)."""
    from django.db import connection
    table = model._meta.db_table
    out = {}
    with connection.cursor() as cur:
        for path in paths:
            cur.execute(f'SELECT id, jsonb_typeof(field_9 #> %s) FROM "{table}"', [path.split("__")])
            types = [None] * len(position)
            for i, t in cur.fetchall():
                types[position[i]] = t
            out[path] = types
    return out


if __name__ == "__main__":
    main()
