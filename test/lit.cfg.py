# -*- Python -*-
import os
import sys
import shutil

import lit.formats
from lit.llvm import llvm_config

config.name = "keops-mlir"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py",
                   "python"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.keops_obj_root, "test")

# lit clears the environment; pass through what the tools need.
for var in ["CUDA_HOME", "CUDA_PATH", "HOME", "KEOPS_CACHE_DIR", "TMPDIR",
            "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"]:
    if var in os.environ:
        config.environment[var] = os.environ[var]

# A build with AddressSanitizer (make test-asan) reserves terabytes of
# address space: tests that cap it with `ulimit -v` cannot run there.
if "address" in getattr(config, "keops_sanitize", ""):
    config.available_features.add("asan")

llvm_config.use_default_substitutions()
config.substitutions.append(("%keops_src", config.keops_src_root))
config.substitutions.append(("%python", sys.executable))
config.substitutions.append(("%keops_obj", config.keops_obj_root))
# The build's own cmake, ninja and compilers (test/AOT builds a CMake project
# against an installed keops-mlir); lit keeps PATH, so the C compiler that
# keops-compile runs to link shared libraries is found as well.
config.substitutions.append(("%cmake", config.cmake_command))
config.substitutions.append(("%ninja", config.make_program))
config.substitutions.append(("%keops_cc", config.c_compiler))
config.substitutions.append(("%keops_cxx", config.cxx_compiler))
llvm_config.add_tool_substitutions(
    ["keops-opt", "keops-run", "keops-compile", "keops-gpu-info"],
    [config.keops_tools_dir])
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# ptxas, where the runtime looks for it (cuda::ptxasPath): tests that
# compile PTX to cubins need it, not a GPU.
def find_ptxas():
    candidates = []
    if os.environ.get("CUDA_HOME"):
        candidates.append(os.path.join(os.environ["CUDA_HOME"], "bin", "ptxas"))
    candidates.append("/usr/local/cuda/bin/ptxas")
    candidates.append(shutil.which("ptxas") or "")
    return any(os.path.isfile(c) and os.access(c, os.X_OK) for c in candidates)


if find_ptxas():
    config.available_features.add("ptxas")

# libdevice, where the runtime looks for it (runtime::cudaToolkit): the GPU
# pipeline links it into kernels that call math functions.
def find_libdevice():
    roots = [os.environ.get(v, "") for v in ("CUDA_HOME", "CUDA_PATH")] + ["/usr/local/cuda"]
    return any(r and os.path.isfile(os.path.join(r, "nvvm", "libdevice", "libdevice.10.bc"))
               for r in roots)

if find_libdevice():
    config.available_features.add("libdevice")
