package flow

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"slices"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"autogate/internal/wire"
	"autogate/models/face"
)

// The officer's images: small enough to travel live beside the record,
// large enough to compare a face at a glance.
const (
	evidenceMaxSide = 480
	// evidenceWait bounds how long a referral waits for encodings still
	// under way (a few ms each): the doors never wait on an image for long.
	evidenceWait = 250 * time.Millisecond
)

// evidenceQualities are tried in turn until the JPEG fits
// wire.MaxReferralImageBytes.
var evidenceQualities = []int{80, 60, 40}

// Evidence collects, during one crossing, the images an officer sees with
// its referral: the chip's verified portrait and the live frame the face
// was compared from, both re-encoded as small JPEGs. They live in memory
// for the crossing only: never on the gate's disk, never in the record.
// A nil *Evidence (no Options.Referred) collects nothing.
type Evidence struct {
	log     *slog.Logger
	pending sync.WaitGroup // encodings under way
	mu      sync.Mutex
	chip    []byte
	live    []byte
}

func newEvidence(log *slog.Logger) *Evidence { return &Evidence{log: log} }

// begin counts an image that will be set later; images waits for it. The
// returned func must be called once, whatever happens.
func (e *Evidence) begin() (end func()) {
	if e == nil {
		return func() {}
	}
	e.pending.Add(1)
	return e.pending.Done
}

// chipPortrait encodes the chip's decoded portrait and closes it.
func (e *Evidence) chipPortrait(mat gocv.Mat) {
	if mat.Ptr() == nil {
		return
	}
	defer mat.Close()
	if e == nil {
		return
	}
	e.keep(&e.chip, "the chip's portrait", mat)
}

// keep encodes img into *slot, or logs why the officer will not see it.
func (e *Evidence) keep(slot *[]byte, what string, img gocv.Mat) {
	b, err := evidenceJPEG(img)
	if err != nil {
		e.log.Warn(what+" is left out of the referral", "err", err)
		return
	}
	e.mu.Lock()
	*slot = b
	e.mu.Unlock()
}

// liveFrame copies frame (which stays the caller's) at once, a memory
// copy, and downscales and JPEG-encodes the copy in the background (a few
// ms): the face check goes on with the match meanwhile.
func (e *Evidence) liveFrame(frame gocv.Mat) {
	if e == nil || frame.Empty() {
		return
	}
	own := frame.Clone()
	end := e.begin()
	go func() {
		defer end()
		defer own.Close()
		e.keep(&e.live, "the live capture", own)
	}()
}

// images returns the crossing's images once the encodings under way are
// done (evidenceWait at most). A gate that read a chip but compared no
// face (no camera) encodes the chip's portrait here, at referral time.
func (e *Evidence) images(portrait *Portrait) (chip, live []byte) {
	if e == nil {
		return nil, nil
	}
	done := make(chan struct{})
	go func() { e.pending.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(evidenceWait):
		e.log.Warn("an image was not encoded in time for the referral; sending what is ready", "waited", evidenceWait)
	}
	e.mu.Lock()
	chip, live = e.chip, e.live
	e.mu.Unlock()
	if chip != nil {
		return chip, live
	}
	data, ok := portrait.resolved()
	if !ok || len(data) == 0 {
		return nil, live
	}
	mat, err := face.DecodeImage(data, 0)
	if err != nil {
		e.log.Warn("the chip's portrait is left out of the referral", "err", err)
		return nil, live
	}
	e.chipPortrait(mat)
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.chip, live
}

// evidenceJPEG downscales img so that its longer side is at most
// evidenceMaxSide and encodes it as a JPEG of at most
// wire.MaxReferralImageBytes.
func evidenceJPEG(img gocv.Mat) ([]byte, error) {
	small, err := shrink(img)
	if err != nil {
		return nil, err
	}
	defer small.Close()
	return encodeJPEG(small)
}

// shrink returns a copy of img whose longer side is at most
// evidenceMaxSide (area interpolation: no aliasing on a downscale).
func shrink(img gocv.Mat) (gocv.Mat, error) {
	if img.Empty() {
		return gocv.Mat{}, errors.New("empty image")
	}
	w, h := img.Cols(), img.Rows()
	side := max(w, h)
	if side <= evidenceMaxSide {
		return img.Clone(), nil
	}
	size := image.Pt(max(1, w*evidenceMaxSide/side), max(1, h*evidenceMaxSide/side))
	out := gocv.NewMat()
	gocv.Resize(img, &out, size, 0, 0, gocv.InterpolationArea)
	if out.Empty() {
		out.Close()
		return gocv.Mat{}, fmt.Errorf("resizing a %d×%d image failed", w, h)
	}
	return out, nil
}

// encodeJPEG encodes img at the first of evidenceQualities whose JPEG fits
// wire.MaxReferralImageBytes.
func encodeJPEG(img gocv.Mat) ([]byte, error) {
	size := 0
	for _, q := range evidenceQualities {
		buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, img, []int{gocv.IMWriteJpegQuality, q})
		if err != nil {
			return nil, fmt.Errorf("JPEG encoding: %w", err)
		}
		// The bytes live in OpenCV's memory until Close: copy them out.
		b := bytes.Clone(buf.GetBytes())
		buf.Close()
		if len(b) == 0 {
			return nil, fmt.Errorf("JPEG encoding of a %d×%d image gave nothing", img.Cols(), img.Rows())
		}
		if len(b) <= wire.MaxReferralImageBytes {
			return b, nil
		}
		size = len(b)
	}
	return nil, fmt.Errorf("JPEG of %d bytes at quality %d, over the %d a referral carries", size, slices.Min(evidenceQualities), wire.MaxReferralImageBytes)
}
