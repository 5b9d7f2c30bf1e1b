# sbsync: the two commands a new machine needs are `make demo` and `make test`.
# Both install what is missing (Debian packages through apt-get, Python tools into .venv).

SHELL := /bin/bash
SWIFT ?= swift
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
APT_PACKAGES := libyaml-dev libsqlite3-dev pkg-config python3-venv
# Only the tests and `make bench` need a PostgreSQL server (a throwaway cluster each run); building and the demo do not.
TEST_APT_PACKAGES := postgresql
PY_PACKAGES := jsonschema==4.26.0 sevenbridges-python==2.11.2
# Tests find the Python tools through this variable (see Tests/README.md).
export SBSYNC_PYTHON := $(PY)

.PHONY: all deps system-deps test-system-deps apt-install python-deps build release install test demo demo-cohort bench fuzz clean

all: build

deps: system-deps python-deps

system-deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(APT_PACKAGES)"

test-system-deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(TEST_APT_PACKAGES)"

apt-install:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; \
	fi

python-deps: $(VENV)/.installed

$(VENV)/.installed:
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(PY_PACKAGES)
	touch $@

build: system-deps
	$(SWIFT) build

release: system-deps
	$(SWIFT) build -c release

# `make install PREFIX=…` (default /usr/local; DESTDIR for staging): the release binaries
# sbsync and sbsync-emulator, shell completions for bash, zsh and fish (from swift-argument-parser)
# and the man page sbsync(1), made from the same help text (scripts/manpage.py). SBSYNC_BIN=DIR
# installs the binaries already built in DIR instead (the tests use the debug build).
PREFIX ?= /usr/local
BINDIR = $(DESTDIR)$(PREFIX)/bin

install: $(if $(SBSYNC_BIN),,release)
	@bin="$(SBSYNC_BIN)"; [ -n "$$bin" ] || bin="$$($(SWIFT) build -c release --show-bin-path)"; set -e; \
	install -d "$(BINDIR)" "$(DESTDIR)$(PREFIX)/share/bash-completion/completions" \
	  "$(DESTDIR)$(PREFIX)/share/zsh/site-functions" "$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d" \
	  "$(DESTDIR)$(PREFIX)/share/man/man1"; \
	install -m 755 "$$bin/sbsync" "$$bin/sbsync-emulator" "$(BINDIR)/"; \
	"$$bin/sbsync" --generate-completion-script bash > "$(DESTDIR)$(PREFIX)/share/bash-completion/completions/sbsync"; \
	"$$bin/sbsync" --generate-completion-script zsh > "$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_sbsync"; \
	"$$bin/sbsync" --generate-completion-script fish > "$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/sbsync.fish"; \
	python3 scripts/manpage.py "$$bin/sbsync" > "$(DESTDIR)$(PREFIX)/share/man/man1/sbsync.1"; \
	echo "installed sbsync and sbsync-emulator in $(BINDIR), completions and the man page under $(DESTDIR)$(PREFIX)/share"

# Tests write their scratch files under .build/test-tmp (cleared on each run), not /tmp, and
# must remove them (TestSupport's temporary directories do): files left behind fail the run.
TEST_TMP := $(CURDIR)/.build/test-tmp

test: deps test-system-deps
	$(SWIFT) build --build-tests
	rm -rf $(TEST_TMP) && mkdir -p $(TEST_TMP)
	TMPDIR=$(TEST_TMP) $(SWIFT) test --skip-build
	@# SwiftPM itself leaves its lock files and empty TemporaryDirectory.* folders there.
	@left="$$(cd $(TEST_TMP) && for f in * .[!.]*; do [ -e "$$f" ] || continue; \
	  case "$$f" in _*.lock) continue;; TemporaryDirectory.*) [ -z "$$(ls $$f)" ] && continue;; esac; echo "$$f"; done)"; \
	if [ -n "$$left" ]; then \
	  echo "error: the tests left files in $(TEST_TMP) (use TestSupport's withTemporaryDirectory):"; echo "$$left"; exit 1; fi

demo: deps build
	@bash scripts/demo.sh "$$($(SWIFT) build --show-bin-path)"

# The same session for a cohort whose DRS files come from a portal's CSV manifest; then one
# row's metadata is edited and the next plan shows exactly one update.
demo-cohort: deps build
	@bash scripts/demo-cohort.sh "$$($(SWIFT) build --show-bin-path)"

# pg-bench.sh needs a PostgreSQL server, the one `make test` installs (test-system-deps).
bench: deps test-system-deps release
	@bash Benchmarks/run.sh "$$($(SWIFT) build -c release --show-bin-path)"
	@bash Benchmarks/plan-bench.sh "$$($(SWIFT) build -c release --show-bin-path)"
	@bash Benchmarks/apply-bench.sh "$$($(SWIFT) build -c release --show-bin-path)"
	@bash Benchmarks/table-bench.sh "$$($(SWIFT) build -c release --show-bin-path)"
	@bash Benchmarks/refresh-bench.sh "$$($(SWIFT) build -c release --show-bin-path)"
	@bash Benchmarks/adopt-bench.sh "$$($(SWIFT) build -c release --show-bin-path)"
	@bash Benchmarks/pg-bench.sh "$$($(SWIFT) build -c release --show-bin-path)"

# Fuzz the manifest loader (not part of `make test`): libFuzzer + AddressSanitizer, its own
# build folder (every target is rebuilt with the sanitizers), a corpus seeded from manifests/
# and the YAML test suite. FUZZ_SECONDS=0 runs until stopped; crashes and slow inputs land in
# .build/fuzz/artifacts/ (replay one with `swift run sbsync-fuzz FILE`).
FUZZ_BUILD := $(CURDIR)/.build/fuzz
FUZZ_SECONDS ?= 600
FUZZ_FLAGS ?=

fuzz: system-deps
	$(SWIFT) build --scratch-path $(FUZZ_BUILD) --product sbsync-fuzz \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -O
	mkdir -p $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/seeds $(FUZZ_BUILD)/artifacts
	@for f in $$(find manifests -name '*.yaml') Tests/SyncYAMLTests/yaml-test-suite/*/in.yaml; do \
	  cp "$$f" "$(FUZZ_BUILD)/seeds/$$(echo "$$f" | tr '/' '_')"; done
	$(FUZZ_BUILD)/debug/sbsync-fuzz $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/seeds \
	  -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
	  -dict=Fuzz/yaml.dict -artifact_prefix=$(FUZZ_BUILD)/artifacts/ -print_final_stats=1 $(FUZZ_FLAGS)

clean:
	rm -rf .build $(VENV) bench-out
