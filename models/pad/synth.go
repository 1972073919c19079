package pad

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"time"

	"gocv.io/x/gocv"
)

// Synthetic bursts. These are PROXIES made from one still photo, not real
// video: a bona-fide burst is the photo remapped with a small head motion
// whose depth parallax is modelled as a smooth bump around the nose, and
// one blink modelled by squeezing each eye's region vertically; attacks
// are the photo itself with sensor noise (a replayed still) or moved as a
// flat whole (a print held up by hand). They test the code and the cues'
// logic end to end, through a real landmark detector; they do not measure
// how real faces, real prints or real screens behave.

// Kind is a kind of synthetic burst.
type Kind string

const (
	// BonaFide: small smooth head motion with a non-rigid (parallax)
	// component, one blink, camera noise.
	BonaFide Kind = "bona_fide"
	// ReplayedStill: the same picture every frame plus sensor noise (a
	// photo or a paused screen held still).
	ReplayedStill Kind = "replayed_still"
	// PrintMoved: the whole picture moved rigidly with some perspective
	// tilt (a printed photo moved by hand), plus sensor noise.
	PrintMoved Kind = "print_moved"
)

// Kinds lists every kind of synthetic burst.
var Kinds = []Kind{BonaFide, ReplayedStill, PrintMoved}

// SynthConfig sets up a synthetic burst.
type SynthConfig struct {
	Frames   int           // frames in the burst (default 30)
	Interval time.Duration // frame interval (default 33 ms)
	// YawDeg is the amplitude of the bona-fide head turn; the nose's
	// parallax against the face outline is that of a nose standing 0.55
	// inter-eye distances in front of the cheeks (default 4°).
	YawDeg float64
	// Noise is the sensor noise, standard deviation in grey levels
	// (default 2).
	Noise float64
	// NoBlink leaves the blink out of a bona-fide burst (most 1–2 s
	// bursts of real travellers hold none).
	NoBlink bool
	// Seed makes the burst reproducible: the same photo, kind and seed
	// give the same frames.
	Seed uint64
}

func (c *SynthConfig) defaults() {
	if c.Frames <= 0 {
		c.Frames = 30
	}
	if c.Interval <= 0 {
		c.Interval = 33 * time.Millisecond
	}
	if c.YawDeg == 0 {
		c.YawDeg = 4
	}
	if c.Noise == 0 {
		c.Noise = 2
	}
}

// Synthetic is a generated burst. Truth holds each frame's landmarks
// moved by the same geometry as the pixels (the photo's landmarks as
// given, mapped), for tests that need no detector.
type Synthetic struct {
	Kind   Kind
	Frames []gocv.Mat // BGR, 8-bit; Close frees them
	Offset []time.Duration
	Truth  [][]Point
}

// Close frees the frames.
func (s *Synthetic) Close() {
	for i := range s.Frames {
		s.Frames[i].Close()
	}
	s.Frames = nil
}

// Observations pairs landmarks found in each frame (nil where none) with
// the frames' times from t0.
func (s *Synthetic) Observations(t0 time.Time, landmarks [][]Point) []Observation {
	out := make([]Observation, len(s.Offset))
	for i, d := range s.Offset {
		out[i].At = t0.Add(d)
		if i < len(landmarks) {
			out[i].Landmarks = landmarks[i]
		}
	}
	return out
}

// Synthesize makes a burst of kind k from photo (8-bit BGR or grey) and
// its 68 landmarks (image pixels).
func Synthesize(photo gocv.Mat, lm []Point, k Kind, cfg SynthConfig) (*Synthetic, error) {
	cfg.defaults()
	if photo.Empty() || photo.Type() != gocv.MatTypeCV8UC3 && photo.Type() != gocv.MatTypeCV8UC1 {
		return nil, errors.New("pad: synthesize: want an 8-bit BGR or grey photo")
	}
	if len(lm) != NumLandmarks {
		return nil, fmt.Errorf("pad: synthesize: %d landmarks, want %d", len(lm), NumLandmarks)
	}
	ied := InterEye(lm)
	if ied < 4 {
		return nil, fmt.Errorf("pad: synthesize: inter-eye distance %.1f px is too small", ied)
	}
	src := photo
	if photo.Type() == gocv.MatTypeCV8UC1 {
		src = gocv.NewMat()
		defer src.Close()
		gocv.CvtColor(photo, &src, gocv.ColorGrayToBGR)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(len(k))*7919+uint64(k[0])))
	s := &Synthetic{Kind: k}
	var gen func(i int) (gocv.Mat, []Point)
	switch k {
	case BonaFide:
		gen = bonaFide(src, lm, ied, cfg, rng)
	case ReplayedStill:
		gen = func(int) (gocv.Mat, []Point) { return src.Clone(), append([]Point(nil), lm...) }
	case PrintMoved:
		gen = printMoved(src, lm, ied, cfg, rng)
	default:
		return nil, fmt.Errorf("pad: synthesize: unknown kind %q", k)
	}
	for i := range cfg.Frames {
		f, truth := gen(i)
		if err := addNoise(&f, cfg.Noise, rng); err != nil {
			f.Close()
			s.Close()
			return nil, err
		}
		s.Frames = append(s.Frames, f)
		s.Truth = append(s.Truth, truth)
		s.Offset = append(s.Offset, time.Duration(i)*cfg.Interval)
	}
	return s, nil
}

// wave is a smooth random motion: amplitude a, frequency f Hz, phase.
type wave struct{ a, f, ph float64 }

func newWave(rng *rand.Rand, amp, fLo, fHi float64) wave {
	return wave{amp * (0.7 + 0.6*rng.Float64()), fLo + (fHi-fLo)*rng.Float64(), 2 * math.Pi * rng.Float64()}
}

func (w wave) at(t float64) float64 { return w.a * math.Sin(2*math.Pi*w.f*t+w.ph) }

// similarity maps p about centre c: rotation a (radians), scale s, shift.
type similarity struct {
	c        Point
	a, s     float64
	tx, ty   float64
	cos, sin float64
}

func newSimilarity(c Point, a, s, tx, ty float64) similarity {
	return similarity{c: c, a: a, s: s, tx: tx, ty: ty, cos: math.Cos(a), sin: math.Sin(a)}
}

func (m similarity) apply(p Point) Point {
	x, y := p[0]-m.c[0], p[1]-m.c[1]
	return Point{m.c[0] + m.s*(m.cos*x-m.sin*y) + m.tx, m.c[1] + m.s*(m.sin*x+m.cos*y) + m.ty}
}

func (m similarity) invert(q Point) Point {
	x, y := (q[0]-m.c[0]-m.tx)/m.s, (q[1]-m.c[1]-m.ty)/m.s
	return Point{m.c[0] + m.cos*x + m.sin*y, m.c[1] - m.sin*x + m.cos*y}
}

// eyeRegion is one eye's blink geometry.
type eyeRegion struct {
	c      Point   // eye centre
	halfW  float64 // half-width of the squeezed region
	gap    float64 // half the lid gap
	halfH  float64 // half-height of the region the lids move in
	lidIdx []int   // landmarks on the lids
}

func newEyeRegion(lm []Point, i0 int, ied float64) eyeRegion {
	w := dist(lm[i0], lm[i0+3])
	gap := (dist(lm[i0+1], lm[i0+5]) + dist(lm[i0+2], lm[i0+4])) / 4
	gap = max(gap, 0.03*ied)
	return eyeRegion{
		c: eyeCentre(lm, i0), halfW: 0.8 * w, gap: gap, halfH: max(3*gap, 0.15*ied),
		lidIdx: []int{i0 + 1, i0 + 2, i0 + 4, i0 + 5},
	}
}

// weight is how much of the closure applies at horizontal offset u: all
// of it over the middle of the eye, fading to none at the region's side.
func (e eyeRegion) weight(u float64) float64 {
	r := math.Abs(u) / e.halfW
	switch {
	case r <= 0.5:
		return 1
	case r >= 1:
		return 0
	}
	return 0.5 * (1 + math.Cos(math.Pi*(r-0.5)/0.5))
}

// sourceY maps an output point's vertical offset from the eye's centre
// line back to the photo for closure c: the lid gap shrinks to (1−c) of
// itself, the skin above and below stretches to fill.
func (e eyeRegion) sourceY(v, c float64) float64 {
	av, sign := math.Abs(v), 1.0
	if v < 0 {
		sign = -1
	}
	inner := (1 - c) * e.gap
	switch {
	case av >= e.halfH:
		return v
	case av <= inner:
		return v / (1 - c)
	}
	return sign * (e.gap + (av-inner)*(e.halfH-e.gap)/(e.halfH-inner))
}

// bonaFide returns the frame generator of a live-looking burst.
func bonaFide(src gocv.Mat, lm []Point, ied float64, cfg SynthConfig, rng *rand.Rand) func(int) (gocv.Mat, []Point) {
	eyes := []eyeRegion{newEyeRegion(lm, rightEye0, ied), newEyeRegion(lm, leftEye0, ied)}
	mid := Point{(eyes[0].c[0] + eyes[1].c[0]) / 2, (eyes[0].c[1] + eyes[1].c[1]) / 2}
	nose := lm[30]
	// The nose stands ~0.55 IED in front of the cheeks: a yaw of θ moves
	// it sideways by 0.55·IED·sin θ against them. The bump that carries
	// the parallax spans the inner face.
	parallax := 0.55 * ied * math.Sin(cfg.YawDeg*math.Pi/180)
	radius := 0.6 * ied
	yaw, pitch := newWave(rng, parallax, 0.4, 0.9), newWave(rng, 0.5*parallax, 0.3, 0.8)
	roll, scale := newWave(rng, 1.5*math.Pi/180, 0.2, 0.6), newWave(rng, 0.02, 0.2, 0.6)
	tx, ty := newWave(rng, 0.08*ied, 0.2, 0.7), newWave(rng, 0.04*ied, 0.2, 0.7)
	// One blink of 5–8 frames in the middle third.
	blinkLen := 5 + rng.IntN(4)
	blinkStart := cfg.Frames/3 + rng.IntN(max(cfg.Frames/3-blinkLen, 1))
	closure := func(i int) float64 {
		if cfg.NoBlink || i < blinkStart || i >= blinkStart+blinkLen {
			return 0
		}
		return 0.9 * math.Sin(math.Pi*float64(i-blinkStart+1)/float64(blinkLen+1))
	}
	bump := func(p Point) float64 {
		dx, dy := p[0]-nose[0], p[1]-nose[1]
		return math.Exp(-(dx*dx + dy*dy) / (2 * radius * radius))
	}
	rows, cols := src.Rows(), src.Cols()
	return func(i int) (gocv.Mat, []Point) {
		t := float64(i) * cfg.Interval.Seconds()
		sim := newSimilarity(mid, roll.at(t), 1+scale.at(t), tx.at(t), ty.at(t))
		px, py, c := yaw.at(t), pitch.at(t), closure(i)
		// Landmarks forward: blink, parallax, then the rigid motion.
		truth := make([]Point, NumLandmarks)
		copy(truth, lm)
		for _, e := range eyes {
			for _, k := range e.lidIdx {
				w := e.weight(truth[k][0] - e.c[0])
				truth[k][1] = e.c[1] + (truth[k][1]-e.c[1])*(1-c*w)
			}
		}
		for k, p := range truth {
			b := bump(p)
			truth[k] = sim.apply(Point{p[0] + px*b, p[1] + py*b})
		}
		// Pixels backward: each output pixel's source in the photo.
		mapX := gocv.NewMatWithSize(rows, cols, gocv.MatTypeCV32F)
		mapY := gocv.NewMatWithSize(rows, cols, gocv.MatTypeCV32F)
		defer mapX.Close()
		defer mapY.Close()
		mx, _ := mapX.DataPtrFloat32()
		my, _ := mapY.DataPtrFloat32()
		for y := range rows {
			for x := range cols {
				q := sim.invert(Point{float64(x), float64(y)})
				// Undo the parallax: a fixed point of p = q − d(p), two
				// steps (the displacement is a few pixels and smooth).
				p := q
				for range 2 {
					b := bump(p)
					p = Point{q[0] - px*b, q[1] - py*b}
				}
				if c > 0 {
					for _, e := range eyes {
						u, v := p[0]-e.c[0], p[1]-e.c[1]
						if w := e.weight(u); w > 0 && math.Abs(v) < e.halfH {
							p[1] = e.c[1] + e.sourceY(v, c*w)
						}
					}
				}
				mx[y*cols+x], my[y*cols+x] = float32(p[0]), float32(p[1])
			}
		}
		out := gocv.NewMat()
		gocv.Remap(src, &out, &mapX, &mapY, gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
		return out, truth
	}
}

// printMoved returns the frame generator of a print moved by hand: a
// smooth homography of the whole photo (shift, rotation, scale, tilt).
func printMoved(src gocv.Mat, lm []Point, ied float64, cfg SynthConfig, rng *rand.Rand) func(int) (gocv.Mat, []Point) {
	rows, cols := src.Rows(), src.Cols()
	c := Point{float64(cols) / 2, float64(rows) / 2}
	rot, scale := newWave(rng, 3*math.Pi/180, 0.2, 0.7), newWave(rng, 0.04, 0.2, 0.6)
	tx, ty := newWave(rng, 0.12*ied, 0.2, 0.8), newWave(rng, 0.06*ied, 0.2, 0.8)
	// A tilt of the paper by ~θ about a vertical axis at distance D
	// gives a perspective term ≈ sin θ / D; D ≈ 8 IED, θ up to ~8°.
	tiltX, tiltY := newWave(rng, math.Sin(8*math.Pi/180)/(8*ied), 0.2, 0.7), newWave(rng, math.Sin(5*math.Pi/180)/(8*ied), 0.2, 0.7)
	return func(i int) (gocv.Mat, []Point) {
		t := float64(i) * cfg.Interval.Seconds()
		a, s := rot.at(t), 1+scale.at(t)
		// H = T(c + shift) · P · R·S · T(−c): about the picture's centre.
		h := [3][3]float64{
			{s * math.Cos(a), -s * math.Sin(a), 0},
			{s * math.Sin(a), s * math.Cos(a), 0},
			{tiltX.at(t), tiltY.at(t), 1},
		}
		h = mul3([3][3]float64{{1, 0, c[0] + tx.at(t)}, {0, 1, c[1] + ty.at(t)}, {0, 0, 1}}, mul3(h, [3][3]float64{{1, 0, -c[0]}, {0, 1, -c[1]}, {0, 0, 1}}))
		m := gocv.NewMatWithSize(3, 3, gocv.MatTypeCV64F)
		defer m.Close()
		for r := range 3 {
			for k := range 3 {
				m.SetDoubleAt(r, k, h[r][k])
			}
		}
		out := gocv.NewMat()
		gocv.WarpPerspectiveWithParams(src, &out, m, image.Pt(cols, rows), gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
		hh := homography{h[0][0] / h[2][2], h[0][1] / h[2][2], h[0][2] / h[2][2], h[1][0] / h[2][2], h[1][1] / h[2][2], h[1][2] / h[2][2], h[2][0] / h[2][2], h[2][1] / h[2][2]}
		truth := make([]Point, NumLandmarks)
		for k, p := range lm {
			truth[k] = hh.apply(p)
		}
		return out, truth
	}
}

// addNoise adds Gaussian sensor noise of standard deviation sigma grey
// levels to an 8-bit image, from rng so bursts are reproducible.
func addNoise(m *gocv.Mat, sigma float64, rng *rand.Rand) error {
	if sigma <= 0 {
		return nil
	}
	if !m.IsContinuous() {
		c := m.Clone()
		m.Close()
		*m = c
	}
	pix, err := m.DataPtrUint8()
	if err != nil {
		return fmt.Errorf("pad: synthesize: %w", err)
	}
	for i, v := range pix {
		pix[i] = uint8(min(max(math.Round(float64(v)+sigma*rng.NormFloat64()), 0), 255))
	}
	return nil
}
