"""The part of Werkzeug's request/response API that Fission functions use, on the standard library.

Used only when real Flask is not importable (or FIZZ_PYTHON_FLASK=shim): the `flask` shim module
re-exports these. Semantics follow Werkzeug 3 where functions can tell the difference: missing
keys in args/form/headers are 400s, get_json() on a non-JSON request is a 415, JSON keys are sorted.
"""
import io
import json
from email.parser import BytesParser
from email.policy import HTTP
from http import HTTPStatus
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, quote


class HTTPException(Exception):
    """abort(404) and friends: answered with `code` and a small HTML page, like Werkzeug."""

    def __init__(self, code=500, description=None, response=None):
        super().__init__(description or "")
        self.code = code
        self.description = description
        self.response = response

    @property
    def name(self):
        try:
            return HTTPStatus(self.code).phrase
        except ValueError:
            return "Unknown Error"

    def get_response(self):
        if self.response is not None:
            return self.response
        desc = self.description or self.name
        html = f"<!doctype html>\n<html lang=en>\n<title>{self.code} {self.name}</title>\n<h1>{self.name}</h1>\n<p>{desc}</p>\n"
        return Response(html, self.code)


class BadRequestKeyError(HTTPException, KeyError):
    """request.args["missing"]: a KeyError that answers 400, as in Werkzeug."""

    def __init__(self, key):
        HTTPException.__init__(self, 400, f"The browser (or proxy) sent a request that this server could not understand. KeyError: {key!r}")
        self.args = (key,)

    def __str__(self):
        return self.description


class MultiDict(dict):
    """A dict of first values that remembers every value per key (getlist)."""

    def __init__(self, pairs=()):
        super().__init__()
        self._lists = {}
        for k, v in pairs:
            self.add(k, v)

    def add(self, key, value):
        self._lists.setdefault(key, []).append(value)
        if not dict.__contains__(self, key):
            dict.__setitem__(self, key, value)

    def __getitem__(self, key):
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        raise BadRequestKeyError(key)

    def get(self, key, default=None, type=None):
        if not dict.__contains__(self, key):
            return default
        value = dict.__getitem__(self, key)
        if type is None:
            return value
        try:
            return type(value)
        except (ValueError, TypeError):
            return default

    def getlist(self, key, type=None):
        values = list(self._lists.get(key, []))
        if type is None:
            return values
        out = []
        for v in values:
            try:
                out.append(type(v))
            except (ValueError, TypeError):
                pass
        return out

    def items(self, multi=False):
        if not multi:
            return dict.items(self)
        return [(k, v) for k, vs in self._lists.items() for v in vs]

    def lists(self):
        return [(k, list(vs)) for k, vs in self._lists.items()]

    def to_dict(self, flat=True):
        return dict(dict.items(self)) if flat else {k: list(vs) for k, vs in self._lists.items()}


class Headers:
    """Case-insensitive, ordered, multi-valued headers; iterating yields (name, value) pairs."""

    def __init__(self, items=None):
        self._items = []
        if isinstance(items, dict):
            items = items.items()
        for k, v in items or ():
            self.add(k, v)

    def add(self, key, value):
        self._items.append((str(key), str(value)))

    def set(self, key, value):
        self.remove(key)
        self.add(key, value)

    def setdefault(self, key, value):
        if key not in self:
            self.add(key, value)
        return self.get(key)

    def remove(self, key):
        lk = key.lower()
        self._items = [(k, v) for k, v in self._items if k.lower() != lk]

    def get(self, key, default=None, type=None):
        lk = key.lower()
        for k, v in self._items:
            if k.lower() == lk:
                if type is None:
                    return v
                try:
                    return type(v)
                except (ValueError, TypeError):
                    return default
        return default

    def getlist(self, key):
        lk = key.lower()
        return [v for k, v in self._items if k.lower() == lk]

    get_all = getlist

    def __getitem__(self, key):
        v = self.get(key)
        if v is None:
            raise BadRequestKeyError(key)
        return v

    def __setitem__(self, key, value):
        self.set(key, value)

    def __delitem__(self, key):
        self.remove(key)

    def __contains__(self, key):
        return self.get(key) is not None

    def __iter__(self):
        return iter(list(self._items))

    def __len__(self):
        return len(self._items)

    def keys(self):
        return [k for k, _ in self._items]

    def values(self):
        return [v for _, v in self._items]

    def items(self):
        return list(self._items)

    def to_wsgi_list(self):
        return list(self._items)

    def update(self, other):
        for k, v in (other.items() if hasattr(other, "items") else other):
            self.set(k, v)

    def __repr__(self):
        return f"Headers({self._items!r})"


class FileStorage:
    """An uploaded file from a multipart form."""

    def __init__(self, data, filename, name, content_type):
        self.stream = io.BytesIO(data)
        self.filename = filename
        self.name = name
        self.content_type = content_type
        self.mimetype = (content_type or "").split(";")[0].strip().lower()

    def read(self, *args):
        return self.stream.read(*args)

    def save(self, dst):
        if isinstance(dst, str):
            with open(dst, "wb") as f:
                f.write(self.stream.getvalue())
        else:
            dst.write(self.stream.getvalue())


def _split_type(value):
    main, _, rest = (value or "").partition(";")
    params = {}
    for part in rest.split(";"):
        k, _, v = part.partition("=")
        if k.strip():
            params[k.strip().lower()] = v.strip().strip('"')
    return main.strip().lower(), params


def _is_json(mimetype):
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def _parse_multipart(content_type, body):
    form, files = MultiDict(), MultiDict()
    msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not msg.is_multipart():
        return form, files
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name is None:
            continue
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files.add(name, FileStorage(data, filename, name, part.get_content_type()))
        else:
            form.add(name, data.decode(part.get_content_charset() or "utf-8", "replace"))
    return form, files


class Request:
    """A request as Flask's `request` shows it, built from a WSGI environ with the body read."""

    def __init__(self, environ, body):
        self.environ = environ
        self._body = body
        self._form = None
        self._json = ...
        self.method = environ["REQUEST_METHOD"].upper()
        self.path = "/" + environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace").lstrip("/")
        self.query_string = environ.get("QUERY_STRING", "").encode("latin-1")
        self.args = MultiDict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        self.headers = Headers(
            [(k[5:].replace("_", "-").title(), v) for k, v in environ.items() if k.startswith("HTTP_")]
            + [(k.replace("_", "-").title(), environ[k]) for k in ("CONTENT_TYPE", "CONTENT_LENGTH") if environ.get(k)]
        )
        self.content_type = environ.get("CONTENT_TYPE") or None
        self.mimetype, self.mimetype_params = _split_type(self.content_type)
        self.content_length = len(body) if body else (int(environ["CONTENT_LENGTH"]) if environ.get("CONTENT_LENGTH") else None)
        self.remote_addr = environ.get("REMOTE_ADDR")
        self.scheme = environ.get("wsgi.url_scheme", "http")
        self.is_secure = self.scheme == "https"
        self.host = self.headers.get("Host") or environ.get("SERVER_NAME", "")
        self.view_args = {}
        self.endpoint = None
        self.url_rule = None

    # URLs ---------------------------------------------------------------------------------
    @property
    def full_path(self):
        return f"{quote(self.path)}?{self.query_string.decode('latin-1')}"

    @property
    def host_url(self):
        return f"{self.scheme}://{self.host}/"

    @property
    def url_root(self):
        return self.host_url

    @property
    def base_url(self):
        return f"{self.scheme}://{self.host}{quote(self.path)}"

    @property
    def url(self):
        qs = self.query_string.decode("latin-1")
        return self.base_url + (f"?{qs}" if qs else "")

    @property
    def access_route(self):
        fwd = self.headers.get("X-Forwarded-For")
        return [a.strip() for a in fwd.split(",")] if fwd else ([self.remote_addr] if self.remote_addr else [])

    @property
    def cookies(self):
        jar = SimpleCookie()
        try:
            jar.load(self.headers.get("Cookie", ""))
        except Exception:
            return {}
        return {k: m.value for k, m in jar.items()}

    @property
    def user_agent(self):
        return self.headers.get("User-Agent", "")

    # Body ---------------------------------------------------------------------------------
    def get_data(self, cache=True, as_text=False, parse_form_data=False):
        if parse_form_data:
            self._load_form()
        return self._body.decode(self.mimetype_params.get("charset", "utf-8"), "replace") if as_text else self._body

    @property
    def data(self):
        # Werkzeug: form bodies are consumed by form parsing, `data` holds everything else.
        if self.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return b""
        return self._body

    @property
    def stream(self):
        return io.BytesIO(self._body)

    @property
    def is_json(self):
        return _is_json(self.mimetype)

    def get_json(self, force=False, silent=False, cache=True):
        if not (force or self.is_json):
            if silent:
                return None
            raise HTTPException(415, "Did not attempt to load JSON data because the request Content-Type was not 'application/json'.")
        if self._json is not ...:
            return self._json
        try:
            value = json.loads(self._body.decode(self.mimetype_params.get("charset", "utf-8")))
        except (ValueError, UnicodeDecodeError) as e:
            if silent:
                return None
            raise HTTPException(400, f"Failed to decode JSON object: {e}")
        if cache:
            self._json = value
        return value

    @property
    def json(self):
        return self.get_json()

    def _load_form(self):
        if self._form is None:
            if self.mimetype == "application/x-www-form-urlencoded":
                charset = self.mimetype_params.get("charset", "utf-8")
                self._form = (MultiDict(parse_qsl(self._body.decode(charset, "replace"), keep_blank_values=True)), MultiDict())
            elif self.mimetype == "multipart/form-data":
                self._form = _parse_multipart(self.content_type, self._body)
            else:
                self._form = (MultiDict(), MultiDict())
        return self._form

    @property
    def form(self):
        return self._load_form()[0]

    @property
    def files(self):
        return self._load_form()[1]

    @property
    def values(self):
        return MultiDict(self.args.items(multi=True) + self.form.items(multi=True))


class Response:
    """flask.Response: a body (str, bytes or an iterable of them), a status and headers."""

    default_mimetype = "text/html"
    charset = "utf-8"

    def __init__(self, response=None, status=None, headers=None, mimetype=None, content_type=None, direct_passthrough=False):
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        if content_type is None:
            mimetype = mimetype or self.default_mimetype
            content_type = f"{mimetype}; charset={self.charset}" if mimetype.startswith("text/") else mimetype
        if "Content-Type" not in self.headers:
            self.headers.set("Content-Type", content_type)
        self.status = status if status is not None else 200
        self.set_data(b"" if response is None else response)

    # Status: an int, "201", or "201 CREATED".
    @property
    def status(self):
        return self._status

    @status.setter
    def status(self, value):
        if isinstance(value, int):
            self.status_code = value
            return
        text = str(value).strip()
        code, _, phrase = text.partition(" ")
        self._code = int(code)
        self._status = f"{self._code} {phrase or _phrase(self._code)}"

    @property
    def status_code(self):
        return self._code

    @status_code.setter
    def status_code(self, code):
        self._code = int(code)
        self._status = f"{self._code} {_phrase(self._code)}"

    @property
    def mimetype(self):
        return _split_type(self.headers.get("Content-Type", ""))[0]

    @mimetype.setter
    def mimetype(self, value):
        self.headers.set("Content-Type", f"{value}; charset={self.charset}" if value.startswith("text/") else value)

    @property
    def content_type(self):
        return self.headers.get("Content-Type")

    @content_type.setter
    def content_type(self, value):
        self.headers.set("Content-Type", value)

    def set_data(self, value):
        if isinstance(value, str):
            value = value.encode(self.charset)
        if isinstance(value, (bytes, bytearray, memoryview)):
            self.response = [bytes(value)]
            self.headers.set("Content-Length", str(len(value)))
        else:
            self.response = value  # an iterable: streamed as produced
            self.headers.remove("Content-Length")

    def get_data(self, as_text=False):
        if not isinstance(self.response, list):
            self.response = [c.encode(self.charset) if isinstance(c, str) else bytes(c) for c in self.response]
        data = b"".join(self.response)
        return data.decode(self.charset) if as_text else data

    data = property(get_data, set_data)

    @property
    def is_streamed(self):
        return not isinstance(self.response, list)

    def set_cookie(self, key, value="", max_age=None, expires=None, path="/", domain=None, secure=False, httponly=False, samesite=None):
        jar = SimpleCookie()
        jar[key] = value
        m = jar[key]
        if max_age is not None:
            m["max-age"] = int(max_age.total_seconds()) if hasattr(max_age, "total_seconds") else int(max_age)
        if expires is not None:
            m["expires"] = expires if isinstance(expires, str) else expires.strftime("%a, %d %b %Y %H:%M:%S GMT")
        if path:
            m["path"] = path
        if domain:
            m["domain"] = domain
        if secure:
            m["secure"] = True
        if httponly:
            m["httponly"] = True
        if samesite:
            m["samesite"] = samesite
        self.headers.add("Set-Cookie", m.OutputString())

    def delete_cookie(self, key, path="/", domain=None):
        self.set_cookie(key, "", max_age=0, expires="Thu, 01 Jan 1970 00:00:00 GMT", path=path, domain=domain)

    def iter_encoded(self):
        for chunk in self.response:
            yield chunk.encode(self.charset) if isinstance(chunk, str) else bytes(chunk)

    def __repr__(self):
        return f"<Response {self._status}>"


def _phrase(code):
    try:
        return HTTPStatus(code).phrase.upper()
    except ValueError:
        return "UNKNOWN"


def dumps_json(value):
    # Flask's default provider: sorted keys, compact separators, a trailing newline.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=_json_default) + "\n"


def _json_default(o):
    if hasattr(o, "isoformat"):
        return o.isoformat()
    if isinstance(o, (set, frozenset)):
        return list(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def json_response(value, status=None, headers=None):
    return Response(dumps_json(value), status, headers, mimetype="application/json")


def make_response(rv):
    """A view's return value as a Response, by Flask's rules (str, bytes, dict, list, iterables,
    Response, and (body, status), (body, headers), (body, status, headers) tuples)."""
    status = headers = None
    if isinstance(rv, tuple):
        n = len(rv)
        if n == 3:
            rv, status, headers = rv
        elif n == 2:
            if isinstance(rv[1], (Headers, dict, tuple, list)):
                rv, headers = rv
            else:
                rv, status = rv
        else:
            raise TypeError("The view function did not return a valid response tuple. The tuple must have the form (body, status, headers), (body, status), or (body, headers).")
    if rv is None:
        raise TypeError("The view function did not return a valid response. The function either returned None or ended without a return statement.")
    if isinstance(rv, Response):
        resp = rv
        if status is not None:
            resp.status = status
    elif isinstance(rv, (str, bytes, bytearray)):
        resp = Response(rv, status)
    elif isinstance(rv, (dict, list)):
        resp = json_response(rv, status)
    elif hasattr(rv, "__iter__") or hasattr(rv, "__next__"):
        resp = Response(rv, status)
    else:
        raise TypeError(
            f"The view function did not return a valid response. The return type must be a string, dict, list, tuple with headers or status, Response instance, or WSGI callable, but it was a {type(rv).__name__}."
        )
    if headers:
        resp.headers.update(headers)
    return resp
