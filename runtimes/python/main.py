"""Fizz's Python runtime: `python3 main.py` (see README.md). Python 3.8+, standard library only."""
import sys

if sys.version_info < (3, 8):
    sys.stderr.write(f"fizz-runtime: Python 3.8 or newer is required, this is {sys.version.split()[0]}\n")
    sys.exit(2)

from fizz_runtime.process import main  # noqa: E402

main()
