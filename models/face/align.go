package face

import (
	"image"
	"math"

	"gocv.io/x/gocv"
)

// Point is a position in image pixels (x right, y down).
type Point [2]float64

// Affine is a 2×3 affine matrix mapping (x, y) to
// (A[0]x + A[1]y + A[2], A[3]x + A[4]y + A[5]).
type Affine [6]float64

// Apply maps a point.
func (m Affine) Apply(p Point) Point {
	return Point{m[0]*p[0] + m[1]*p[1] + m[2], m[3]*p[0] + m[4]*p[1] + m[5]}
}

// Invert returns the inverse transform; ok is false for a singular one.
func (m Affine) Invert() (inv Affine, ok bool) {
	det := m[0]*m[4] - m[1]*m[3]
	if det == 0 || math.IsNaN(det) || math.IsInf(det, 0) {
		return Affine{}, false
	}
	a, b, c, d := m[4]/det, -m[1]/det, -m[3]/det, m[0]/det
	return Affine{a, b, -(a*m[2] + b*m[5]), c, d, -(c*m[2] + d*m[5])}, true
}

// similarity returns the similarity transform (rotation, uniform scale,
// translation; no reflection) that maps src onto dst with the least squared
// error — Umeyama's closed form, which in two dimensions reduces to two
// sums over the centred points. ok is false when src has no extent.
func similarity(src, dst []Point) (m Affine, ok bool) {
	n := len(src)
	if n < 2 || len(dst) != n {
		return Affine{}, false
	}
	var ms, md Point
	for i := range n {
		ms[0] += src[i][0] / float64(n)
		ms[1] += src[i][1] / float64(n)
		md[0] += dst[i][0] / float64(n)
		md[1] += dst[i][1] / float64(n)
	}
	var ss, a, b float64
	for i := range n {
		x, y := src[i][0]-ms[0], src[i][1]-ms[1]
		u, v := dst[i][0]-md[0], dst[i][1]-md[1]
		ss += x*x + y*y
		a += x*u + y*v
		b += x*v - y*u
	}
	if !(ss > 1e-12) || math.IsNaN(a) || math.IsNaN(b) {
		return Affine{}, false
	}
	a, b = a/ss, b/ss
	return Affine{a, -b, md[0] - (a*ms[0] - b*ms[1]), b, a, md[1] - (b*ms[0] + a*ms[1])}, true
}

// arcFaceTemplate is where the ArcFace 112×112 crop puts the eye centres,
// the nose tip and the mouth corners (image-left eye first); MobileFaceNet
// and fr_feature were trained on crops made this way.
var arcFaceTemplate = []Point{
	{38.2946, 51.6963}, {73.5318, 51.5014}, {56.0252, 71.7366}, {41.5493, 92.3655}, {70.7299, 92.2041},
}

// fivePoints reduces the 68 landmarks to the ArcFace five: the centres of
// the two eyes (points 36–41 and 42–47), the nose tip (30) and the mouth
// corners (48, 54).
func fivePoints(lm *[68]Point) []Point {
	return []Point{
		mean(lm[36:42]), mean(lm[42:48]), lm[30], lm[48], lm[54],
	}
}

func mean(ps []Point) Point {
	var m Point
	for _, p := range ps {
		m[0] += p[0]
		m[1] += p[1]
	}
	return Point{m[0] / float64(len(ps)), m[1] / float64(len(ps))}
}

// arcFaceTransform maps the image onto the 112×112 ArcFace crop.
func arcFaceTransform(lm *[68]Point) (Affine, bool) {
	return similarity(fivePoints(lm), arcFaceTemplate)
}

// dlibMeanFace is dlib's mean face shape for landmarks 17–67 (eyebrows,
// nose, eyes, mouth) in a unit square: the reference get_face_chip_details
// aligns the 68 points to. Values from dlib's interpolation.h.
var dlibMeanFace = [51]Point{
	{0.000213256, 0.106454}, {0.0752622, 0.038915}, {0.18113, 0.0187482}, {0.29077, 0.0344891}, {0.393397, 0.0773906},
	{0.586856, 0.0773906}, {0.689483, 0.0344891}, {0.799124, 0.0187482}, {0.904991, 0.038915}, {0.98004, 0.106454},
	{0.490127, 0.203352}, {0.490127, 0.307009}, {0.490127, 0.409805}, {0.490127, 0.515625}, {0.36688, 0.587326},
	{0.426036, 0.609345}, {0.490127, 0.628106}, {0.554217, 0.609345}, {0.613373, 0.587326}, {0.121737, 0.216423},
	{0.187122, 0.178758}, {0.265825, 0.179852}, {0.334606, 0.231733}, {0.260918, 0.245099}, {0.182743, 0.244077},
	{0.645647, 0.231733}, {0.714428, 0.179852}, {0.793132, 0.178758}, {0.858516, 0.216423}, {0.79751, 0.244077},
	{0.719335, 0.245099}, {0.254149, 0.780233}, {0.340985, 0.745405}, {0.428858, 0.727388}, {0.490127, 0.742578},
	{0.551395, 0.727388}, {0.639268, 0.745405}, {0.726104, 0.780233}, {0.642159, 0.864805}, {0.556721, 0.902192},
	{0.490127, 0.909281}, {0.423532, 0.902192}, {0.338094, 0.864805}, {0.290379, 0.784792}, {0.428096, 0.778746},
	{0.490127, 0.785343}, {0.552157, 0.778746}, {0.689874, 0.784792}, {0.553364, 0.824182}, {0.490127, 0.831803},
	{0.42689, 0.824182},
}

// Size and padding of dlib's face chip, as dlib's face recognition example
// and face-api extract it for the ResNet descriptor.
const (
	dlibChipSize    = 150
	dlibChipPadding = 0.25
)

// dlibChipTransform maps the image onto dlib's 150 px face chip. Like
// dlib's get_face_chip_details it fits the chip's template points onto the
// landmarks (chip → image) and inverts that, so the chip is the square the
// template spans, padded by a quarter of its side on every edge.
func dlibChipTransform(lm *[68]Point) (Affine, bool) {
	chip := make([]Point, len(dlibMeanFace))
	img := make([]Point, len(dlibMeanFace))
	for i, p := range dlibMeanFace {
		chip[i] = Point{
			(dlibChipPadding + p[0]) / (2*dlibChipPadding + 1) * dlibChipSize,
			(dlibChipPadding + p[1]) / (2*dlibChipPadding + 1) * dlibChipSize,
		}
		img[i] = lm[17+i]
	}
	toImage, ok := similarity(chip, img)
	if !ok {
		return Affine{}, false
	}
	return toImage.Invert()
}

// warp applies m to img into a size×size BGR crop (bilinear, black outside
// the image). When m shrinks the image more than a little, the region the
// crop covers is first reduced with area averaging: bilinear sampling alone
// would alias a large face (dlib's chip extraction does the same with an
// image pyramid). The caller closes the result.
func warp(img gocv.Mat, m Affine, size int) gocv.Mat {
	if s := math.Sqrt(math.Abs(m[0]*m[4] - m[1]*m[3])); s < 0.8 && s > 0 {
		if roi, ok := coveredRegion(m, size, img.Cols(), img.Rows()); ok {
			k := s * 1.25
			sw, sh := max(1, int(math.Round(float64(roi.Dx())*k))), max(1, int(math.Round(float64(roi.Dy())*k)))
			region := img.Region(roi)
			small := gocv.NewMat()
			gocv.Resize(region, &small, imagePoint(sw, sh), 0, 0, gocv.InterpolationArea)
			region.Close()
			defer small.Close()
			// Pixel q of small covers the image from roi.Min + q·k to
			// roi.Min + (q+1)·k, so its centre is roi.Min + q·k + (k−1)/2.
			kx, ky := float64(roi.Dx())/float64(sw), float64(roi.Dy())/float64(sh)
			x0, y0 := float64(roi.Min.X)+(kx-1)/2, float64(roi.Min.Y)+(ky-1)/2
			m = Affine{
				m[0] * kx, m[1] * ky, m[0]*x0 + m[1]*y0 + m[2],
				m[3] * kx, m[4] * ky, m[3]*x0 + m[4]*y0 + m[5],
			}
			img = small
		}
	}
	mat := gocv.NewMatWithSize(2, 3, gocv.MatTypeCV64F)
	defer mat.Close()
	for i, v := range m {
		mat.SetDoubleAt(i/3, i%3, v)
	}
	out := gocv.NewMat()
	gocv.WarpAffineWithParams(img, &out, mat, imagePoint(size, size), gocv.InterpolationLinear, gocv.BorderConstant, blackColor)
	return out
}

// coveredRegion is the part of a w×h image that the size×size output of m
// samples, with a pixel of margin; ok is false when it is empty.
func coveredRegion(m Affine, size, w, h int) (image.Rectangle, bool) {
	inv, ok := m.Invert()
	if !ok {
		return image.Rectangle{}, false
	}
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, c := range []Point{{0, 0}, {float64(size), 0}, {0, float64(size)}, {float64(size), float64(size)}} {
		p := inv.Apply(c)
		x0, y0, x1, y1 = min(x0, p[0]), min(y0, p[1]), max(x1, p[0]), max(y1, p[1])
	}
	r := image.Rect(int(math.Floor(x0))-2, int(math.Floor(y0))-2, int(math.Ceil(x1))+2, int(math.Ceil(y1))+2)
	r = r.Intersect(image.Rect(0, 0, w, h))
	return r, !r.Empty()
}
