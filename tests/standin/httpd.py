"""The HTTPS server and request handler in front of a StandIn: parse, apply latency, ARM's read
throttling (throttle.py) and transport faults (reset, delay), call StandIn.handle, and write the answer."""
import json
import re
import socket
import ssl
import struct
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from .response import _arm_error, _Response
from .throttle import throttled_body
from .world import ArmError


_REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request",
            401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
            429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable", 504: "Gateway Timeout"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False
    request_queue_size = 64

    def __init__(self, address, handler, context, standin):
        self.context, self.standin = context, standin
        super().__init__(address, handler)

    def finish_request(self, request, client_address):
        # TLS handshake in the connection's own thread, so a stuck client cannot block accept().
        request.settimeout(30)
        # No Nagle: an answer is written at once (see _Handler.wbufsize), and a small segment held back
        # until the client's delayed ACK would add ~40 ms to every request that --latency-ms does not say.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass  # a client that went away is not our problem; tests see the failure on their side


class _Reset(Exception):
    pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "arm-standin/1.0"
    wbufsize = 256 * 1024   # status line, headers and body leave in one write (flushed by _send)

    def version_string(self):
        return self.server_version

    def log_message(self, *args):
        pass

    def do_GET(self):
        self._serve()

    do_PUT = do_DELETE = do_POST = do_PATCH = do_HEAD = do_GET

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except _Reset:
            self.close_connection = True
        except (ConnectionError, ssl.SSLError, TimeoutError, socket.timeout):
            self.close_connection = True

    def finish(self):
        try:
            super().finish()
        except (OSError, ValueError):
            pass

    def _reset(self):
        """Drop the connection with a TCP RST and without any answer."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            raw = socket.socket(fileno=self.connection.detach())
            raw.close()
        except OSError:
            pass
        raise _Reset()

    def _serve(self):
        standin = self.server.standin
        self._extra_headers = None
        parts = urlsplit(self.path)
        path = re.sub(r"/{2,}", "/", unquote(parts.path)) or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = _parse_body(raw, self.headers.get("Content-Type", ""))

        if path.startswith("/_standin/"):
            if self.headers.get("X-Standin-Admin") != standin.admin_key:
                return self._send(_Response(403, {"error": {"code": "Forbidden", "message": "admin key"}}))
            return self._send(standin.admin(self.command, path, body))

        route, _ = standin._route(path)
        target = standin._target(route, path)
        entry = {"method": self.command, "path": path, "query": query, "route": route, "target": target,
                 "body": _redact(body), "time": time.time(), "fault": None,
                 "authorization": bool(self.headers.get("Authorization")),
                 "client_request_id": self.headers.get("x-ms-client-request-id"),
                 "user_agent": self.headers.get("User-Agent", "")}
        if standin.settings.latency:
            time.sleep(standin.settings.latency)
        taken = standin.read_buckets.take(self.command, path) if route is not None else None
        if taken is not None:
            self._extra_headers = {taken.header: str(taken.remaining)}
            if not taken.ok:  # the bucket is empty: ARM refuses before anything else happens
                entry["status"], entry["throttled"] = 429, True
                standin._record(entry)
                return self._send(_Response(429, throttled_body(taken.subscription, taken.retry_after, taken.kind),
                                            {"Retry-After": str(taken.retry_after)}))
        fault = standin._pick_fault(self.command, route, path, target)
        if fault is not None:
            entry["fault"] = fault.kind
            if fault.kind == "delay":
                time.sleep(fault.seconds)
            elif fault.kind == "reset":
                entry["status"] = "reset"
                standin._record(entry)
                self._reset()
            elif fault.kind == "status":
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                code = fault.code or {429: "TooManyRequests", 500: "InternalServerError",
                                      503: "ServiceUnavailable"}.get(fault.status, f"HTTP{fault.status}")
                message = fault.message or {
                    429: "The request is being throttled as the limit has been reached for operation type.",
                    500: "An unexpected error occurred while processing the request.",
                    503: "The service is temporarily unavailable. Please retry later."}.get(fault.status, code)
                entry["status"] = fault.status
                standin._record(entry)
                return self._send(_arm_error(fault.status, code, message, headers))
            elif fault.kind == "body":
                entry["status"] = fault.status
                standin._record(entry)
                return self._send(_Response(fault.status, raw=fault.body, content_type=fault.content_type))
        try:
            response = standin.handle(self.command, path, query, self.headers, body, fault)
        except ArmError as ex:
            response = _arm_error(ex.status, ex.code, ex.message, ex.headers, ex.body_extra)
        except Exception as ex:  # a stand-in bug must show up as a readable 500, not a hang
            response = _arm_error(500, "StandInError", f"{type(ex).__name__}: {ex}")
        entry["status"] = response.status
        standin._record(entry)
        if fault is not None and fault.kind == "reset_after":
            entry["status"] = f"reset after {response.status}"
            self._reset()
        self._send(response)

    _extra_headers = None  # per request: headers every answer carries (the remaining reads)

    def _send(self, response):
        extra, self._extra_headers = self._extra_headers, None
        if extra:
            response.headers = {**extra, **response.headers}
        payload = response.payload()
        self.send_response(response.status, _REASONS.get(response.status))
        request_id = str(uuid.uuid4())
        self.send_header("x-ms-request-id", request_id)
        self.send_header("x-ms-correlation-request-id", request_id)
        self.send_header("Cache-Control", "no-cache")
        if payload or response.status not in (204,):
            self.send_header("Content-Type", response.content_type)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)
        self.wfile.flush()


def _parse_body(raw, content_type):
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    if "application/x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(text, keep_blank_values=True))
    try:
        return json.loads(text)
    except ValueError:
        return text


def _redact(body):
    if isinstance(body, dict) and "client_secret" in body:
        return {**body, "client_secret": "REDACTED"}
    return body
