"""A local HTTP server speaking the OpenAI chat-completions protocol, for tests.

Each incoming request is recorded (raw body) and answered by the next scripted reply; a reply
is a function ``(request_json) -> (status, body, headers, delay_seconds)``. When the script is
exhausted the last reply is reused."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ai.generation.builtin import compose
from ai.generation.doctypes import TYPES


def completion(content: str, *, prompt_tokens: int = 120, completion_tokens: int = 80, model: str = "fake-model") -> dict:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens},
    }


def request_data(request_json: dict) -> dict:
    """The (pseudonymised) bilan data the client sent in its user message."""
    user = next(m["content"] for m in request_json["messages"] if m["role"] == "user")
    return json.loads(user.split("\n", 1)[1])


def doc_type_of(request_json: dict) -> str:
    system = request_json["messages"][0]["content"]
    for code, spec in TYPES.items():
        if f"Document : {spec.label}." in system:
            return code
    raise AssertionError("unknown document type in the system prompt")


def valid_reply(request_json: dict):
    """A valid document built from the data received (so it carries the placeholders)."""
    content = compose(TYPES[doc_type_of(request_json)], request_data(request_json))
    return 200, completion(json.dumps(content, ensure_ascii=False)), {}, 0


def text_reply(text: str):
    return lambda request_json: (200, completion(text), {}, 0)


def status_reply(status: int, headers: dict | None = None):
    return lambda request_json: (status, {"error": {"message": "scripted", "type": "test", "code": str(status)}}, headers or {}, 0)


def slow_reply(seconds: float):
    def reply(request_json):
        status, body, headers, _ = valid_reply(request_json)
        return status, body, headers, seconds

    return reply


class FakeOpenAI:
    def __init__(self):
        self.requests: list[str] = []
        self.script: list = [valid_reply]
        self._index = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                fake.requests.append(raw)
                reply = fake.script[min(fake._index, len(fake.script) - 1)]
                fake._index += 1
                status, body, headers, delay = reply(json.loads(raw))
                if delay:
                    time.sleep(delay)
                payload = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def program(self, *replies) -> None:
        self.script, self._index, self.requests[:] = list(replies), 0, []

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
