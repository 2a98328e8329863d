"""python -m keops.compat script.py [args] | -m module [args]: runs a program
written for pykeops on keops-mlir (keops.compat.as_pykeops first)."""

import runpy
import sys

from . import as_pykeops


def main(argv):
    if not argv or argv[0] in ("-h", "--help") or (argv[0] == "-m" and len(argv) < 2):
        print(__doc__.strip())
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    as_pykeops()
    if argv[0] == "-m":
        sys.argv = [argv[1]] + argv[2:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = list(argv)
        runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
