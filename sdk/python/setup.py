"""Builds the kvgate extension with the project's CMake (see pyproject.toml).

The C++ extension needs the whole kvgate source tree (kvgate::sdk and the
libraries it links), so this file expects to sit in <kvgate>/sdk/python;
KVGATE_SOURCE_DIR overrides where the tree is. The CMake build directory is
build/cmake under this folder (KVGATE_CMAKE_BUILD_DIR overrides it) and is
configured without sanitizers, tests or benchmarks; KVGATE_CMAKE_ARGS adds
arguments (e.g. "-G Ninja").
"""
import os
import shlex
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        source = os.environ.get("KVGATE_SOURCE_DIR", os.path.join(HERE, "..", ".."))
        source = os.path.abspath(source)
        if not os.path.isfile(os.path.join(source, "sdk", "python", "CMakeLists.txt")):
            raise RuntimeError(f"kvgate: no kvgate source tree at {source} (set KVGATE_SOURCE_DIR)")
        build = os.path.abspath(os.environ.get("KVGATE_CMAKE_BUILD_DIR",
                                               os.path.join(HERE, "build", "cmake")))
        configure = ["cmake", "-S", source, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                     "-DKVGATE_SANITIZE=off", "-DKVGATE_BUILD_TESTS=OFF", "-DKVGATE_BUILD_PERF=OFF",
                     "-DKVGATE_BUILD_FUZZ=OFF", f"-DPython_EXECUTABLE={sys.executable}"]
        configure += shlex.split(os.environ.get("KVGATE_CMAKE_ARGS", ""))
        subprocess.check_call(configure)
        jobs = str(os.cpu_count() or 2)
        subprocess.check_call(["cmake", "--build", build, "-j", jobs, "--target", "kvgate_python"])
        built_dir = os.path.join(build, "python", "kvgate")
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        for name in os.listdir(built_dir):
            if name.startswith("_kvgate") and name.endswith(".so"):
                shutil.copyfile(os.path.join(built_dir, name), target)
                return
        raise RuntimeError(f"kvgate: CMake did not produce the extension in {built_dir}")


setup(
    packages=["kvgate", "kvgate.lmcache"],
    ext_modules=[CMakeExtension("kvgate._kvgate")],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
)
