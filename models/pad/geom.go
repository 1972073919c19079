package pad

import (
	"math"
	"slices"
)

// Point is an image point (x, y) in pixels; models/face's points assign to
// it directly.
type Point = [2]float64

// iBUG 68-point indices used here: the eyes (in image order: the subject's
// right eye first), as face-api outputs them.
const (
	NumLandmarks = 68
	rightEye0    = 36 // 36–41: outer corner, upper lid ×2, inner corner, lower lid ×2
	leftEye0     = 42 // 42–47: inner corner, upper lid ×2, outer corner, lower lid ×2
)

// shapeSet are the points the non-rigid cue uses: every point but the
// eyes, whose blinks the blink cue judges on its own.
var shapeSet = func() []int {
	var s []int
	for i := range NumLandmarks {
		if i < rightEye0 || i >= leftEye0+6 {
			s = append(s, i)
		}
	}
	return s
}()

func dist(a, b Point) float64 { return math.Hypot(a[0]-b[0], a[1]-b[1]) }

// eyeAspect is the eye aspect ratio (Soukupová & Čech 2016) of the six
// points from i0: mean lid gap over eye width, about 0.3 open, near 0
// closed.
func eyeAspect(lm []Point, i0 int) float64 {
	w := dist(lm[i0], lm[i0+3])
	if w == 0 {
		return 0
	}
	return (dist(lm[i0+1], lm[i0+5]) + dist(lm[i0+2], lm[i0+4])) / (2 * w)
}

// EAR is the mean eye aspect ratio of both eyes.
func EAR(lm []Point) float64 { return (eyeAspect(lm, rightEye0) + eyeAspect(lm, leftEye0)) / 2 }

func eyeCentre(lm []Point, i0 int) Point {
	var c Point
	for i := i0; i < i0+6; i++ {
		c[0] += lm[i][0] / 6
		c[1] += lm[i][1] / 6
	}
	return c
}

// InterEye is the distance between the eye centres, the scale every
// distance of a face is measured in.
func InterEye(lm []Point) float64 { return dist(eyeCentre(lm, rightEye0), eyeCentre(lm, leftEye0)) }

// homography maps the plane projectively: (x, y) → ((h0 x + h1 y + h2) /
// (h6 x + h7 y + 1), (h3 x + h4 y + h5) / (h6 x + h7 y + 1)).
type homography [8]float64

var identityH = homography{1, 0, 0, 0, 1, 0, 0, 0}

func (h homography) apply(p Point) Point {
	w := h[6]*p[0] + h[7]*p[1] + 1
	return Point{(h[0]*p[0] + h[1]*p[1] + h[2]) / w, (h[3]*p[0] + h[4]*p[1] + h[5]) / w}
}

// fitHomography returns the homography that best maps src[k] to dst[k]
// for k in idx (linear least squares on the DLT equations, in coordinates
// normalised for conditioning). A flat picture moved in front of a camera,
// however it is tilted, moves its points by exactly such a map: what no
// homography explains is depth.
func fitHomography(src, dst []Point, idx []int) (homography, bool) {
	ns, ts := normaliser(src, idx)
	nd, td := normaliser(dst, idx)
	var ata [8][8]float64
	var atb [8]float64
	add := func(row [8]float64, b float64) {
		for i := range 8 {
			for j := range 8 {
				ata[i][j] += row[i] * row[j]
			}
			atb[i] += row[i] * b
		}
	}
	for _, k := range idx {
		x, y := (src[k][0]-ts[0])*ns, (src[k][1]-ts[1])*ns
		u, v := (dst[k][0]-td[0])*nd, (dst[k][1]-td[1])*nd
		add([8]float64{x, y, 1, 0, 0, 0, -u * x, -u * y}, u)
		add([8]float64{0, 0, 0, x, y, 1, -v * x, -v * y}, v)
	}
	hn, ok := solve8(ata, atb)
	if !ok {
		return identityH, false
	}
	// Undo the normalisations: H = Td⁻¹ · Hn · Ts.
	m := [3][3]float64{{hn[0], hn[1], hn[2]}, {hn[3], hn[4], hn[5]}, {hn[6], hn[7], 1}}
	tsM := [3][3]float64{{ns, 0, -ns * ts[0]}, {0, ns, -ns * ts[1]}, {0, 0, 1}}
	tdInv := [3][3]float64{{1 / nd, 0, td[0]}, {0, 1 / nd, td[1]}, {0, 0, 1}}
	r := mul3(tdInv, mul3(m, tsM))
	if r[2][2] == 0 {
		return identityH, false
	}
	s := r[2][2]
	return homography{r[0][0] / s, r[0][1] / s, r[0][2] / s, r[1][0] / s, r[1][1] / s, r[1][2] / s, r[2][0] / s, r[2][1] / s}, true
}

// normaliser returns the scale and centroid that bring the points to mean
// distance √2 from the origin (Hartley).
func normaliser(ps []Point, idx []int) (float64, Point) {
	var c Point
	for _, k := range idx {
		c[0] += ps[k][0]
		c[1] += ps[k][1]
	}
	c[0] /= float64(len(idx))
	c[1] /= float64(len(idx))
	var d float64
	for _, k := range idx {
		d += dist(ps[k], c)
	}
	d /= float64(len(idx))
	if d == 0 {
		return 1, c
	}
	return math.Sqrt2 / d, c
}

func mul3(a, b [3][3]float64) [3][3]float64 {
	var r [3][3]float64
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				r[i][j] += a[i][k] * b[k][j]
			}
		}
	}
	return r
}

// solve8 solves a·x = b by Gaussian elimination with partial pivoting.
func solve8(a [8][8]float64, b [8]float64) ([8]float64, bool) {
	var x [8]float64
	for c := range 8 {
		p := c
		for r := c + 1; r < 8; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if math.Abs(a[p][c]) < 1e-12 {
			return x, false
		}
		a[c], a[p] = a[p], a[c]
		b[c], b[p] = b[p], b[c]
		for r := c + 1; r < 8; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k < 8; k++ {
				a[r][k] -= f * a[c][k]
			}
			b[r] -= f * b[c]
		}
	}
	for r := 7; r >= 0; r-- {
		s := b[r]
		for k := r + 1; k < 8; k++ {
			s -= a[r][k] * x[k]
		}
		x[r] = s / a[r][r]
	}
	return x, true
}

// robustSigma estimates the standard deviation of white noise from its
// second differences d[i] = x[i+1] − 2x[i] + x[i−1] (variance 6σ² for
// white noise, near 0 for smooth motion): median absolute value over the
// 0.6745 of a normal's, so a blink or a jerk in a few frames does not
// inflate it.
func robustSigma(secondDiffs []float64) float64 {
	if len(secondDiffs) == 0 {
		return 0
	}
	a := make([]float64, len(secondDiffs))
	for i, d := range secondDiffs {
		a[i] = math.Abs(d)
	}
	return median(a) / 0.6745 / math.Sqrt(6)
}

// median of xs (reordered).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// quantile of xs (reordered), q in [0, 1], linear interpolation.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	pos := q * float64(len(xs)-1)
	i := int(pos)
	if i >= len(xs)-1 {
		return xs[len(xs)-1]
	}
	f := pos - float64(i)
	return xs[i]*(1-f) + xs[i+1]*f
}

// ramp is 0 at or below lo, 1 at or above hi, linear between.
func ramp(x, lo, hi float64) float64 {
	switch {
	case x <= lo:
		return 0
	case x >= hi:
		return 1
	}
	return (x - lo) / (hi - lo)
}

// canonicalFace is a hand-made 3-D face in iBUG 68-point order, in inter-eye
// distances (eye centres at x = ±0.5, y = 0; y down, z towards the
// camera): enough like a face for the cues, not a statistical model.
func canonicalFace() [NumLandmarks][3]float64 {
	var f [NumLandmarks][3]float64
	for i := range 17 { // jaw, image left to right through the chin
		t := math.Pi - math.Pi*float64(i)/16
		f[i] = [3]float64{1.0 * math.Cos(t), 0.1 + 1.5*math.Sin(t), -0.6*math.Abs(math.Cos(t)) - 0.1}
	}
	for i := range 5 { // brows
		x := -0.9 + 0.75*float64(i)/4
		f[17+i] = [3]float64{x, -0.35 - 0.08*math.Sin(math.Pi*float64(i)/4), 0.05 - 0.25*math.Abs(x)}
		f[26-i] = [3]float64{-x, f[17+i][1], f[17+i][2]}
	}
	for i := range 4 { // nose bridge to tip
		f[27+i] = [3]float64{0, -0.15 + 0.7*float64(i)/3, 0.1 + 0.45*float64(i)/3}
	}
	for i := range 5 { // nostrils
		x := -0.25 + 0.5*float64(i)/4
		f[31+i] = [3]float64{x, 0.68, 0.3 - 0.6*math.Abs(x)}
	}
	eye := [6][2]float64{{-0.72, 0}, {-0.58, -0.08}, {-0.42, -0.08}, {-0.28, 0}, {-0.42, 0.08}, {-0.58, 0.08}}
	for i, p := range eye {
		f[36+i] = [3]float64{p[0], p[1], -0.05}
	}
	// Left eye mirrored, iBUG order: inner corner first.
	for i, j := range []int{3, 2, 1, 0, 5, 4} {
		f[42+i] = [3]float64{-eye[j][0], eye[j][1], -0.05}
	}
	mouth := [][2]float64{{-0.4, 1.05}, {-0.25, 0.97}, {-0.1, 0.94}, {0, 0.95}, {0.1, 0.94}, {0.25, 0.97},
		{0.4, 1.05}, {0.25, 1.15}, {0.1, 1.19}, {0, 1.2}, {-0.1, 1.19}, {-0.25, 1.15},
		{-0.32, 1.05}, {-0.1, 1.02}, {0, 1.02}, {0.1, 1.02}, {0.32, 1.05}, {0.1, 1.08}, {0, 1.08}, {-0.1, 1.08}}
	for i, p := range mouth {
		f[48+i] = [3]float64{p[0], p[1], 0.15 - 0.2*math.Abs(p[0])}
	}
	return f
}

// depth is each landmark's depth in the canonical face (IED, towards the
// camera): a generic prior, not the traveller's own.
var depth = func() [NumLandmarks]float64 {
	var z [NumLandmarks]float64
	for i, p := range canonicalFace() {
		z[i] = p[2]
	}
	return z
}()

// basis holds orthonormal directions in the space of a shape's residual
// (x, y of each point of shapeSet, interleaved).
type basis struct {
	homography [][]float64 // what a homography can do to the mean shape
	depth      [][]float64 // yaw and pitch parallax, minus the above
}

// parallaxBasis builds the directions for a mean shape (pixels) in IED
// units: the 8 first-order homography moves at the mean shape, and the
// depth-parallax moves of yaw and pitch with those removed.
func parallaxBasis(mean []Point, ied float64) basis {
	var c Point
	for _, k := range shapeSet {
		c[0] += mean[k][0] / float64(len(shapeSet))
		c[1] += mean[k][1] / float64(len(shapeSet))
	}
	dim := 2 * len(shapeSet)
	col := func(f func(x, y float64) (float64, float64)) []float64 {
		v := make([]float64, dim)
		for j, k := range shapeSet {
			x, y := (mean[k][0]-c[0])/ied, (mean[k][1]-c[1])/ied
			v[2*j], v[2*j+1] = f(x, y)
		}
		return v
	}
	var b basis
	for _, f := range []func(x, y float64) (float64, float64){
		func(x, y float64) (float64, float64) { return x, 0 },
		func(x, y float64) (float64, float64) { return y, 0 },
		func(x, y float64) (float64, float64) { return 1, 0 },
		func(x, y float64) (float64, float64) { return 0, x },
		func(x, y float64) (float64, float64) { return 0, y },
		func(x, y float64) (float64, float64) { return 0, 1 },
		func(x, y float64) (float64, float64) { return -x * x, -x * y },
		func(x, y float64) (float64, float64) { return -x * y, -y * y },
	} {
		b.homography = gramSchmidt(b.homography, col(f))
	}
	j := 0
	yaw, pitch := make([]float64, dim), make([]float64, dim)
	for _, k := range shapeSet {
		yaw[2*j], pitch[2*j+1] = depth[k], depth[k]
		j++
	}
	for _, v := range [][]float64{yaw, pitch} {
		b.depth = gramSchmidt(b.depth, projectOut(v, b.homography))
	}
	return b
}

// gramSchmidt appends v, made orthogonal to the (orthonormal) set and of
// unit length, to set; a v inside the set's span is dropped.
func gramSchmidt(set [][]float64, v []float64) [][]float64 {
	v = projectOut(v, set)
	n := math.Sqrt(dot(v, v))
	if n < 1e-9 {
		return set
	}
	for i := range v {
		v[i] /= n
	}
	return append(set, v)
}

// projectOut returns v minus its components along the orthonormal set.
func projectOut(v []float64, set [][]float64) []float64 {
	out := append([]float64(nil), v...)
	for _, e := range set {
		d := dot(out, e)
		for i := range out {
			out[i] -= d * e[i]
		}
	}
	return out
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}
