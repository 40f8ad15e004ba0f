#!/usr/bin/env python3
"""Writes the discovery benchmark's database: an SQLite file of TABLES tables holding ROWS rows
in all, shaped like a real application's schema (people, their orders and events, and many
tables that hold nothing personal), for `rightskit bench --discover FILE`.

    python3 Benchmarks/discovery/generate.py /tmp/discovery.sqlite --tables 300 --rows 10000000
"""
import argparse, os, random, sqlite3

parser = argparse.ArgumentParser()
parser.add_argument("path")
parser.add_argument("--tables", type=int, default=300)
parser.add_argument("--rows", type=int, default=10_000_000)
arguments = parser.parse_args()
if os.path.exists(arguments.path):
    os.remove(arguments.path)
random.seed(7)
db = sqlite3.connect(arguments.path)
db.execute("PRAGMA journal_mode = OFF")
db.execute("PRAGMA synchronous = OFF")
people = max(1_000, arguments.rows // 50)
db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT UNIQUE, mobile TEXT, full_name TEXT, born TEXT, notes TEXT)")
db.executemany(
    "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)",
    ((i, "person%d@example.com" % i, "13%09d" % i, "Person %d" % i, "19%02d-0%d-1%d" % (50 + i % 50, 1 + i % 9, i % 9), "note %d" % i)
     for i in range(1, people + 1)))
kinds = ["orders", "events", "settings", "catalogue"]
remaining = arguments.rows - people
per_table = remaining // (arguments.tables - 1)
for number in range(1, arguments.tables):
    kind = kinds[number % len(kinds)]
    name = "%s_%03d" % (kind, number)
    if kind == "orders":
        db.execute("CREATE TABLE %s (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), total_cents INTEGER, ship_address TEXT, created_at TEXT)" % name)
        rows = ((i, 1 + i % people, i * 7 % 99_999, "%d High Street, Leeds" % (i % 400), "2026-0%d-1%d" % (1 + i % 9, i % 9)) for i in range(1, per_table + 1))
        db.executemany("INSERT INTO %s VALUES (?, ?, ?, ?, ?)" % name, rows)
    elif kind == "events":
        db.execute("CREATE TABLE %s (id INTEGER PRIMARY KEY, customer_id INTEGER, ip TEXT, kind TEXT, at TEXT)" % name)
        rows = ((i, 1 + i % people, "10.%d.%d.%d" % (i % 250, i // 250 % 250, 1 + i % 253), "view", "2026-01-01") for i in range(1, per_table + 1))
        db.executemany("INSERT INTO %s VALUES (?, ?, ?, ?, ?)" % name, rows)
    elif kind == "settings":
        db.execute("CREATE TABLE %s (id INTEGER PRIMARY KEY, key TEXT, value TEXT)" % name)
        db.executemany("INSERT INTO %s VALUES (?, ?, ?)" % name, ((i, "key%d" % i, str(i % 17)) for i in range(1, per_table + 1)))
    else:
        db.execute("CREATE TABLE %s (id INTEGER PRIMARY KEY, sku TEXT, title TEXT, price INTEGER, stock INTEGER)" % name)
        db.executemany("INSERT INTO %s VALUES (?, ?, ?, ?, ?)" % name, ((i, "SKU-%d" % i, "Blue Mug %d" % i, i % 5000, i % 300) for i in range(1, per_table + 1)))
    db.commit()
db.commit()
count = sum(db.execute("SELECT COUNT(*) FROM %s" % t).fetchone()[0] for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall())
tables = db.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
print("%s: %d tables, %d rows" % (arguments.path, tables, count))
