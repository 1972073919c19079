package fetch

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var fixedNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func newTestCache(t *testing.T, f Fetcher) *Cache {
	return &Cache{Dir: filepath.Join(t.TempDir(), "cache"), Fetcher: f, Now: func() time.Time { return fixedNow }}
}

// filesUnder lists every regular file below dir, slash-separated.
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func TestEnsureExtractsOnlyListedFilesAndRecordsProvenance(t *testing.T) {
	tgz := packageTGZ(t)
	f := &fakeFetcher{tgz: tgz}
	c := newTestCache(t, f)
	m := testModel(sha256hex(tgz))

	res, err := c.Ensure(context.Background(), m)
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	if !res.Fetched || f.calls != 1 {
		t.Fatalf("first Ensure: Fetched=%v, fetcher calls=%d; want a fetch", res.Fetched, f.calls)
	}
	want := []string{"package/LICENSE", "package/model/net.bin", "package/model/net.json", "provenance.toml"}
	if got := filesUnder(t, res.Dir); !slices.Equal(got, want) {
		t.Fatalf("files in %s = %v, want only %v", res.Dir, got, want)
	}
	// Nothing else may be left in the cache: no tarball, no work directory.
	if got := filesUnder(t, c.Dir); len(got) != len(want) {
		t.Fatalf("cache holds %v, want only the model directory", got)
	}
	if b, _ := os.ReadFile(filepath.Join(res.Dir, "package/model/net.bin")); string(b) != "\x00\x01\x02weights" {
		t.Fatalf("net.bin content %q", b)
	}

	p, err := ReadProvenance(res.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if p.Package != "@test/models" || p.Version != "1.2.3" || p.TarballSHA256 != m.TarballSHA256 {
		t.Errorf("provenance package/version/sha = %s %s %s", p.Package, p.Version, p.TarballSHA256)
	}
	if !p.FetchedAt.Equal(fixedNow) {
		t.Errorf("fetched_at = %v, want %v", p.FetchedAt, fixedNow)
	}
	if p.LicenceFile != "package/LICENSE" || p.LicenceText != "MIT License\n\nCopyright test\n" {
		t.Errorf("licence = %q %q", p.LicenceFile, p.LicenceText)
	}
	if !slices.Equal(p.Outputs, m.Outputs) {
		t.Errorf("outputs = %v", p.Outputs)
	}
	wantSums := map[string]string{
		"package/model/net.json": sha256hex([]byte(`{"weights":[]}`)),
		"package/model/net.bin":  sha256hex([]byte("\x00\x01\x02weights")),
		"package/LICENSE":        sha256hex([]byte("MIT License\n\nCopyright test\n")),
	}
	if len(p.Files) != len(wantSums) {
		t.Fatalf("provenance files = %+v", p.Files)
	}
	for _, fr := range p.Files {
		if wantSums[fr.Path] != fr.SHA256 {
			t.Errorf("provenance %s sha256 = %s, want %s", fr.Path, fr.SHA256, wantSums[fr.Path])
		}
	}
}

func TestEnsureSecondRunDoesNotFetch(t *testing.T) {
	tgz := packageTGZ(t)
	f := &fakeFetcher{tgz: tgz}
	c := newTestCache(t, f)
	m := testModel(sha256hex(tgz))
	if _, err := c.Ensure(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	// From now on the "registry" is down: only a fetch-free run can succeed.
	f.err = errors.New("registry unreachable")
	res, err := c.Ensure(context.Background(), m)
	if err != nil {
		t.Fatalf("second Ensure fetched although everything was present: %v", err)
	}
	if res.Fetched || f.calls != 1 {
		t.Fatalf("second Ensure: Fetched=%v, fetcher calls=%d; want no fetch", res.Fetched, f.calls)
	}

	// An altered file is noticed and fetched again.
	f.err = nil
	if err := os.WriteFile(filepath.Join(res.Dir, "package/model/net.bin"), []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(c.Dir, m); err == nil || !strings.Contains(err.Error(), "altered") {
		t.Fatalf("Verify after tampering: %v, want an 'altered' error", err)
	}
	res, err = c.Ensure(context.Background(), m)
	if err != nil || !res.Fetched || f.calls != 2 {
		t.Fatalf("Ensure after tampering: fetched=%v calls=%d err=%v; want a re-fetch", res.Fetched, f.calls, err)
	}
	if b, _ := os.ReadFile(filepath.Join(res.Dir, "package/model/net.bin")); string(b) != "\x00\x01\x02weights" {
		t.Fatalf("net.bin not restored: %q", b)
	}

	// A manifest listing another file is a different pin: fetch again.
	m.Files = append(m.Files, "package/model/other.bin")
	res, err = c.Ensure(context.Background(), m)
	if err != nil || !res.Fetched || f.calls != 3 {
		t.Fatalf("Ensure with a changed file list: fetched=%v calls=%d err=%v", res.Fetched, f.calls, err)
	}
}

func TestEnsureRefusesChecksumMismatch(t *testing.T) {
	tgz := packageTGZ(t)
	f := &fakeFetcher{tgz: tgz}
	c := newTestCache(t, f)
	pinned := strings.Repeat("ab", 32)
	m := testModel(pinned)

	_, err := c.Ensure(context.Background(), m)
	if err == nil {
		t.Fatal("Ensure accepted a tarball whose SHA-256 differs from the pin")
	}
	for _, want := range []string{m.Name, m.Spec(), sha256hex(tgz), pinned, "deleted"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if len(f.paths) != 1 {
		t.Fatalf("fetcher paths %v", f.paths)
	}
	if _, statErr := os.Stat(f.paths[0]); !errors.Is(statErr, os.ErrNotExist) {
		t.Errorf("mismatching tarball %s still exists (stat: %v)", f.paths[0], statErr)
	}
	if got := filesUnder(t, c.Dir); len(got) != 0 {
		t.Errorf("cache holds %v after a refused tarball, want nothing", got)
	}
}

func TestEnsureKeepsOldCopyWhenRefetchFails(t *testing.T) {
	tgz := packageTGZ(t)
	f := &fakeFetcher{tgz: tgz}
	c := newTestCache(t, f)
	m := testModel(sha256hex(tgz))
	if _, err := c.Ensure(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	// The pin moves to a package whose tarball lacks a listed file.
	bad := buildTGZ(t, entry{name: "package/LICENSE", body: "x"})
	f.tgz = bad
	m2 := m
	m2.TarballSHA256 = sha256hex(bad)
	_, err := c.Ensure(context.Background(), m2)
	if err == nil || !strings.Contains(err.Error(), "not in the archive: package/model/net.bin, package/model/net.json") {
		t.Fatalf("Ensure with missing files: %v", err)
	}
	if _, err := Verify(c.Dir, m); err != nil {
		t.Fatalf("old, complete copy was damaged by a failed fetch: %v", err)
	}
}

func TestEnsureFetchErrorNamesPackage(t *testing.T) {
	f := &fakeFetcher{err: errors.New("fetch @test/models@1.2.3: npm pack failed: ENOTFOUND")}
	c := newTestCache(t, f)
	_, err := c.Ensure(context.Background(), testModel(strings.Repeat("0", 64)))
	if err == nil || !strings.Contains(err.Error(), "@test/models@1.2.3") {
		t.Fatalf("error %v does not name the package", err)
	}
}

func TestVerifyAbsentModelIsNotExist(t *testing.T) {
	_, err := Verify(t.TempDir(), testModel(strings.Repeat("0", 64)))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "make models") {
		t.Fatalf("Verify of an empty cache: %v; want ErrNotExist and a hint", err)
	}
}
