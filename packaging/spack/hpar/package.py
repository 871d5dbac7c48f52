# SPDX-License-Identifier: BSD-3-Clause
# Spack recipe for hpar. Use it from a clone (it cannot be fetched from here):
#   spack repo create myrepo && cp -r packaging/spack/hpar myrepo/packages/
#   spack install hpar@main ^openmpi         (or ^mpich: Boost.MPI comes from boost+mpi, built
#                                             against the same MPI)
# Variants:
#   arch=native|portable  the instructions hpar is built for (HPAR_ARCH). portable (default) builds
#                         for any x86-64 with the hot kernels multi-versioned (they pick the CPU's
#                         best at run time), as Spack's own microarchitecture targets do per node.
#   +docs                 the man page and bash completion, generated from the built hpar's help.
# The tests (ctest) need googletest; `spack install --test=root hpar` runs the unit tests.

from spack.package import *


class Hpar(CMakePackage):
    """Hybrid MPI + OpenMP parallel runner: split work across ranks and threads, task farms,
    scaling studies and sweeps, on a workstation or under Slurm."""

    homepage = "https://example.invalid/hpar"
    git = "https://example.invalid/hpar.git"

    maintainers("hpar-developers")
    license("BSD-3-Clause")

    version("main", branch="main")

    variant(
        "arch",
        default="portable",
        values=("portable", "native"),
        description="Instructions to build for (HPAR_ARCH)",
    )
    variant("docs", default=True, description="Build the man page and bash completion")

    depends_on("cmake@3.25:", type="build")
    depends_on("pkgconfig", type="build")
    depends_on("mpi")
    depends_on("boost@1.74: +mpi+program_options+serialization")
    depends_on("hwloc")
    depends_on("libpng")
    depends_on("zlib-api")
    depends_on("nlohmann-json@3:")
    depends_on("googletest", type="test")

    def cmake_args(self):
        spec = self.spec
        # The MPI is Spack's (its wrapper compiler); Boost.MPI is Spack's boost+mpi, built against
        # that same MPI, so hpar builds none of its own (HPAR_BOOST_MPI=system).
        return [
            self.define("HPAR_ARCH", spec.variants["arch"].value),
            self.define("MPI_CXX_COMPILER", spec["mpi"].mpicxx),
            self.define("HPAR_BOOST_MPI", "system"),
            self.define("HPAR_BUILD_TESTS", self.run_tests),
            self.define("HPAR_BUILD_BENCHMARKS", False),
            self.define_from_variant("HPAR_BUILD_DOCS", "docs"),
        ]
