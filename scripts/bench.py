#!/usr/bin/env python3
"""make bench: our server next to the Next.js reference, measured in one sitting (issue 14).

What it measures and why: the issue's goals are ratios against the integration guide's Next.js
app on the same machine at the same time (absolute numbers drift; ratios from one sitting do
not). So this script builds the reference (../shared/anchors/nextjs-ref) and, one after the
other, runs against Next.js, ours on SQLite and ours on PostgreSQL:

1. the shared harness ../shared/anchors/bench-endpoints.sh: GET /connect and GET
   /api/autogpt/authorize (req/s, server CPU per request), peak RSS, cold start;
2. a distinct-delivery webhook run: every request a new, correctly signed execution_id (the
   harness sends one body, which we deduplicate). For ours it then waits until the inbox is
   processed and checks that what was stored matches what was acknowledged;
3. signed-in GET /connect against ours (SQLite), signed in through the sandbox platform.

CPU per request is utime+stime of the server's process tree during the measured run divided by
the requests: less sensitive to a busy host than req/s. The table goes to stdout and between
the markers of BENCHMARKS.md. Every server binds 127.0.0.1 on a free port, is awaited by a
readiness probe and is stopped by PID, also on errors and Ctrl-C. Standard library only.
"""

import argparse
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from datetime import datetime, timezone

import crash  # scripts/crash.py: the seeded runs its webhook deliveries are about

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.path.abspath(os.path.join(ROOT, os.environ.get("CARGO_TARGET_DIR", "target")))
ANCHORS = os.path.abspath(os.path.join(ROOT, "..", "shared", "anchors"))
LUA = os.path.join(ROOT, "scripts", "bench")
SERVER, SANDBOX = (os.path.join(TARGET, "release", b) for b in ("server", "sandbox"))
SECRET = "whsec_test"  # what the reference verifies with (its .env.local)
THREADS, CONNECTIONS = 2, 32
RAISED = "1000000/1000000"  # every per-IP limit, so no run measures the rate limiter
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
CLK_TCK = os.sysconf("SC_CLK_TCK")
NEXT_ENV = dict(os.environ, NEXT_TELEMETRY_DISABLED="1", AUTOGPT_WEBHOOK_SECRET=SECRET)
STARTED = []  # every process this script started; stopped in main's finally


def log(msg):
    """Progress on stderr (stdout carries the table)."""
    print(f"[bench {datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def run(cmd, **kw):
    """Runs a command, failing loudly; returns its stdout."""
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw).stdout


# ---- tools and the reference build ------------------------------------------------------------


def ensure_wrk():
    """Installs Debian's wrk if it is missing (idempotent)."""
    if shutil.which("wrk"):
        return
    log("wrk missing: apt-get install -y wrk")
    if subprocess.run(["apt-get", "install", "-y", "wrk"], capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)


def tree_hash(src):
    """sha256 over the reference's files (paths and bytes) and the node version."""
    h = hashlib.sha256(run(["node", "--version"]).encode())
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = sorted(d for d in dirnames if d not in ("node_modules", ".next"))
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                h.update(os.path.relpath(path, src).encode() + b"\0" + f.read() + b"\0")
    return h.hexdigest()


def build_nextjs(src, dest):
    """Copies the reference to `dest` and builds it (npm ci, next build), unless the stamp
    there already holds the hash of the same source tree."""
    digest, stamp = tree_hash(src), os.path.join(dest, ".bench-stamp")
    if os.path.exists(os.path.join(dest, ".next", "BUILD_ID")) and os.path.exists(stamp):
        with open(stamp) as f:
            if f.read().strip() == digest:
                return log(f"Next.js reference up to date in {dest}")
    log(f"building the Next.js reference in {dest} (npm ci, next build; about half a minute)")
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("node_modules", ".next"))
    for dirpath, _, filenames in os.walk(dest):  # the anchor is read-only; the copy must not be
        os.chmod(dirpath, 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)
    with open(os.path.join(os.path.dirname(dest), "nextjs-build.log"), "w") as out:
        for cmd in (["npm", "ci", "--no-audit", "--no-fund"], ["node_modules/.bin/next", "build"]):
            if subprocess.run(cmd, cwd=dest, env=NEXT_ENV, stdout=out, stderr=subprocess.STDOUT).returncode:
                raise SystemExit(f"{' '.join(cmd)} failed; see {out.name}")
    with open(stamp, "w") as f:
        f.write(digest + "\n")


# ---- processes and HTTP -----------------------------------------------------------------------


def free_port():
    """A port nothing listens on now (bound to 0 and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stat(pid):
    """(comm, ppid, utime+stime ticks) of a process from /proc/PID/stat, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return text[text.index("(") + 1:text.rindex(")")], int(fields[1]), int(fields[11]) + int(fields[12])


def processes():
    """pid -> (comm, ppid, ticks) for every process on the host."""
    return {int(e): st for e in os.listdir("/proc") if e.isdigit() and (st := stat(e))}


def descendants(pid):
    """`pid` and every process below it."""
    children = {}
    for p, (_, ppid, _) in processes().items():
        children.setdefault(ppid, []).append(p)
    out, todo = [], [pid]
    while todo:
        out.append(todo.pop())
        todo.extend(children.get(out[-1], []))
    return out


def cpu_ticks(pids):
    """utime+stime (clock ticks) summed over `pids`."""
    return sum(st[2] for st in map(stat, pids) if st)


def postgres_pids():
    """Every process on the host named postgres (the database's CPU is not in our tree)."""
    return [p for p, (comm, _, _) in processes().items() if comm == "postgres"]


def request(method, url, headers=None, body=None, timeout=20):
    """One HTTP request on loopback, no redirect followed: (status, response headers, text)."""
    u = urllib.parse.urlsplit(url)
    if u.hostname != "127.0.0.1":
        raise SystemExit(f"refusing non-loopback URL {url}")
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        c.request(method, u.path + (f"?{u.query}" if u.query else ""), body, headers or {})
        r = c.getresponse()
        return r.status, r.headers, r.read().decode("utf-8", "replace")
    finally:
        c.close()


def start(name, cmd, env, cwd, probe, logdir):
    """Starts a server in its own session, logging to logdir/name.log; returns the Popen once
    `probe` answers 200."""
    out = open(os.path.join(logdir, f"{name}.log"), "ab")
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    STARTED.append(proc)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited with {proc.returncode}; see {out.name}")
        try:
            if request("GET", probe, timeout=2)[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.02)
    raise SystemExit(f"{name} did not answer 200 on {probe} within 60 s; see {out.name}")


def stop(proc):
    """SIGTERM to the process tree (children first), SIGKILL to what is left after 10 s."""
    if proc.poll() is not None:
        return
    pids = descendants(proc.pid)[::-1]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in pids:
            if sig == signal.SIGTERM or stat(p):
                try:
                    os.kill(p, sig)
                except ProcessLookupError:
                    pass
        try:
            return proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


# ---- wrk and the harness ----------------------------------------------------------------------


def wrk(url, lua, args, seconds, trees, out):
    """One wrk run (-t2 -c32) with one of our Lua scripts; adds the CPU µs per request of each
    process tree in `trees` (name -> pids) as cpu_<name>."""
    before = {k: cpu_ticks(p) for k, p in trees.items()}
    cmd = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", lua, url, "--", *args]
    text = run(cmd)
    after = {k: cpu_ticks(p) for k, p in trees.items()}
    with open(out, "w") as f:
        f.write(text)
    m = re.search(r"^RESULT (.*)$", text, re.M)
    if not m:
        raise SystemExit(f"wrk printed no RESULT line; see {out}")
    res = {k: float(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    res["non2xx"] = res.pop("non2xx3xx")  # wrk counts the statuses above 399
    res["p50_ms"], res["p99_ms"] = res.pop("p50_us") / 1000, res.pop("p99_us") / 1000
    for k in trees:
        res[f"cpu_{k}"] = (after[k] - before[k]) * 1e6 / CLK_TCK / max(res["requests"], 1)
    return res


def harness(name, base, start_cmd, start_dir, env, out_dir, seconds, warmup):
    """Runs bench-endpoints.sh (it starts, times and stops the server itself) and parses
    its results.md."""
    script = os.environ.get("BENCH_HARNESS", os.path.join(ANCHORS, "bench-endpoints.sh"))
    env = dict(env, START_CMD=start_cmd, START_DIR=start_dir, OUT_DIR=out_dir, DURATION=f"{seconds}s",
               WARMUP=f"{warmup}s" if warmup else "0", WEBHOOK_SECRET=SECRET, THREADS=str(THREADS),
               CONNECTIONS=str(CONNECTIONS))
    log(f"{name}: harness against {base} (3 cold starts, 3 endpoints)")
    with open(os.path.join(out_dir, "harness.log"), "w") as f:
        proc = subprocess.Popen(["bash", script, base], env=env, stdout=f, stderr=subprocess.STDOUT)
        try:
            if proc.wait():
                raise SystemExit(f"{name}: the harness failed; see {f.name}")
        except (KeyboardInterrupt, SystemExit):
            proc.terminate()  # its trap stops the server it started, by PID
            proc.wait(timeout=20)
            raise
    with open(os.path.join(out_dir, "results.md")) as f:
        text = f.read()
    out = {}
    for key, label in (("connect", "GET /connect"), ("auth", "GET /api/autogpt/authorize"),
                       ("dup_hook", "POST /api/autogpt/webhook")):
        num = r" \| ([\d.]+)"
        m = re.search(rf"^\| {re.escape(label)}[^|]*{num * 4} \| (\d+)/\d+ \| (\S+)", text, re.M)
        if not m:
            raise SystemExit(f"{name}: no '{label}' row in {out_dir}/results.md")
        out[key] = {"rps": float(m[1]), "p50_ms": float(m[2]), "p99_ms": float(m[3]), "requests": int(m[4]),
                    "non2xx": int(m[5]), "cpu": float(m[6]) if m[6] != "n/a" else None}
    out["rss_mib"] = int(re.search(r"peak RSS[^:]*: (\d+) MiB", text)[1])
    out["cold_ms"] = int(re.search(r"cold start[^:]*: [\d ]+ ms \(median (\d+) ms\)", text)[1])
    return out


# ---- our server and its databases -------------------------------------------------------------


def ours_env(port, database_url, platform=None):
    """The environment our release server runs with in every bench run. Without `platform`,
    AUTOGPT_URL is a port nothing listens on: the signed-out runs never call the platform."""
    return dict(
        os.environ, LEPTOS_SITE_ADDR=f"127.0.0.1:{port}", APP_URL=f"http://127.0.0.1:{port}",
        LEPTOS_SITE_ROOT=os.path.join(TARGET, "site"), LEPTOS_OUTPUT_NAME="autogpt-connect",
        LEPTOS_SITE_PKG_DIR="pkg", DATABASE_URL=database_url,
        AUTOGPT_URL=platform or f"http://127.0.0.1:{free_port()}",
        APP_SECRET="bench-secret-bench-secret-bench-secret-0123", AUTOGPT_WEBHOOK_SECRET=SECRET, RUST_LOG="warn",
        RATE_LIMIT_WEBHOOK=RAISED, RATE_LIMIT_CALLBACK=RAISED, RATE_LIMIT_SERVER_FNS=RAISED,
    )


class Postgres:
    """Fresh schemas in TEST_DATABASE_URL (as scripts/crash.py makes them), dropped by drop_all."""

    def __init__(self, admin):
        self.admin, self.schemas = admin, []

    def fresh(self):
        """Creates a new schema; returns (DATABASE_URL whose search_path is it, schema)."""
        schema = f"bench_{int(time.time())}_{random.randint(0, 99999)}"
        run(["psql", self.admin, "-q", "-c", f"CREATE SCHEMA {schema}"])
        self.schemas.append(schema)
        return f"{self.admin}{'&' if '?' in self.admin else '?'}options[search_path]={schema}", schema

    def inbox(self, schema):
        """(rows, unprocessed, dead) of the schema's webhook inbox."""
        q = (f"SELECT count(*), count(*) FILTER (WHERE processed_at IS NULL AND dead_at IS NULL), "
             f"count(*) FILTER (WHERE dead_at IS NOT NULL) FROM {schema}.webhook_inbox")
        return tuple(int(x) for x in run(["psql", self.admin, "-At", "-F", " ", "-c", q]).split())

    def drop_all(self):
        for schema in self.schemas:
            subprocess.run(["psql", self.admin, "-q", "-c", f"DROP SCHEMA IF EXISTS {schema} CASCADE"],
                           capture_output=True)


def sqlite_inbox(path):
    """(rows, unprocessed, dead) of a SQLite database's webhook inbox."""
    db = sqlite3.connect(path, timeout=10)
    try:
        return db.execute("SELECT count(*), coalesce(sum(processed_at IS NULL AND dead_at IS NULL), 0), "
                          "coalesce(sum(dead_at IS NOT NULL), 0) FROM webhook_inbox").fetchone()
    finally:
        db.close()


# ---- distinct webhook deliveries --------------------------------------------------------------


def write_pool(path, count, tag):
    """`count` distinct deliveries signed with SECRET, timestamped now: one
    "signature<TAB>timestamp<TAB>body" line each (what scripts/bench/webhook.lua reads)."""
    ts = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    key = SECRET.encode()
    with open(path, "w") as f:
        for n in range(count):
            body = (f'{{"event":"execution.completed","timestamp":"{ts}",'
                    f'"data":{{"execution_id":"bench-{tag}-{n}","status":"completed"}}}}')
            f.write(f"sha256={hmac.new(key, body.encode(), hashlib.sha256).hexdigest()}\t{ts}\t{body}\n")


def webhook_run(name, base, proc, seconds, warmup, out_dir, inbox=None, pg=False, seed=None):
    """Warm-up then the measured run of distinct deliveries against a running server. For ours
    (`inbox` given) it then waits until everything stored is processed, compares stored with
    acknowledged, and adds the CPU per delivery of intake and processing together. `seed(sql)`
    (ours) stores a running execution for every other delivery first, as `make crash` does, so
    half of them are about our runs and really processed (the run marked completed)."""
    lua, trees = os.path.join(LUA, "webhook.lua"), {"server": descendants(proc.pid)}
    if pg:
        trees["postgres"] = postgres_pids()
    runs = [(label, secs, os.path.join(out_dir, f"pool-{label}.txt"))
            for label, secs in (("warmup", warmup), ("run", seconds)) if secs]
    for label, secs, pool in runs:  # both pools first: nothing but the load runs during the load
        count, tag = int(30000 * secs) + 20000, f"{label}-{random.randint(0, 1 << 30)}"
        write_pool(pool, count, tag)
        if seed:
            seed(crash.seed_sql(f"bench-{tag}-", "postgres" if pg else "sqlite", count))
    acked, wraps, first = 0, 0, {k: cpu_ticks(p) for k, p in trees.items()}
    for label, secs, pool in runs:
        res = wrk(f"{base}/api/autogpt/webhook", lua, [pool, str(THREADS)], secs, trees,
                  os.path.join(out_dir, f"wrk-webhook-{label}.txt"))
        os.unlink(pool)
        acked, wraps = acked + int(res["requests"] - res["non2xx"]), wraps + res["wrapped"]
    res["wrapped"], ended, backlog, extra = wraps, time.monotonic(), None, ""
    if not inbox:
        res["cpu_all_server"] = res["cpu_server"]  # Next.js does all it does inside the request
    while inbox:
        rows, pending, dead = inbox()
        backlog = pending if backlog is None else backlog
        if pending == 0 or time.monotonic() - ended > 600:
            res.update(drain_s=time.monotonic() - ended, stored=rows, acked=acked, pending=pending, dead=dead,
                       backlog=backlog)
            for k, p in trees.items():  # from the first request to the last processed, per stored delivery
                res[f"cpu_all_{k}"] = (cpu_ticks(p) - first[k]) * 1e6 / CLK_TCK / max(rows, 1)
            extra = f", stored {rows} / acked {acked}, all processed {res['drain_s']:.1f} s after the load"
            break
        time.sleep(min(0.5, 0.02 + (time.monotonic() - ended) / 20))  # poll lightly: it costs CPU
    log(f"{name}: distinct webhooks {res['rps']:,.0f} req/s, {res['cpu_server']:.0f} µs/req, "
        f"{int(res['non2xx'])} non-2xx{extra}")
    return res


# ---- signed-in /connect -----------------------------------------------------------------------


class Browser:
    """One cookie jar per origin, no redirect followed (as the Rust tests' `Browser`)."""

    def __init__(self):
        self.jars = {}

    def send(self, method, url, form=None, origin=None):
        """(status, absolute Location or None, body)."""
        u = urllib.parse.urlsplit(url)
        jar = self.jars.setdefault(f"{u.scheme}://{u.netloc}", {})
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if origin:
            headers["Origin"] = origin
        status, resp, text = request(method, url, headers, form and urllib.parse.urlencode(form))
        for line in resp.get_all("Set-Cookie") or []:
            k, _, v = line.split(";")[0].partition("=")
            if v.strip() and "max-age=0" not in line.lower():
                jar[k.strip()] = v.strip()
            else:
                jar.pop(k.strip(), None)
        loc = resp.get("Location")
        return status, urllib.parse.urljoin(url, loc) if loc else None, text


def hidden(body, name):
    """The value of the hidden form field `name`, if the page has one."""
    m = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', body)
    return m and m.group(1)


def sign_in(app, platform):
    """Signs alice in as a browser would (authorize → sandbox login → consent → callback, as
    server/tests/api/browser.rs does); returns the app's cookies as a Cookie header value."""
    b = Browser()
    status, loc, body = b.send("GET", f"{app}/api/autogpt/authorize")
    if status != 303:
        raise SystemExit(f"authorize answered {status}: {body[:300]}")
    for _ in range(12):
        if loc and loc.startswith(f"{app}/api/autogpt/callback"):
            status, loc, body = b.send("GET", loc)
            if status != 303 or not any(k.endswith("agc_session") for k in b.jars[app]):
                raise SystemExit(f"callback answered {status} without a session: {body[:300]}")
            return "; ".join(f"{k}={v}" for k, v in b.jars[app].items())
        if loc and urllib.parse.urlsplit(loc).path == "/login":
            cont = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query).get("continue", ["/"])[0]
            form = {"email": "alice@example.com", "password": "alice-password", "continue": cont}
            status, loc, body = b.send("POST", f"{platform}/login", form, origin=platform)
        elif loc:
            status, loc, body = b.send("GET", loc)
        elif hidden(body, "consent_token"):
            form = {"consent_token": hidden(body, "consent_token"), "decision": "approve"}
            status, loc, body = b.send("POST", f"{platform}/oauth/consent", form, origin=platform)
        else:
            raise SystemExit(f"sign-in stuck ({status}): {body[:300]}")
    raise SystemExit("sign-in did not reach the app's callback")


def signed_in_run(seconds, warmup, out_dir, tmp):
    """Sandbox + ours on SQLite, alice signed in, wrk GET /connect with her cookies."""
    app_port, sb = free_port(), [free_port() for _ in range(3)]
    app, platform = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{sb[0]}"
    sandbox = start("sandbox", [SANDBOX, "--addr", f"127.0.0.1:{sb[0]}", "--live-api-addr", f"127.0.0.1:{sb[1]}",
                                "--live-pages-addr", f"127.0.0.1:{sb[2]}", "--client-origin", app],
                    dict(os.environ, RUST_LOG="warn"), tmp, f"{platform}/.well-known/openid-configuration", out_dir)
    env = ours_env(app_port, f"sqlite://{tmp}/signed-in.db", platform)
    server = start("server", [SERVER], env, ROOT, f"{app}/connect", out_dir)
    try:
        cookie = sign_in(app, platform)
        status, _, page = request("GET", f"{app}/connect", {"Cookie": cookie})
        if status != 200 or 'id="signed-in-as"' not in page:
            raise SystemExit(f"/connect with alice's cookies answered {status}, not signed in")
        log("signed in as alice; wrk GET /connect with her session")
        lua = os.path.join(LUA, "get.lua")
        trees = {"server": descendants(server.pid), "sandbox": descendants(sandbox.pid)}
        if warmup:
            wrk(f"{app}/connect", lua, [cookie], warmup, trees, os.path.join(out_dir, "wrk-warmup.txt"))
        res = wrk(f"{app}/connect", lua, [cookie], seconds, trees, os.path.join(out_dir, "wrk-connect.txt"))
        log(f"signed-in /connect: {res['rps']:,.0f} req/s, {res['cpu_server']:.0f} µs/req")
        return res
    finally:
        stop(server)
        stop(sandbox)


# ---- the report -------------------------------------------------------------------------------

TARGETS = (("nextjs", "Next.js"), ("sqlite", "ours (SQLite)"), ("postgres", "ours (PostgreSQL)"))
ROWS = (  # label, value, unit, which way is better, goal (factor against Next.js)
    ("GET /connect, server CPU per request (signed out)", lambda r: r["harness"]["connect"]["cpu"], "µs", "lower", 10),
    ("GET /connect signed in, CPU per request (vs Next.js /connect)", lambda r: r["signed_in"]["cpu_server"],
     "µs", "lower", 10),
    ("GET /api/autogpt/authorize, CPU per request", lambda r: r["harness"]["auth"]["cpu"], "µs", "lower", 10),
    ("POST webhook, distinct deliveries: req/s", lambda r: r["webhook"]["rps"], "req/s", "higher", 10),
    ("POST webhook, distinct deliveries: CPU per request during the load", lambda r: r["webhook"]["cpu_server"],
     "µs", "lower", None),
    ("POST webhook, distinct deliveries: CPU per delivery, intake and processing",
     lambda r: r["webhook"]["cpu_all_server"], "µs", "lower", None),
    ("POST webhook, distinct deliveries: all processed, after the load ended",
     lambda r: r["webhook"]["drain_s"], "s", "lower", None),
    ("POST webhook, distinct, half about our runs (processed): req/s (vs Next.js's distinct)",
     lambda r: r["webhook_ours"]["rps"], "req/s", "higher", 10),
    ("POST webhook, distinct, half about our runs: CPU per delivery, intake and processing",
     lambda r: r["webhook_ours"]["cpu_all_server"], "µs", "lower", None),
    ("POST webhook, distinct, half about our runs: all processed, after the load ended",
     lambda r: r["webhook_ours"]["drain_s"], "s", "lower", None),
    ("peak RSS after the runs", lambda r: r["harness"]["rss_mib"], "MiB", "lower", 16),
    ("cold start to the first 200 (median of 3)", lambda r: r["harness"]["cold_ms"], "ms", "lower", 20),
)
NEXT_ROW = {  # rows only ours has, compared with a Next.js figure
    1: lambda r: r["harness"]["connect"]["cpu"],  # signed in, with its /connect
    7: lambda r: r["webhook"]["rps"], 8: lambda r: r["webhook"]["cpu_all_server"], 9: lambda r: None,  # its distinct
}


def value(getter, results):
    """getter(results), or None for what was not measured."""
    try:
        return getter(results)
    except (KeyError, TypeError):
        return None


def table(results):
    """work | Next.js | ours (SQLite) | ours (PostgreSQL) | ratio | goal | met?"""
    lines = ["| work | Next.js | ours (SQLite) | ours (PostgreSQL) | ratio | goal | met? |",
             "|---|---:|---:|---:|---|---|---|"]
    for i, (label, getter, unit, better, goal) in enumerate(ROWS):
        nxt = value(NEXT_ROW.get(i, getter), results.get("nextjs", {}))
        cells, ratios, met = [], [], []
        for key, _ in TARGETS:
            v = value(getter, results.get(key, {}))
            blank = v is None or (key == "nextjs" and i in NEXT_ROW)
            cells.append("—" if blank else f"{v:,.{1 if unit == 's' else 0}f} {unit}")
            if key == "nextjs" or v is None or not nxt:
                continue
            f = (nxt / v if v else float("inf")) if better == "lower" else v / nxt
            ratios.append(f"{'SQLite' if key == 'sqlite' else 'PG'} {'1/' if better == 'lower' else '×'}{f:.1f}")
            if goal:
                met.append("yes" if f >= goal else "no")
        goal_text = "—" if not goal else (f"≤ 1/{goal} of Next.js" if better == "lower" else f"≥ {goal}× Next.js")
        lines.append(f"| {label} | {' | '.join(cells)} | {' · '.join(ratios) or '—'} | {goal_text} | "
                     f"{' · '.join(met) or '—'} |")
    return "\n".join(lines)


def details(results):
    """Every run's req/s, p50/p99 and non-2xx, then the intake check and the CPU outside our tree."""
    lines = ["| run | " + " | ".join(t for _, t in TARGETS) + " |", "|---|---:|---:|---:|"]
    runs = (("harness GET /connect", lambda r: r["harness"]["connect"]),
            ("harness GET /api/autogpt/authorize", lambda r: r["harness"]["auth"]),
            ("harness POST webhook (one body: duplicates for ours)", lambda r: r["harness"]["dup_hook"]),
            ("POST webhook, distinct deliveries", lambda r: r["webhook"]),
            ("POST webhook, distinct, half about our runs", lambda r: r["webhook_ours"]),
            ("GET /connect signed in", lambda r: r["signed_in"]))
    for label, getter in runs:
        cells = [value(getter, results.get(k, {})) for k, _ in TARGETS]
        lines.append(f"| {label} | " + " | ".join("—" if r is None else f"{r['rps']:,.0f} req/s, p50 {r['p50_ms']:.1f}"
                                                  f" / p99 {r['p99_ms']:.1f} ms, {int(r['non2xx'])} non-2xx"
                                                  for r in cells) + " |")
    lines.append("")
    for (key, title), run_key in ((t, k) for t in TARGETS[1:] for k in ("webhook", "webhook_ours")):
        w = results.get(key, {}).get(run_key) or {}
        if run_key == "webhook_ours":
            title = f"{title}, half about our runs,"
        if "stored" in w:
            ok = w["acked"] <= w["stored"] <= w["acked"] + 2 * CONNECTIONS and not w["pending"]
            lines.append(f"- {title} intake: {w['acked']:,} deliveries acknowledged (warm-up included), "
                         f"{w['stored']:,} stored ({w['stored'] - w['acked']} in flight when wrk stopped); "
                         f"{w['backlog']:,} still unprocessed when the load ended, {w['pending']} after "
                         f"{w['drain_s']:.1f} s, {w['dead']} dead: {'OK' if ok else 'MISMATCH'}")
        if w.get("wrapped"):
            lines.append(f"- {title}: the delivery pool ran out {int(w['wrapped'])} times (some were duplicates)")
        if "cpu_postgres" in w:
            lines.append(f"- {title} distinct webhooks: plus {w['cpu_postgres']:,.0f} µs per request during the load "
                         f"and {w.get('cpu_all_postgres', 0):,.0f} µs per delivery with processing in all `postgres` "
                         "processes on the host (not in the server's figures)")
    s = results.get("sqlite", {}).get("signed_in") or {}
    if s.get("cpu_sandbox", 0) >= 1:
        lines.append(f"- signed-in /connect: plus {s['cpu_sandbox']:,.0f} µs per request in the sandbox platform")
    return "\n".join(lines)


def versions():
    """node, next and wrk, as one line."""
    out = [f"node {run(['node', '--version']).strip()}"]
    try:
        with open(os.path.join(TARGET, "bench", "nextjs-ref", "node_modules", "next", "package.json")) as f:
            out.append(f"next {json.load(f)['version']}")
    except OSError:
        pass
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return ", ".join(out + [(wrk_v.stdout + wrk_v.stderr).split(" [")[0].strip()])


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine_meta():
    """Commit (dirty or not; BENCHMARKS.md aside), the binary's checksum, the CPU."""
    commit = run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT).strip()
    dirty = run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!BENCHMARKS.md"], cwd=ROOT)
    with open(SERVER, "rb") as f:
        binary = hashlib.sha256(f.read()).hexdigest()[:16]
    with open("/proc/cpuinfo") as f:
        model = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "?")
    return {"commit": commit + (" (dirty)" if dirty.strip() else ""), "binary": binary,
            "machine": f"nproc {len(os.sched_getaffinity(0))}, {model}"}


def report(results, meta):
    """The generated section of BENCHMARKS.md (also printed)."""
    return "\n".join([
        f"Generated by `make bench` (`scripts/bench.py`) on {meta['date']}, in {meta['took']:.0f} s.",
        "",
        f"- **Commit:** `{meta['commit']}`; `target/release/server` sha256 `{meta['binary']}…`",
        f"- **Machine:** {meta['machine']}",
        f"- **Load average (1, 5, 15 min):** {meta['load_before']} before, {meta['load_after']} after",
        f"- **Tools:** {meta['versions']}; wrk `-t{THREADS} -c{CONNECTIONS} -d{meta['duration']}s`, "
        f"{meta['warmup']} s warm-up per run (discarded); loopback only",
        f"- **Runs:** {meta['runs']}",
        "", table(results), "", "All runs, as measured:", "", details(results),
    ])


def write_benchmarks(section):
    """Replaces what is between the markers in BENCHMARKS.md (appends them if missing)."""
    path = os.path.join(ROOT, "BENCHMARKS.md")
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    block = f"{BEGIN}\n{section}\n{END}"
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n## Latest run\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)


# ---- the sitting ------------------------------------------------------------------------------


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", 10)),
                   help="seconds per measured wrk run (env BENCH_DURATION, default 10)")
    p.add_argument("--warmup", type=int, default=3, help="seconds of warm-up before each run (default 3; 0: none)")
    p.add_argument("--skip-nextjs", action="store_true", help="leave out the Next.js reference")
    p.add_argument("--skip-postgres", action="store_true", help="leave out ours on PostgreSQL")
    p.add_argument("--only", default="harness,webhook,signed-in",
                   help="comma-separated subset of: harness, webhook, signed-in")
    p.add_argument("--no-write", action="store_true", help="print the table, leave BENCHMARKS.md alone")
    args = p.parse_args()
    args.only = set(args.only.split(","))
    if args.only - {"harness", "webhook", "signed-in"}:
        p.error(f"--only: unknown {', '.join(args.only - {'harness', 'webhook', 'signed-in'})}")
    return args


def harness_for(key, args, ref, pg, out_dir, tmp):
    """The harness against one target, started the way the harness wants (START_CMD)."""
    port = free_port()
    if key == "nextjs":
        env, cmd, cwd = NEXT_ENV, f"node_modules/.bin/next start -p {port}", ref
    elif key == "sqlite":  # a fresh database for every cold start: each one migrates
        cmd = f"env DATABASE_URL=sqlite://{tmp}/harness-$$.db {SERVER}"
        env, cwd = ours_env(port, ""), ROOT
    else:
        env, cmd, cwd = ours_env(port, pg.fresh()[0]), SERVER, ROOT
    return harness(key, f"http://127.0.0.1:{port}", cmd, cwd, env, out_dir, args.duration, args.warmup)


def webhooks_for(key, args, ref, pg, out_dir, tmp, seeded=False):
    """The distinct-delivery run against one target, on a fresh database for ours; `seeded`:
    every other delivery about one of our runs (see `webhook_run`)."""
    port = free_port()
    base, inbox, seed = f"http://127.0.0.1:{port}", None, None
    if key == "nextjs":
        proc = start("nextjs-webhook", ["node_modules/.bin/next", "start", "-p", str(port)], NEXT_ENV, ref,
                     f"{base}/connect", out_dir)
    else:
        if key == "sqlite":
            db = os.path.join(tmp, f"webhook-{seeded}.db")
            url, inbox = f"sqlite://{db}", lambda: sqlite_inbox(db)
            seed = lambda sql: crash.seed_sqlite(db, sql)  # noqa: E731
        else:
            url, schema = pg.fresh()
            inbox = lambda: pg.inbox(schema)  # noqa: E731
            seed = lambda sql: crash.seed_postgres(pg.admin, schema, sql)  # noqa: E731
        proc = start("server-webhook", [SERVER], ours_env(port, url), ROOT, f"{base}/connect", out_dir)
    try:
        log(f"{key}: distinct webhook deliveries")
        return webhook_run(key, base, proc, args.duration, args.warmup, out_dir, inbox, pg=key == "postgres",
                           seed=seed if seeded else None)
    finally:
        stop(proc)


def main():
    args = parse_args()
    for binary in (SERVER, SANDBOX):
        if not os.path.exists(binary):
            raise SystemExit(f"missing {binary}: run `make build sandbox-build` (or `make bench`)")
    ensure_wrk()
    t0, meta, stamp = time.monotonic(), machine_meta(), datetime.now(timezone.utc)
    out = os.path.join(TARGET, "bench", f"run-{stamp:%Y%m%d-%H%M%S}")
    tmp = os.path.join(out, "tmp")
    os.makedirs(tmp)
    targets = [k for k, _ in TARGETS if not (k == "nextjs" and args.skip_nextjs)
               and not (k == "postgres" and args.skip_postgres)]
    ref = os.path.join(TARGET, "bench", "nextjs-ref")
    if "nextjs" in targets:
        build_nextjs(os.path.abspath(os.environ.get("NEXTJS_REF", os.path.join(ANCHORS, "nextjs-ref"))), ref)
    pg = Postgres(os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test"))
    if "postgres" in targets and subprocess.run(["psql", pg.admin, "-Atc", "SELECT 1"], capture_output=True).returncode:
        raise SystemExit(f"PostgreSQL not reachable at {pg.admin} (TEST_DATABASE_URL); use --skip-postgres")
    results, meta["load_before"] = {k: {} for k in targets}, loadavg()
    try:
        ours_runs = lambda *a: webhooks_for(*a, seeded=True)  # noqa: E731
        for step, fn, only in (("harness", harness_for, "harness"), ("webhook", webhooks_for, "webhook"),
                               ("webhook_ours", ours_runs, "webhook")):
            for key in targets if only in args.only else []:
                if step == "webhook_ours" and key == "nextjs":
                    continue  # it has no runs: its figure is the distinct run's
                d = os.path.join(out, key, step)
                os.makedirs(d, exist_ok=True)
                results[key][step] = fn(key, args, ref, pg, d, tmp)
        if "signed-in" in args.only and "sqlite" in targets:
            d = os.path.join(out, "signed-in")
            os.makedirs(d)
            results["sqlite"]["signed_in"] = signed_in_run(args.duration, args.warmup, d, tmp)
    finally:
        for proc in STARTED:
            stop(proc)
        pg.drop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    meta.update(load_after=loadavg(), date=f"{stamp:%Y-%m-%d %H:%M} UTC", took=time.monotonic() - t0,
                versions=versions(), duration=args.duration, warmup=args.warmup,
                runs=f"{', '.join(targets)}; {', '.join(s for s in ('harness', 'webhook', 'signed-in') if s in args.only)}; SQLite synchronous="
                     f"{os.environ.get('SQLITE_SYNCHRONOUS', 'normal')}; raw outputs in `{os.path.relpath(out, ROOT)}`")
    section = report(results, meta)
    print(section)
    if not args.no_write:
        write_benchmarks(section)
        log("BENCHMARKS.md updated")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the finally blocks stop what we started
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
