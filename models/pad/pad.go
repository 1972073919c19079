package pad

import (
	"fmt"
	"math"
	"time"
)

// ReasonCode is the gate's referral code for a suspected presentation
// attack.
const ReasonCode = "presentation_attack"

// Steps is the score's resolution: scores are multiples of 1/Steps (21
// distinct values from 0 to 1; ISO/IEC 30107-3 and BSI TR-03121 ask for a
// graded score, not a yes/no).
const Steps = 20

// Observation is one frame of a capture burst: when it was taken and the
// 68 landmarks (iBUG order, image pixels) of the one face in it; no
// landmarks when no face was found in that frame.
type Observation struct {
	At        time.Time
	Landmarks []Point
}

// HardwareSignal is a capture device's own presentation-attack verdict,
// from sensing this package cannot do (near-infrared reflectance, 3D/ToF
// depth).
type HardwareSignal struct {
	Source     string  // the device or method, for the audit trail
	Score      float64 // 0 bona fide … 1 attack
	Confidence float64 // 0 (ignore) … 1 (take the device's score alone)
}

// HardwarePAD is implemented by cameras that check presentation attacks
// themselves; the agent passes their signal for the burst to Assess.
type HardwarePAD interface {
	// PADSignal returns the device's verdict on its last capture; false
	// when it has none.
	PADSignal() (HardwareSignal, bool)
}

// Config holds the thresholds. Distances are in inter-eye distances
// (IED), so they do not depend on the face's size in the picture.
type Config struct {
	// Threshold: a score at or above it is an attack (the gate refers).
	Threshold float64
	// MinFrames is the number of frames with a face a burst needs.
	MinFrames int

	// Blink: the eye aspect ratio must dip below its open-eye level
	// (the 80th percentile over the burst) by at least BlinkDepthFull of
	// that level for full evidence (half of it for none), by BlinkNoise
	// times its frame-to-frame noise, last BlinkMin–BlinkMax below the
	// half-depth level, and recover on both sides.
	BlinkDepthFull float64
	BlinkNoise     float64
	BlinkMin       time.Duration
	BlinkMax       time.Duration

	// Non-rigid motion: after the best homography between each frame's
	// points (eyes left out) and the burst's mean shape, what is left is
	// smoothed over SmoothFrames frames and measured along the pattern a
	// turning 3-D head makes (each point moving by its depth): Parallax,
	// in IED. It gives no evidence of a live face up to ParallaxLow, full
	// evidence from ParallaxHigh. The landmark detector's own errors also
	// put some motion there (more the more the picture moves), so these
	// limits are what separates a head from a flat picture; and the
	// parallax must stand out from the residual's level in every other
	// direction (jitter): its ratio, NonRigidSNR, scales the evidence from
	// 0 at NonRigidSNRLow to 1 at NonRigidSNRHigh.
	SmoothFrames                    int
	ParallaxLow, ParallaxHigh       float64
	NonRigidSNRLow, NonRigidSNRHigh float64
	// JitterFloor bounds the noise estimates from below (IED), so a
	// burst of near-identical points cannot make noise look like signal.
	JitterFloor float64

	// Motion: a live person is never perfectly still; landmark motion
	// (RMS about the burst's mean, IED, beyond what the jitter explains)
	// at or below MotionLow is a still picture (no liveness at all), from
	// MotionHigh a moving one.
	MotionLow, MotionHigh float64
	// FrozenShare: when at least this share of consecutive frames have
	// identical points, the feed is frozen (the same image over and over:
	// a replay or a paused screen), an attack whatever else it shows.
	FrozenShare float64
}

// DefaultConfig returns the shipped thresholds for a passive capture
// (the traveller just looks at the camera). See
// benchmarks/results/pad-eval.md for what they give, and its caveats.
func DefaultConfig() Config {
	return Config{
		Threshold:       0.5,
		MinFrames:       10,
		BlinkDepthFull:  0.25,
		BlinkNoise:      4,
		BlinkMin:        40 * time.Millisecond,
		BlinkMax:        800 * time.Millisecond,
		SmoothFrames:    5,
		ParallaxLow:     0.006,
		ParallaxHigh:    0.012,
		NonRigidSNRLow:  1.5,
		NonRigidSNRHigh: 2.5,
		JitterFloor:     0.0005,
		MotionLow:       0.008,
		MotionHigh:      0.016,
		FrozenShare:     0.5,
	}
}

// ChallengeConfig returns thresholds for an active capture, where the
// gate asks the traveller to turn their head a little (10–15°) during the
// burst: the parallax of a real head then stands well above what the
// landmark detector's errors put there when a flat picture is moved.
func ChallengeConfig() Config {
	c := DefaultConfig()
	c.ParallaxLow, c.ParallaxHigh = 0.03, 0.05
	return c
}

// Cues are the measurements behind a score.
type Cues struct {
	Frames     int     // frames in the burst
	FaceFrames int     // frames with landmarks
	InterEyePx float64 // median inter-eye distance

	// Blink.
	EAROpen, EARMin, EARNoise float64
	BlinkDepth                float64       // (EAROpen − EARMin) / EAROpen
	BlinkAt                   time.Duration // from the first frame to the deepest point
	BlinkDuration             time.Duration // below the half-depth level
	Blink                     float64       // evidence of a blink, 0–1

	// Motion (IED).
	Jitter      float64 // landmark noise per coordinate, per frame
	Motion      float64 // RMS landmark motion over the burst
	NonRigid    float64 // RMS smoothed residual after the homographies
	NonRigidSNR float64 // depth-parallax level over landmark-error level
	Parallax    float64 // RMS of the residual along the depth-parallax directions
	Moving      float64 // evidence that the face moved at all, 0–1
	Depth       float64 // evidence of a 3-D face, 0–1
	Repeats     int     // consecutive frame pairs with identical points

	Hardware *HardwareSignal
}

// Result is Assess's verdict with everything it rests on.
type Result struct {
	Score   float64 // 0 bona fide … 1 attack, in steps of 1/Steps
	Attack  bool    // Score ≥ Threshold
	Code    string  // ReasonCode when Attack, else ""
	Cues    Cues
	Reasons []string // what the score rests on, in words
}

// Assess scores a burst. Liveness is the evidence that a live face was
// in front of the camera: a blink, or 3-D (non-rigid) motion of a face
// that moved at all, combined as independent evidence
// (1 − (1−blink)(1−moving·depth)); the burst score is 1 − liveness. A
// hardware signal, if any, is mixed in by its confidence. Frames whose
// landmarks are missing, not 68 or not finite count as frames without a
// face.
func (c Config) Assess(burst []Observation, hw *HardwareSignal) Result {
	var r Result
	r.Cues.Frames = len(burst)
	var obs []Observation
	for _, o := range burst {
		if len(o.Landmarks) == NumLandmarks && finite(o.Landmarks) {
			obs = append(obs, o)
		}
	}
	r.Cues.FaceFrames = len(obs)
	score := 1.0
	switch {
	case len(obs) < max(c.MinFrames, 3):
		r.Reasons = append(r.Reasons, fmt.Sprintf("a face in %d of %d frames; %d needed to judge liveness", len(obs), len(burst), max(c.MinFrames, 3)))
	default:
		score = c.assessMotion(obs, &r)
	}
	if hw != nil && hw.Confidence > 0 {
		h := *hw
		h.Confidence = min(h.Confidence, 1)
		h.Score = min(max(h.Score, 0), 1)
		r.Cues.Hardware = &h
		score = (1-h.Confidence)*score + h.Confidence*h.Score
		r.Reasons = append(r.Reasons, fmt.Sprintf("hardware PAD %q: score %.2f at confidence %.2f", h.Source, h.Score, h.Confidence))
	}
	r.Score = math.Round(score*Steps) / Steps
	r.Attack = r.Score >= c.Threshold
	if r.Attack {
		r.Code = ReasonCode
	}
	return r
}

// assessMotion measures the cues of a burst with enough faces and
// returns its score.
func (c Config) assessMotion(obs []Observation, r *Result) float64 {
	cu := &r.Cues
	n := len(obs)
	ieds := make([]float64, n)
	for i, o := range obs {
		ieds[i] = InterEye(o.Landmarks)
	}
	cu.InterEyePx = median(ieds)
	if cu.InterEyePx <= 0 {
		r.Reasons = append(r.Reasons, "degenerate landmarks (eyes on one point)")
		return 1
	}
	ied := cu.InterEyePx

	for i := 1; i < n; i++ {
		if same(obs[i-1].Landmarks, obs[i].Landmarks) {
			cu.Repeats++
		}
	}
	if frozen := float64(cu.Repeats) / float64(n-1); frozen >= c.FrozenShare {
		r.Reasons = append(r.Reasons, fmt.Sprintf("frozen feed: %d of %d consecutive frames identical (a replayed or paused image)", cu.Repeats, n-1))
		return 1
	}

	c.blink(obs, r)
	c.shape(obs, ied, r)

	// Jitter alone moves points by √2·σ RMS: only motion beyond it counts.
	excess := math.Sqrt(max(cu.Motion*cu.Motion-2*cu.Jitter*cu.Jitter, 0))
	cu.Moving = ramp(excess, c.MotionLow, c.MotionHigh)
	live := 1 - (1-cu.Blink)*(1-cu.Moving*cu.Depth)
	switch {
	case cu.Blink >= 0.5:
		r.Reasons = append(r.Reasons, fmt.Sprintf("blink: eye aspect ratio fell %.0f%% (from %.3f to %.3f) for %v, %v into the burst",
			100*cu.BlinkDepth, cu.EAROpen, cu.EARMin, cu.BlinkDuration.Round(time.Millisecond), cu.BlinkAt.Round(time.Millisecond)))
	default:
		r.Reasons = append(r.Reasons, fmt.Sprintf("no blink (deepest eye-aspect dip %.0f%%, noise %.3f)", 100*cu.BlinkDepth, cu.EARNoise))
	}
	switch {
	case cu.Moving < 0.5:
		what := "a still picture"
		if cu.Blink >= 0.5 {
			what = "a still head"
		}
		r.Reasons = append(r.Reasons, fmt.Sprintf("no motion (%.4f IED, jitter %.4f): %s", cu.Motion, cu.Jitter, what))
	case cu.Depth >= 0.5:
		r.Reasons = append(r.Reasons, fmt.Sprintf("3-D motion: depth parallax %.4f IED after the best planar fit (%.1f× the residual elsewhere)", cu.Parallax, cu.NonRigidSNR))
	default:
		r.Reasons = append(r.Reasons, fmt.Sprintf("the face moved (%.4f IED) as a flat picture would: depth parallax %.4f IED (%.1f× the residual elsewhere)", cu.Motion, cu.Parallax, cu.NonRigidSNR))
	}
	return 1 - live
}

func finite(ps []Point) bool {
	for _, p := range ps {
		if math.IsNaN(p[0]+p[1]) || math.IsInf(p[0]+p[1], 0) {
			return false
		}
	}
	return true
}

func same(a, b []Point) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// blink measures the eye-aspect-ratio cue.
func (c Config) blink(obs []Observation, r *Result) {
	cu := &r.Cues
	n := len(obs)
	ear := make([]float64, n)
	for i, o := range obs {
		ear[i] = EAR(o.Landmarks)
	}
	var d2 []float64
	for i := 1; i+1 < n; i++ {
		d2 = append(d2, ear[i+1]-2*ear[i]+ear[i-1])
	}
	cu.EARNoise = robustSigma(d2)
	cu.EAROpen = quantile(append([]float64(nil), ear...), 0.8)
	lo := 0
	for i := range ear {
		if ear[i] < ear[lo] {
			lo = i
		}
	}
	cu.EARMin = ear[lo]
	if cu.EAROpen <= 0 {
		return
	}
	drop := cu.EAROpen - cu.EARMin
	cu.BlinkDepth = drop / cu.EAROpen
	cu.BlinkAt = obs[lo].At.Sub(obs[0].At)
	// The dip: frames around the deepest one below the half-depth level.
	half := cu.EAROpen - drop/2
	a, b := lo, lo
	for a > 0 && ear[a-1] < half {
		a--
	}
	for b+1 < n && ear[b+1] < half {
		b++
	}
	cu.BlinkDuration = obs[b].At.Sub(obs[a].At)
	// Recovery: the eye is open (within a quarter of the drop) before and
	// after the dip.
	open := cu.EAROpen - drop/4
	var before, after bool
	for i := 0; i < a; i++ {
		before = before || ear[i] >= open
	}
	for i := b + 1; i < n; i++ {
		after = after || ear[i] >= open
	}
	if !before || !after || drop < c.BlinkNoise*cu.EARNoise ||
		cu.BlinkDuration < c.BlinkMin || cu.BlinkDuration > c.BlinkMax {
		return
	}
	cu.Blink = ramp(cu.BlinkDepth, c.BlinkDepthFull/2, c.BlinkDepthFull)
}

// shape measures the motion cues: total motion, landmark jitter and the
// non-rigid residual.
func (c Config) shape(obs []Observation, ied float64, r *Result) {
	cu := &r.Cues
	n := len(obs)
	// Mean shape by iterated alignment (twice is plenty for small
	// motions): each frame's points mapped onto the mean by their best
	// homography.
	mean := append([]Point(nil), obs[0].Landmarks...)
	aligned := make([][]Point, n)
	for range 3 {
		next := make([]Point, NumLandmarks)
		for i, o := range obs {
			h, _ := fitHomography(o.Landmarks, mean, shapeSet)
			aligned[i] = make([]Point, NumLandmarks)
			for _, k := range shapeSet {
				p := h.apply(o.Landmarks[k])
				aligned[i][k] = p
				next[k][0] += p[0] / float64(n)
				next[k][1] += p[1] / float64(n)
			}
		}
		mean = next
	}
	// Jitter from the second differences of the aligned points.
	var d2 []float64
	for i := 1; i+1 < n; i++ {
		for _, k := range shapeSet {
			for j := range 2 {
				d2 = append(d2, (aligned[i+1][k][j]-2*aligned[i][k][j]+aligned[i-1][k][j])/ied)
			}
		}
	}
	cu.Jitter = max(robustSigma(d2), c.JitterFloor)

	// Total motion: raw points about their own mean over the burst.
	var sum float64
	for _, k := range shapeSet {
		var m Point
		for _, o := range obs {
			m[0] += o.Landmarks[k][0] / float64(n)
			m[1] += o.Landmarks[k][1] / float64(n)
		}
		for _, o := range obs {
			d := dist(o.Landmarks[k], m) / ied
			sum += d * d
		}
	}
	cu.Motion = math.Sqrt(sum / float64(n*len(shapeSet)))

	// Non-rigid residual, smoothed in time so jitter averages out while
	// the slow parallax of a turning head stays.
	w := max(c.SmoothFrames, 1)
	smooth := make([][]float64, n) // per frame: the residual vector, IED
	for i := range n {
		a, b := max(0, i-w/2), min(n-1, i+w/2)
		v := make([]float64, 2*len(shapeSet))
		for t := a; t <= b; t++ {
			for j, k := range shapeSet {
				v[2*j] += (aligned[t][k][0] - mean[k][0]) / ied / float64(b-a+1)
				v[2*j+1] += (aligned[t][k][1] - mean[k][1]) / ied / float64(b-a+1)
			}
		}
		smooth[i] = v
	}
	// A head that turns moves each point by its depth times the angle
	// (sideways for yaw, up and down for pitch); what the homography fit
	// has not already absorbed of that pattern spans two directions.
	// Landmark errors of any kind — jitter, or the detector's systematic
	// shifts as a picture moves — spread over all the residual's
	// directions: their level per direction is measured in the rest.
	basis := parallaxBasis(mean, ied)
	var par, perp, all float64
	for _, v := range smooth {
		v = projectOut(v, basis.homography)
		for _, e := range basis.depth {
			d := dot(v, e)
			par += d * d
		}
		all += dot(v, v)
	}
	perp = all - par
	dof := float64(2*len(shapeSet) - 8 - len(basis.depth))
	cu.NonRigid = math.Sqrt(all / float64(n*len(shapeSet)))
	parLevel := par / float64(n*len(basis.depth))
	perpLevel := max(perp/(float64(n)*dof), c.JitterFloor*c.JitterFloor)
	cu.NonRigidSNR = math.Sqrt(parLevel / perpLevel)
	cu.Parallax = math.Sqrt(parLevel)
	cu.Depth = ramp(cu.Parallax, c.ParallaxLow, c.ParallaxHigh) * ramp(cu.NonRigidSNR, c.NonRigidSNRLow, c.NonRigidSNRHigh)
}
