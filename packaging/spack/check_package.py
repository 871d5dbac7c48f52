#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks packaging/spack/hpar/package.py without Spack (which cannot be fetched here): the file
is loaded against a small stand-in for `spack.package` that records the directives, then the
recipe's dependencies, variants and CMake arguments are held against what hpar's CMake reads.

    python3 packaging/spack/check_package.py [CMakeLists.txt dir]
"""
import pathlib
import re
import sys
import types

here = pathlib.Path(__file__).resolve().parent
root = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else here.parent.parent
recorded = {"depends_on": [], "variant": {}, "version": [], "license": []}


def directive(name):
    def record(*args, **kwargs):
        if name == "variant":
            recorded["variant"][args[0]] = kwargs
        elif name in recorded:
            recorded[name].append((args, kwargs))
    return record


class CMakePackage:
    run_tests = False

    def define(self, name, value):
        if isinstance(value, bool):
            value = "ON" if value else "OFF"
        return f"-D{name}={value}"

    def define_from_variant(self, name, variant):
        return self.define(name, self.spec.variants[variant].value)


stub = types.ModuleType("spack.package")
stub.CMakePackage = CMakePackage
for name in ("depends_on", "variant", "version", "license", "maintainers", "conflicts"):
    setattr(stub, name, directive(name))
sys.modules["spack"] = types.ModuleType("spack")
sys.modules["spack.package"] = stub

source = (here / "hpar" / "package.py").read_text()
namespace = {}
exec(compile(source, "package.py", "exec"), namespace)
recipe = namespace["Hpar"]

deps = {re.split(r"[@+ ~]", args[0])[0] for args, _ in recorded["depends_on"]}
problems = []
for need in ("mpi", "boost", "hwloc", "libpng", "nlohmann-json", "googletest", "cmake"):
    if need not in deps:
        problems.append(f"no depends_on('{need}')")
boost = [args[0] for args, _ in recorded["depends_on"] if args[0].startswith("boost")]
for part in ("+mpi", "+program_options", "+serialization"):
    if not any(part in spec for spec in boost):
        problems.append(f"boost lacks {part}")
for name in ("arch", "docs"):
    if name not in recorded["variant"]:
        problems.append(f"no variant '{name}'")


class Value:
    def __init__(self, value):
        self.value = value


class Spec:
    variants = {"arch": Value("portable"), "docs": Value(True)}

    def __getitem__(self, name):
        return types.SimpleNamespace(mpicxx="/spack/mpi/bin/mpicxx")


package = recipe()
package.spec = Spec()
args = package.cmake_args()
# Every cache variable the recipe sets must be one hpar's CMake reads.
cmake_text = "\n".join(p.read_text() for p in [root / "CMakeLists.txt", *root.glob("cmake/*.cmake")])
for arg in args:
    name = arg[2:].split("=", 1)[0]
    if name != "MPI_CXX_COMPILER" and name not in cmake_text:
        problems.append(f"{arg}: hpar's CMake has no {name}")
arch = [a for a in args if a.startswith("-DHPAR_ARCH=")]
if arch != ["-DHPAR_ARCH=portable"]:
    problems.append(f"HPAR_ARCH argument: {arch}")
if problems:
    print("spack recipe: " + "; ".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"spack recipe: {len(deps)} dependencies, variants {sorted(recorded['variant'])}, "
      f"{len(args)} CMake arguments: ok")
