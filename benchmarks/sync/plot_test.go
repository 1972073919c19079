package main

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// TestPlotDrain: the plot is well-formed SVG with one point per sample,
// the latest sample at the right edge and the empty outbox on the axis.
func TestPlotDrain(t *testing.T) {
	d := drain{Backlog: 100, BatchMax: 50, MaxInflight: 200, Seconds: 2, CrossingsS: 50,
		Depth: [][2]float64{{0, 100}, {0.5, 80}, {1, 40}, {2, 0}}}
	svg := plotDrain(d, machine{CPUs: 2})
	dec := xml.NewDecoder(strings.NewReader(string(svg)))
	var points string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed SVG: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			for _, a := range se.Attr {
				if a.Name.Local == "points" {
					points = a.Value
				}
			}
		}
	}
	pts := strings.Fields(points)
	if len(pts) != len(d.Depth) {
		t.Fatalf("%d points for %d samples: %q", len(pts), len(d.Depth), points)
	}
	if pts[0] != "70.0,60.0" || pts[3] != "870.0,330.0" {
		t.Fatalf("first %s (want the full outbox at the top left), last %s (want empty at the right end)", pts[0], pts[3])
	}
	if !strings.Contains(string(svg), "100 crossings in 2.00 s") {
		t.Fatal("title lacks the figures")
	}
}
