"""A stand-in OPA server for tests: the REST endpoints opa-python-client uses,
answered by the embedded regorus engine, on 127.0.0.1.

It records every request so tests can assert exactly what the client sent.
Run as a script (`python -m tests.fake_opa --addr 127.0.0.1:PORT`) it also
poses as an `opa run --server` binary.
"""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import regorus

from prcheck.checks.policy.rego_modules import parse_module


class OpaState:
    def __init__(self) -> None:
        self.policies: dict[str, str] = {}
        self.data: dict[str, Any] = {}
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def engine(self) -> regorus.Engine:
        """Compiled per query and dropped on the server thread: a regorus
        engine may not cross threads, so none is cached."""
        engine = regorus.Engine()
        for policy_id, text in self.policies.items():
            module = parse_module(policy_id, text)
            engine.set_rego_v0(module.v0)
            engine.add_policy(policy_id, text)
        engine.set_rego_v0(False)
        engine.add_data_json(json.dumps(self.data))
        return engine


def evaluate(state: OpaState, ref: str, input_value: Any) -> tuple[int, Any]:
    """Query in a fresh engine that is freed before returning, on this thread."""
    with state.lock:
        engine = state.engine()
    try:
        engine.set_input_json(json.dumps(input_value))
        raw = engine.eval_rule_as_json(ref)
    except RuntimeError as exc:
        return 500, {"code": "internal_error", "message": str(exc).split("Stack backtrace")[0]}
    finally:
        del engine
    value = json.loads(raw) if raw else None
    return 200, {} if value is None else {"result": value}


def make_handler(state: OpaState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _send(self, status: int, payload: Any) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            state.requests.append(("GET", self.path))
            if self.path.startswith("/health"):
                self._send(200, {})
            else:
                self._send(200, {"result": []})

        def do_PUT(self) -> None:  # noqa: N802
            body = self._body()
            state.requests.append(("PUT", self.path))
            with state.lock:
                if self.path.startswith("/v1/policies/"):
                    policy_id = self.path[len("/v1/policies/"):]
                    try:
                        parse_module(policy_id, body.decode())
                    except Exception as exc:  # report like OPA: 400 with an error list
                        self._send(400, {"code": "invalid_parameter", "message": "error(s) occurred while compiling module(s)",
                                         "errors": [{"code": "rego_parse_error", "message": str(exc)}]})
                        return
                    state.policies[policy_id] = body.decode()
                    self._send(200, {})
                elif self.path.startswith("/v1/data/"):
                    key = self.path[len("/v1/data/"):]
                    state.data[key] = json.loads(body or b"null")
                    self.send_response(204)
                    self.end_headers()
                else:
                    self._send(404, {"code": "resource_not_found"})

        def do_PATCH(self) -> None:  # noqa: N802
            patches = json.loads(self._body() or b"[]")
            state.requests.append(("PATCH", self.path))
            with state.lock:
                for patch in patches:
                    key = patch["path"].lstrip("/").replace("~1", "/").replace("~0", "~")
                    state.data[key] = patch["value"]
            self.send_response(204)
            self.end_headers()

        def do_DELETE(self) -> None:  # noqa: N802
            state.requests.append(("DELETE", self.path))
            with state.lock:
                state.policies.pop(self.path[len("/v1/policies/"):], None)
            self._send(200, {})

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self._body() or b"{}")
            state.requests.append(("POST", self.path))
            if not self.path.startswith("/v1/data/"):
                self._send(404, {"code": "resource_not_found"})
                return
            ref = "data." + ".".join(p for p in self.path[len("/v1/data/"):].split("?")[0].split("/") if p)
            self._send(*evaluate(state, ref, body.get("input")))

    return Handler


def serve(host: str = "127.0.0.1", port: int = 0) -> tuple[HTTPServer, OpaState]:
    state = OpaState()
    # one thread: a regorus engine must stay on the thread that made it
    server = HTTPServer((host, port), make_handler(state))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, state


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("run")
    parser.add_argument("--server", action="store_true")
    parser.add_argument("--addr", default="127.0.0.1:8181")
    args = parser.parse_args()
    host, _, port = args.addr.rpartition(":")
    server, _ = serve(host, int(port))
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()
