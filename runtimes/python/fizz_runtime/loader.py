"""Finding and loading the user function (Fission's Python entry points).

  directory + ""          -> main() of main.py (else user.py, else a file named `user`)
  directory + "mod"       -> main() of module mod (mod.py or package mod/)
  directory + "mod.fn"    -> main() of module mod.fn if there is one (a package's submodule),
                             else fn of module mod ("pkg.sub.fn": fn of pkg.sub)
  file      + ""          -> main() of the file
  file      + "fn"        -> fn of the file (or main() when "fn" is the file's own name)
  file      + "file.fn"   -> fn when `file` is the file's name, with or without extension

A directory goes first on sys.path, so its modules and the dependencies a build installed into it
(`pip install -t`) are importable; for a file, its directory does. Any file loads as Python source
whatever its extension (the executor may name a single-file archive user.js).
"""
import importlib
import importlib.machinery
import importlib.util
import os
import re
import sys

DEFAULT_FUNCTION = "main"


class LoadError(Exception):
    """The function cannot be loaded; the message is what specialize answers."""


def load_function(filepath, function_name):
    """Returns (callable, file it was found in)."""
    if not os.path.exists(filepath):
        raise LoadError(f"cannot load function: file {filepath} not found")
    if os.path.isdir(filepath):
        _on_path(filepath)
        return _from_directory(filepath, function_name)
    _on_path(os.path.dirname(os.path.abspath(filepath)))
    module = _load_file(filepath)
    return _pick(module, filepath, function_name), filepath


def _on_path(directory):
    if directory not in sys.path:
        sys.path.insert(0, directory)
    importlib.invalidate_caches()


def _from_directory(directory, name):
    if name == "":
        for candidate in ("main.py", "user.py", "user"):
            path = os.path.join(directory, candidate)
            if os.path.isfile(path):
                return _attr(_load_file(path), path, DEFAULT_FUNCTION), path
        raise LoadError(f"cannot load function: file {os.path.join(directory, 'main.py')} not found (give an entry point such as module.function)")
    name = name[:-3] if name.endswith(".py") else name
    name = name.replace("/", ".")
    if _exists(name, directory):
        module = _import(name, directory)
        return _attr(module, _file_of(module), DEFAULT_FUNCTION), _file_of(module)
    if "." in name:
        module_name, fn_name = name.rsplit(".", 1)
        if _exists(module_name, directory):
            module = _import(module_name, directory)
            return _attr(module, _file_of(module), fn_name), _file_of(module)
    missing = os.path.join(directory, name.split(".")[0].replace(".", "/"))
    raise LoadError(f"cannot load function: file {missing}.py not found (entry point '{name}')")


def _exists(module_name, directory):
    try:
        spec = importlib.util.find_spec(module_name)
    except (ImportError, ValueError):
        return False
    except Exception as e:  # a parent package that fails to import
        raise LoadError(f"cannot load function: error loading {module_name} from {directory}: {type(e).__name__}: {e}") from e
    return spec is not None


def _import(module_name, directory):
    try:
        return importlib.import_module(module_name)
    except (Exception, SystemExit) as e:
        raise LoadError(f"cannot load function: error loading {module_name} from {directory}: {_describe(e)}") from e


def _load_file(path):
    base = os.path.basename(path).split(".")[0]
    module_name = re.sub(r"\W", "_", base) or "user"
    if module_name[0].isdigit():
        module_name = "_" + module_name
    loader = importlib.machinery.SourceFileLoader(module_name, path)
    spec = importlib.util.spec_from_file_location(module_name, path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        loader.exec_module(module)
    except (Exception, SystemExit) as e:
        sys.modules.pop(module_name, None)
        raise LoadError(f"cannot load function: error loading {path}: {_describe(e)}") from e
    return module


def _pick(module, path, name):
    """The function of a module loaded from a single file, by the rules in the module comment."""
    if name == "":
        return _attr(module, path, DEFAULT_FUNCTION)
    stem = os.path.basename(path).split(".")[0]
    if "." in name:
        head, fn_name = name.rsplit(".", 1)
        if head in (stem, os.path.basename(path)):
            return _attr(module, path, fn_name)
    if name in (stem, os.path.basename(path)) and not callable(getattr(module, name, None)):
        return _attr(module, path, DEFAULT_FUNCTION)
    return _attr(module, path, name)


def _attr(module, path, fn_name):
    if not hasattr(module, fn_name):
        defined = sorted(k for k, v in vars(module).items() if callable(v) and not k.startswith("_") and getattr(v, "__module__", None) == module.__name__)
        raise LoadError(f"module {path} has no function '{fn_name}' (functions: {', '.join(defined) or 'none'})")
    fn = getattr(module, fn_name)
    if not callable(fn):
        raise LoadError(f"'{fn_name}' in module {path} is not a function (it is {type(fn).__name__})")
    return fn


def _file_of(module):
    return getattr(module, "__file__", None) or module.__name__


def _describe(e):
    if isinstance(e, SyntaxError):
        return f"SyntaxError: {e.msg} ({os.path.basename(e.filename or '?')}, line {e.lineno})"
    if isinstance(e, SystemExit):
        return f"SystemExit: the module called exit({e.code})"
    return f"{type(e).__name__}: {e}"
