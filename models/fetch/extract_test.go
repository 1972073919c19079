package fetch

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExtractRefuses(t *testing.T) {
	want := []string{"package/model/net.bin"}
	good := entry{name: "package/model/net.bin", body: "weights"}
	cases := []struct {
		name    string
		entries []entry
		max     int64
		errHas  string
	}{
		{"dot-dot traversal", []entry{good, {name: "package/../../evil.sh", body: "x"}}, 0, "path traversal"},
		{"leading dot-dot", []entry{{name: "../evil.sh", body: "x"}, good}, 0, "path traversal"},
		{"absolute path", []entry{{name: "/tmp/evil.sh", body: "x"}, good}, 0, "path traversal"},
		{"backslash traversal", []entry{{name: `package\..\..\evil`, body: "x"}, good}, 0, "path traversal"},
		{"listed symlink", []entry{{name: "package/model/net.bin", typeflag: tar.TypeSymlink, link: "/etc/passwd"}}, 0, "symlink"},
		{"listed hard link", []entry{{name: "package/model/net.bin", typeflag: tar.TypeLink, link: "package/LICENSE"}}, 0, "hard link"},
		{"listed directory", []entry{{name: "package/model/net.bin/", typeflag: tar.TypeDir}}, 0, "directory"},
		{"oversized entry", []entry{{name: "package/model/net.bin", body: strings.Repeat("w", 2048)}}, 1024, "over the 1024-byte limit"},
		{"duplicate entry", []entry{good, good}, 0, "occurs twice"},
		{"missing entry", []entry{{name: "package/model/other.bin", body: "x"}}, 0, "not in the archive: package/model/net.bin"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			dest := filepath.Join(base, "dest")
			if err := os.Mkdir(dest, 0o755); err != nil {
				t.Fatal(err)
			}
			_, err := Extract(bytes.NewReader(buildTGZ(t, tc.entries...)), want, dest, tc.max)
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("Extract: %v; want an error containing %q", err, tc.errHas)
			}
			// Nothing may appear outside dest, whatever the archive said.
			ents, _ := os.ReadDir(base)
			if len(ents) != 1 {
				t.Fatalf("files written beside the destination: %v", ents)
			}
		})
	}
}

func TestExtractCorruptInput(t *testing.T) {
	tgz := packageTGZ(t)
	for name, data := range map[string][]byte{
		"not gzip":  []byte("<html>proxy error</html>"),
		"truncated": tgz[:len(tgz)/2],
		"empty":     nil,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Extract(bytes.NewReader(data), []string{"package/model/net.bin"}, t.TempDir(), 0)
			if err == nil {
				t.Fatal("Extract accepted corrupt input")
			}
		})
	}
}

func TestExtractWritesListedFilesOnly(t *testing.T) {
	dest := t.TempDir()
	recs, err := Extract(bytes.NewReader(packageTGZ(t)), []string{"package/model/net.bin", "package/LICENSE"}, dest, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Path != "package/model/net.bin" || recs[1].Path != "package/LICENSE" {
		t.Fatalf("records %+v, want net.bin then LICENSE (manifest order)", recs)
	}
	if recs[0].Size != int64(len("\x00\x01\x02weights")) || recs[0].SHA256 != sha256hex([]byte("\x00\x01\x02weights")) {
		t.Errorf("net.bin record %+v", recs[0])
	}
	for _, unwanted := range []string{"package/model/other.bin", "package/dist/index.js", "package/package.json"} {
		if _, err := os.Stat(filepath.Join(dest, unwanted)); !os.IsNotExist(err) {
			t.Errorf("%s was extracted although not listed", unwanted)
		}
	}
}

// FuzzExtract feeds arbitrary bytes as a tarball: Extract must not panic,
// and whatever it accepts must be on disk exactly as recorded.
func FuzzExtract(f *testing.F) {
	f.Add(packageTGZ(f))
	f.Add(buildTGZ(f, entry{name: "package/model/net.bin", body: "w"}))
	f.Add(buildTGZ(f, entry{name: "package/../x", body: "w"}, entry{name: "package/model/net.bin", body: "w"}))
	f.Add(buildTGZ(f, entry{name: "package/model/net.bin", typeflag: tar.TypeSymlink, link: "../../x"}))
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	f.Add([]byte("not a tarball"))
	f.Fuzz(func(t *testing.T, data []byte) {
		base := t.TempDir()
		dest := filepath.Join(base, "dest")
		if err := os.Mkdir(dest, 0o755); err != nil {
			t.Fatal(err)
		}
		recs, err := Extract(bytes.NewReader(data), []string{"package/model/net.bin", "package/LICENSE"}, dest, 1<<20)
		if ents, _ := os.ReadDir(base); len(ents) != 1 {
			t.Fatalf("Extract wrote beside its destination: %v", ents)
		}
		if err != nil {
			return
		}
		for _, r := range recs {
			b, rerr := os.ReadFile(filepath.Join(dest, r.Path))
			if rerr != nil {
				t.Fatalf("recorded %s not on disk: %v", r.Path, rerr)
			}
			if sha256hex(b) != r.SHA256 || int64(len(b)) != r.Size {
				t.Fatalf("%s on disk differs from its record %+v", r.Path, r)
			}
		}
	})
}
