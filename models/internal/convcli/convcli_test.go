package convcli

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunWritesAtomicallyAndReportsFailures(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "sub", "m.onnx")
	ok := Command{Name: "conv", Usage: "usage: conv IN OUT\n",
		Convert: func(*slog.Logger, string) ([]byte, error) { return []byte("model"), nil }}
	var stderr bytes.Buffer
	if code := ok.Run([]string{"in", out}, &stderr); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != "model" {
		t.Fatalf("output %q, %v", b, err)
	}

	missing := Command{Name: "conv", Hint: "run make models",
		Convert: func(*slog.Logger, string) ([]byte, error) { return nil, fmt.Errorf("reading: %w", os.ErrNotExist) }}
	stderr.Reset()
	out2 := filepath.Join(dir, "m2.onnx")
	if code := missing.Run([]string{"in", out2}, &stderr); code != ExitConvert {
		t.Fatalf("exit %d, want %d", code, ExitConvert)
	}
	if !strings.Contains(stderr.String(), "run make models") {
		t.Fatalf("no hint in %q", stderr.String())
	}
	if _, err := os.Stat(out2); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a failed conversion left %s behind", out2)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Fatalf("temporary file %s left behind", e.Name())
		}
	}
}

func TestRunUsage(t *testing.T) {
	c := Command{Name: "conv", Usage: "usage: conv IN OUT\n", Check: func() error { return errors.New("bad flag") },
		Convert: func(*slog.Logger, string) ([]byte, error) {
			t.Fatal("converted despite a usage error")
			return nil, nil
		}}
	var stderr bytes.Buffer
	if code := c.Run([]string{"only-one"}, &stderr); code != ExitUsage {
		t.Fatalf("one argument: exit %d", code)
	}
	if code := c.Run([]string{"a", "b"}, &stderr); code != ExitUsage || !strings.Contains(stderr.String(), "bad flag") {
		t.Fatalf("failed check: exit %d, %q", code, stderr.String())
	}
	stderr.Reset()
	if code := c.Run([]string{"--help"}, &stderr); code != ExitOK || !strings.Contains(stderr.String(), "usage: conv") {
		t.Fatalf("--help: exit %d, %q", code, stderr.String())
	}
}
