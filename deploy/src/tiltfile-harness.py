"""Runs a Tiltfile offline: Tilt cannot be installed here, so the file is checked to stay within
the Starlark subset Tilt accepts (no imports, while, classes, f-strings, ...), then executed with
stand-ins for Tilt's builtins that record every call. Prints {"calls": [...]} as JSON, or
{"errors": [...]} and exits 1. Usage: python3 tiltfile-harness.py path/to/Tiltfile"""
import ast
import json
import os
import sys

NOT_STARLARK = {
    ast.Import: "import", ast.ImportFrom: "import", ast.While: "while", ast.ClassDef: "class",
    ast.Try: "try", ast.With: "with", ast.Global: "global", ast.Nonlocal: "nonlocal",
    ast.Yield: "yield", ast.YieldFrom: "yield", ast.Await: "await", ast.AsyncFunctionDef: "async def",
    ast.JoinedStr: "f-string", ast.Set: "set literal", ast.SetComp: "set comprehension",
    ast.NamedExpr: ":=", ast.Delete: "del", ast.Assert: "assert", ast.Raise: "raise",
}


def starlark_errors(tree):
    errors = []
    for node in ast.walk(tree):
        what = next((w for t, w in NOT_STARLARK.items() if isinstance(node, t)), None)
        if isinstance(node, ast.FunctionDef) and node.decorator_list:
            what = "decorator"
        if isinstance(node, ast.Compare) and (len(node.ops) > 1 or any(isinstance(o, (ast.Is, ast.IsNot)) for o in node.ops)):
            what = "chained comparison or 'is'"
        if what:
            errors.append("line %d: %s is not Starlark" % (node.lineno, what))
    return errors


def run(path):
    text = open(path).read()
    try:
        tree = ast.parse(text, path)
    except SyntaxError as e:
        return {"errors": ["line %s: %s" % (e.lineno, e.msg)]}
    errors = starlark_errors(tree)
    if errors:
        return {"errors": errors}
    root = os.path.dirname(os.path.abspath(path))
    calls = []

    def record(fn):
        def stand_in(*args, **kwargs):
            calls.append({"fn": fn, "args": list(args), "kwargs": kwargs})
            return {"fn": fn, "args": list(args), "kwargs": kwargs}
        return stand_in

    def load(module, *names):
        calls.append({"fn": "load", "args": [module] + list(names), "kwargs": {}})
        for n in names:
            env[n] = record(n)

    def listdir(d):
        full = os.path.join(root, d)
        return sorted(os.path.join(full, f) for f in os.listdir(full))

    class Path:
        basename = staticmethod(os.path.basename)
        dirname = staticmethod(os.path.dirname)
        join = staticmethod(os.path.join)
        exists = staticmethod(lambda p: os.path.exists(os.path.join(root, p)))

    class Os:
        path = Path

    def fail(msg):
        raise RuntimeError("fail(): %s" % msg)

    safe = {n: __builtins__.__dict__[n] if hasattr(__builtins__, "__dict__") else __builtins__[n]
            for n in ["len", "str", "int", "bool", "list", "dict", "range", "sorted", "reversed", "enumerate",
                      "zip", "any", "all", "min", "max", "type", "hasattr", "getattr", "repr", "print", "tuple"]}
    env = {"__builtins__": safe, "load": load, "listdir": listdir, "os": Os, "fail": fail}
    for fn in ["docker_build", "custom_build", "k8s_yaml", "k8s_resource", "local_resource", "kustomize",
               "sync", "run", "fall_back_on", "restart_container", "allow_k8s_contexts", "config"]:
        env[fn] = record(fn)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        exec(compile(tree, path, "exec"), env)
    except Exception as e:  # what Tilt would report as a Tiltfile error
        return {"errors": ["%s: %s" % (type(e).__name__, e)]}
    finally:
        os.chdir(cwd)
    return {"calls": calls}


if __name__ == "__main__":
    out = run(sys.argv[1])
    print(json.dumps(out, default=str))
    sys.exit(1 if "errors" in out else 0)
