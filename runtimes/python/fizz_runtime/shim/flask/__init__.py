"""A stand-in for `flask`, put on sys.path by the Fizz runtime only when real Flask is not
importable (or FIZZ_PYTHON_FLASK=shim), so Fission functions written against Flask's request
API run unchanged. It covers what such functions use: request, Response, jsonify,
make_response, abort, current_app (logger, config) and g. It is not a web framework: there is
no routing and no app to create.
"""
import logging
import sys
import threading

from fizz_runtime.wz import HTTPException, Request, Response, dumps_json, json_response
from fizz_runtime.wz import make_response as _make_response

__version__ = "0+fizz.shim"
FIZZ_SHIM = True

_local = threading.local()


class _Proxy:
    """Forwards attribute access to the object bound for the current thread's request."""

    def __init__(self, name):
        object.__setattr__(self, "_name", name)

    def _get(self):
        obj = getattr(_local, self._name, None)
        if obj is None:
            raise RuntimeError(f"Working outside of request context: flask.{self._name} is only available while a request is handled.")
        return obj

    def __getattr__(self, attr):
        return getattr(self._get(), attr)

    def __setattr__(self, attr, value):
        setattr(self._get(), attr, value)

    def __bool__(self):
        return getattr(_local, self._name, None) is not None

    def __repr__(self):
        obj = getattr(_local, self._name, None)
        return f"<flask shim {self._name}: {obj!r}>"


request = _Proxy("request")
g = _Proxy("g")


class _G:
    def get(self, name, default=None):
        return self.__dict__.get(name, default)

    def __contains__(self, name):
        return name in self.__dict__


class _App:
    """What functions reach through current_app: a logger on stderr and a config dict."""

    def __init__(self):
        self.name = "fizz-function"
        self.config = {"JSON_SORT_KEYS": True, "DEBUG": False, "TESTING": False}
        self.logger = logging.getLogger("fizz-function")
        if not self.logger.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s"))
            self.logger.addHandler(handler)
            self.logger.setLevel(logging.INFO)
        self.debug = False


current_app = _App()


def has_request_context():
    return bool(request)


def jsonify(*args, **kwargs):
    if args and kwargs:
        raise TypeError("jsonify() behavior undefined when passed both args and kwargs")
    value = kwargs if not args else (args[0] if len(args) == 1 else list(args))
    return json_response(value)


def make_response(*args):
    if not args:
        return Response()
    return _make_response(args[0] if len(args) == 1 else tuple(args))


def abort(code, *args, **kwargs):
    if isinstance(code, Response):
        raise HTTPException(code.status_code, response=code)
    raise HTTPException(code, *args, **kwargs)


def redirect(location, code=302):
    resp = Response(f'<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n', code)
    resp.headers.set("Location", location)
    return resp


class _Json:
    dumps = staticmethod(lambda obj, **kw: dumps_json(obj).rstrip("\n"))

    @staticmethod
    def loads(s, **kw):
        import json as _json

        return _json.loads(s, **kw)


json = _Json()


def _bind(req):
    """Called by the runtime around each call: binds (or, with None, clears) the request."""
    _local.request = req
    _local.g = _G() if req is not None else None


__all__ = ["request", "g", "current_app", "Response", "Request", "jsonify", "make_response", "abort", "redirect", "json", "has_request_context"]
