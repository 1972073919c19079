package flow

import (
	"context"
	"fmt"
	"image"
	"image/draw"
	"math"
	"strings"
	"time"

	"gocv.io/x/gocv"

	"autogate/drivers/camera"
	"autogate/internal/wire"
	"autogate/models/face"
	"autogate/models/pad"
)

// Reason codes of the face check (stable).
const (
	ReasonNoFace             = "no_face"
	ReasonMultipleFaces      = "multiple_faces"
	ReasonLowQuality         = "low_quality"
	ReasonPresentationAttack = "presentation_attack"
	ReasonNoMatch            = "no_match"
	ReasonNoReference        = "no_reference"
	ReasonCameraFault        = "camera_fault"
)

// LiveFrame is one burst frame: when it was taken and the one face found
// in it (Found false when there was none, or several).
type LiveFrame struct {
	Face  face.Face
	Found bool
	At    time.Time
}

// FaceOptions tune the face check (from the gate's [face] section).
type FaceOptions struct {
	BurstFrames    int
	CaptureTimeout time.Duration
	MinQuality     float64
	// PAD scores liveness over the burst; its Threshold refers.
	PAD pad.Config
	// MaxPortraitWait bounds waiting for the chip's portrait once the
	// capture is done (the chip check has its own timeout).
	MaxPortraitWait time.Duration
}

// FaceCheck captures the traveller's face, checks its quality and
// liveness, and compares it with the chip's verified portrait. The portrait
// is decoded and embedded while the capture runs.
// A camera that senses presentation attacks itself (pad.HardwarePAD: NIR,
// 3D) has its verdict mixed into the PAD score.
func FaceCheck(cam camera.Camera, eng *face.Engine, o FaceOptions) Check {
	return &faceCheck{cam: cam, eng: eng, o: o}
}

type faceCheck struct {
	cam camera.Camera
	eng *face.Engine
	o   FaceOptions
}

func (c *faceCheck) Name() string { return "face" }

// reference is the portrait's template or why there is none.
type reference struct {
	t   *face.Template
	err error
}

func (c *faceCheck) Run(ctx context.Context, in Input) []wire.Check {
	refCh := make(chan reference, 1)
	refCtx, cancelRef := context.WithCancel(ctx)
	defer cancelRef()
	end := in.Evidence.begin()
	go func() {
		defer end()
		portrait, ref := c.reference(refCtx, in)
		refCh <- ref
		// After the hand-over: the officer's copy never delays the match.
		in.Evidence.chipPortrait(portrait)
	}()

	capture, burst, best := c.capture(ctx, in)
	defer best.close()
	out := []wire.Check{capture}
	if capture.Result != wire.ResultPass {
		return out
	}
	in.Evidence.liveFrame(best.mat)
	liveness := c.liveness(burst)
	out = append(out, liveness)
	if liveness.Result != wire.ResultPass {
		return out
	}

	matchStart := time.Now()
	liveT, err := c.eng.EnrolFace(best.mat, best.face)
	if err != nil {
		return append(out, referScores("face_match", ReasonNoFace, nil, "the live face could not be embedded: %v", err))
	}
	wait := c.o.MaxPortraitWait
	if wait <= 0 {
		wait = 15 * time.Second
	}
	var ref reference
	select {
	case ref = <-refCh:
	case <-time.After(wait):
		ref.err = fmt.Errorf("%w: the chip's portrait did not arrive within %s", ErrNoPortrait, wait)
	case <-ctx.Done():
		ref.err = ctx.Err()
	}
	if ref.err != nil {
		r := referScores("face_match", ReasonNoReference, nil, "no reference to compare with: %v", ref.err)
		r.DurationMS = ms(time.Since(matchStart))
		return append(out, r)
	}
	cmp := c.eng.Compare(ref.t, liveT)
	scores := map[string]float64{"face_score": cmp.Score, "face_threshold": cmp.Threshold}
	for model, s := range cmp.PerModel {
		scores["face_score_"+model] = s
	}
	var m wire.Check
	if cmp.Match {
		m = wire.Check{Name: "face_match", Result: wire.ResultPass, Scores: finite(scores),
			Message: fmt.Sprintf("live face matches the chip's portrait: score %.3f ≥ threshold %.3f (FMR %s)", cmp.Score, cmp.Threshold, cmp.Level)}
	} else {
		m = referScores("face_match", ReasonNoMatch, scores, "live face does not match the chip's portrait: score %.3f < threshold %.3f (FMR %s)",
			cmp.Score, cmp.Threshold, cmp.Level)
	}
	m.DurationMS = ms(time.Since(matchStart))
	return append(out, m)
}

// reference waits for the chip's verified portrait and embeds it. It also
// returns the decoded portrait (the caller closes it; zero when there is
// none) for the officer. Once the check has given up on it (ctx done) the
// embedding is skipped: nobody would read it.
func (c *faceCheck) reference(ctx context.Context, in Input) (gocv.Mat, reference) {
	data, err := in.Portrait.Wait(ctx)
	if err != nil {
		return gocv.Mat{}, reference{err: err}
	}
	mat, err := face.DecodeImage(data, 0)
	if err != nil {
		return gocv.Mat{}, reference{err: fmt.Errorf("the chip's portrait: %w", err)}
	}
	if err := ctx.Err(); err != nil {
		return mat, reference{err: err}
	}
	t, err := c.eng.Enrol(mat)
	if err != nil {
		return mat, reference{err: fmt.Errorf("the chip's portrait: %w", err)}
	}
	return mat, reference{t: t}
}

// bestFrame is the burst frame compared with the portrait.
type bestFrame struct {
	mat  gocv.Mat
	face face.Face
	ok   bool
}

func (b *bestFrame) close() {
	if b.ok {
		b.mat.Close()
	}
}

// capture takes bursts until one holds the traveller's face, or the capture
// time runs out. It returns the face_capture check, the burst's faces (for
// liveness) and the best frame.
func (c *faceCheck) capture(ctx context.Context, in Input) (wire.Check, []LiveFrame, *bestFrame) {
	start := time.Now()
	best := &bestFrame{}
	ctx, cancel := context.WithTimeout(ctx, c.o.CaptureTimeout)
	defer cancel()
	var lastErr error
	var lowest *face.Quality
	attempts := 0
	for ctx.Err() == nil {
		attempts++
		var frames []camera.Frame
		err := in.device(func() error {
			var err error
			frames, err = c.cam.Capture(ctx, c.o.BurstFrames)
			return err
		})
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			r := referScores("face_capture", ReasonCameraFault, nil, "camera: %v", err)
			r.DurationMS = ms(time.Since(start))
			return r, nil, best
		}
		burst, multi, err := c.analyse(frames, best)
		if err != nil {
			lastErr = err
			continue
		}
		if multi > 1 {
			best.close()
			*best = bestFrame{}
			r := referScores("face_capture", ReasonMultipleFaces, map[string]float64{"faces": float64(multi)},
				"%d faces in view: one traveller at a time", multi)
			r.DurationMS = ms(time.Since(start))
			return r, nil, best
		}
		if !best.ok {
			lastErr = face.ErrNoFace
			continue
		}
		q := best.face.Quality
		if q.Score < c.o.MinQuality {
			// Another burst may catch a better frame (the traveller settles,
			// looks up); the lowest quality seen is what is reported.
			lowest = &q
			lastErr = fmt.Errorf("best frame's quality %.2f below %.2f (%v)", q.Score, c.o.MinQuality, q.Problems)
			best.close()
			*best = bestFrame{}
			continue
		}
		r := wire.Check{Name: "face_capture", Result: wire.ResultPass, DurationMS: ms(time.Since(start)),
			Scores:  finite(map[string]float64{"quality": q.Score, "inter_eye_px": q.InterEyePx, "frames": float64(len(frames)), "bursts": float64(attempts)}),
			Message: fmt.Sprintf("face captured: %d of %d frames with one face, best quality %.2f", found(burst), len(frames), q.Score)}
		return r, burst, best
	}
	var r wire.Check
	switch {
	case lowest != nil:
		r = referScores("face_capture", ReasonLowQuality, map[string]float64{"quality": lowest.Score, "inter_eye_px": lowest.InterEyePx},
			"no frame of sufficient quality within %s: %v", c.o.CaptureTimeout, lastErr)
	default:
		if lastErr == nil {
			lastErr = face.ErrNoFace
		}
		r = referScores("face_capture", ReasonNoFace, nil, "no face captured within %s: %v", c.o.CaptureTimeout, lastErr)
	}
	r.DurationMS = ms(time.Since(start))
	return r, nil, best
}

// analyse finds the faces of every frame; it keeps the best-quality frame
// with exactly one face in best and returns every frame's face (for
// liveness) and the largest number of faces seen in a frame.
func (c *faceCheck) analyse(frames []camera.Frame, best *bestFrame) ([]LiveFrame, int, error) {
	var burst []LiveFrame
	most := 0
	var lastErr error
	for _, fr := range frames {
		mat, err := matFromImage(fr.Image)
		if err != nil {
			lastErr = err
			continue
		}
		faces, err := c.eng.Detect(mat)
		if err != nil {
			mat.Close()
			lastErr = err
			continue
		}
		faces = inView(faces)
		most = max(most, len(faces))
		if len(faces) != 1 {
			burst = append(burst, LiveFrame{At: fr.At})
			mat.Close()
			continue
		}
		burst = append(burst, LiveFrame{Face: faces[0], Found: true, At: fr.At})
		if !best.ok || faces[0].Quality.Score > best.face.Quality.Score {
			best.close()
			*best = bestFrame{mat: mat, face: faces[0], ok: true}
		} else {
			mat.Close()
		}
	}
	if !best.ok && most == 0 && lastErr != nil {
		return nil, 0, lastErr
	}
	return burst, most, nil
}

// Another face counts as a second person in view when the detector is
// sure of it and it is not much smaller than the largest: a confident,
// near-sized face is someone in the lane or at the traveller's shoulder; a
// faint, small one is a poster, a reflection or a detector error.
const (
	secondFaceMinScore    = 0.75
	secondFaceMinRelWidth = 0.5
)

// inView keeps the largest face and the others that count as a second
// person (Detect returns the largest first).
func inView(faces []face.Face) []face.Face {
	if len(faces) < 2 {
		return faces
	}
	out := faces[:1]
	w := float64(faces[0].Box.Dx())
	for _, f := range faces[1:] {
		if f.Score >= secondFaceMinScore && float64(f.Box.Dx()) >= secondFaceMinRelWidth*w {
			out = append(out, f)
		}
	}
	return out
}

// liveness scores the burst for presentation attacks.
func (c *faceCheck) liveness(burst []LiveFrame) wire.Check {
	start := time.Now()
	var hw *pad.HardwareSignal
	if h, ok := c.cam.(pad.HardwarePAD); ok {
		if sig, ok := h.PADSignal(); ok {
			hw = &sig
		}
	}
	res := c.o.PAD.Assess(Observations(burst), hw)
	scores := map[string]float64{"pad_score": res.Score, "pad_threshold": c.o.PAD.Threshold}
	why := strings.Join(res.Reasons, "; ")
	var r wire.Check
	if res.Attack || math.IsNaN(res.Score) {
		r = referScores("face_liveness", ReasonPresentationAttack, scores, "presentation-attack score %.2f ≥ %.2f: %s", res.Score, c.o.PAD.Threshold, why)
	} else {
		r = wire.Check{Name: "face_liveness", Result: wire.ResultPass, Scores: finite(scores),
			Message: fmt.Sprintf("presentation-attack score %.2f: %s", res.Score, why)}
	}
	r.DurationMS = ms(time.Since(start))
	return r
}

// Observations turns a burst into what PAD reads: each frame's time and the
// 68 landmarks of its one face (none when the frame had no single face).
func Observations(burst []LiveFrame) []pad.Observation {
	obs := make([]pad.Observation, len(burst))
	for i, f := range burst {
		obs[i].At = f.At
		if f.Found {
			obs[i].Landmarks = make([]pad.Point, len(f.Face.Landmarks))
			for j, p := range f.Face.Landmarks {
				obs[i].Landmarks[j] = pad.Point(p)
			}
		}
	}
	return obs
}

func referScores(name, reason string, scores map[string]float64, format string, args ...any) wire.Check {
	r := Refer(name, reason, format, args...)
	r.Scores = finite(scores)
	return r
}

// found counts the frames with one face.
func found(burst []LiveFrame) int {
	n := 0
	for _, f := range burst {
		if f.Found {
			n++
		}
	}
	return n
}

// finite drops NaN and infinite scores, which JSON cannot carry.
func finite(scores map[string]float64) map[string]float64 {
	if len(scores) == 0 {
		return nil
	}
	out := make(map[string]float64, len(scores))
	for k, v := range scores {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out[k] = v
		}
	}
	return out
}

// matFromImage converts a camera frame to the BGR matrix the face models
// take. Frames from mediadevices are YCbCr: drawing them onto RGBA first
// takes the standard library's fast path instead of a per-pixel loop.
func matFromImage(img image.Image) (gocv.Mat, error) {
	if img == nil || img.Bounds().Empty() {
		return gocv.Mat{}, fmt.Errorf("%w: empty frame", face.ErrBadImage)
	}
	rgba, ok := img.(*image.RGBA)
	if !ok || rgba.Stride != 4*rgba.Rect.Dx() {
		rgba = image.NewRGBA(img.Bounds())
		draw.Draw(rgba, rgba.Rect, img, img.Bounds().Min, draw.Src)
	}
	mat, err := gocv.ImageToMatRGB(rgba)
	if err != nil {
		return gocv.Mat{}, fmt.Errorf("%w: %v", face.ErrBadImage, err)
	}
	return mat, nil
}
