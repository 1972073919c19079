package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"autogate/drivers/device"
	"autogate/drivers/docreader"
	"autogate/gate-agent/internal/config"
	"autogate/internal/testenv"
)

var specimenTD3 = []string{
	"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
	"L898902C36UTO7408122F1204159ZE184226B<<<<<10",
}

// gateWith loads the example gate file with its docreader section replaced.
func gateWith(t *testing.T, docreaderSection string) *config.Gate {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "firmware-config", "gates", "example-entry-01.toml"))
	if err != nil {
		t.Fatal(err)
	}
	devices := filepath.Join(testenv.RepoRoot(t), "firmware-config", "devices")
	s := strings.ReplaceAll(string(src), "../devices/", devices+"/")
	s = strings.Replace(s, "[devices.docreader]\nprofile = \""+devices+"/sim-docreader.toml\"\n", docreaderSection, 1)
	if !strings.Contains(s, docreaderSection) {
		t.Fatal("the example gate file has no [devices.docreader] section to replace")
	}
	path := filepath.Join(t.TempDir(), "gate.toml")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	speed := 20.0
	g.Simulation.Speed = &speed
	return g
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func readDoc(t *testing.T, r docreader.Reader, want []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	doc, err := r.Read(ctx)
	if err != nil || !slices.Equal(doc.Lines, want) {
		t.Fatalf("Read = %q, %v; want %q", doc.Lines, err, want)
	}
}

func TestSerialSimReaderRunsTheRealDriver(t *testing.T) {
	devs := filepath.Join(testenv.RepoRoot(t), "firmware-config", "devices")
	g := gateWith(t, "[devices.docreader]\nprofile = \""+devs+"/sim-rte6701.toml\"\n")
	d, err := openDevices(g, quietLog(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, ok := d.Reader.(*docreader.Serial); !ok {
		t.Fatalf("reader is %T, want the real serial driver", d.Reader)
	}
	if _, ok := d.readerSim.(*docreader.PTYSim); !ok || d.Feed == nil {
		t.Fatalf("simulated reader %T, feed %v: want the PTY simulator feeding the lane", d.readerSim, d.Feed)
	}
	if h := d.Health()["docreader"]; h != string(device.StateOK) {
		t.Errorf("docreader health %q", h)
	}
	d.readerSim.Present(specimenTD3)
	readDoc(t, d.Reader, specimenTD3)
}

func TestSerialReaderOnAPort(t *testing.T) {
	// A simulated reader stands in for the hardware on the port; the gate
	// file names its path, as it would name /dev/serial/by-id/....
	sim, err := docreader.NewPTYSim(testenv.ShippedProfile(t, "sim-rte6701"), 20)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	devs := filepath.Join(testenv.RepoRoot(t), "firmware-config", "devices")
	g := gateWith(t, "[devices.docreader]\nprofile = \""+devs+"/rte6701.toml\"\nport = \""+sim.Path()+"\"\n")
	d, err := openDevices(g, quietLog(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Feed != nil || d.readerSim != nil {
		t.Error("a real reader got a simulation feed")
	}
	sim.Present(specimenTD3)
	readDoc(t, d.Reader, specimenTD3)
}

func TestSerialReaderNeedsAPort(t *testing.T) {
	devs := filepath.Join(testenv.RepoRoot(t), "firmware-config", "devices")
	g := gateWith(t, "[devices.docreader]\nprofile = \""+devs+"/rte6701.toml\"\n")
	if _, err := openDevices(g, quietLog(), nil); err == nil || !strings.Contains(err.Error(), "devices.docreader.port: missing") {
		t.Errorf("serial reader without a port: %v", err)
	}
}
