#!/usr/bin/env python3
"""make crash: nothing acknowledged is lost when the server dies (issue 14 item 4).

Several clients send distinct, correctly signed webhook deliveries while the server is
killed with SIGKILL five times and restarted. Afterwards every delivery that was answered
2xx must be in the inbox exactly once, and processed within 10 s of the last restart.

  scripts/crash.py --backend sqlite      one instance on a SQLite file
  scripts/crash.py --backend postgres    two replicas on one PostgreSQL schema, one of them
                                         killed and restarted (the other keeps serving)

Every server binds 127.0.0.1 on a free port, is awaited by its /healthz, and is stopped by
PID. Standard library only.
"""

import argparse
import hashlib
import hmac
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone

SECRET = "whsec_crash_test_secret_0123456789abcdef"
KILLS = 5
PROCESSED_WITHIN = 10.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port, proc, limit=30.0):
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if proc.poll() is not None:
            raise SystemExit(f"server on :{port} exited with {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"server on :{port} did not become healthy")


class Server:
    """One app instance; restartable with the same name (INSTANCE_ID) and port."""

    def __init__(self, binary, port, database_url, name, log):
        self.binary, self.port, self.database_url, self.name, self.log = binary, port, database_url, name, log
        self.proc = None

    def start(self):
        env = dict(os.environ)
        env.update(
            LEPTOS_SITE_ADDR=f"127.0.0.1:{self.port}",
            APP_URL="http://127.0.0.1:3999",
            DATABASE_URL=self.database_url,
            APP_SECRET="crash-test-secret-crash-test-secret-0123",
            AUTOGPT_WEBHOOK_SECRET=SECRET,
            INSTANCE_ID=self.name,
            RATE_LIMIT_WEBHOOK="1000000/1000000",
            RUST_LOG="warn",
        )
        self.proc = subprocess.Popen([self.binary], env=env, stdout=self.log, stderr=self.log)
        wait_healthy(self.port, self.proc)
        return time.monotonic()

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def delivery(n, run):
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = json.dumps(
        {"event": "execution.completed", "timestamp": now,
         "data": {"execution_id": f"crash-{run}-{n}", "status": "completed", "outputs": {"n": n}}},
        separators=(",", ":"),
    ).encode()
    sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, sig


class Load:
    """Clients that send distinct deliveries round-robin over `ports`, retrying a delivery
    whose request failed (as the platform does), and recording those answered 2xx."""

    def __init__(self, ports, clients, run):
        self.ports, self.clients, self.run = ports, clients, run
        self.acked, self.lock, self.stop = set(), threading.Lock(), threading.Event()
        self.counter, self.errors = 0, 0

    def next_n(self):
        with self.lock:
            self.counter += 1
            return self.counter

    def client(self, i):
        conn, port = None, None
        while not self.stop.is_set():
            n = self.next_n()
            body, sig = delivery(n, self.run)
            while not self.stop.is_set():
                port = self.ports[(n + i) % len(self.ports)]
                try:
                    if conn is None or conn.port != port:
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    conn.request("POST", "/api/autogpt/webhook", body,
                                 {"content-type": "application/json", "x-webhook-signature": sig})
                    resp = conn.getresponse()
                    resp.read()
                    if 200 <= resp.status < 300:
                        with self.lock:
                            self.acked.add(f"crash-{self.run}-{n}")
                        break
                    with self.lock:
                        self.errors += 1
                    time.sleep(0.02)
                except OSError:
                    conn = None
                    time.sleep(0.02)

    def __enter__(self):
        self.threads = [threading.Thread(target=self.client, args=(i,), daemon=True) for i in range(self.clients)]
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=10)


def inbox_sqlite(path):
    def rows():
        db = sqlite3.connect(path, timeout=10)
        try:
            return db.execute("SELECT subject_id, processed_at FROM webhook_inbox").fetchall()
        finally:
            db.close()
    return rows


def inbox_postgres(admin_url, schema):
    def rows():
        out = subprocess.run(
            ["psql", admin_url, "-At", "-F", "\t", "-c",
             f"SELECT subject_id, COALESCE(processed_at::text, '') FROM {schema}.webhook_inbox"],
            check=True, capture_output=True, text=True).stdout
        return [(a, b or None) for a, b in (line.split("\t") for line in out.splitlines() if line)]
    return rows


SEEDED = 400_000  # deliveries numbered below this, every other one, are about runs of ours


def seed_sql(prefix, dialect, upto=SEEDED):
    """A connection and a running execution `<prefix><n>` for every even n below `upto`:
    deliveries about those are processed (the run marked completed), the odd ones are about
    runs that are not ours (stored already processed). Both kinds must survive the kills.
    (scripts/bench.py seeds its webhook runs the same way.)"""
    now = int(time.time())
    series = ("WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 2 FROM s WHERE n + 2 < {m}) "
              "SELECT n FROM s" if dialect == "sqlite" else "SELECT generate_series(0, {m} - 1, 2) AS n").format(m=upto)
    return (f"INSERT INTO connections (id, user_sub, status, created_at, updated_at) "
            f"VALUES ('seed-conn', 'seed-user', 'active', {now}, {now}) ON CONFLICT DO NOTHING; "
            f"INSERT INTO executions (execution_id, connection_id, agent_id, status, inputs, created_at, updated_at) "
            f"SELECT '{prefix}' || n, 'seed-conn', 'agent', 'running', '{{}}', {now}, {now} FROM ({series}) AS q;")


def seed_sqlite(path, sql):
    db = sqlite3.connect(path, timeout=10)
    try:
        db.executescript(sql)
    finally:
        db.close()


def seed_postgres(admin_url, schema, sql):
    subprocess.run(["psql", admin_url, "-q", "-v", "ON_ERROR_STOP=1", "-c", f"SET search_path TO {schema}; {sql}"],
                   check=True)


def runs_sqlite(path):
    def rows():
        db = sqlite3.connect(path, timeout=10)
        try:
            return dict(db.execute("SELECT execution_id, status FROM executions").fetchall())
        finally:
            db.close()
    return rows


def runs_postgres(admin_url, schema):
    def rows():
        out = subprocess.run(["psql", admin_url, "-At", "-F", "\t", "-c",
                              f"SELECT execution_id, status FROM {schema}.executions"],
                             check=True, capture_output=True, text=True).stdout
        return dict(line.split("\t") for line in out.splitlines() if line)
    return rows


def check_runs(acked, runs):
    """Processing really happened: every acknowledged delivery about one of our runs moved it."""
    status = runs()
    ours = [s for s in acked if s in status]
    stuck = [s for s in ours if status[s] != "completed"]
    if not ours:
        raise SystemExit("NO RUNS: no acknowledged delivery was about a seeded run")
    if stuck:
        raise SystemExit(f"UNAPPLIED: {len(stuck)} processed deliveries left their run {status[stuck[0]]}, e.g. {stuck[:3]}")
    return len(ours)


def check(acked, rows, restarted_at):
    """Every acknowledged delivery stored once, and all processed within the deadline."""
    deadline = restarted_at + PROCESSED_WITHIN
    while True:
        got = rows()
        stored = [s for s, _ in got if s in acked]
        unprocessed = [s for s, p in got if s in acked and p is None]
        missing = acked - set(stored)
        if missing:
            raise SystemExit(f"LOST: {len(missing)} acknowledged deliveries are not stored, e.g. {sorted(missing)[:3]}")
        if len(stored) != len(set(stored)):
            raise SystemExit("DUPLICATE: an acknowledged delivery is stored twice")
        if not unprocessed:
            return time.monotonic() - restarted_at
        if time.monotonic() > deadline:
            raise SystemExit(f"SLOW: {len(unprocessed)} acknowledged deliveries unprocessed {PROCESSED_WITHIN} s after the restart")
        time.sleep(0.2)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--backend", choices=["sqlite", "postgres"], required=True)
    p.add_argument("--binary", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release", "server"))
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--interval", type=float, default=2.0, help="seconds of load between kills")
    p.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test"))
    args = p.parse_args()
    run = f"{int(time.time())}{random.randint(0, 9999)}"
    work = tempfile.mkdtemp(prefix="agc-crash-")
    log = open(os.path.join(work, "server.log"), "ab")
    servers, schema = [], None
    try:
        if args.backend == "sqlite":
            path = os.path.join(work, "app.db")
            servers = [Server(args.binary, free_port(), f"sqlite://{path}", "crash-a", log)]
            rows, runs = inbox_sqlite(path), runs_sqlite(path)
        else:
            schema = f"crash_{run}"
            subprocess.run(["psql", args.pg, "-q", "-c", f"CREATE SCHEMA {schema}"], check=True)
            sep = "&" if "?" in args.pg else "?"
            url = f"{args.pg}{sep}options[search_path]={schema}"
            servers = [Server(args.binary, free_port(), url, name, log) for name in ("crash-a", "crash-b")]
            rows, runs = inbox_postgres(args.pg, schema), runs_postgres(args.pg, schema)
        restarted_at = None
        for s in servers:
            restarted_at = s.start()
        # The schema exists once a server answered (it migrates at start).
        if args.backend == "sqlite":
            seed_sqlite(path, seed_sql(f"crash-{run}-", "sqlite"))
        else:
            seed_postgres(args.pg, schema, seed_sql(f"crash-{run}-", "postgres"))
        victim = servers[0]
        with Load([s.port for s in servers], args.clients, run) as load:
            for _ in range(KILLS):
                time.sleep(args.interval)
                victim.kill()
                time.sleep(0.3)
                restarted_at = victim.start()
            time.sleep(args.interval)
        acked = set(load.acked)
        took = check(acked, rows, restarted_at)
        applied = check_runs(acked, runs)
        print(f"crash ({args.backend}, {len(servers)} instance(s)): {KILLS} x SIGKILL under load from {args.clients} "
              f"clients; {len(acked)} deliveries acknowledged, 0 lost, 0 duplicated, all processed "
              f"{took:.1f} s after the last restart ({applied} about our runs, each run moved to completed)")
    finally:
        for s in servers:
            s.stop()
        if schema:
            subprocess.run(["psql", args.pg, "-q", "-c", f"DROP SCHEMA IF EXISTS {schema} CASCADE"], check=False)


if __name__ == "__main__":
    sys.exit(main())
