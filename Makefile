# Every checkout is driven the same way:
#   make demo   set up, build, and run the demo
#   make test   set up, build, and run every test suite
# Both start with `make setup`, which installs what is missing and rebuilds
# incrementally.

.PHONY: setup build demo test test-lit test-python test-gpu-emulator fuzz test-asan sass-bench docs clean

setup:
	bash scripts/setup.sh

build: setup

demo: setup
	bash scripts/demo.sh

test: setup
	bash scripts/test.sh

test-lit:
	/usr/lib/llvm-22/bin/lit -sv build/test

test-python:
	.venv/bin/python -m pytest -q test/python

test-gpu-emulator:
	KEOPS_CUDA_DRIVER=emulator .venv/bin/python -m pytest -q test/python/test_gpu.py \
	  test/python/test_gpu_tensor_cores.py

# Ten minutes per fuzz target (make test runs one), corpora kept in
# build-sanitize/fuzz/.
fuzz: setup
	bash scripts/fuzz.sh 600

# The tools, libkeops and keops._keops built with AddressSanitizer and
# UndefinedBehaviorSanitizer (build-sanitize/), and the tests that exercise
# them: lit, and the Python tests of the runtime. About half an hour on 2
# cores; the last result is in docs/testing-log.md.
test-asan: setup
	bash scripts/test-asan.sh

# The SASS of the GPU kernels against KeOps', counted per pair without a
# GPU (benchmarks/sass_bench.py; ptxas, nvdisasm and nvrtc from PyPI).
sass-bench: setup
	.venv/bin/pip install -q -r benchmarks/requirements-sass.txt
	.venv/bin/python benchmarks/sass_bench.py

docs:
	cmake --build build --target keops-doc

clean:
	rm -rf build build-sanitize
