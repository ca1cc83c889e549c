"""Request overhead of tenant routing: /healthz on an organisation subdomain vs the public domain.

Starts the real application with gunicorn (config.wsgi:application, 2 sync workers, bound to
127.0.0.1 on a free port, DEBUG=false, PLATFORM_DOMAIN=localhost, no Redis: the routing cache is
the per-process memory cache), creates one organisation, then sends sequential GET /healthz
requests over a new connection each (gunicorn's sync workers close it after every response),
alternating ``Host: localhost`` (public schema, no lookup) and ``Host: <slug>.localhost``
(organisation: Domain lookup or routing cache, then its schema). Latency is measured from connect
to the last byte of the body. Every answer is checked (200 and the expected schema).

Variants: the routing cache as configured (TenantRoutingMiddleware, 30 s) and, unless
``--no-uncached``, with the routing cache replaced by a dummy (bench/_settings_no_routing_cache.py)
so every organisation request queries the Domain table.

No collectstatic is needed: /healthz renders no template and no static file (WhiteNoise only warns
that STATIC_ROOT is missing).

    .venv/bin/python bench/tenant_routing.py [--quick] [--requests 2000] [--seconds 120] [--keep]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import _common as c

SLUG = "bench-routing"
VARIANTS = {
    "routing cache on": "config.settings",
    "routing cache off": "_settings_no_routing_cache",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, host: str) -> tuple[float, int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        start = time.perf_counter()
        connection.request("GET", "/healthz", headers={"Host": host})
        response = connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - start
    finally:
        connection.close()
    return elapsed, response.status, body


def check(status: int, body: bytes, schema: str, host: str) -> None:
    if status != 200 or json.loads(body).get("schema") != schema:
        raise RuntimeError(f"unexpected answer for Host: {host}: {status} {body[:200]!r}")


class Server:
    """gunicorn in a subprocess of its own session; always stopped by ``stop``."""

    def __init__(self, url: str, settings_module: str, log) -> None:
        self.port = free_port()
        environment = {**os.environ, **c.bench_environment(url, DJANGO_SETTINGS_MODULE=settings_module)}
        command = [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--workers", "2", "--worker-class", "sync",
            "--bind", f"127.0.0.1:{self.port}",
            "--pythonpath", str(c.ROOT / "bench"),
            "--log-level", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=c.ROOT, env=environment, stdout=log, stderr=log, start_new_session=True)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with code {self.process.returncode}")
            try:
                _, status, _ = get(self.port, "localhost")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn's graceful stop, workers included
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its own session: only gunicorn
                self.process.wait(timeout=5)


def measure(port: int, hosts: dict[str, str], requests: int, seconds: float) -> dict[str, list[float]]:
    """Alternate the hosts, ``requests`` each at most, stopping after ``seconds``."""
    latencies: dict[str, list[float]] = {host: [] for host in hosts}
    deadline = time.monotonic() + seconds
    for _ in range(requests):
        if time.monotonic() > deadline:
            break
        for host, schema in hosts.items():
            elapsed, status, body = get(port, host)
            check(status, body, schema, host)
            latencies[host].append(elapsed)
    return latencies


def run_variant(url, settings_module, log, hosts, requests, seconds, warm_up) -> dict[str, list[float]]:
    """Start gunicorn, warm it up, measure, and always stop it."""
    server = Server(url, settings_module, log)
    try:
        server.wait_ready()
        measure(server.port, hosts, warm_up, seconds)
        return measure(server.port, hosts, requests, seconds)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 requests per host instead of 2,000")
    parser.add_argument("--requests", type=int, help="requests per host and variant (default 2000, quick 300)")
    parser.add_argument("--seconds", type=float, help="time limit per variant (default 120, quick 30)")
    parser.add_argument("--warm-up", type=int, default=100, help="unmeasured requests per host first (default 100)")
    parser.add_argument("--no-uncached", action="store_true", help="skip the variant without routing cache")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database at the end")
    args = parser.parse_args()
    requests = args.requests or (300 if args.quick else 2000)
    seconds = args.seconds or (30.0 if args.quick else 120.0)

    url = c.bench_database_url()
    c.django_setup(url)
    from django.db import connections

    from tenants.services import organisation_create, template_schema_ensure

    c.header(
        "Tenant routing overhead (GET /healthz through gunicorn)",
        database=url.rsplit("/", 1)[-1],
        requests_per_host=requests,
        time_limit_s=int(seconds),
        mode="quick" if args.quick else "full",
    )
    template_schema_ensure()
    organisation = organisation_create(
        name="Organisme routage", slug=SLUG, kind="training_organisation", admin_email="admin@routing.example.org", admin_password=None
    ).organisation
    connections.close_all()
    hosts = {"localhost": "public", f"{SLUG}.localhost": organisation.schema_name}
    variants = {k: v for k, v in VARIANTS.items() if not (args.no_uncached and "off" in k)}

    rows, overheads = [], []
    try:
        with tempfile.TemporaryFile("w+") as log:  # gunicorn's output, shown if something fails
            try:
                for label, settings_module in variants.items():
                    latencies = run_variant(url, settings_module, log, hosts, requests, seconds, args.warm_up)
                    summaries = {host: c.summary([c.ms(v) for v in values]) for host, values in latencies.items()}
                    for host, s in summaries.items():
                        rows.append([label, host, s["n"], s["median"], s["p95"], s["min"], s["max"]])
                    public, organisation_host = summaries["localhost"], summaries[f"{SLUG}.localhost"]
                    overheads.append(
                        [label, organisation_host["median"] - public["median"], organisation_host["p95"] - public["p95"],
                         f"{100 * (organisation_host['median'] / public['median'] - 1):+.0f} %"]
                    )  # fmt: skip
            except Exception:
                log.seek(0)
                print(f"gunicorn log:\n{log.read()[-3000:]}", file=sys.stderr)
                raise
        print()
        print("Latency of GET /healthz, ms (client side, connect to last byte)")
        print(c.table(["variant", "Host", "n", "median", "p95", "min", "max"], rows))
        print()
        print("Routing overhead (organisation subdomain minus public domain), ms")
        print(c.table(["variant", "median", "p95", "median, relative"], overheads))
        print()
        print("Server: gunicorn, 2 sync workers, DEBUG=false (no collectstatic needed for /healthz), "
              "no REDIS_URL (routing cache = per-worker memory cache), CONN_MAX_AGE=60.")  # fmt: skip
    finally:
        connections.close_all()
        if not args.keep:
            c.database_drop(url)


if __name__ == "__main__":
    main()
