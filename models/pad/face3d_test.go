package pad

import (
	"math"
	"math/rand/v2"
	"time"
)

// pose of a face in a frame.
type pose struct {
	yaw, pitch, roll float64 // degrees
	tx, ty           float64 // pixels
	closure          float64 // eyelid closure 0 (open) … 1 (shut)
}

const (
	iedPx   = 50.0  // face size in the test frames
	focalPx = 800.0 // a 640-px camera's focal length
	distIED = 8.0   // camera distance in IED: ~50 cm for a 6.3 cm IED
)

// project renders the canonical face at pose p with a pinhole camera.
func project(p pose) []Point {
	f := canonicalFace()
	// Eyelids close towards each eye's centre line.
	for _, i0 := range []int{rightEye0, leftEye0} {
		for _, k := range []int{1, 2, 4, 5} {
			f[i0+k][1] *= 1 - p.closure
		}
	}
	y, x, z := p.yaw*math.Pi/180, p.pitch*math.Pi/180, p.roll*math.Pi/180
	out := make([]Point, NumLandmarks)
	for i, v := range f {
		// yaw about y, pitch about x, roll about z.
		a := [3]float64{v[0]*math.Cos(y) + v[2]*math.Sin(y), v[1], -v[0]*math.Sin(y) + v[2]*math.Cos(y)}
		a = [3]float64{a[0], a[1]*math.Cos(x) - a[2]*math.Sin(x), a[1]*math.Sin(x) + a[2]*math.Cos(x)}
		a = [3]float64{a[0]*math.Cos(z) - a[1]*math.Sin(z), a[0]*math.Sin(z) + a[1]*math.Cos(z), a[2]}
		s := focalPx / (distIED - a[2]) * iedPx / (focalPx / distIED)
		out[i] = Point{320 + p.tx + a[0]*s, 240 + p.ty + a[1]*s}
	}
	return out
}

// burst turns per-frame landmarks into observations 33 ms apart, with
// Gaussian jitter of sigma pixels.
func burst(frames [][]Point, sigma float64, seed uint64) []Observation {
	rng := rand.New(rand.NewPCG(seed, 7))
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	out := make([]Observation, len(frames))
	for i, f := range frames {
		lm := make([]Point, len(f))
		for k, p := range f {
			lm[k] = Point{p[0] + sigma*rng.NormFloat64(), p[1] + sigma*rng.NormFloat64()}
		}
		out[i] = Observation{At: t0.Add(time.Duration(i) * 33 * time.Millisecond), Landmarks: lm}
	}
	return out
}

// live is a live face: small smooth head motion (yaw amplitude yawDeg)
// and, if blink, one blink of ~200 ms in the middle.
func live(n int, yawDeg float64, blink bool) [][]Point {
	var out [][]Point
	for i := range n {
		t := float64(i) / 30
		p := pose{
			yaw:   yawDeg * math.Sin(2*math.Pi*0.7*t),
			pitch: 0.4 * yawDeg * math.Sin(2*math.Pi*0.5*t+1),
			roll:  1.0 * math.Sin(2*math.Pi*0.3*t),
			tx:    6 * math.Sin(2*math.Pi*0.4*t), ty: 3 * math.Sin(2*math.Pi*0.6*t),
		}
		if blink {
			// 7 frames ≈ 230 ms: closing, shut, opening.
			c := n/2 - 3
			if i >= c && i < c+7 {
				p.closure = 0.9 * math.Sin(math.Pi*float64(i-c+1)/8)
			}
		}
		out = append(out, project(p))
	}
	return out
}

// printed is a flat photo of a frontal face moved by hand: a smooth
// homography (shift, rotation, scale, tilt) of one picture.
func printed(n int, tilt float64) [][]Point {
	flat := project(pose{})
	var out [][]Point
	for i := range n {
		t := float64(i) / 30
		a := 2 * math.Pi / 180 * math.Sin(2*math.Pi*0.5*t)
		s := 1 + 0.03*math.Sin(2*math.Pi*0.3*t)
		h := homography{s * math.Cos(a), -s * math.Sin(a), 10 * math.Sin(2*math.Pi*0.4*t),
			s * math.Sin(a), s * math.Cos(a), 5 * math.Sin(2*math.Pi*0.7*t),
			tilt * math.Sin(2*math.Pi*0.6*t), tilt * 0.5 * math.Cos(2*math.Pi*0.5*t)}
		f := make([]Point, NumLandmarks)
		for k, p := range flat {
			q := h.apply(Point{p[0] - 320, p[1] - 240})
			f[k] = Point{q[0] + 320, q[1] + 240}
		}
		out = append(out, f)
	}
	return out
}

// still is a picture that does not move.
func still(n int) [][]Point {
	var out [][]Point
	for range n {
		out = append(out, project(pose{}))
	}
	return out
}
