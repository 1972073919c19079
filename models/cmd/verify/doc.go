// Command verify is `make models-verify`: it proves every converted face
// model computes what its source runtime computes, on LFW face crops.
//
//	go run ./models/cmd/verify [--cache models/cache] [--crops 24] [--model NAME]...
//
// Other flags: --lfw DIR (default ../shared/testdata/faces/lfw, or
// $AUTOGATE_TESTDATA/faces/lfw), --scripts DIR, --node-modules DIR (use an
// existing install, skip npm), --out FILE, --quiet, -v.
//
// It installs the Node dependencies of the source-runtime scripts into
// CACHE/verify-node (npm ci, skipped when up to date), picks the crops from
// the shared LFW test data, runs each model through OpenCV and its Node
// script, prints a table (worst cosine and largest absolute difference per
// output) and writes benchmarks/results/models-verify.json.
//
// Exit status: 0 when every model passes; 1 when one fails, is missing
// (`make models` makes the converted models) or a runtime errs; 2 on usage
// or setup errors (no node/npm, registry unreachable, no LFW data).
package main
