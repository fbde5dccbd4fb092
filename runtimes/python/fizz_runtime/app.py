"""The specialized function as a WSGI app, with real Flask or with the `flask` shim.

Fission's Python functions take no arguments and read the request through `from flask import
request`. When Flask is importable it is used for real: a Flask app whose every request goes to
the function, so request objects, return-value conversion and abort() are Flask's own. Otherwise
(or with FIZZ_PYTHON_FLASK=shim) a stand-in `flask` module (shim/flask) goes on sys.path and a
small WSGI app does the same job with fizz_runtime.wz. Either way a function that raises answers
500 {"error": "function error: <Type>: <message>"}, with the traceback on stderr.
"""
import json
import os
import sys
import threading
import time
import traceback

from fizz_runtime.loader import load_function

SHIM_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shim")
FLAVORS = ("auto", "shim")


def log_error(what, exc=None):
    detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)) if exc is not None else ""
    sys.stderr.write(f"fizz-runtime: {what}: {detail}" + ("" if detail.endswith("\n") else "\n"))
    sys.stderr.flush()


def error_body(exc):
    return json.dumps({"error": f"function error: {type(exc).__name__}: {exc}"}).encode()


class Runtime:
    """Generic until specialize() succeeds once; then `app` serves every function request."""

    def __init__(self, flavor="auto"):
        if flavor not in FLAVORS:
            raise ValueError(f"FIZZ_PYTHON_FLASK must be one of {', '.join(FLAVORS)}, got {flavor!r}")
        self.flavor = flavor
        self.app = None
        self.flask = None  # "real" or "shim" once decided
        self._lock = threading.Lock()
        self._busy = False
        self._prewarm = None

    def prewarm(self):
        """Imports Flask in the background while the instance idles in the pool (it costs ~100 ms)."""
        if self.flavor == "auto":
            t = threading.Thread(target=_try_import_flask, name="fizz-prewarm", daemon=True)
            t.start()
            self._prewarm = t

    def begin(self):
        """Claims the one specialization; False when specialized or specializing already."""
        with self._lock:
            if self.app is not None or self._busy:
                return False
            self._busy = True
            return True

    def specialize(self, filepath, function_name):
        """Loads the function (LoadError on failure; the runtime stays generic). Call after begin()."""
        try:
            started = time.perf_counter()
            if self._prewarm is not None:
                self._prewarm.join()
            flask_kind = self._flask_kind()
            fn, file = load_function(filepath, function_name)
            app = _real_app(fn, os.path.dirname(os.path.abspath(file))) if flask_kind == "real" else _shim_app(fn)
            self.flask = flask_kind
            self.app = app
            return {"specialized": True, "file": file, "flask": flask_kind, "durationMs": round((time.perf_counter() - started) * 1000, 3)}
        finally:
            with self._lock:
                self._busy = False

    def _flask_kind(self):
        if self.flask is not None:
            return self.flask
        if self.flavor == "auto" and _try_import_flask():
            return "real"
        # The shim must win over an installed Flask when forced, so it goes first on sys.path.
        for name in [m for m in sys.modules if m == "flask" or m.startswith("flask.")]:
            del sys.modules[name]
        if SHIM_DIR not in sys.path:
            sys.path.insert(0, SHIM_DIR)
        return "shim"


def _try_import_flask():
    try:
        import flask  # noqa: F401

        return not getattr(flask, "FIZZ_SHIM", False)
    except Exception:
        return False


def _shim_app(fn):
    import flask as shim  # the shim: _flask_kind() put it on sys.path

    from fizz_runtime.wz import HTTPException, Request, make_response

    def app(environ, start_response):
        shim._bind(Request(environ, environ["fizz.body"]))
        try:
            try:
                resp = make_response(fn())
            except HTTPException as e:
                resp = e.get_response()
            except Exception as e:
                log_error("function error", e)
                start_response("500 Internal Server Error", [("Content-Type", "application/json")])
                return [error_body(e)]
        finally:
            shim._bind(None)
        start_response(resp.status, resp.headers.to_wsgi_list())
        return resp.iter_encoded()

    return app


def _real_app(fn, root_path):
    import flask
    from werkzeug.exceptions import HTTPException

    class FunctionApp(flask.Flask):
        # No routing: every request is the function's (Fission's env routes every path to it).
        def dispatch_request(self):
            try:
                return self.make_response(fn())
            except HTTPException:
                raise
            except Exception as e:
                log_error("function error", e)
                return self.response_class(error_body(e), 500, mimetype="application/json")

    return FunctionApp("fizz-function", root_path=root_path).wsgi_app
