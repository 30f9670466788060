#!/usr/bin/env python3
"""Soak (issue 14 item 6): N simulated users sign in, connect, run an agent and watch it
finish, over and over for M minutes, against the sandbox, on each profile (guide and live).

Each user is its own cookie jar scripting what a browser does over HTTP (the platform's
login and consent pages, the Connect popup's decision page or the setup wizard, our server
functions in postcard, the live agent form). It passes when no step failed and the app's RSS
stayed flat (the last quarter's median within 25 % + 2 MiB of the second quarter's); it
prints every step's p50/p99 and the RSS samples, and writes target/soak/report.md.

With `--replicas 2` (PostgreSQL) every user's requests alternate between the replicas, which
share one database and one public origin, as behind a load balancer: sessions, runs and live
status must work whichever replica answers, and each run is polled by one watcher only (the
replicas' `run_polls` summed, per run).

Usage: python3 scripts/soak.py [--users 4] [--minutes 2] [--profile guide|live|both]
                               [--replicas 1] [--database sqlite|postgres]
Needs `make build sandbox-build`. Every server binds 127.0.0.1 on a free port, is awaited by
a readiness probe and stopped by PID.
"""

import argparse
import http.cookiejar
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
USERS = [("alice@example.com", "alice-password", "cred-alice-google")]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, proc, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"{url} never answered")


def stop(proc):
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# ---- postcard: the few shapes our server functions take and give ---------------------------


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def pc_str(s):
    b = s.encode()
    return varint(len(b)) + b


def read_varint(buf, i):
    n = shift = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def read_strs(buf, count, i=0):
    out = []
    for _ in range(count):
        n, i = read_varint(buf, i)
        out.append(buf[i : i + n].decode())
        i += n
    return out, i


class Failure(Exception):
    pass


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One user's browser: a cookie jar, no redirect following, every answer read whole."""

    def __init__(self, app, bases=None):
        self.app = app
        self.bases = bases or [app]
        self.turn = 0
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def send(self, method, url, body=None, headers=None):
        req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def get(self, url):
        return self.send("GET", url)

    def at(self, path):
        """`path` on the next replica (round robin): the load balancer's choice."""
        self.turn += 1
        return self.bases[self.turn % len(self.bases)] + path

    def post_form(self, url, fields, origin):
        body = urllib.parse.urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin}
        return self.send("POST", url, body, headers)

    def call(self, endpoint, body):
        headers = {"Content-Type": "application/x-postcard", "Accept": "application/x-postcard", "Origin": self.app}
        status, _, data = self.send("POST", self.at(f"/api/app/{endpoint}"), body, headers)
        if status != 200:
            raise Failure(f"{endpoint}: {status} {data[:200]!r}")
        return data


def location(base, headers):
    loc = headers.get("Location")
    return urllib.parse.urljoin(base, loc) if loc else None


def hidden(html, name):
    m = re.search(r'name="' + re.escape(name) + r'" value="([^"]*)"', html)
    return m.group(1).replace("&amp;", "&") if m else None


def form(html, form_id):
    """A form's action and the fields a browser sends (hidden inputs, checked radios)."""
    start = html.find(f'<form id="{form_id}"')
    if start < 0:
        raise Failure(f"no form #{form_id}")
    chunk = html[start : html.find("</form>", start)]
    action = re.search(r' action="([^"]*)"', chunk).group(1).replace("&amp;", "&")
    fields = []
    for tag in re.findall(r"<input([^>]*)>", chunk):
        if 'type="hidden"' in tag or ('type="radio"' in tag and " checked" in tag):
            name = re.search(r' name="([^"]*)"', tag)
            value = re.search(r' value="([^"]*)"', tag)
            if name:
                fields.append((name.group(1), value.group(1).replace("&amp;", "&") if value else ""))
    return action, fields


# ---- the flows ---------------------------------------------------------------------------------


def sign_in_guide(b, platform, user):
    status, headers, _ = b.get(f"{b.app}/api/autogpt/authorize")
    url = location(b.app, headers)
    for _ in range(10):
        if url and url.startswith(f"{b.app}/api/autogpt/callback"):
            status, headers, _ = b.get(url)
            done = location(b.app, headers) or ""
            if "/connect?success=true" not in done:
                raise Failure(f"sign-in ended at {status} {done}")
            return
        parsed = urllib.parse.urlparse(url)
        if parsed.path == "/login":
            cont = urllib.parse.parse_qs(parsed.query).get("continue", ["/"])[0]
            status, headers, body = b.post_form(f"{platform}/login", [("email", user[0]), ("password", user[1]), ("continue", cont)], platform)
        else:
            status, headers, body = b.get(url)
        url = location(url, headers)
        if url is None:
            token = hidden(body.decode(), "consent_token")
            if not token:
                raise Failure(f"sign-in stuck ({status})")
            status, headers, body = b.post_form(f"{platform}/oauth/consent", [("consent_token", token), ("decision", "approve")], platform)
            url = location(platform, headers)
    raise Failure("sign-in never came back")


def through_live_pages(b, pages, url, user, decision):
    """Follows the live pages (login, consent or wizard) until they send the browser back."""
    for _ in range(10):
        if url.startswith(b.app):
            return url
        status, headers, body = b.get(url)
        nxt = location(url, headers)
        while nxt is None:
            html = body.decode()
            if 'id="login-form"' in html:
                fid, extra = "login-form", [("email", user[0]), ("password", user[1])]
            elif 'id="authorize-form"' in html:
                fid, extra = "authorize-form", [decision]
            elif 'id="wizard-form"' in html:
                fid, extra = "wizard-form", [decision]
            else:
                raise Failure(f"stuck on the live pages ({status})")
            action, fields = form(html, fid)
            status, headers, body = b.post_form(urllib.parse.urljoin(pages, action), fields + extra, pages)
            nxt = location(pages, headers)
            if nxt and not nxt.startswith(b.app):
                url, nxt = nxt, None
                status, headers, body = b.get(url)
                nxt = location(url, headers)
        url = nxt
    raise Failure("the live pages never sent the browser back")


def sign_in_live(b, pages, user):
    _, headers, _ = b.get(f"{b.app}/api/autogpt/authorize")
    callback = through_live_pages(b, pages, location(b.app, headers), user, ("decision", "authorize"))
    status, headers, _ = b.get(callback)
    if "/connect?success=true" not in (location(b.app, headers) or ""):
        raise Failure(f"live sign-in ended at {status}")


def connect_guide(b, platform, user):
    nonce, url = begin(b, "google")
    status, _, body = b.get(url)
    token = hidden(body.decode(), "connect_token")
    if status != 200 or not token:
        raise Failure(f"connect page {status}")
    fields = [("connect_token", token), ("action", "approve"), ("credential_id", user[2])]
    status, _, body = b.post_form(f"{platform}/connect/google/decision", fields, platform)
    m = re.search(r'"grant_id":"([^"]+)"', body.decode())
    if status != 200 or not m:
        raise Failure(f"connect decision {status}")
    b.call("connect/record", pc_str(nonce) + pc_str(m.group(1)))


def connect_live(b, pages, user):
    _, url = begin(b, "github")
    back = through_live_pages(b, pages, url, user, ("action", "continue"))
    status, _, body = b.get(back)
    html = body.decode()
    nonce, grant = hidden(html, "nonce"), hidden(html, "grant_id")
    if status != 200 or not nonce or not grant:
        raise Failure(f"wizard callback {status}")
    status, headers, _ = b.post_form(f"{b.app}/api/autogpt/integrations/record", [("nonce", nonce), ("grant_id", grant)], b.app)
    if "connected=" not in (location(b.app, headers) or ""):
        raise Failure(f"record {status} {location(b.app, headers)}")


def begin(b, provider):
    (_, nonce, popup_url, _), _ = read_strs(b.call("connect/begin", pc_str(provider)), 4)
    return nonce, popup_url


def run_guide(b):
    body = pc_str("echo-agent") + varint(1) + pc_str("message") + pc_str("soak")
    (execution_id,), _ = read_strs(b.call("agents/execute", body), 1)
    return execution_id


def run_live(b):
    status, _, body = b.get(b.at("/agents?agent=lib-echo"))
    if status != 200:
        raise Failure(f"agent form {status}")
    action, fields = form(body.decode(), "agent-form")
    status, headers, _ = b.post_form(b.at(action), fields + [("input.message", "soak")], b.app)
    url = location(b.app, headers) or ""
    if "/executions/" not in url:
        raise Failure(f"run start {status} {url}")
    return urllib.parse.urlparse(url).path.rsplit("/", 1)[1]


def watch(b, run_id, seconds=60):
    """Waits for our record of the run to be final (what the run page's island reads)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        data = b.call("runs/status", pc_str(run_id))
        if data and data[0] == 1:
            (_, status), i = read_strs(data, 2, 1)
            if data[i] == 1:
                if status != "completed":
                    raise Failure(f"run ended {status}")
                return
        time.sleep(0.25)
    raise Failure("run never finished")


# ---- the run -----------------------------------------------------------------------------------


class Stats:
    def __init__(self):
        self.polls = 0.0
        self.lock = threading.Lock()
        self.times = {}
        self.errors = []

    def step(self, name, fn):
        start = time.perf_counter()
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - every failure of a step is counted and shown
            with self.lock:
                self.errors.append(f"{name}: {e}")
            return False
        with self.lock:
            self.times.setdefault(name, []).append(time.perf_counter() - start)
        return True


def user_loop(profile, app, bases, urls, user, stats, until):
    b = Browser(app, bases)
    if profile == "guide":
        sign_in = lambda: sign_in_guide(b, urls["guide"], user)  # noqa: E731
        connect = lambda: connect_guide(b, urls["guide"], user)  # noqa: E731
        start = lambda: run_guide(b)  # noqa: E731
    else:
        sign_in = lambda: sign_in_live(b, urls["pages"], user)  # noqa: E731
        connect = lambda: connect_live(b, urls["pages"], user)  # noqa: E731
        start = lambda: run_live(b)  # noqa: E731
    if not stats.step("sign-in", sign_in):
        return
    while time.time() < until:
        stats.step("GET /connect", lambda: ok(b.get(b.at("/connect"))))
        stats.step("connect", connect)
        run = {}
        if stats.step("run start", lambda: run.setdefault("id", start())):
            stats.step("run watched to completed", lambda: watch(b, run["id"]))
        stats.step("GET /executions", lambda: ok(b.get(b.at("/executions"))))
        time.sleep(0.5)


def ok(answer):
    if answer[0] != 200:
        raise Failure(f"status {answer[0]}")


def metric(base, name):
    """One gauge of a replica's `/metrics`."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return 0.0


class Database:
    """A fresh SQLite file, or a fresh schema of the PostgreSQL at TEST_DATABASE_URL (dropped
    afterwards); replicas share it."""

    def __init__(self, kind, workdir, profile):
        self.kind, self.schema = kind, None
        if kind == "sqlite":
            self.url = f"sqlite://{workdir}/{profile}.db"
            return
        self.admin = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
        self.schema = f"soak_{profile}_{os.getpid()}"
        subprocess.run(["psql", self.admin, "-q", "-c", f"CREATE SCHEMA {self.schema}"], check=True)
        sep = "&" if "?" in self.admin else "?"
        self.url = f"{self.admin}{sep}options[search_path]={self.schema}"

    def drop(self):
        if self.schema:
            quiet = dict(os.environ, PGOPTIONS="-c client_min_messages=warning")
            subprocess.run(["psql", self.admin, "-q", "-c", f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"], check=False, env=quiet)


def soak(profile, users, minutes, workdir, replicas, database):
    sandbox_port, api_port, pages_port = (free_port() for _ in range(3))
    ports = [free_port() for _ in range(replicas)]
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    # Behind a load balancer every replica has the same public origin: the first one's.
    app = bases[0]
    urls = {
        "guide": f"http://127.0.0.1:{sandbox_port}",
        "api": f"http://127.0.0.1:{api_port}",
        "pages": f"http://127.0.0.1:{pages_port}",
    }
    logs = os.path.join(workdir, profile)
    os.makedirs(logs, exist_ok=True)
    sandbox_cmd = [
        os.path.join(TARGET, "release", "sandbox"), "--addr", f"127.0.0.1:{sandbox_port}",
        "--client-origin", app, "--live-api-addr", f"127.0.0.1:{api_port}",
        "--live-pages-addr", f"127.0.0.1:{pages_port}",
    ]
    # N users at once must not hit the sandbox's per-client token budget or per-user limits.
    env = dict(os.environ, SANDBOX_TOKEN_RATE_LIMIT="10000", SANDBOX_LIVE_RATE_LIMIT="100000",
               SANDBOX_LIVE_RUN_RATE_LIMIT="100000")
    sandbox = subprocess.Popen(sandbox_cmd, env=env, stdout=open(f"{logs}/sandbox.log", "w"), stderr=subprocess.STDOUT)
    servers, db = [], Database(database, workdir, profile)
    try:
        wait_http(f"{urls['guide']}/.well-known/openid-configuration", sandbox)
        wait_http(f"{urls['api']}/healthz", sandbox)
        for i, port in enumerate(ports):
            app_env = dict(
                os.environ,
                LEPTOS_SITE_ADDR=f"127.0.0.1:{port}", APP_URL=app, LEPTOS_SITE_ROOT=os.path.join(TARGET, "site"),
                DATABASE_URL=db.url, APP_SECRET="soak-" + "s" * 40, RUST_LOG="warn", INSTANCE_ID=f"soak-{i}",
                AUTOGPT_URL=urls["guide"], RATE_LIMIT_SERVER_FNS="100000/100000", RATE_LIMIT_CALLBACK="100000/100000",
            )
            if profile == "live":
                app_env.update(AUTOGPT_PROFILE="live", AUTOGPT_URL=urls["pages"], AUTOGPT_API_URL=urls["api"])
            server = subprocess.Popen([os.path.join(TARGET, "release", "server")], env=app_env,
                                      stdout=open(f"{logs}/server-{i}.log", "w"), stderr=subprocess.STDOUT)
            servers.append(server)
            wait_http(f"{bases[i]}/healthz", server)
        stats, samples = Stats(), []
        until = time.time() + minutes * 60
        threads = [
            threading.Thread(target=user_loop, args=(profile, app, bases, urls, USERS[i % len(USERS)], stats, until))
            for i in range(users)
        ]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            samples.append([rss_kib(s.pid) for s in servers])
            time.sleep(2)
        stats.polls = sum(metric(b, "run_polls") for b in bases)
        return stats, samples
    finally:
        for server in servers:
            stop(server)
        stop(sandbox)
        db.drop()


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def verdict(title, profile, stats, samples):
    lines = [f"### {title}", "", "| step | count | p50 | p99 |", "|---|---:|---:|---:|"]
    for name, times in stats.times.items():
        lines.append(f"| {name} | {len(times)} | {percentile(times, 50) * 1000:.1f} ms | {percentile(times, 99) * 1000:.1f} ms |")
    lines.append("")
    lines.append(f"errors: {len(stats.errors)}" + ("" if not stats.errors else " — " + "; ".join(stats.errors[:5])))
    flat_all = True
    for i in range(len(samples[0]) if samples else 0):
        series = [row[i] for row in samples]
        q = max(1, len(series) // 4)
        early, late = statistics.median(series[q : 2 * q] or series), statistics.median(series[-q:])
        flat = late <= early * 1.25 + 2048
        flat_all &= flat
        lines.append(
            f"RSS of replica {i + 1}: {series[0] / 1024:.1f} MiB at start, median {early / 1024:.1f} MiB (2nd quarter) → "
            f"{late / 1024:.1f} MiB (last quarter), peak {max(series) / 1024:.1f} MiB: {'flat' if flat else 'GROWING'}"
        )
    runs = len(stats.times.get("run watched to completed", []))
    if profile == "live" and runs:
        lines.append(f"run status polls, all replicas: {stats.polls:.0f} for {runs} runs ({stats.polls / runs:.1f} per run)")
    lines.append("")
    return "\n".join(lines), not stats.errors and flat_all


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=int(os.environ.get("SOAK_USERS", 4)))
    ap.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES", 2)))
    ap.add_argument("--profile", choices=["guide", "live", "both"], default="both")
    ap.add_argument("--replicas", type=int, default=1)
    ap.add_argument("--database", choices=["sqlite", "postgres"], default=None)
    args = ap.parse_args()
    database = args.database or ("postgres" if args.replicas > 1 else "sqlite")
    if args.replicas > 1 and database != "postgres":
        sys.exit("soak: replicas share one PostgreSQL database (--database postgres)")
    out = os.path.join(TARGET, "soak")
    os.makedirs(out, exist_ok=True)
    setup = f"{args.users} users × {args.minutes:g} min, {args.replicas} replica(s) on {database}"
    report, passed = [f"## Soak: {setup}", ""], True
    with tempfile.TemporaryDirectory() as work:
        for profile in (["guide", "live"] if args.profile == "both" else [args.profile]):
            print(f"soak: {profile} profile, {setup}", flush=True)
            stats, samples = soak(profile, args.users, args.minutes, work, args.replicas, database)
            text, ok_ = verdict(f"{profile} profile, {setup}", profile, stats, samples)
            print(text, flush=True)
            report.append(text)
            passed &= ok_
    name = f"report-{args.replicas}x-{database}.md"
    with open(os.path.join(out, name), "w") as f:
        f.write("\n".join(report))
    print(f"soak: {'passed' if passed else 'FAILED'} (report in {out}/{name})")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
