package testenv

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"autogate/drivers/device"
)

// TestdataEnv names the environment variable that points the tests at the
// shared test data folder.
const TestdataEnv = "AUTOGATE_TESTDATA"

// RepoRoot returns the folder holding go.mod, searched from the working
// directory upwards. The test fails if there is none.
func RepoRoot(t testing.TB) string {
	t.Helper()
	start, err := os.Getwd()
	if err != nil {
		t.Fatalf("testenv: finding the repository root: %v", err)
	}
	for dir := start; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("testenv: no go.mod in %s or any folder above it; run the tests inside the autogate repository", start)
		}
		dir = parent
	}
}

// SharedTestdata returns the path of rel (slash-separated) inside the shared
// test data: $AUTOGATE_TESTDATA if set, else ../shared/testdata next to the
// repository root. The data is not part of the repository, so when the path
// does not exist the test is skipped, naming the path it looked at.
func SharedTestdata(t testing.TB, rel string) string {
	t.Helper()
	base := os.Getenv(TestdataEnv)
	if base == "" {
		base = filepath.Join(RepoRoot(t), "..", "shared", "testdata")
	}
	path := filepath.Join(base, filepath.FromSlash(rel))
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			t.Skipf("shared test data %s not found: set %s to the shared testdata folder to run this test", path, TestdataEnv)
		}
		t.Fatalf("testenv: shared test data %s: %v", path, err)
	}
	return path
}

// ShippedProfilePath returns the path of firmware-config/devices/<name>.toml
// in the repository, without checking that it exists.
func ShippedProfilePath(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(RepoRoot(t), "firmware-config", "devices", name+".toml")
}

// ShippedProfile loads the device profile firmware-config/devices/<name>.toml
// shipped in the repository. The test fails if it does not load.
func ShippedProfile(t testing.TB, name string) device.Profile {
	t.Helper()
	p, err := device.LoadProfile(ShippedProfilePath(t, name))
	if err != nil {
		t.Fatalf("testenv: shipped device profile %q: %v", name, err)
	}
	return p
}

// Hex decodes a hex test vector, ignoring spaces and newlines (vectors are
// copied from the standards in groups); a malformed constant is a bug in the
// test, so it panics.
func Hex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(fmt.Sprintf("testenv.Hex(%q): %v", s, err))
	}
	return b
}
