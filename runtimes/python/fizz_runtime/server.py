"""The runtime's HTTP server: Fission's environment contract on http.server, one thread per
connection, HTTP/1.1 keep-alive.

  GET  /healthz         -> 200 "OK", always
  POST /specialize      -> v1: load ${userfunc_dir}/user (a file, or a directory with main.py)
  POST /v2/specialize   -> v2: {filepath, functionName}, see loader.py
  anything else         -> the function once specialized; before that 500 {"error": ...}

Specializing answers 202 {"specialized", "file", "flask", "durationMs"}; a load failure answers
500 {"error": message} and leaves the runtime generic; a second specialization is 409. Request
bodies are read whole (up to max_body_bytes, else 413) before the function runs.
"""
import json
import os
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from urllib.parse import unquote_to_bytes

from fizz_runtime.app import Runtime, log_error
from fizz_runtime.loader import LoadError

JSON_TYPE = "application/json"
NOT_SPECIALIZED = json.dumps({"error": "runtime is not specialized: POST /v2/specialize first"}).encode()
SPECIALIZE_BODY_LIMIT = 1024 * 1024
NO_BODY_STATUSES = {204, 304}
DISCARD_MAX = 16 * 1024 * 1024


class RequestError(Exception):
    """Answered with `status` and {"error": message} before the function runs."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class RuntimeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, runtime, userfunc_dir, max_body_bytes, keepalive_s=65):
        self.runtime = runtime
        self.userfunc_dir = userfunc_dir
        self.max_body_bytes = max_body_bytes
        self.keepalive_s = keepalive_s
        self.stopping = False
        self._cond = threading.Condition()
        self._inflight = 0
        self._idle = set()  # connections waiting for their next request
        super().__init__(address, Handler)

    def busy(self, handler, busy):
        with self._cond:
            if busy:
                self._idle.discard(handler)
                self._inflight += 1
            else:
                self._inflight -= 1
                self._cond.notify_all()

    def idle(self, handler, idle):
        with self._cond:
            (self._idle.add if idle else self._idle.discard)(handler)
        if idle and self.stopping:
            handler.wake()

    def drain(self, grace_s):
        """Stops accepting, closes idle connections, waits up to grace_s for in-flight requests."""
        self.stopping = True
        # shutdown() waits for serve_forever's next poll (up to 0.5 s): not worth waiting for,
        # the process exits after the drain anyway.
        threading.Thread(target=self.shutdown, name="fizz-shutdown", daemon=True).start()
        with self._cond:
            for h in list(self._idle):
                h.wake()
            return self._cond.wait_for(lambda: self._inflight == 0, timeout=grace_s)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "fizz-python"

    def setup(self):
        self.timeout = self.server.keepalive_s
        super().setup()

    def log_message(self, format, *args):
        pass  # nothing is logged per request

    def wake(self):
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def handle_one_request(self):
        # http.server's version, minus its do_<METHOD> dispatch: any method reaches the function.
        self.server.idle(self, True)
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except (TimeoutError, OSError):
            self.close_connection = True
            return
        finally:
            self.server.idle(self, False)
        if len(self.raw_requestline) > 65536:
            self.requestline = self.request_version = self.command = ""
            self.send_error(414)
            return
        if not self.raw_requestline or not self.parse_request():
            self.close_connection = True
            return
        self.server.busy(self, True)
        try:
            self.route()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
        except Exception as e:
            log_error("request failed", e)
            self.close_connection = True
        finally:
            self.server.busy(self, False)
        if self.server.stopping:
            self.close_connection = True

    def route(self):
        path, _, query = self.path.partition("?")
        method = self.command
        if path == "/healthz" and method in ("GET", "HEAD"):
            return self.send(200, [("Content-Type", "text/plain; charset=utf-8")], b"OK")
        try:
            if method == "POST" and path in ("/specialize", "/v2/specialize"):
                return self.specialize(path == "/specialize")
            app = self.server.runtime.app
            if app is None:
                self.read_body(self.server.max_body_bytes)
                return self.send(500, [("Content-Type", JSON_TYPE)], NOT_SPECIALIZED)
            body = self.read_body(self.server.max_body_bytes)
        except RequestError as e:
            return self.send_json_error(e.status, str(e))
        self.call(app, path, query, body)

    # Specialization ---------------------------------------------------------------------------
    def specialize(self, v1):
        rt = self.server.runtime
        raw = self.read_body(SPECIALIZE_BODY_LIMIT)
        if v1:
            filepath, function_name = os.path.join(self.server.userfunc_dir, "user"), ""
        else:
            filepath, function_name = specialize_request(raw)
            filepath = os.path.join(self.server.userfunc_dir, filepath)
        if not rt.begin():
            return self.send_json_error(409, "already specialized")
        try:
            info = rt.specialize(filepath, function_name)
        except LoadError as e:
            log_error("specialize failed", e)
            return self.send_json_error(500, str(e))
        except Exception as e:
            log_error("specialize failed", e)
            return self.send_json_error(500, f"cannot load function: {type(e).__name__}: {e}")
        self.send(202, [("Content-Type", JSON_TYPE)], json.dumps(info).encode())

    # The function -----------------------------------------------------------------------------
    def call(self, app, path, query, body):
        environ = self.environ(path, query, body)
        status_headers = []

        def start_response(status, headers, exc_info=None):
            if exc_info and status_headers:
                raise exc_info[1].with_traceback(exc_info[2])
            status_headers[:] = [status, headers]
            return lambda data: None  # the legacy write() callable; nobody uses it here

        result = app(environ, start_response)
        try:
            status, headers = status_headers
            self.send(int(status.split(" ", 1)[0]), headers, result, reason=status.partition(" ")[2])
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    def environ(self, path, query, body):
        env = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query,
            "RAW_URI": self.path,
            "REQUEST_URI": self.path,
            "SERVER_NAME": self.server.server_address[0],
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_PORT": str(self.client_address[1]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": BytesIO(body),
            "wsgi.input_terminated": True,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "fizz.body": body,
        }
        for name, value in self.headers.items():
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                env[key] = value
                continue
            if key == "TRANSFER_ENCODING":
                continue  # the body is read whole; CONTENT_LENGTH below says how long it is
            key = "HTTP_" + key
            env[key] = f"{env[key]},{value}" if key in env else value
        if "CONTENT_LENGTH" in env or body:
            env["CONTENT_LENGTH"] = str(len(body))
        return env

    # Bodies -----------------------------------------------------------------------------------
    def read_body(self, limit):
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self.read_chunked(limit)
        if length is None:
            return b""
        try:
            n = int(length)
        except ValueError:
            self.close_connection = True
            raise RequestError(400, f"invalid Content-Length {length!r}")
        if n > limit:
            self.discard(n)
            raise RequestError(413, f"request body larger than {limit} bytes")
        data = self.rfile.read(n)
        if len(data) < n:
            self.close_connection = True
            raise RequestError(400, "request body ended early")
        return data

    def read_chunked(self, limit):
        parts, size = [], 0
        while True:
            line = self.rfile.readline(1024)
            try:
                n = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                self.close_connection = True
                raise RequestError(400, "malformed chunked request body")
            if n == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                if parts is None:
                    raise RequestError(413, f"request body larger than {limit} bytes")
                return b"".join(parts)
            size += n
            if size > limit:
                parts = None  # keep reading to the end, so the client sees the 413
            if size > limit + DISCARD_MAX:
                self.close_connection = True
                raise RequestError(413, f"request body larger than {limit} bytes")
            data = self.rfile.read(n)
            if parts is not None:
                parts.append(data)
            self.rfile.readline(3)

    def discard(self, n):
        """Reads and drops an oversized body, so a client still sending it gets the 413 rather
        than a broken pipe; past DISCARD_MAX the connection is closed instead."""
        if n > DISCARD_MAX:
            self.close_connection = True
            return
        while n > 0:
            got = len(self.rfile.read(min(n, 65536)))
            if got == 0:
                self.close_connection = True
                return
            n -= got

    # Responses --------------------------------------------------------------------------------
    def send_json_error(self, status, message):
        self.send(status, [("Content-Type", JSON_TYPE)], json.dumps({"error": message}).encode())

    def send(self, status, headers, body, reason=None):
        """Writes a response. `body` is bytes or an iterable of bytes; without a Content-Length an
        iterable is streamed chunked (HTTP/1.1) or buffered (HTTP/1.0)."""
        out = [f"HTTP/1.1 {status} {reason or self.responses.get(status, ('',))[0]}\r\n"]
        length = None
        for name, value in headers:
            lname = name.lower()
            if lname in ("connection", "transfer-encoding", "keep-alive"):
                continue
            if lname == "content-length":
                length = int(value)
            out.append(f"{name}: {value}\r\n")
        no_body = status in NO_BODY_STATUSES or status < 200
        head_only = self.command == "HEAD"
        if isinstance(body, (bytes, bytearray)):
            chunks = [bytes(body)]
        elif length is None and (head_only or self.request_version == "HTTP/1.0"):
            chunks = [b"".join(body)]  # HTTP/1.0 has no chunked encoding; HEAD needs the length
        else:
            chunks = body
        if length is None and isinstance(chunks, list) and not no_body:
            length = sum(len(c) for c in chunks)
            out.append(f"Content-Length: {length}\r\n")
        chunked = length is None and not no_body
        if chunked:
            out.append("Transfer-Encoding: chunked\r\n")
        if self.close_connection:
            out.append("Connection: close\r\n")
        head = "".join(out).encode("latin-1") + b"\r\n"
        if no_body or head_only:
            self.wfile.write(head)
        elif isinstance(chunks, list):
            self.wfile.write(head + b"".join(chunks))
        else:
            self.wfile.write(head)
            for chunk in chunks:
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")


def specialize_request(raw):
    try:
        body = json.loads(raw.decode("utf-8")) if raw else {}
    except (ValueError, UnicodeDecodeError):
        raise RequestError(400, "invalid JSON body: expected {filepath, functionName}")
    if not isinstance(body, dict):
        raise RequestError(400, "invalid JSON body: expected {filepath, functionName}")
    filepath = body.get("filepath")
    function_name = body.get("functionName")
    if not isinstance(filepath, str) or filepath == "":
        raise RequestError(400, "filepath is required")
    if function_name is not None and not isinstance(function_name, str):
        raise RequestError(400, "functionName must be a string")
    return filepath, function_name or ""


def create_server(host, port, runtime=None, userfunc_dir="/userfunc", max_body_bytes=10 * 1024 * 1024):
    return RuntimeServer((host, port), runtime or Runtime(), userfunc_dir, max_body_bytes)
