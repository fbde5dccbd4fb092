"""The runtime process: settings from the environment, readiness, and when to stop.

Env: PORT (8888; 0 = ephemeral), HOST (127.0.0.1), FIZZ_USERFUNC_DIR (/userfunc),
FIZZ_MAX_BODY_BYTES (10 MiB), FIZZ_SHUTDOWN_GRACE_MS (3000), FIZZ_PYTHON_FLASK (auto | shim).

The executor forks runtimes from Node with an IPC channel (NODE_CHANNEL_FD, newline-delimited
JSON): the ready message goes there too, and the channel closing means the executor is gone.
Without one, a changed parent pid means the same. SIGTERM/SIGINT stop accepting and let
in-flight requests finish within the grace period.
"""
import json
import os
import signal
import sys
import threading

from fizz_runtime.app import Runtime, log_error
from fizz_runtime.server import create_server


def int_env(name, fallback):
    v = os.environ.get(name, "")
    if v == "":
        return fallback
    if not v.isdigit():
        sys.stderr.write(f'fizz-runtime: {name} must be a non-negative integer, got "{v}"\n')
        sys.exit(2)
    return int(v)


def ipc_fd():
    fd = os.environ.get("NODE_CHANNEL_FD", "")
    if not fd.isdigit() or os.environ.get("NODE_CHANNEL_SERIALIZATION_MODE", "json") != "json":
        return None
    return int(fd)


def main():
    parent = os.getppid()  # read first: a parent that dies during startup is still noticed
    # print() in functions should reach the log as it happens, not when a pipe buffer fills.
    sys.stdout.reconfigure(line_buffering=True)
    port = int_env("PORT", 8888)
    host = os.environ.get("HOST") or "127.0.0.1"
    grace_s = int_env("FIZZ_SHUTDOWN_GRACE_MS", 3000) / 1000
    try:
        runtime = Runtime(os.environ.get("FIZZ_PYTHON_FLASK") or "auto")
    except ValueError as e:
        sys.stderr.write(f"fizz-runtime: {e}\n")
        sys.exit(2)
    # Only the function's own code should be importable under its names, not this runtime's files.
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]

    try:
        server = create_server(host, port, runtime, os.environ.get("FIZZ_USERFUNC_DIR") or "/userfunc", int_env("FIZZ_MAX_BODY_BYTES", 10 * 1024 * 1024))
    except OSError as e:
        log_error(f"cannot listen on {host}:{port}", e)
        sys.exit(1)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, name="fizz-server", daemon=True).start()

    bound = server.server_address[1]
    shown = f"[{host}]" if ":" in host else host
    print(f"fizz-runtime listening on {shown}:{bound}", flush=True)
    fd = ipc_fd()
    if fd is not None:
        _send(fd, {"ready": True, "port": bound, "address": f"{shown}:{bound}"})
        threading.Thread(target=_watch_channel, args=(fd, stop), name="fizz-ipc", daemon=True).start()
    else:
        threading.Thread(target=_watch_parent, args=(parent, stop), name="fizz-parent", daemon=True).start()
    runtime.prewarm()

    while not stop.wait(3600):
        pass
    server.drain(grace_s)
    sys.stdout.flush()
    sys.stderr.flush()
    # Daemon threads (idle keep-alive connections, user threads) must not hold the exit.
    os._exit(0)


def _send(fd, message):
    try:
        os.write(fd, (json.dumps(message) + "\n").encode())
    except OSError as e:
        log_error("cannot write to the IPC channel", e)


def _watch_channel(fd, stop):
    buf = b""
    while True:
        try:
            data = os.read(fd, 65536)
        except InterruptedError:
            continue
        except OSError:
            data = b""
        if not data:
            break
        buf += data
        lines = buf.split(b"\n")
        buf = lines.pop()
        if any(b'"NODE_DISCONNECT"' in line for line in lines):
            break
    stop.set()


def _watch_parent(parent, stop):
    while not stop.wait(1.0):
        if os.getppid() != parent:
            stop.set()
