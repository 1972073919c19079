package fetch

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
)

// DefaultMaxEntryBytes bounds one extracted file. The largest weight file
// pinned today is under 30 MiB; anything near this limit is not a model.
const DefaultMaxEntryBytes int64 = 256 << 20

// FileRecord is one extracted file as recorded in the provenance.
type FileRecord struct {
	Path   string `toml:"path"`
	SHA256 string `toml:"sha256"`
	Size   int64  `toml:"size"`
}

// Extract reads a gzip-compressed tar stream and writes the entries named in
// want (exact tar paths) under destDir, keeping their paths. It refuses the
// whole archive when any entry name is absolute or climbs out with "..",
// and refuses a wanted entry that is not a regular file (symlink, hard link,
// device, directory), that is larger than maxEntry, or that occurs twice.
// Every wanted path must be present. Records come back in want's order.
func Extract(r io.Reader, want []string, destDir string, maxEntry int64) ([]FileRecord, error) {
	if maxEntry <= 0 {
		maxEntry = DefaultMaxEntryBytes
	}
	wanted := make(map[string]bool, len(want))
	for _, w := range want {
		if err := checkEntryPath(w); err != nil {
			return nil, fmt.Errorf("extract: wanted path: %w", err)
		}
		wanted[w] = true
	}
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("extract: not a gzip stream: %w", err)
	}
	defer gz.Close()
	// os.Root confines every write to destDir even if a check above were wrong.
	root, err := os.OpenRoot(destDir)
	if err != nil {
		return nil, fmt.Errorf("extract: open destination: %w", err)
	}
	defer root.Close()

	got := map[string]FileRecord{}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("extract: corrupt tar archive after %d wanted file(s): %w", len(got), err)
		}
		name := strings.TrimPrefix(hdr.Name, "./")
		if unsafeEntryName(name) {
			return nil, fmt.Errorf("extract: refusing archive: entry %q points outside the package (path traversal)", hdr.Name)
		}
		name = strings.TrimSuffix(name, "/")
		if !wanted[name] {
			continue
		}
		if _, dup := got[name]; dup {
			return nil, fmt.Errorf("extract: entry %q occurs twice in the archive: refusing an ambiguous package", name)
		}
		if hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeRegA { //nolint:staticcheck // old archives still use TypeRegA
			return nil, fmt.Errorf("extract: entry %q is a %s, not a regular file: refusing it (links could point outside the cache)", name, typeName(hdr.Typeflag))
		}
		if hdr.Size < 0 || hdr.Size > maxEntry {
			return nil, fmt.Errorf("extract: entry %q is %d bytes, over the %d-byte limit: refusing it", name, hdr.Size, maxEntry)
		}
		rec, err := writeEntry(root, name, tr, hdr.Size)
		if err != nil {
			return nil, err
		}
		got[name] = rec
	}
	var missing []string
	recs := make([]FileRecord, 0, len(want))
	for _, w := range want {
		rec, ok := got[w]
		if !ok {
			missing = append(missing, w)
			continue
		}
		recs = append(recs, rec)
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("extract: not in the archive: %s (list the tarball with `tar tzf` and fix the manifest)", strings.Join(missing, ", "))
	}
	return recs, nil
}

// unsafeEntryName reports names that are absolute or contain a ".." element.
func unsafeEntryName(name string) bool {
	if path.IsAbs(name) || strings.HasPrefix(name, `\`) || (len(name) > 1 && name[1] == ':') {
		return true
	}
	for _, el := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if el == ".." {
			return true
		}
	}
	return false
}

func writeEntry(root *os.Root, name string, r io.Reader, size int64) (FileRecord, error) {
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return FileRecord{}, fmt.Errorf("extract %q: %w", name, err)
		}
	}
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return FileRecord{}, fmt.Errorf("extract %q: %w", name, err)
	}
	h := sha256.New()
	// One byte past the header size shows a reader that lies about the size.
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, size+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return FileRecord{}, fmt.Errorf("extract %q: %w", name, err)
	}
	if n != size {
		return FileRecord{}, fmt.Errorf("extract %q: wrote %d bytes, header says %d: archive is truncated or corrupt", name, n, size)
	}
	return FileRecord{Path: name, SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}

func typeName(t byte) string {
	switch t {
	case tar.TypeSymlink:
		return "symlink"
	case tar.TypeLink:
		return "hard link"
	case tar.TypeDir:
		return "directory"
	case tar.TypeChar, tar.TypeBlock:
		return "device"
	case tar.TypeFifo:
		return "FIFO"
	default:
		return fmt.Sprintf("tar entry of type %q", t)
	}
}
