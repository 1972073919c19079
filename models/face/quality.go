package face

import (
	"math"

	"gocv.io/x/gocv"
)

// Quality describes how fit a face image is for comparison, in the spirit
// of ISO/IEC 29794-5: each measure is reported, Score sums them up in
// [0, 1] and Problems names what a capture guide should tell the traveller.
type Quality struct {
	// InterEyePx is the distance between the eye centres in image pixels.
	InterEyePx float64 `json:"inter_eye_px"`
	// Sharpness is the variance of the Laplacian of the grey 112 px
	// aligned face (so it does not depend on the face's size in the image).
	Sharpness float64 `json:"sharpness"`
	// Brightness and Contrast are the mean and standard deviation of the
	// grey aligned face, 0–255.
	Brightness float64 `json:"brightness"`
	Contrast   float64 `json:"contrast"`
	// Head pose estimated from the landmarks, in degrees: yaw positive
	// when the nose points to the image right, pitch positive when the
	// face looks down, roll positive when the eye line turns clockwise.
	YawDeg   float64 `json:"yaw_deg"`
	PitchDeg float64 `json:"pitch_deg"`
	RollDeg  float64 `json:"roll_deg"`
	// EyeOpenness is the mean eye aspect ratio of the two eyes (eyelid
	// gap over eye width): about 0.3 open, below 0.15 closed.
	EyeOpenness float64 `json:"eye_openness"`
	// Score is 1 for an ideal capture: each measure scores 1 in its good
	// range and falls linearly to 0 at its limit, and Score is the lowest
	// of them.
	Score float64 `json:"score"`
	// Problems names every measure out of its acceptable range:
	// too_small, blurred, dark, overexposed, low_contrast, pose,
	// eyes_closed.
	Problems []string `json:"problems"`
}

// Limits of the quality measures. A measure beyond its limit is a
// problem; between good and limit the score falls linearly.
const (
	interEyeLimit, interEyeGood = 28.0, 60.0
	sharpLimit, sharpGood       = 15.0, 60.0
	darkLimit, darkGood         = 50.0, 80.0
	brightLimit, brightGood     = 215.0, 185.0
	contrastLimit, contrastGood = 18.0, 35.0
	yawLimit, yawGood           = 30.0, 10.0
	pitchLimit, pitchGood       = 25.0, 10.0
	rollLimit, rollGood         = 25.0, 8.0
	eyeOpenLimit, eyeOpenGood   = 0.15, 0.22
)

// ramp is 0 at or beyond limit, 1 at or beyond good, linear between.
func ramp(v, limit, good float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	t := (v - limit) / (good - limit)
	return min(1, max(0, t))
}

// measureQuality fills a Quality from the landmarks and the grey 112 px
// ArcFace crop of the face.
func measureQuality(lm *[68]Point, grey gocv.Mat) Quality {
	var q Quality
	le, re := mean(lm[36:42]), mean(lm[42:48])
	q.InterEyePx = dist(le, re)
	q.RollDeg = math.Atan2(re[1]-le[1], re[0]-le[0]) * 180 / math.Pi
	q.YawDeg, q.PitchDeg = headPose(lm, q.RollDeg)
	q.EyeOpenness = (eyeAspect(lm[36:42]) + eyeAspect(lm[42:48])) / 2
	if !grey.Empty() {
		q.Brightness, q.Contrast = meanStd(grey)
		lap := gocv.NewMat()
		gocv.Laplacian(grey, &lap, gocv.MatTypeCV64F, 1, 1, 0, gocv.BorderDefault)
		_, sd := meanStd(lap)
		lap.Close()
		q.Sharpness = sd * sd
	}

	type check struct {
		name  string
		score float64
	}
	checks := []check{
		{"too_small", ramp(q.InterEyePx, interEyeLimit, interEyeGood)},
		{"blurred", ramp(q.Sharpness, sharpLimit, sharpGood)},
		{"dark", ramp(q.Brightness, darkLimit, darkGood)},
		{"overexposed", ramp(q.Brightness, brightLimit, brightGood)},
		{"low_contrast", ramp(q.Contrast, contrastLimit, contrastGood)},
		{"pose", min(ramp(math.Abs(q.YawDeg), yawLimit, yawGood), ramp(math.Abs(q.PitchDeg), pitchLimit, pitchGood), ramp(math.Abs(q.RollDeg), rollLimit, rollGood))},
		{"eyes_closed", ramp(q.EyeOpenness, eyeOpenLimit, eyeOpenGood)},
	}
	// The weakest measure decides: an average would let a good exposure
	// hide a turned head.
	q.Score = 1
	for _, c := range checks {
		q.Score = min(q.Score, c.score)
		if c.score == 0 && !contains(q.Problems, c.name) {
			q.Problems = append(q.Problems, c.name)
		}
	}
	return q
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func dist(a, b Point) float64 { return math.Hypot(a[0]-b[0], a[1]-b[1]) }

// eyeAspect is Soukupová and Čech's eye aspect ratio of the six points of
// one eye (corner, two upper lid, corner, two lower lid).
func eyeAspect(e []Point) float64 {
	w := dist(e[0], e[3])
	if w == 0 {
		return 0
	}
	return (dist(e[1], e[5]) + dist(e[2], e[4])) / (2 * w)
}

// headPose estimates yaw and pitch from the landmarks alone, after undoing
// the roll: yaw from where the nose tip sits between the two jaw ends,
// pitch from where it sits between the eye line and the mouth. Both are
// coarse (±10°) but enough to tell a frontal face from a turned one.
func headPose(lm *[68]Point, rollDeg float64) (yaw, pitch float64) {
	r := -rollDeg * math.Pi / 180
	c, s := math.Cos(r), math.Sin(r)
	centre := lm[27]
	rot := func(p Point) Point {
		x, y := p[0]-centre[0], p[1]-centre[1]
		return Point{c*x - s*y, s*x + c*y}
	}
	nose, jawL, jawR := rot(lm[30]), rot(lm[0]), rot(lm[16])
	eyes := rot(mean([]Point{mean(lm[36:42]), mean(lm[42:48])}))
	mouth := rot(mean([]Point{lm[48], lm[54]}))
	dl, dr := nose[0]-jawL[0], jawR[0]-nose[0]
	if dl+dr > 0 {
		yaw = math.Asin(min(1, max(-1, (dl-dr)/(dl+dr)))) * 180 / math.Pi
	}
	// On a frontal face the nose tip sits about 0.555 of the way from the
	// eye line down to the mouth (the median over the LFW calibration
	// photos); looking down moves it towards the mouth.
	const frontal = 0.555
	if h := mouth[1] - eyes[1]; h > 0 {
		t := (nose[1] - eyes[1]) / h
		pitch = math.Asin(min(1, max(-1, (t-frontal)/0.5))) * 180 / math.Pi
	}
	return yaw, pitch
}

// meanStd returns the mean and standard deviation of a one-channel Mat.
func meanStd(m gocv.Mat) (mean, std float64) {
	mu, sd := gocv.NewMat(), gocv.NewMat()
	defer mu.Close()
	defer sd.Close()
	gocv.MeanStdDev(m, &mu, &sd)
	return mu.GetDoubleAt(0, 0), sd.GetDoubleAt(0, 0)
}
