package main

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"strconv"
)

// binsPerDecade is the histogram's resolution on its log-scaled axis.
const binsPerDecade = 10

var kindColours = map[string]string{
	kindDocument: "#2f5f9e", kindPersonListed: "#5a9e4b", kindPersonNotListed: "#d08a3a", kindStage: "#8e5ea2",
}

var kindLabels = map[string]string{
	kindDocument: "document lookup", kindPersonListed: "person search, listed",
	kindPersonNotListed: "person search, not listed", kindStage: "whole checks stage",
}

// plot draws the latency histogram of every kind of call: a log-scaled
// time axis, the share of calls per bin as a step line per kind, the
// targets as dashed lines, and every target's verdict below.
func plot(rep *report) []byte {
	const w, left, right, top, plotH = 1000, 70, 130, 70, 320
	lo, hi := math.Inf(1), float64(targetStageP99MS)
	for _, kind := range kinds {
		for _, d := range rep.samples[kind] {
			lo, hi = min(lo, max(ms(d), 1e-3)), max(hi, ms(d))
		}
	}
	if math.IsInf(lo, 1) {
		lo = 0.01
	}
	loDec, hiDec := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	nbins := int(hiDec-loDec) * binsPerDecade
	x := func(v float64) float64 {
		return left + (math.Log10(v)-loDec)/(hiDec-loDec)*float64(w-left-right)
	}
	hists := map[string][]float64{}
	peak := 0.0
	for _, kind := range kinds {
		h := make([]float64, nbins)
		ds := rep.samples[kind]
		for _, d := range ds {
			b := int((math.Log10(max(ms(d), 1e-3)) - loDec) * binsPerDecade)
			h[min(max(b, 0), nbins-1)] += 100 / float64(len(ds))
		}
		hists[kind] = h
		for _, v := range h {
			peak = max(peak, v)
		}
	}
	peak = math.Max(10, math.Ceil(peak/10)*10)
	y := func(pct float64) float64 { return top + plotH - pct/peak*plotH }
	bottom := float64(top + plotH)
	h := top + plotH + 70 + 18*len(rep.Targets)

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12"><rect width="100%%" height="100%%" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="10" y="20" font-size="14">List checks latency: %d persons, %d documents in SQLite; share of calls per bin (%d bins a decade), targets dashed</text>`+"\n",
		rep.Config.Persons, rep.Config.Documents, binsPerDecade)
	lx := left
	for _, kind := range kinds {
		label := fmt.Sprintf("%s (n %d)", kindLabels[kind], rep.Latency[kind].N)
		fmt.Fprintf(&b, `<rect x="%d" y="34" width="12" height="12" fill="%s"/><text x="%d" y="45">%s</text>`+"\n",
			lx, kindColours[kind], lx+16, label)
		lx += 16 + 7*len(label) + 14 // about 7 px a character at 12 px
	}
	fmt.Fprintf(&b, `<text x="%d" y="62" fill="#555">%d CPUs, load average %.1f before, %.1f after</text>`+"\n", left, rep.Machine.CPUs, rep.Machine.LoadAverage[0], rep.Machine.LoadAverage[1])
	for dec := loDec; dec <= hiDec; dec++ {
		v := math.Pow(10, dec)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="middle">%s ms</text>`+"\n",
			x(v), top, x(v), bottom, x(v), bottom+16, strconv.FormatFloat(v, 'f', -1, 64))
	}
	for pct := 0.0; pct <= peak; pct += peak / 5 {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/><text x="%d" y="%.1f" text-anchor="end">%.0f %%</text>`+"\n",
			left, y(pct), w-right, y(pct), left-6, y(pct)+4, pct)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="middle">time per call (log scale)</text>`+"\n", (w+left-right)/2, bottom+34)
	for _, kind := range kinds {
		pts := fmt.Sprintf("%.1f,%.1f", float64(left), bottom)
		for i, v := range hists[kind] {
			x0, x1 := x(math.Pow(10, loDec+float64(i)/binsPerDecade)), x(math.Pow(10, loDec+float64(i+1)/binsPerDecade))
			pts += fmt.Sprintf(" %.1f,%.1f %.1f,%.1f", x0, y(v), x1, y(v))
		}
		fmt.Fprintf(&b, `<polyline points="%s %.1f,%.1f" fill="none" stroke="%s" stroke-width="2"/>`+"\n", pts, float64(w-right), bottom, kindColours[kind])
	}
	for i, t := range []struct {
		ms    float64
		label string
		left  bool // the label goes left of its line, clear of the next one
	}{{targetDocumentP99MS, "document p99 target", false}, {targetPersonP99MS, "person p99 target", true}, {targetStageP99MS, "stage p99 target", false}} {
		lx, anchor := x(t.ms)+4, "start"
		if t.left {
			lx, anchor = x(t.ms)-4, "end"
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%.1f" stroke="#c0392b" stroke-width="1.5" stroke-dasharray="5,3"/><text x="%.1f" y="%d" text-anchor="%s" fill="#c0392b">%s (%.0f ms)</text>`+"\n",
			x(t.ms), top, x(t.ms), bottom, lx, top+12+14*i, anchor, t.label, t.ms)
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="black"/>`+"\n", left, bottom, w-right, bottom)
	ty := int(bottom) + 60
	for _, t := range rep.Targets {
		verdict, colour := "PASS", "#2e7d32"
		if !t.Pass {
			verdict, colour = "MISS", "#c0392b"
		}
		rel := "≤"
		if t.AtLeast {
			rel = "≥"
		}
		fmt.Fprintf(&b, `<text x="10" y="%d"><tspan fill="%s" font-weight="bold">%s</tspan> %s: %s %s (target %s %s %s)</text>`+"\n",
			ty, colour, verdict, html.EscapeString(t.Name), strconv.FormatFloat(t.Value, 'f', precision(t.Unit), 64), t.Unit, rel, strconv.FormatFloat(t.Limit, 'f', -1, 64), t.Unit)
		ty += 18
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}
