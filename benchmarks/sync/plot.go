package main

import (
	"bytes"
	"fmt"
	"math"
)

// plotDrain draws the outbox depth over the drain as a line: a straight
// fall means the gate delivers at a steady rate; steps or a tail show
// stalls (ack timeouts, commits waiting on the disk).
func plotDrain(d drain, m machine) []byte {
	const w, h, left, right, top, bottom = 900, 380, 70, 30, 60, 50
	pw, ph := float64(w-left-right), float64(h-top-bottom)
	tMax, depthMax := 0.0, 1.0
	for _, p := range d.Depth {
		tMax, depthMax = math.Max(tMax, p[0]), math.Max(depthMax, p[1])
	}
	if tMax == 0 {
		tMax = 1
	}
	x := func(t float64) float64 { return left + t/tMax*pw }
	y := func(v float64) float64 { return top + ph - v/depthMax*ph }

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12"><rect width="100%%" height="100%%" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="10" y="20" font-size="14">Gate outbox draining to central: %d crossings in %.2f s (%.0f crossings/s), batches of up to %d crossings and 248 KiB, %d crossings in flight</text>`+"\n",
		d.Backlog, d.Seconds, d.CrossingsS, d.BatchMax, d.MaxInflight)
	fmt.Fprintf(&b, `<text x="10" y="38" fill="#555">%d CPUs, load average %.1f before, %.1f after; central and the gate on one machine</text>`+"\n",
		m.CPUs, m.LoadAverage[0], m.LoadAverage[1])
	for i := 0; i <= 4; i++ {
		v := depthMax * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/><text x="%d" y="%.1f" text-anchor="end">%.0f</text>`+"\n",
			left, y(v), w-right, y(v), left-6, y(v)+4, v)
		t := tMax * float64(i) / 4
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%.1f s</text>`+"\n", x(t), h-bottom+16, t)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">time since the uplink started</text>`+"\n", left+int(pw)/2, h-bottom+34)
	fmt.Fprintf(&b, `<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">outbox depth</text>`+"\n", top+int(ph)/2, top+int(ph)/2)
	var pts bytes.Buffer
	for _, p := range d.Depth {
		fmt.Fprintf(&pts, "%.1f,%.1f ", x(p[0]), y(p[1]))
	}
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#2f5f9e" stroke-width="2"/>`+"\n", bytes.TrimSpace(pts.Bytes()))
	fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="black"/>`+"\n", left, y(0), w-right, y(0))
	b.WriteString("</svg>\n")
	return b.Bytes()
}
