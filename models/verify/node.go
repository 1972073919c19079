package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

var (
	//go:embed package.json
	packageJSON []byte
	//go:embed package-lock.json
	packageLock []byte
)

// ErrNodeNotFound and ErrNPMNotFound say which tool is missing.
var (
	ErrNodeNotFound = errors.New("node not found on PATH: install Node.js ≥ 18 (apt-get install nodejs npm)")
	ErrNPMNotFound  = errors.New("npm not found on PATH: apt-get install npm")
)

// stampFile records which package.json/package-lock.json node_modules was
// installed from, so an unchanged install is not repeated.
const stampFile = ".autogate-verify-stamp"

// NodeDeps installs the verification scripts' npm dependencies.
type NodeDeps struct {
	// Dir receives package.json, package-lock.json and node_modules
	// (models/cache/verify-node).
	Dir string
	// NPM is the npm executable; "" means "npm" on PATH.
	NPM string
	// PackageJSON and PackageLock default to the embedded files.
	PackageJSON, PackageLock []byte
	Logger                   *slog.Logger
}

// Ensure installs the dependencies unless Dir's stamp matches the package
// files, and returns the node_modules path. It runs `npm ci` (exactly the
// lock file's versions; --prefer-offline reuses npm's cache), so the user's
// npm configuration (registry mirror, proxy) applies.
func (d NodeDeps) Ensure(ctx context.Context) (string, error) {
	pkg, lock := d.PackageJSON, d.PackageLock
	if pkg == nil {
		pkg, lock = packageJSON, packageLock
	}
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	modules := filepath.Join(d.Dir, "node_modules")
	sum := sha256.New()
	sum.Write(pkg)
	sum.Write([]byte{0})
	sum.Write(lock)
	want := hex.EncodeToString(sum.Sum(nil))
	if have, err := os.ReadFile(filepath.Join(d.Dir, stampFile)); err == nil && strings.TrimSpace(string(have)) == want {
		if st, err := os.Stat(modules); err == nil && st.IsDir() {
			log.Debug("node dependencies up to date", "dir", d.Dir)
			return modules, nil
		}
	}
	npm := d.NPM
	if npm == "" {
		npm = "npm"
	}
	bin, err := exec.LookPath(npm)
	if err != nil {
		return "", ErrNPMNotFound
	}
	if err := os.MkdirAll(d.Dir, 0o755); err != nil {
		return "", err
	}
	// A stale stamp must not survive a failed install.
	if err := os.Remove(filepath.Join(d.Dir, stampFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	files := map[string][]byte{"package.json": pkg}
	args := []string{"ci"}
	if lock != nil {
		files["package-lock.json"] = lock
	} else {
		args = []string{"install"}
		if err := os.Remove(filepath.Join(d.Dir, "package-lock.json")); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(d.Dir, name), b, 0o644); err != nil {
			return "", err
		}
	}
	args = append(args, "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", "--legacy-peer-deps", "--loglevel=error")
	log.Info("installing node dependencies of the verification scripts", "dir", d.Dir, "npm", args[0])
	c := exec.CommandContext(ctx, bin, args...)
	c.Dir = d.Dir
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Run(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("npm %s stopped: %w", args[0], ctx.Err())
		}
		return "", fmt.Errorf("npm %s in %s failed (%v): %s; it needs the npm registry or a mirror set in npm's config (`npm config get registry`, proxy settings)",
			args[0], d.Dir, err, lastLines(out.String(), 8))
	}
	if st, err := os.Stat(modules); err != nil || !st.IsDir() {
		return "", fmt.Errorf("npm %s in %s succeeded but left no node_modules", args[0], d.Dir)
	}
	if err := os.WriteFile(filepath.Join(d.Dir, stampFile), []byte(want+"\n"), 0o644); err != nil {
		return "", err
	}
	return modules, nil
}

// NodeRunner runs the source-runtime scripts.
type NodeRunner struct {
	// Node is the node executable; "" means "node" on PATH.
	Node string
	// ScriptDir holds the scripts (models/verify/js).
	ScriptDir string
	// NodeModules is put in NODE_PATH.
	NodeModules string
}

// ScriptPath returns where the script of spec is.
func (r NodeRunner) ScriptPath(spec Spec) string { return filepath.Join(r.ScriptDir, spec.Script) }

// Run feeds n preprocessed NHWC images to the script and returns its
// output file's values.
func (r NodeRunner) Run(ctx context.Context, spec Spec, cacheDir string, in []float32, n int) ([]float32, error) {
	node := r.Node
	if node == "" {
		node = "node"
	}
	bin, err := exec.LookPath(node)
	if err != nil {
		return nil, ErrNodeNotFound
	}
	tmp, err := os.MkdirTemp("", "autogate-verify-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	inPath, outPath := filepath.Join(tmp, "IN.f32"), filepath.Join(tmp, "OUT.f32")
	if err := os.WriteFile(inPath, EncodeFloat32s(in), 0o600); err != nil {
		return nil, err
	}
	c := exec.CommandContext(ctx, bin, r.ScriptPath(spec), cacheDir, inPath, strconv.Itoa(n), outPath)
	c.Env = append(os.Environ(), "NODE_PATH="+r.NodeModules)
	var stderr bytes.Buffer
	c.Stderr = &stderr // stdout carries TF.js banners: ignored
	if err := c.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s stopped: %w", spec.Script, ctx.Err())
		}
		return nil, fmt.Errorf("node %s failed (%v): %s", spec.Script, err, lastLines(stderr.String(), 12))
	}
	b, err := os.ReadFile(outPath)
	if err != nil {
		return nil, fmt.Errorf("node %s wrote no output: %w", spec.Script, err)
	}
	return DecodeFloat32s(b)
}

// EncodeFloat32s is the .f32 format: float32 little-endian, no header.
func EncodeFloat32s(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// DecodeFloat32s reads the .f32 format.
func DecodeFloat32s(b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("f32 file of %d bytes is not a whole number of float32s", len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

// lastLines keeps the end of a tool's output for an error message: the
// last n lines (where node and npm put the error) without JavaScript stack
// frames, which would push the message itself out, joined with " | ".
func lastLines(s string, n int) string {
	lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	var kept []string
	for i := len(lines) - 1; i >= 0 && len(kept) < n; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" && !strings.HasPrefix(l, "at ") {
			kept = append(kept, l)
		}
	}
	if len(kept) == 0 {
		return "(no output)"
	}
	slices.Reverse(kept)
	return strings.Join(kept, " | ")
}
