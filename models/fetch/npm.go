package fetch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Fetcher puts the tarball of pkg@version into dir and returns its path.
// NPM is the real one; tests inject their own to prove what runs when.
type Fetcher interface {
	Pack(ctx context.Context, pkg, version, dir string) (string, error)
}

// ErrNPMNotFound is returned when no npm executable is on PATH.
var ErrNPMNotFound = errors.New("npm not found: apt-get install npm")

// NPM fetches tarballs with `npm pack`, so the user's npm configuration
// (registry mirror, proxy, CA, auth) applies unchanged.
type NPM struct {
	// Command is the npm executable; "" means "npm" looked up on PATH.
	Command string
	// Env is added to the environment of npm (e.g. npm_config_registry=...).
	Env []string
}

// packResult is the part of `npm pack --json` output we use.
type packResult struct {
	Filename string `json:"filename"`
}

// Pack runs `npm pack --json --pack-destination dir pkg@version`.
func (n NPM) Pack(ctx context.Context, pkg, version, dir string) (string, error) {
	spec := pkg + "@" + version
	cmd := n.Command
	if cmd == "" {
		cmd = "npm"
	}
	bin, err := exec.LookPath(cmd)
	if err != nil {
		return "", fmt.Errorf("fetch %s: %w", spec, ErrNPMNotFound)
	}
	c := exec.CommandContext(ctx, bin, "pack", "--json", "--ignore-scripts",
		"--loglevel=error", "--pack-destination", dir, spec)
	c.Env = append(os.Environ(), n.Env...)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("fetch %s: npm pack stopped: %w", spec, ctx.Err())
		}
		return "", fmt.Errorf("fetch %s: npm pack failed (%v): %s; check that the npm registry is reachable (`npm config get registry`, proxy settings) and that %s exists (`npm view %s dist.tarball`)",
			spec, err, tail(stderr.String(), 600), spec, spec)
	}
	var res []packResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil || len(res) != 1 || res[0].Filename == "" {
		return "", fmt.Errorf("fetch %s: cannot read which file npm pack wrote from its --json output %q: update npm (npm 7 or later prints it)", spec, tail(stdout.String(), 300))
	}
	// npm writes a plain file name; refuse anything that would point elsewhere.
	name := res[0].Filename
	if filepath.Base(name) != name || name == "." || name == ".." {
		return "", fmt.Errorf("fetch %s: npm pack reported an unexpected file name %q", spec, name)
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("fetch %s: npm pack reported %s but it is not there: %w", spec, name, err)
	}
	return p, nil
}

// tail keeps the last n bytes of s, trimmed, for error messages.
func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	if s == "" {
		return "(no output)"
	}
	return s
}
