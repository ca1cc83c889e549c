"""A local HTTP server answering the Stripe API calls the code makes (customers, Checkout
sessions, customer portal sessions, payment intents), for the real ``stripe`` library pointed
at it with STRIPE_API_BASE; and webhook payloads signed exactly as Stripe signs them."""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<payload>")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def event(event_type: str, obj: dict, *, event_id: str | None = None, created: int | None = None) -> str:
    return json.dumps(
        {
            "id": event_id or f"evt_{next(_ids)}",
            "object": "event",
            "api_version": "2025-10-29.clover",
            "created": created or int(time.time()),
            "livemode": False,
            "type": event_type,
            "data": {"object": obj},
        }
    )


_ids = itertools.count(1000)


class FakeStripe:
    def __init__(self, *, payment_intent_status: str = "succeeded"):
        self.requests: list[dict] = []
        self.payment_intent_status = payment_intent_status
        self.completed_sessions: set[str] = set()  # sessions Stripe would refuse to expire (paid)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _reply(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", f"req_{next(_ids)}")
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                params = dict(parse_qsl(raw, keep_blank_values=True))
                record = {
                    "method": method,
                    "path": self.path,
                    "params": params,
                    "authorization": self.headers.get("Authorization", ""),
                    "idempotency_key": self.headers.get("Idempotency-Key", ""),
                }
                server.requests.append(record)
                if not record["authorization"].startswith("Bearer sk_test_"):
                    return self._reply(401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}})
                status, body = server.answer(method, self.path.split("?")[0], params)
                self._reply(status, body)

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        n = next(_ids)
        if method == "POST" and path == "/v1/customers":
            return 200, {"id": f"cus_test_{n}", "object": "customer", "email": params.get("email"), "metadata": {}}
        if method == "GET" and path.startswith("/v1/customers/"):
            return 200, {
                "id": path.rsplit("/", 1)[1],
                "object": "customer",
                "invoice_settings": {"default_payment_method": "pm_card_visa"},
            }
        if method == "POST" and path == "/v1/checkout/sessions":
            session_id = f"cs_test_{n}"
            return 200, {
                "id": session_id,
                "object": "checkout.session",
                "mode": params.get("mode"),
                "url": f"https://checkout.stripe.test/c/pay/{session_id}",
                "customer": params.get("customer"),
                "client_reference_id": params.get("client_reference_id"),
            }
        if method == "POST" and path.startswith("/v1/checkout/sessions/") and path.endswith("/expire"):
            session_id = path.split("/")[4]
            if session_id in self.completed_sessions:
                return 400, {"error": {"type": "invalid_request_error", "message": "Only Checkout Sessions with a status of `open` can be expired."}}
            return 200, {"id": session_id, "object": "checkout.session", "status": "expired"}
        if method == "POST" and path == "/v1/billing_portal/sessions":
            return 200, {"id": f"bps_{n}", "object": "billing_portal.session", "url": f"https://billing.stripe.test/p/session/{n}"}
        if method == "POST" and path == "/v1/payment_intents":
            return 200, {
                "id": f"pi_test_{n}",
                "object": "payment_intent",
                "amount": int(params.get("amount", 0)),
                "status": self.payment_intent_status,
                "metadata": {k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")},
            }
        return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({method}: {path})"}}

    def calls(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"].split("?")[0] == path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
