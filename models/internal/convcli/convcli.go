package convcli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
)

// Exit codes of every converter command.
const (
	ExitOK      = 0
	ExitConvert = 1
	ExitUsage   = 2
)

// Command is one converter: NAME [flags] IN OUT.onnx.
type Command struct {
	Name string
	// Usage is printed by --help and on usage errors, after which the
	// flags are listed.
	Usage string
	// Flags declares the command's own flags (optional).
	Flags func(fs *flag.FlagSet)
	// Check validates the flags once parsed (optional).
	Check func() error
	// Convert reads IN and returns the ONNX bytes.
	Convert func(log *slog.Logger, in string) ([]byte, error)
	// Hint is logged after a failure whose cause is a missing file, e.g.
	// "run `make models` to fetch …".
	Hint string
}

// Run parses args, converts and writes OUT; it returns the exit code.
func (c Command) Run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet(c.Name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if c.Flags != nil {
		c.Flags(fs)
	}
	fs.Usage = func() {
		fmt.Fprint(stderr, c.Usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() != 2 {
		fmt.Fprintf(stderr, "%s: want IN and OUT.onnx, got %d arguments\n", c.Name, fs.NArg())
		fs.Usage()
		return ExitUsage
	}
	if c.Check != nil {
		if err := c.Check(); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", c.Name, err)
			fs.Usage()
			return ExitUsage
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	in, out := fs.Arg(0), fs.Arg(1)
	data, err := c.Convert(log, in)
	if err == nil {
		err = WriteAtomic(out, data)
	}
	if err != nil {
		log.Error("conversion failed", "in", in, "out", out, "err", err)
		if c.Hint != "" && errors.Is(err, os.ErrNotExist) {
			log.Error(c.Hint)
		}
		return ExitConvert
	}
	log.Info("converted", "in", in, "out", out, "bytes", len(data))
	return ExitOK
}

// WriteAtomic writes data to path through a temporary file and a rename,
// creating path's folder, so a failed run never leaves a truncated model
// behind for the gate to load.
func WriteAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating the output folder: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("writing the ONNX model: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing the ONNX model: %w", err)
	}
	return nil
}
