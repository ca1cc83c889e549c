"""The README's promise: on a machine with no PostgreSQL, `make run` in a fresh clone starts the
embedded PostgreSQL, migrates, seeds the demo and serves the demo organisation.

"No PostgreSQL" is made real with a network namespace (`unshare -n`, loopback up) in which nothing
answers on 127.0.0.1:5432, even on a machine (CI) where a PostgreSQL runs. The clone reuses the
virtualenv running this test (`make run VENV=...`): `make setup` would only reinstall the same
packages. Everything started is stopped at the end (process group, then the embedded server).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.fresh_machine

REPOSITORY = Path(__file__).resolve().parents[2]
PORT = 8000  # the README's port: free inside the namespace whatever runs outside
READY_WITHIN_SECONDS = 240

# Runs inside the namespace: starts `make run`, then acts as the visitor's browser.
VISITOR = textwrap.dedent(
    r'''
    import http.client, http.cookies, os, re, signal, socket, subprocess, sys, time, urllib.parse

    clone, venv, port, deadline = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
        sys.exit("FAIL: a PostgreSQL answers on 127.0.0.1:5432 inside the namespace")
    except OSError:
        pass

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SITE_URL", "TESTING")}
    env["PYTHONUNBUFFERED"] = "1"
    log = open(os.path.join(clone, "make-run.log"), "wb")
    server = subprocess.Popen(["make", "run", f"VENV={venv}", f"PORT={port}"], cwd=clone, env=env,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    class Browser:
        def __init__(self, host):
            self.host, self.cookies = host, {}

        def request(self, method, path, body=None):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            headers = {"Host": f"{self.host}:{port}"}
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if body is not None:
                body = urllib.parse.urlencode(body)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                headers["Referer"] = f"http://{self.host}:{port}{path}"
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in http.cookies.SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, response.getheader("Location") or "", response.read().decode("utf-8", "replace")

    def stop():
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()

    try:
        demo = Browser("demo.localhost")
        while True:
            if server.poll() is not None:
                sys.exit(f"FAIL: make run stopped (exit {server.returncode})")
            if time.time() > deadline:
                sys.exit("FAIL: /healthz of the demo organisation did not answer 200 in time")
            try:
                if demo.request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(2)
        print("healthz demo 200")

        status, _, html = Browser("localhost").request("GET", "/")
        assert status == 200, f"public home page: {status}"
        print("public home 200")

        status, location, _ = demo.request("GET", "/notifications/")
        assert status == 302 and "/accounts/login/" in location, f"anonymous notifications: {status} {location}"
        status, _, html = demo.request("GET", "/accounts/login/")
        assert status == 200, f"login page: {status}"
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        status, location, html = demo.request("POST", "/accounts/login/", {
            "csrfmiddlewaretoken": token, "login": "claire.martin@demo.fr", "password": "Demo-bilans-2026"})
        assert status == 302, f"login refused: {status} {html[:500]}"
        for path in ("/", "/notifications/"):
            status, location, html = demo.request("GET", path)
            assert status == 200, f"{path} after login: {status} {location}"
            assert 'action="/accounts/logout/"' in html and 'name="password"' not in html, f"{path}: not logged in"
        print("logged-in pages 200")

        import psycopg  # the migrations created the contrib extensions in the embedded server
        socket_dir = open(os.path.join(clone, ".data", "postgres", "postmaster.pid")).read().splitlines()[4]
        with psycopg.connect(f"postgresql://postgres@/bilans?host={socket_dir}") as conn:
            extensions = {row[0] for row in conn.execute("SELECT extname FROM pg_extension")}
        assert {"btree_gist", "pg_trgm", "unaccent"} <= extensions, f"extensions: {extensions}"
        print("extensions btree_gist, pg_trgm, unaccent")
    finally:
        stop()
        # the embedded PostgreSQL stops with the last process using it; make sure of it
        pid_file = os.path.join(clone, ".data", "postgres", "postmaster.pid")
        for _ in range(20):
            if not os.path.exists(pid_file):
                break
            time.sleep(0.5)
        else:
            pid = int(open(pid_file).read().split()[0])
            print(f"embedded PostgreSQL still running ({pid}): stopping it")
            try:
                os.kill(pid, signal.SIGQUIT)
            except ProcessLookupError:
                pass
            sys.exit("FAIL: the embedded PostgreSQL did not stop with make run")
    '''
)


def test_make_run_from_a_fresh_clone_serves_the_demo_without_any_postgresql():
    """A newcomer's first command: `make run` with no DATABASE_URL and no PostgreSQL answering
    serves the demo organisation (/healthz), the public home page and a logged-in consultant's pages."""
    assert shutil.which("unshare") and shutil.which("ip"), "unshare (util-linux) and ip (iproute2) are needed"
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    assert probe.returncode == 0, (
        "This test needs a network namespace without PostgreSQL (`unshare -n`, as root): "
        f"unshare refused: {probe.stderr.strip()}"
    )
    # Not pytest's tmp_path: pytest resets /tmp/pytest-of-<user> to 0700 when another session
    # starts, which would lock the embedded server's user (as root) out of its data folder.
    workdir = Path(tempfile.mkdtemp(prefix="bilans-fresh-machine-"))
    try:
        clone = workdir / "clone"
        subprocess.run(["git", "clone", "--quiet", str(REPOSITORY), str(clone)], check=True)
        assert not (clone / ".data").exists() and not (clone / ".venv").exists()
        script = workdir / "visitor.py"
        script.write_text(VISITOR)
        result = subprocess.run(
            ["unshare", "-n", "--", sys.executable, str(script), str(clone), sys.prefix, str(PORT),
             str(time.time() + READY_WITHIN_SECONDS)],
            capture_output=True, text=True, timeout=READY_WITHIN_SECONDS + 120,
        )
        log = (clone / "make-run.log").read_text(errors="replace") if (clone / "make-run.log").exists() else ""
        assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n--- make run ---\n{log[-6000:]}"
        assert "logged-in pages 200" in result.stdout and "extensions btree_gist" in result.stdout
        assert "Organisme démo : http://demo.localhost:8000/" in log, log[-3000:]
        assert (clone / ".data" / "postgres" / "PG_VERSION").read_text().strip() == "18"
        survivors = subprocess.run(["pgrep", "-f", str(clone)], capture_output=True, text=True).stdout.split()
        assert not survivors, f"processes left running: {survivors}"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
