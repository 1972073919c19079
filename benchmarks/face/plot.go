package main

import (
	"bytes"
	"fmt"
	"html"
)

// cpuStage is the plot's row of Enrol's process CPU time.
const cpuStage = "enrol (CPU time)"

// plot draws, per stage, a p50 bar (with a p95 tick) for each thread
// setting, and the process CPU time of Enrol; the Enrol targets as
// vertical lines; and every target's verdict below.
func plot(rep report) []byte {
	const w, left, right, barH, gap = 900, 150, 150, 14, 4
	stages := []string{"detect", "embed", "enrol", cpuStage}
	colours := []string{"#2f5f9e", "#d08a3a", "#5a9e4b", "#8e5ea2"}
	top := float64(targetEnrol1MS)
	for _, c := range rep.Configs {
		for _, s := range append(c.Stages, c.EnrolCPU) {
			top = max(top, s.P95MS)
		}
	}
	top *= 1.1
	scale := float64(w-left-right) / top
	groupH := len(rep.Configs)*(barH+gap) + 16
	plotTop := 60
	h := plotTop + groupH*len(stages) + 50 + 18*len(rep.Targets)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12"><rect width="100%%" height="100%%" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="10" y="22" font-size="14">Face pipeline per face (%d photos × %d rounds): p50 bars, p95 ticks, targets in red</text>`+"\n", rep.Photos, rep.Rounds)
	for i, c := range rep.Configs {
		x := left + i*130
		fmt.Fprintf(&b, `<rect x="%d" y="34" width="12" height="12" fill="%s"/><text x="%d" y="45">%s</text>`+"\n", x, colours[i%len(colours)], x+16, threadsName(c.Threads))
	}
	fmt.Fprintf(&b, `<text x="%d" y="45" fill="#555">%d CPUs, load average %.1f before, %.1f after</text>`+"\n", w-right-200, rep.CPUs, rep.LoadAverage[0], rep.LoadAverage[1])
	for si, name := range stages {
		y := plotTop + si*groupH
		fmt.Fprintf(&b, `<text x="10" y="%d">%s</text>`+"\n", y+barH+4, name)
		for ci, c := range rep.Configs {
			f := c.stage(name)
			if name == cpuStage {
				f = c.EnrolCPU
			}
			by := y + ci*(barH+gap)
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", left, by, f.P50MS*scale, barH, colours[ci%len(colours)])
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="black" stroke-width="2"/>`+"\n", float64(left)+f.P95MS*scale, by, float64(left)+f.P95MS*scale, by+barH)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#333">p50 %.1f, p95 %.1f ms</text>`+"\n", float64(left)+max(f.P50MS, f.P95MS)*scale+6, by+barH-3, f.P50MS, f.P95MS)
		}
	}
	bottom := plotTop + groupH*len(stages)
	for i, t := range []struct {
		ms    float64
		label string
	}{{targetEnrol2MS, "enrol target, 2 threads"}, {targetEnrol1MS, "enrol target, 1 thread"}} {
		x := float64(left) + t.ms*scale
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#c0392b" stroke-width="2" stroke-dasharray="5,3"/>`+"\n", x, plotTop-6, x, bottom+4+14*i)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#c0392b">%s (%.0f ms)</text>`+"\n", x+4, bottom+14+14*i, t.label, t.ms)
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", left, bottom, w-right, bottom)
	y := bottom + 50
	for _, t := range rep.Targets {
		verdict, colour := "PASS", "#2e7d32"
		if !t.Pass {
			verdict, colour = "MISS", "#c0392b"
		}
		fmt.Fprintf(&b, `<text x="10" y="%d"><tspan fill="%s" font-weight="bold">%s</tspan> %s: %s %.1f %s (target ≤ %.0f %s)</text>`+"\n",
			y, colour, verdict, html.EscapeString(t.Name), t.Figure, t.Value, t.Unit, t.Limit, t.Unit)
		y += 18
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}
