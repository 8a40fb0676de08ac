"""Finds the built `kvgate` Python package for the Python binding tests.

The package lives in <build>/python (sdk/python/CMakeLists.txt). CTest sets
KVGATE_PYTHON_PATH; run by hand, build-py/python and then build/python are
tried. Under an ASan build CTest also preloads libasan (the extension is
instrumented; the interpreter is not). If nothing importable is found the
tests are skipped with the reason.
"""
import os
import sys
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def import_kvgate():
    candidates = [os.environ.get("KVGATE_PYTHON_PATH"),
                  os.path.join(ROOT, "build-py", "python"), os.path.join(ROOT, "build", "python")]
    for path in candidates:
        if path and os.path.isdir(os.path.join(path, "kvgate")):
            if path not in sys.path:
                sys.path.insert(0, path)
            break
    try:
        import kvgate
    except ImportError as e:
        raise unittest.SkipTest(f"kvgate Python module not built or not importable: {e}")
    return kvgate
