# The two commands in the README are `make run` and `make test`; both set up a fresh machine.
SHELL := /bin/bash
JOBS ?= 2
HOST ?= 127.0.0.1
PORT ?= 12345

.PHONY: setup run test build-dev asan-test tsan-test clang-build format check-format bench micro fuzz soak deb clean

setup:
	@bash scripts/bootstrap.sh

build/%/build.ninja: CMakePresets.json CMakeLists.txt
	cmake --preset $*

# Builds the release tool and starts the default server (echo, one event loop) on 127.0.0.1.
run: setup
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target sockit_cli
	./build/release/bin/sockit serve echo $(HOST) $(PORT)

# Every test: unit, integration (real peers: ncat, socat, nc, python3) and concurrency.
test: setup build-dev
	ctest --preset dev --no-tests=error

build-dev:
	cmake --preset dev >/dev/null
	cmake --build --preset dev -j $(JOBS)

asan-test: setup
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan --no-tests=error

# ThreadSanitizer runs the concurrency tests (label "concurrency"): build only those
# executables and what they start (the sockit tool, the examples), not the whole tree.
CONCURRENCY_TARGETS := $(patsubst tests/concurrency/test_%.cpp,concurrency_%,$(wildcard tests/concurrency/test_*.cpp))
tsan-test: setup
	cmake --preset tsan >/dev/null
	cmake --build --preset tsan -j $(JOBS) --target $(CONCURRENCY_TARGETS)
	ctest --preset tsan --no-tests=error

clang-build: setup
	cmake --preset clang >/dev/null
	cmake --build --preset clang -j $(JOBS)

format:
	git ls-files '*.cpp' '*.hpp' '*.h' '*.c' | xargs clang-format -i

check-format:
	@out=$$(git ls-files '*.cpp' '*.hpp' '*.h' '*.c' | xargs clang-format --dry-run 2>&1); \
	if [ -n "$$out" ]; then echo "$$out" | head -40; echo "clang-format: run 'make format'"; exit 1; fi; \
	echo "clang-format: clean"

micro: setup
	cmake --preset release -DSOCKIT_BUILD_TESTS=OFF >/dev/null
	cmake --build --preset release -j $(JOBS)
	for b in build/release/bench/micro_*; do $$b --benchmark_min_time=0.2; done

bench: setup
	bash bench/run.sh

fuzz: setup
	bash scripts/fuzz.sh $${FUZZ_SECONDS:-60}

soak: setup
	bash scripts/soak.sh

# A Debian package, build/deb/sockit_<version>_<arch>.deb: the tool, the static library,
# headers, CMake package, pkg-config file, sockit(1) and bash completion (both generated from
# --help). Optimised, installed under /usr. Install: sudo apt-get install ./build/deb/sockit_*.deb
deb: setup
	cmake --preset release -B build/deb -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
	cmake --build build/deb -j $(JOBS) --target sockit_cli sockit sockit_docs
	cd build/deb && cpack -G DEB
	@ls build/deb/sockit_*.deb

clean:
	rm -rf build
