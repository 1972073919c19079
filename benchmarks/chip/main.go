// Command chip measures the software time of the gate's chip stage against
// the virtual chip in-process (no simulated air time): a full inspection —
// PACE or BAC, secure messaging, Chip or Active Authentication, reading
// EF.SOD, DG1, DG2 (20 KB face), DG14, DG15, Passive Authentication and the
// DG1 comparison — and the load of the shared CSCA master lists. It prints
// p50/p95 per configuration, checks them against the targets (session p50
// ≤ 30 ms, trust store load ≤ 1 s), and writes benchmarks/results/chip.json
// and chip.svg.
//
// The times include the virtual chip's own computation, which a real chip
// does in its own silicon: they overstate the terminal's share.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"slices"
	"time"

	"autogate/drivers/emrtd/chipreader"
	"autogate/drivers/emrtd/inspect"
	"autogate/drivers/emrtd/issuer"
	"autogate/drivers/emrtd/trust"
	"autogate/drivers/emrtd/vdoc"
	"autogate/internal/mrz"
)

type figure struct {
	Name   string  `json:"name"`
	P50MS  float64 `json:"p50_ms"`
	P95MS  float64 `json:"p95_ms"`
	Runs   int     `json:"runs"`
	Target float64 `json:"target_ms,omitempty"`
}

func main() {
	runs := flag.Int("runs", 100, "sessions per configuration")
	results := flag.String("results", "benchmarks/results", "folder for chip.json and chip.svg")
	shared := flag.String("shared", "", "shared test data folder (default $AUTOGATE_TESTDATA or ../shared/testdata)")
	flag.Parse()
	if err := run(*runs, *results, *shared); err != nil {
		fmt.Fprintln(os.Stderr, "chip:", err)
		os.Exit(1)
	}
}

func run(runs int, results, shared string) error {
	var figs []figure
	lines := []string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"}
	printed := mrz.Parse(lines, time.Now())
	face := faceJPEG()
	for _, c := range []struct {
		name string
		key  issuer.KeyType
		o    vdoc.Options
	}{
		{"PACE P-256 + CA, DS P-256", issuer.P256, vdoc.Options{}},
		{"PACE brainpoolP256r1 + CA, DS brainpoolP256r1", issuer.BrainpoolP256r1, vdoc.Options{PACEParamID: 13}},
		{"BAC + AA RSA-1024, DS RSA-2048", issuer.RSA2048, vdoc.Options{NoPACE: true, NoCA: true, RSAAA: true}},
	} {
		pki, err := issuer.NewPKI(issuer.CSCAOptions{Key: c.key})
		if err != nil {
			return err
		}
		store := trust.NewStore()
		if _, err := store.AddCertificate(pki.CSCA.Cert, "bench", false); err != nil {
			return err
		}
		doc, err := vdoc.Issue(pki, lines, face, c.o)
		if err != nil {
			return err
		}
		var ms []float64
		for i := 0; i < runs; i++ {
			chip, err := doc.Chip()
			if err != nil {
				return err
			}
			reader := chipreader.NewSim(chipreader.AirTime{}, 0)
			reader.Present(chip)
			conn, err := reader.Connect(context.Background())
			if err != nil {
				return err
			}
			start := time.Now()
			r := inspect.Read(context.Background(), conn, inspect.Options{Printed: printed, Trust: store})
			ms = append(ms, float64(time.Since(start).Microseconds())/1000)
			if !r.OK {
				return fmt.Errorf("%s: %v", c.name, r.Reasons())
			}
		}
		figs = append(figs, figure{Name: c.name, P50MS: q(ms, 0.5), P95MS: q(ms, 0.95), Runs: runs, Target: 30})
	}
	if shared == "" {
		shared = os.Getenv("AUTOGATE_TESTDATA")
	}
	if shared == "" {
		shared = filepath.Join("..", "shared", "testdata")
	}
	dir := filepath.Join(shared, "emrtd", "gmrtd")
	if _, err := os.Stat(dir); err == nil {
		var ms []float64
		var n int
		for i := 0; i < 5; i++ {
			start := time.Now()
			s, _, err := trust.LoadDir(dir)
			if err != nil {
				return err
			}
			ms = append(ms, float64(time.Since(start).Microseconds())/1000)
			n = s.Len()
		}
		figs = append(figs, figure{Name: fmt.Sprintf("trust store load (%d certificates)", n), P50MS: q(ms, 0.5), P95MS: q(ms, 0.95), Runs: 5, Target: 1000})
	} else {
		fmt.Printf("shared master lists not found at %s: trust store load not measured\n", dir)
	}
	fail := false
	for _, f := range figs {
		verdict := "ok"
		if f.Target > 0 && f.P50MS > f.Target {
			verdict, fail = "OVER TARGET", true
		}
		fmt.Printf("%-50s p50 %8.2f ms  p95 %8.2f ms  (target p50 ≤ %.0f ms) %s\n", f.Name, f.P50MS, f.P95MS, f.Target, verdict)
	}
	if err := os.MkdirAll(results, 0o755); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(figs, "", "  ")
	if err := os.WriteFile(filepath.Join(results, "chip.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(results, "chip.svg"), plot(figs), 0o644); err != nil {
		return err
	}
	fmt.Printf("figures and plot: %s\n", results)
	if fail {
		return fmt.Errorf("a figure is over its target")
	}
	return nil
}

func q(v []float64, p float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[max(0, min(len(s)-1, int(p*float64(len(s))+0.5)-1))]
}

func faceJPEG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 480, 640))
	for y := 0; y < 640; y++ {
		for x := 0; x < 480; x++ {
			img.Set(x, y, color.RGBA{uint8(x ^ y), uint8(x * y >> 6), uint8(y), 255})
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 40})
	return b.Bytes()
}

// plot draws p50 and p95 bars per configuration against its target.
func plot(figs []figure) []byte {
	const w, rowH, left = 900, 46, 360
	h := 40 + rowH*len(figs)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12"><rect width="100%%" height="100%%" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="10" y="22" font-size="14">Chip stage software time: p50 (dark) and p95 (light) as a share of the target</text>`+"\n")
	for i, f := range figs {
		y := 36 + i*rowH
		scale := float64(w-left-80) / f.Target
		fmt.Fprintf(&b, `<text x="10" y="%d">%s</text>`+"\n", y+18, f.Name)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="12" fill="#9dbbe0"/>`+"\n", left, y+6, min(f.P95MS, f.Target*1.2)*scale)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="12" fill="#2f5f9e"/>`+"\n", left, y+6, min(f.P50MS, f.Target*1.2)*scale)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#c0392b" stroke-width="2"/>`+"\n", float64(left)+f.Target*scale, y, float64(left)+f.Target*scale, y+24)
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#555">%.1f / %.1f ms (target %.0f)</text>`+"\n", left, y+34, f.P50MS, f.P95MS, f.Target)
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}
