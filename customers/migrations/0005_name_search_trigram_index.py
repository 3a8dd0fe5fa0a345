"""Name search (`search=` in the sales API, the admin's search box) on PostgreSQL: a trigram index.

Django compiles `name__icontains` to `UPPER(name) LIKE UPPER('%term%')`, which no B-tree can serve;
a GIN trigram index on UPPER(name) can. Built CONCURRENTLY so a large customer table stays writable
while it is created; pg_trgm is a trusted extension (PostgreSQL 13+), so the app's own role may
create it. SQLite, the demo database, scans its few hundred rows and needs nothing.
"""

from django.db import migrations


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS customer_name_trgm_idx "
        "ON customers_customer USING gin (UPPER(name) gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS customer_name_trgm_idx")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("customers", "0004_list_and_holding_indexes")]

    operations = [migrations.RunPython(create_trigram_index, drop_trigram_index)]
