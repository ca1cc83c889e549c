"""Issue 13, point 1: link tokens (share, 360°, employer signature, invitation, calendar,
password reset) never reach the logs the project ships: gunicorn's access log and nginx's."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from config.logging_filters import mask_tokens

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONF = ROOT / "platform" / "gunicorn.conf.py"
NGINX_CONF = ROOT / "platform" / "nginx" / "bilans.conf"

SECRET = "Zk3vJ9pQ-s3cr3t-T0k3n_4f8a"
TOKEN_URLS = [
    f"/partage/{SECRET}/",
    f"/partage/{SECRET}/synthese.pdf",
    f"/retour-360/{SECRET}/",
    f"/signature/{SECRET}/",
    f"/signature/{SECRET}/document.pdf",
    f"/invitations/{SECRET}/",
    f"/connexion/relais/{SECRET}/",
    f"/calendrier/{SECRET}.ics",
    f"/accounts/password/reset/key/1a-{SECRET}/",
    f"/accounts/confirm-email/{SECRET}/",
]


def test_every_link_token_route_is_masked():
    for url in TOKEN_URLS:
        masked = mask_tokens(f'"GET {url}?x=1 HTTP/1.1"')
        assert SECRET not in masked and "[jeton]" in masked, url
    # ordinary addresses are left alone
    assert mask_tokens("/bilans/3f2a/seances/") == "/bilans/3f2a/seances/"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_gunicorn_access_log_of_the_shipped_configuration_masks_tokens(org_a, tmp_path):
    """A real gunicorn, with platform/gunicorn.conf.py, serving the project on a loopback port."""
    port = _free_port()
    access_log = tmp_path / "access.log"
    error_log = tmp_path / "error.log"
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "DATABASE_URL": f"postgresql://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}",
        "REDIS_URL": "",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "-c", str(GUNICORN_CONF), "--access-logfile", str(access_log), "--error-logfile", str(error_log),
         "config.wsgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, error_log.read_text() if error_log.exists() else "gunicorn exited"
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        host = f"{org_a.slug}.{settings.PLATFORM_DOMAIN}"
        for url in TOKEN_URLS:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{url}?retour=1",
                headers={"Host": host, "Referer": f"http://{host}/partage/{SECRET}/", "X-Forwarded-For": "203.0.113.7"},
            )
            try:
                urllib.request.urlopen(request, timeout=30).read()
            except urllib.error.HTTPError:
                pass  # 404 for an unknown token is expected: the line is logged all the same
        deadline = time.monotonic() + 10
        while (not access_log.exists() or access_log.read_text().count("\n") < len(TOKEN_URLS)) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=30)
    lines = access_log.read_text().splitlines()
    assert len(lines) >= len(TOKEN_URLS)
    text = "\n".join(lines)
    assert SECRET not in text
    assert SECRET not in error_log.read_text()
    # the lines are still useful: the route, the masked token, the real client, the organisation
    assert '"GET /partage/[jeton]/?retour=1 HTTP/1.1"' in text
    assert "/calendrier/[jeton]" in text and "203.0.113.7" in text and f"host={host}" in text


def _nginx_conf() -> str:
    return NGINX_CONF.read_text()


def test_nginx_access_log_uses_the_masked_format_everywhere():
    conf = _nginx_conf()
    log_format = re.search(r"log_format\s+bilans_masked\s+((?:'[^']*'\s*)+);", conf)
    assert log_format, "log_format bilans_masked is missing"
    fields = log_format.group(1)
    assert "$bilans_masked_request_uri" in fields and "$bilans_masked_referer" in fields
    for leaky in ("$request ", '$request"', "$request_uri", "$uri", "$args", "$query_string", "$http_referer"):
        assert leaky not in fields, leaky
    # every server that logs uses it (nginx's default "combined" format would write the tokens)
    servers = re.split(r"\nserver\s*\{", conf)[1:]
    assert servers
    for server in servers:
        if "ssl_reject_handshake on" in server:
            continue  # aborts the TLS handshake: no request, nothing logged
        access_logs = re.findall(r"access_log\s+([^;]+);", server)
        assert access_logs, server[:200]
        for value in access_logs:
            assert value.strip() == "off" or value.strip().endswith(" bilans_masked"), value


def test_nginx_masking_map_matches_the_application_masking():
    """The map's regular expression (PCRE) is the same list as Django's and gunicorn's: applied here
    with Python's engine, it hides the same tokens."""
    conf = _nginx_conf()
    match = re.search(r'map \$request_uri \$bilans_masked_request_uri \{\s*"~(.+?)"\s+"([^"]+)";', conf)
    assert match
    pattern = re.compile(match.group(1).replace("(?<bilans_before>", "(?P<bilans_before>").replace("(?<bilans_after>", "(?P<bilans_after>"))
    for url in TOKEN_URLS:
        found = pattern.match(url + "?x=1")
        assert found, url
        masked = found.group("bilans_before") + "[jeton]" + found.group("bilans_after")
        assert SECRET not in masked and masked.endswith("?x=1"), url
    assert pattern.match("/bilans/3f2a/seances/") is None


def test_nginx_accepts_the_configuration_when_installed():
    """`nginx -t` on the shipped site, in a throw-away prefix, wherever nginx is installed (CI
    machines that have it); elsewhere the static checks above are what protects the format."""
    nginx = shutil.which("nginx")
    if nginx is None:
        assert "log_format bilans_masked" in _nginx_conf()
        return
    with tempfile.TemporaryDirectory() as prefix:
        prefix_path = Path(prefix)
        (prefix_path / "logs").mkdir()
        cert = prefix_path / "cert.pem"
        key = prefix_path / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=bilans.example.fr",
             "-keyout", str(key), "-out", str(cert), "-days", "1"],
            check=True, capture_output=True,
        )
        site = (
            _nginx_conf()
            .replace("/etc/letsencrypt/live/bilans.example.fr/fullchain.pem", str(cert))
            .replace("/etc/letsencrypt/live/bilans.example.fr/privkey.pem", str(key))
            .replace("/var/log/nginx/", f"{prefix}/logs/")
        )
        (prefix_path / "site.conf").write_text(site)
        (prefix_path / "nginx.conf").write_text(
            f"pid {prefix}/nginx.pid;\nerror_log {prefix}/logs/error.log;\nevents {{}}\n"
            f"http {{\n access_log {prefix}/logs/default.log;\n"
            + "".join(f" {kind}_temp_path {prefix}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
            + f" include {prefix}/site.conf;\n}}\n"
        )
        result = subprocess.run([nginx, "-t", "-p", prefix, "-c", f"{prefix}/nginx.conf"], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


def test_nginx_writes_masked_lines_when_installed(tmp_path):
    """With nginx installed: the shipped map and log_format, served on a loopback port, write
    access lines without the tokens."""
    nginx = shutil.which("nginx")
    conf = _nginx_conf()
    maps = conf[conf.index("map $request_uri $bilans_masked_request_uri"):conf.index("log_format bilans_masked")]
    log_format = re.search(r"log_format bilans_masked[^;]+;", conf).group(0)
    assert "$bilans_masked_referer" in maps and "[jeton]" in maps
    if nginx is None:
        return
    port = _free_port()
    (tmp_path / "logs").mkdir()
    temp_paths = "".join(f" {kind}_temp_path {tmp_path}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/logs/error.log; events {{}}\n"
        f"http {{ {temp_paths}\n{maps}\n{log_format}\n"
        f"server {{ listen 127.0.0.1:{port}; access_log {tmp_path}/logs/access.log bilans_masked; location / {{ return 200 ok; }} }} }}\n"
    )
    subprocess.run([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], check=True, capture_output=True)
    try:
        for url in TOKEN_URLS:
            request = urllib.request.Request(f"http://127.0.0.1:{port}{url}?x=1", headers={"Referer": f"http://a.localhost/partage/{SECRET}/"})
            urllib.request.urlopen(request, timeout=10).read()
    finally:
        subprocess.run([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-s", "stop"], capture_output=True)
    text = (tmp_path / "logs" / "access.log").read_text()
    assert text.count("\n") == len(TOKEN_URLS) and SECRET not in text and "/partage/[jeton]/?x=1" in text
