package web

import (
	"encoding/xml"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
)

// svgNode is a generic XML element, enough to walk a chart.
type svgNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []svgNode  `xml:",any"`
	Text    string     `xml:",chardata"`
}

func (n svgNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n svgNode) walk(f func(svgNode)) {
	f(n)
	for _, c := range n.Nodes {
		c.walk(f)
	}
}

// parseSVG checks the chart is well-formed XML (a strict decoder reads it
// to the end) and returns its tree.
func parseSVG(t *testing.T, h template.HTML) svgNode {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(string(h)))
	dec.Strict = true
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("chart is not well-formed XML: %v\n%s", err, h)
		}
	}
	var root svgNode
	if err := xml.Unmarshal([]byte(h), &root); err != nil {
		t.Fatalf("chart does not decode: %v\n%s", err, h)
	}
	if root.XMLName.Local != "svg" || root.XMLName.Space != "http://www.w3.org/2000/svg" {
		t.Fatalf("root is %v, want svg in the SVG namespace", root.XMLName)
	}
	// Round trip: what encoding/xml writes back decodes to the same tree.
	again, err := xml.Marshal(root)
	if err != nil {
		t.Fatal(err)
	}
	var back svgNode
	if err := xml.Unmarshal(again, &back); err != nil {
		t.Fatalf("re-encoded chart does not decode: %v", err)
	}
	if countNodes(back) != countNodes(root) {
		t.Fatalf("round trip lost elements: %d, then %d", countNodes(root), countNodes(back))
	}
	return root
}

func countNodes(n svgNode) int {
	c := 0
	n.walk(func(svgNode) { c++ })
	return c
}

func float(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return f
}

func TestThroughputSVG(t *testing.T) {
	hours := make([]hourBar, 24)
	for i := range hours {
		hours[i] = hourBar{Label: strconv.Itoa(i) + ":00", IsAxisLabel: i%3 == 0}
	}
	set := func(i, pass, refer int) {
		hours[i].Pass, hours[i].Refer, hours[i].Crossings = pass, refer, pass+refer
	}
	set(2, 10, 2)
	set(14, 90, 8) // the peak: 98
	set(15, 1, 0)
	set(20, 0, 5)
	set(23, 1100, 34) // 1 134 crossings at 23:00: now the peak
	root := parseSVG(t, throughputSVG("post P<&>", hours))

	if got, want := root.attr("role"), "img"; got != want {
		t.Errorf("role = %q", got)
	}
	total := 12 + 98 + 1 + 5 + 1134
	wantLabel := "post P<&>: 1 250 crossings in 24 h, peak 1 134 at 23:00"
	if total != 1250 || root.attr("aria-label") != wantLabel {
		t.Errorf("aria-label = %q, want %q", root.attr("aria-label"), wantLabel)
	}
	var title string
	var xlabels []string
	var ymax string
	heights := map[string]map[string]float64{} // hour -> class -> height
	counts := map[string]map[string]int{}
	root.walk(func(n svgNode) {
		switch n.XMLName.Local {
		case "title":
			if title == "" {
				title = n.Text
			}
		case "text":
			switch n.attr("class") {
			case "xlabel":
				xlabels = append(xlabels, n.Text)
			case "ymax":
				ymax = n.Text
			}
		case "g":
			if n.attr("class") != "hour" {
				return
			}
			h := n.attr("data-hour")
			heights[h], counts[h] = map[string]float64{}, map[string]int{}
			for _, r := range n.Nodes {
				if r.XMLName.Local == "rect" {
					heights[h][r.attr("class")] = float(t, r.attr("height"))
					c, _ := strconv.Atoi(r.attr("data-count"))
					counts[h][r.attr("class")] = c
				}
			}
		}
	})
	if title != wantLabel {
		t.Errorf("<title> = %q, want %q", title, wantLabel)
	}
	if ymax != "1 134" {
		t.Errorf("y axis max label = %q, want the peak", ymax)
	}
	if strings.Join(xlabels, ",") != "0:00,3:00,6:00,9:00,12:00,15:00,18:00,21:00" {
		t.Errorf("hour labels = %v", xlabels)
	}
	if len(heights) != 24 {
		t.Fatalf("%d hour groups, want 24", len(heights))
	}
	// Every bar's height is proportional to its count: height/count is
	// the same for all non-empty rects, and the peak fills the plot.
	unit := heights["23:00"]["pass"] / 1100
	for h, byClass := range heights {
		for class, height := range byClass {
			want := float64(counts[h][class]) * unit
			if math.Abs(height-want) > 0.02 {
				t.Errorf("%s %s: height %v for %d, want %v", h, class, height, counts[h][class], want)
			}
		}
	}
	if peak := heights["23:00"]["pass"] + heights["23:00"]["refer"]; math.Abs(peak-tpPlotH) > 0.02 {
		t.Errorf("peak bar is %v high, want the full plot %d", peak, tpPlotH)
	}
	if counts["14:00"]["pass"] != 90 || counts["14:00"]["refer"] != 8 || heights["5:00"]["pass"] != 0 {
		t.Errorf("14:00 = %v, 5:00 = %v", counts["14:00"], heights["5:00"])
	}
}

func TestThroughputSVGEmpty(t *testing.T) {
	hours := make([]hourBar, 24)
	h := throughputSVG("post P", hours)
	root := parseSVG(t, h)
	if !strings.Contains(root.attr("aria-label"), NoCrossingsText) {
		t.Errorf("aria-label %q", root.attr("aria-label"))
	}
	rects, texts := 0, ""
	root.walk(func(n svgNode) {
		if n.XMLName.Local == "rect" {
			rects++
		}
		if n.XMLName.Local == "text" {
			texts += n.Text
		}
	})
	if rects != 0 || texts != NoCrossingsText {
		t.Errorf("empty chart: %d bars, text %q", rects, texts)
	}
	if strings.Contains(string(h), "NaN") || strings.Contains(string(h), "Inf") {
		t.Errorf("empty chart has broken numbers: %s", h)
	}
}

func TestStackedBarSVG(t *testing.T) {
	segs := []segment{{"document", 3, 1}, {"checks", 1.5, 2}, {"door<x>", 4.5, 4}, {"zero", 0, 5}}
	root := parseSVG(t, stackedBarSVG("gate g1", segs, 18))
	want := "gate g1: document 3.0 s, checks 1.5 s, door<x> 4.5 s, zero 0.00 s"
	if root.attr("aria-label") != want {
		t.Errorf("aria-label = %q, want %q", root.attr("aria-label"), want)
	}
	widths := map[string]float64{}
	xs := map[string]float64{}
	root.walk(func(n svgNode) {
		if n.XMLName.Local == "g" {
			for _, r := range n.Nodes {
				if r.XMLName.Local == "rect" {
					widths[n.attr("data-name")] = float(t, r.attr("width"))
					xs[n.attr("data-name")] = float(t, r.attr("x"))
				}
			}
		}
	})
	// 18 s is the full width: document 3 s is a sixth of it.
	for name, sec := range map[string]float64{"document": 3, "checks": 1.5, "door<x>": 4.5} {
		if w := sec / 18 * sbWidth; math.Abs(widths[name]-w) > 0.02 {
			t.Errorf("%s width %v, want %v", name, widths[name], w)
		}
	}
	if _, ok := widths["zero"]; ok {
		t.Error("a zero segment is drawn")
	}
	if math.Abs(xs["checks"]-widths["document"]) > 0.02 || math.Abs(xs["door<x>"]-xs["checks"]-widths["checks"]) > 0.02 {
		t.Errorf("segments do not follow each other: x %v, widths %v", xs, widths)
	}
	// Nothing to draw: still a valid, labelled image.
	empty := parseSVG(t, stackedBarSVG("gate g2", nil, 0))
	if empty.attr("aria-label") != "gate g2: no timings" {
		t.Errorf("empty bar label %q", empty.attr("aria-label"))
	}
}

func TestGroupThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1 000", 1234: "1 234", 1234567: "1 234 567", -4321: "-4 321"} {
		if got := groupThousands(n); got != want {
			t.Errorf("groupThousands(%d) = %q, want %q", n, got, want)
		}
	}
}
