package main

import (
	"bytes"
	"fmt"
	"math"
	"sort"
)

// plotCrossings draws two panels as SVG: the distribution of crossing times,
// and the median time of each stage — where a person sees at a glance where
// the time goes.
func plotCrossings(r Report) []byte {
	const w, h, pad = 900, 360, 50
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", w, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")

	// Left: histogram of crossing seconds.
	pw := w/2 - pad*2
	ph := h - pad*2
	fmt.Fprintf(&b, `<text x="%d" y="25" font-size="14">Crossing time (s), %d crossings — median %.2f s</text>`+"\n", pad, len(r.CrossingSeconds), r.MedianCrossingS)
	if len(r.CrossingSeconds) > 0 {
		v := append([]float64(nil), r.CrossingSeconds...)
		sort.Float64s(v)
		lo, hi := v[0], v[len(v)-1]
		if hi <= lo {
			hi = lo + 1
		}
		const bins = 20
		counts := make([]int, bins)
		for _, x := range v {
			i := int(float64(bins) * (x - lo) / (hi - lo))
			counts[min(i, bins-1)]++
		}
		top := 0
		for _, c := range counts {
			top = max(top, c)
		}
		bw := float64(pw) / bins
		for i, c := range counts {
			bh := float64(ph) * float64(c) / float64(top)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#4a7ab5"/>`+"\n",
				float64(pad)+float64(i)*bw, float64(pad+ph)-bh, bw-1, bh)
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", pad, pad+ph, pad+pw, pad+ph)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%.2f</text><text x="%d" y="%d" text-anchor="end">%.2f</text>`+"\n", pad, pad+ph+16, lo, pad+pw, pad+ph+16, hi)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%d</text>`+"\n", pad-4, pad+10, top)
	}

	// Right: median per stage, horizontal bars.
	x0 := w/2 + pad + 40
	fmt.Fprintf(&b, `<text x="%d" y="25" font-size="14">Median per stage (ms)</text>`+"\n", w/2+pad)
	names := make([]string, 0, len(r.StageMedianMS))
	top := 0.0
	for n, v := range r.StageMedianMS {
		names = append(names, n)
		top = math.Max(top, v)
	}
	sort.Slice(names, func(i, j int) bool { return stageOrder(names[i]) < stageOrder(names[j]) })
	if top == 0 {
		top = 1
	}
	barW := float64(w - x0 - pad - 60)
	for i, n := range names {
		y := pad + i*((h-pad*2)/max(len(names), 1))
		v := r.StageMedianMS[n]
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", x0-6, y+14, n)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="18" fill="#d08a3a"/>`+"\n", x0, y, barW*v/top)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d">%.1f</text>`+"\n", float64(x0)+barW*v/top+4, y+14, v)
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// plotAcks draws each act's click→ack time as a bar, in the order they
// were sent (API acts blue, browser clicks orange), with the 1 s target and
// the p95 as lines.
func plotAcks(r ConsoleBenchResult) []byte {
	const w, h, pad = 900, 360, 60
	samples := append(append([]AckSample(nil), r.API...), r.Browser...)
	top := 1200.0
	for _, s := range samples {
		top = math.Max(top, s.MS*1.1)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12" role="img" aria-label="click to ack per act: p50 %.0f ms, p95 %.0f ms, max %.0f ms">`+"\n", w, h, r.P50MS, r.P95MS, r.MaxMS)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="25" font-size="14">Officer click → gate ack (ms), %d acts by API, %d by browser clicks — p50 %.0f, p95 %.0f, max %.0f (%d gates, speed %g)</text>`+"\n",
		pad, len(r.API), len(r.Browser), r.P50MS, r.P95MS, r.MaxMS, r.Gates, r.Speed)
	pw, ph := float64(w-2*pad), float64(h-2*pad)
	y := func(ms float64) float64 { return float64(pad) + ph - ph*ms/top }
	bw := pw / float64(max(len(samples), 1))
	for i, s := range samples {
		fill := "#4a7ab5"
		if s.Via == "browser" {
			fill = "#d08a3a"
		}
		if s.Result != "done" {
			fill = "#b03030"
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s %.0f ms %s</title></rect>`+"\n",
			float64(pad)+float64(i)*bw, y(s.MS), math.Max(bw-1, 1), ph*s.MS/top, fill, s.Via, s.Gate, s.MS, s.Result)
	}
	for _, l := range []struct {
		ms    float64
		label string
		color string
	}{{1000, "target 1000 ms", "#b03030"}, {r.P95MS, fmt.Sprintf("p95 %.0f ms", r.P95MS), "black"}} {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-dasharray="6 4"/>`+"\n", pad, y(l.ms), w-pad, y(l.ms), l.color)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="%s">%s</text>`+"\n", w-pad, y(l.ms)-4, l.color, l.label)
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", pad, pad+int(ph), w-pad, pad+int(ph))
	fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">0</text><text x="%d" y="%d" text-anchor="end">%.0f</text>`+"\n", pad-4, float64(pad)+ph, pad-4, pad+10, top)
	fmt.Fprintf(&b, `<text x="%d" y="%d">acts in the order sent</text>`+"\n", pad, h-pad+20)
	b.WriteString("</svg>\n")
	return b.Bytes()
}
