package web

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Charts are drawn on the server as inline SVG: no script, no outside
// library, nothing the strict CSP would refuse (presentation attributes
// such as fill and width are not CSS). Every chart is a role="img" with an
// aria-label that says in words what the picture shows, and each bar or
// segment carries a <title> with its figure, so colour is never the only
// signal.

// Chart colours, chosen to stay apart for the common colour-vision
// deficiencies; the legend and titles say the same in words.
const (
	colourPass  = "#2563eb"
	colourRefer = "#d97706"
	colourAxis  = "#6b7280"
	colourGrid  = "#e5e7eb"
)

// segmentColours colour the segments of a stacked bar (segment.Colour
// picks one), so that a stage has the same colour on every bar.
var segmentColours = []string{"#2563eb", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d", "#9ca3af"}

// hourBar is one hour of a throughput chart.
type hourBar struct {
	Label       string // "14:00"
	Pass, Refer int
	Crossings   int  // Pass + Refer + anything else (e.g. aborted)
	IsAxisLabel bool // every third hour is written under the bars
}

// NoCrossingsText is what an empty throughput chart says.
const NoCrossingsText = "no crossings in the last 24 h"

// Throughput chart geometry (viewBox units; the chart scales to its box).
const (
	tpWidth   = 720
	tpHeight  = 180
	tpLeft    = 44 // y-axis labels
	tpRight   = 8
	tpTop     = 14
	tpBottom  = 22 // hour labels
	tpPlotW   = tpWidth - tpLeft - tpRight
	tpPlotH   = tpHeight - tpTop - tpBottom
	tpBarGapF = 0.2 // share of a slot left empty between bars
)

// throughputSVG draws crossings per hour as stacked bars (pass below,
// refer above), with the hours along the bottom and the peak on the left.
// subject names what the chart is of ("post P").
func throughputSVG(subject string, hours []hourBar) template.HTML {
	total, peak, peakAt := 0, 0, ""
	for _, h := range hours {
		total += h.Crossings
		if h.Crossings > peak {
			peak, peakAt = h.Crossings, h.Label
		}
	}
	var b strings.Builder
	if total == 0 {
		label := subject + ": " + NoCrossingsText
		svgOpen(&b, tpWidth, 48, label, "chart throughput empty")
		fmt.Fprintf(&b, `<text x="%d" y="28" fill="%s" font-size="14">%s</text>`, tpWidth/2, colourAxis, esc(NoCrossingsText))
		b.WriteString(`</svg>`)
		return template.HTML(b.String())
	}
	label := fmt.Sprintf("%s: %s crossings in 24 h, peak %s at %s", subject, groupThousands(total), groupThousands(peak), peakAt)
	svgOpen(&b, tpWidth, tpHeight, label, "chart throughput")
	base := tpTop + tpPlotH
	// Axes: the baseline, a grid line at the peak, and the peak's value.
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s"/>`, tpLeft, tpTop, tpLeft+tpPlotW, tpTop, colourGrid)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s"/>`, tpLeft, base, tpLeft+tpPlotW, base, colourAxis)
	fmt.Fprintf(&b, `<text class="ymax" x="%d" y="%d" text-anchor="end" font-size="11" fill="%s">%s</text>`, tpLeft-4, tpTop+4, colourAxis, groupThousands(peak))
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="11" fill="%s">0</text>`, tpLeft-4, base+4, colourAxis)
	slot := float64(tpPlotW) / float64(len(hours))
	barW := slot * (1 - tpBarGapF)
	for i, h := range hours {
		x := float64(tpLeft) + float64(i)*slot + slot*tpBarGapF/2
		passH := scale(h.Pass, peak, tpPlotH)
		referH := scale(h.Refer, peak, tpPlotH)
		fmt.Fprintf(&b, `<g class="hour" data-hour="%s"><title>%s: %s crossings (%d pass, %d refer)</title>`,
			esc(h.Label), esc(h.Label), groupThousands(h.Crossings), h.Pass, h.Refer)
		fmt.Fprintf(&b, `<rect class="pass" data-count="%d" x="%s" y="%s" width="%s" height="%s" fill="%s"/>`,
			h.Pass, num(x), num(float64(base)-passH), num(barW), num(passH), colourPass)
		fmt.Fprintf(&b, `<rect class="refer" data-count="%d" x="%s" y="%s" width="%s" height="%s" fill="%s"/>`,
			h.Refer, num(x), num(float64(base)-passH-referH), num(barW), num(referH), colourRefer)
		b.WriteString(`</g>`)
		if h.IsAxisLabel {
			fmt.Fprintf(&b, `<text class="xlabel" x="%s" y="%d" text-anchor="middle" font-size="11" fill="%s">%s</text>`,
				num(x+barW/2), base+16, colourAxis, esc(h.Label))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// segment is one part of a horizontal stacked bar.
type segment struct {
	Name    string
	Seconds float64
	Colour  int // index into segmentColours
}

// Stacked bar geometry.
const (
	sbWidth  = 320
	sbHeight = 22
)

// stackedBarSVG draws segments side by side, each as wide as its share of
// full (the widest bar of the table, so that bars compare); segments wide
// enough carry their name. subject names the bar for the aria-label.
func stackedBarSVG(subject string, segs []segment, full float64) template.HTML {
	total := 0.0
	var words []string
	for _, s := range segs {
		total += s.Seconds
		words = append(words, fmt.Sprintf("%s %s s", s.Name, seconds(s.Seconds)))
	}
	if full < total {
		full = total
	}
	var b strings.Builder
	label := subject + ": " + strings.Join(words, ", ")
	if len(segs) == 0 || total <= 0 {
		label = subject + ": no timings"
	}
	svgOpen(&b, sbWidth, sbHeight, label, "chart stages")
	x := 0.0
	for _, s := range segs {
		if s.Seconds <= 0 {
			continue
		}
		w := s.Seconds / full * sbWidth
		colour := segmentColours[s.Colour%len(segmentColours)]
		fmt.Fprintf(&b, `<g class="segment" data-name="%s"><title>%s: %s s</title>`, esc(s.Name), esc(s.Name), seconds(s.Seconds))
		fmt.Fprintf(&b, `<rect data-seconds="%s" x="%s" y="0" width="%s" height="%d" fill="%s"/>`,
			num(s.Seconds), num(x), num(w), sbHeight, colour)
		// A name fits at about 6.5 units a character at this size.
		if w >= float64(len(s.Name))*6.5+6 {
			fmt.Fprintf(&b, `<text x="%s" y="15" font-size="11" fill="#ffffff">%s</text>`, num(x+3), esc(s.Name))
		}
		b.WriteString(`</g>`)
		x += w
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// svgOpen starts an accessible inline SVG whose <title> and aria-label
// both say label.
func svgOpen(b *strings.Builder, w, h int, label, class string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="%s" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" preserveAspectRatio="xMinYMin meet"><title>%s</title>`,
		class, w, h, w, h, esc(label), esc(label))
}

// scale maps n of max onto span units.
func scale(n, max, span int) float64 {
	if max <= 0 || n <= 0 {
		return 0
	}
	return float64(n) / float64(max) * float64(span)
}

// num writes a coordinate with at most two decimals.
func num(f float64) string {
	return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
}

// seconds shows a duration in seconds with one decimal (two below 1 s).
func seconds(s float64) string {
	if s < 1 {
		return strconv.FormatFloat(s, 'f', 2, 64)
	}
	return strconv.FormatFloat(s, 'f', 1, 64)
}

// esc escapes text for XML and HTML alike.
func esc(s string) string { return template.HTMLEscapeString(s) }

// groupThousands writes 1234567 as "1 234 567", readable at a glance in
// any language.
func groupThousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ' ')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
