package flow

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"autogate/drivers/camera"
	"autogate/drivers/emrtd/vchip"
	"autogate/drivers/gatectl"
	"autogate/gate-agent/internal/config"
	"autogate/internal/testenv"
	"autogate/internal/wire"
	"autogate/models/face"
	"autogate/models/pad"
)

// referrals records what a flow's Referred receives, and the lane's state
// at that moment.
type referrals struct {
	mu   sync.Mutex
	got  []wire.Referral
	gate *gatectl.Sim
	// doorsStill holds, per referral, whether both doors were still
	// closed when it was sent (before the doors move).
	doorsStill []bool
}

func (r *referrals) record(ref wire.Referral) {
	closed := r.gate.DoorState(gatectl.Entrance) == gatectl.Closed && r.gate.DoorState(gatectl.Exit) == gatectl.Closed
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, ref)
	r.doorsStill = append(r.doorsStill, closed)
}

func (r *referrals) all() []wire.Referral {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]wire.Referral(nil), r.got...)
}

func listen(l *lane) *referrals {
	r := &referrals{gate: l.gate}
	l.flow.opts.Referred = r.record
	return r
}

// only returns the one referral received, after checking what every
// referral must be: the crossing as decided, valid on the wire, sent
// before any door moved.
func (r *referrals) only(t *testing.T, recorded wire.Crossing) wire.Referral {
	t.Helper()
	got := r.all()
	if len(got) != 1 {
		t.Fatalf("Referred called %d times, want once", len(got))
	}
	ref := got[0]
	c := ref.Crossing
	if c.ID != recorded.ID || c.Seq != recorded.Seq || c.Seq <= 0 || c.Decision != wire.DecisionRefer {
		t.Fatalf("referral crossing id=%s seq=%d decision=%s; recorded id=%s seq=%d", c.ID, c.Seq, c.Decision, recorded.ID, recorded.Seq)
	}
	if c.Door != "" || c.EndedAt.IsZero() || c.EndedAt.After(recorded.EndedAt) {
		t.Fatalf("referral door=%q ended_at=%s (recorded %s): want the crossing as decided", c.Door, c.EndedAt, recorded.EndedAt)
	}
	want := []string{StageIdle, StageDocument, StageChecks, StageDecision}
	if len(c.Stages) != len(want) {
		t.Fatalf("referral stages %+v, want the %d up to the decision", c.Stages, len(want))
	}
	for i, s := range c.Stages {
		if s.Name != want[i] {
			t.Fatalf("referral stage %d is %s, want %s", i, s.Name, want[i])
		}
	}
	if !r.doorsStill[0] {
		t.Fatal("a door had moved when the referral was sent")
	}
	dec, err := wire.DecodeReferral("g1", wire.Encode(ref))
	if err != nil {
		t.Fatalf("the referral does not survive the wire: %v", err)
	}
	if dec.Crossing.ID != c.ID || !bytes.Equal(dec.ChipPhoto, ref.ChipPhoto) || !bytes.Equal(dec.LiveCapture, ref.LiveCapture) {
		t.Fatal("the referral changed on the wire")
	}
	return ref
}

// officerJPEG checks an image a referral carries.
func officerJPEG(t *testing.T, what string, b []byte) image.Point {
	t.Helper()
	if len(b) == 0 {
		t.Fatalf("no %s", what)
	}
	if len(b) > wire.MaxReferralImageBytes {
		t.Fatalf("%s of %d bytes, over %d", what, len(b), wire.MaxReferralImageBytes)
	}
	if _, err := jpeg.DecodeConfig(bytes.NewReader(b)); err != nil {
		t.Fatalf("%s is not a JPEG: %v", what, err)
	}
	m, err := gocv.IMDecode(b, gocv.IMReadColor)
	if err != nil || m.Empty() {
		t.Fatalf("%s does not decode: %v", what, err)
	}
	defer m.Close()
	if max(m.Cols(), m.Rows()) > evidenceMaxSide {
		t.Fatalf("%s is %d×%d, longer side over %d", what, m.Cols(), m.Rows(), evidenceMaxSide)
	}
	return image.Pt(m.Cols(), m.Rows())
}

func TestReferralSentBeforeTheDoorsMove(t *testing.T) {
	l := newLane(t, config.Policy{})
	r := listen(l)
	l.traveller(build(t, time.Now().AddDate(0, -2, 0)), false) // expired
	c := l.once(t)
	ref := r.only(t, c)
	if !ref.HeldUntil.IsZero() {
		t.Fatalf("held_until %s, but this gate holds nobody", ref.HeldUntil)
	}
	if ref.ChipPhoto != nil || ref.LiveCapture != nil {
		t.Fatal("images from a gate with neither chip nor camera")
	}
	if !reasonsOf(ref.Crossing)[ReasonDocumentExpired] {
		t.Fatalf("referral reasons %v", reasonsOf(ref.Crossing))
	}
	if c.Door != DoorEntrance {
		t.Fatalf("door %s", c.Door)
	}
}

func TestPassedCrossingSendsNoReferral(t *testing.T) {
	l := newLane(t, config.Policy{})
	r := listen(l)
	l.traveller(build(t, time.Now().AddDate(3, 0, 0)), false)
	if c := l.once(t); c.Decision != wire.DecisionPass {
		t.Fatalf("decision %s", c.Decision)
	}
	if got := r.all(); len(got) != 0 {
		t.Fatalf("a passed crossing sent %d referral(s)", len(got))
	}
}

func TestHeldReferralSaysUntilWhen(t *testing.T) {
	l := newCommandLane(t, time.Minute)
	r := &referrals{gate: l.gate}
	l.flow.opts.Referred = r.record
	l.traveller(build(t, time.Now().AddDate(0, -2, 0)), false)
	until(t, "holding", func() bool { return l.flow.Held() != "" })
	sent := time.Now()
	if err := l.execute(t, command(wire.ActionReturn, l.flow.Held())); err != nil {
		t.Fatal(err)
	}
	c := l.next(t)
	ref := r.only(t, c)
	// The hold began after the referral: held_until is within a minute of
	// the decision, and still ahead when the officer acted.
	if ref.HeldUntil.IsZero() || ref.HeldUntil.After(c.Stages[3].End.Add(time.Minute+time.Second)) || !ref.HeldUntil.After(sent) {
		t.Fatalf("held_until %s, decision at %s", ref.HeldUntil, c.Stages[3].End)
	}
}

// A gate that reads the chip but has no camera still shows the officer
// the chip's photo.
func TestChipOnlyReferralCarriesTheChipPhoto(t *testing.T) {
	l, reader, pki := chipLane(t)
	r := listen(l)
	// Chip and print agree and verify; the document expires in 20 days
	// and this gate wants 90.
	l.flow.opts.Checks[1] = expiryCheck{minDays: 90}
	lines := build(t, time.Now().AddDate(0, 0, 20))
	reader.Present(chipWithPhoto(t, pki, lines, lfwPhoto(t, "adrien_brody/Adrien_Brody_0001.jpg"), vchip.Faults{}))
	l.traveller(lines, false)
	c := l.once(t)
	if ch, ok := checkNamed(c, "chip_pa"); !ok || ch.Result != wire.ResultPass {
		t.Fatalf("the chip did not verify: %+v", c.Checks)
	}
	ref := r.only(t, c)
	size := officerJPEG(t, "chip photo", ref.ChipPhoto)
	if size != image.Pt(250, 250) {
		t.Fatalf("chip photo %v, want the LFW portrait's 250×250 kept", size)
	}
	if ref.LiveCapture != nil {
		t.Fatal("a live capture from a gate without a camera")
	}
}

// A chip that fails Passive Authentication gives no photo: an unverified
// portrait is not shown as the document's.
func TestUnverifiedChipGivesNoPhoto(t *testing.T) {
	l, reader, pki := chipLane(t)
	r := listen(l)
	lines := build(t, time.Now().AddDate(3, 0, 0))
	reader.Present(chipWithPhoto(t, pki, lines, lfwPhoto(t, "adrien_brody/Adrien_Brody_0001.jpg"), vchip.Faults{Clone: true}))
	l.traveller(lines, false)
	ref := r.only(t, l.once(t))
	if ref.ChipPhoto != nil {
		t.Fatal("the photo of a chip that did not verify was sent")
	}
}

// With a camera: the officer gets the chip's portrait and the frame the
// live face was compared from.
func TestFaceReferralCarriesBothImages(t *testing.T) {
	eng := faceEngine(t)
	l, reader, pki := chipLane(t)
	r := listen(l)
	cam, err := camera.NewSim(testenv.ShippedProfile(t, "sim-camera"), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cam.Close() })
	l.flow.opts.Checks = append(l.flow.opts.Checks, FaceCheck(cam, eng, FaceOptions{BurstFrames: 30, CaptureTimeout: 2 * time.Second,
		MinQuality: 0.3, PAD: pad.DefaultConfig(), MaxPortraitWait: 2 * time.Second}))
	lines := build(t, time.Now().AddDate(3, 0, 0))
	reader.Present(chipWithPhoto(t, pki, lines, lfwPhoto(t, "adrien_brody/Adrien_Brody_0001.jpg"), vchip.Faults{}))
	// Somebody else holds the passport: a 500×500 burst (LFW ×2).
	cam.Show(burst(t, eng, lfwPhoto(t, "alejandro_toledo/Alejandro_Toledo_0001.jpg"), pad.BonaFide, 30))
	l.traveller(lines, false)
	c := l.once(t)
	if !reasonsOf(c)[ReasonNoMatch] {
		t.Fatalf("reasons %v, want %s", reasonsOf(c), ReasonNoMatch)
	}
	ref := r.only(t, c)
	officerJPEG(t, "chip photo", ref.ChipPhoto)
	live := officerJPEG(t, "live capture", ref.LiveCapture)
	if max(live.X, live.Y) != evidenceMaxSide {
		t.Fatalf("live capture %v: the 500 px frame should be brought down to %d", live, evidenceMaxSide)
	}
	// The live capture is the impostor, not the portrait: it must not
	// match the chip's face.
	chipT, liveT := enrolJPEG(t, eng, ref.ChipPhoto), enrolJPEG(t, eng, ref.LiveCapture)
	if eng.Compare(chipT, liveT).Match {
		t.Fatal("the live capture matches the chip photo: it is not the frame compared")
	}
	sameT := enrolJPEG(t, eng, lfwPhoto(t, "alejandro_toledo/Alejandro_Toledo_0001.jpg"))
	if !eng.Compare(sameT, liveT).Match {
		t.Fatal("the live capture is not the traveller in front of the camera")
	}
}

func enrolJPEG(t *testing.T, eng *face.Engine, b []byte) *face.Template {
	t.Helper()
	m, err := face.DecodeImage(b, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tpl, err := eng.Enrol(m)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestEvidenceJPEGBoundsSizeAndSide(t *testing.T) {
	cases := []struct {
		name string
		w, h int
		side int
	}{
		{"HD frame", 1280, 720, 480},
		{"portrait already small", 300, 400, 400},
		{"tall", 600, 1800, 480},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := testImage(t, c.w, c.h, false)
			defer src.Close()
			b, err := evidenceJPEG(src)
			if err != nil {
				t.Fatal(err)
			}
			got := officerJPEG(t, c.name, b)
			if max(got.X, got.Y) != c.side {
				t.Fatalf("%v, want the longer side %d", got, c.side)
			}
			if ratio, want := float64(got.X)/float64(got.Y), float64(c.w)/float64(c.h); ratio < want*0.98 || ratio > want*1.02 {
				t.Fatalf("%v: the aspect of %d×%d was not kept", got, c.w, c.h)
			}
		})
	}
	t.Run("empty", func(t *testing.T) {
		if _, err := evidenceJPEG(gocv.NewMat()); err == nil {
			t.Fatal("an empty image was encoded")
		}
	})
}

// Noise does not compress: a lower quality must take over, or the image
// be refused when even the lowest is too large.
func TestEvidenceJPEGLowersQualityToFit(t *testing.T) {
	atQuality := func(m gocv.Mat, q int) int {
		buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, m, []int{gocv.IMWriteJpegQuality, q})
		if err != nil {
			t.Fatal(err)
		}
		defer buf.Close()
		return buf.Len()
	}
	fits := testImage(t, 480, 360, true)
	defer fits.Close()
	if n := atQuality(fits, evidenceQualities[0]); n <= wire.MaxReferralImageBytes {
		t.Fatalf("the noise image takes only %d bytes at quality %d: the test proves nothing", n, evidenceQualities[0])
	}
	b, err := evidenceJPEG(fits)
	if err != nil {
		t.Fatalf("%v (at the lowest quality it takes %d bytes)", err, atQuality(fits, evidenceQualities[len(evidenceQualities)-1]))
	}
	officerJPEG(t, "noise", b)

	// Within 480 px, noise fits at the lowest quality; a larger image
	// (straight to the encoder) shows the refusal.
	tooBig := testImage(t, 800, 800, true)
	defer tooBig.Close()
	if n := atQuality(tooBig, evidenceQualities[len(evidenceQualities)-1]); n <= wire.MaxReferralImageBytes {
		t.Fatalf("the large noise image takes only %d bytes at the lowest quality: the test proves nothing", n)
	}
	if b, err := encodeJPEG(tooBig); err == nil {
		t.Fatalf("a %d-byte image was accepted beyond every quality", len(b))
	}
}

// testImage is a w×h BGR image: a gradient, or noise.
func testImage(t testing.TB, w, h int, noise bool) gocv.Mat {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rnd := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			c := color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 128, 255}
			if noise {
				c = color.RGBA{uint8(rnd.IntN(256)), uint8(rnd.IntN(256)), uint8(rnd.IntN(256)), 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	m, err := gocv.ImageToMatRGB(img)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// BenchmarkEvidenceJPEG measures the officer's images: the chip portrait
// as the face check's reference step encodes it (decoded already), as a
// chip-only gate does at referral time (decode too), and a camera frame
// (downscale + encode).
func BenchmarkEvidenceJPEG(b *testing.B) {
	photo := lfwPhoto(b, "adrien_brody/Adrien_Brody_0001.jpg")
	portrait, err := face.DecodeImage(photo, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer portrait.Close()
	b.Run("portrait", func(b *testing.B) {
		for b.Loop() {
			if _, err := evidenceJPEG(portrait); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("portrait_decode", func(b *testing.B) {
		for b.Loop() {
			m, err := face.DecodeImage(photo, 0)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := evidenceJPEG(m); err != nil {
				b.Fatal(err)
			}
			m.Close()
		}
	})
	for _, size := range []image.Point{{640, 480}, {1280, 720}} {
		frame := gocv.NewMat()
		gocv.Resize(portrait, &frame, size, 0, 0, gocv.InterpolationLinear)
		b.Run("live_"+size.String(), func(b *testing.B) {
			for b.Loop() {
				if _, err := evidenceJPEG(frame); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("live_clone_"+size.String(), func(b *testing.B) {
			for b.Loop() {
				m := frame.Clone()
				m.Close()
			}
		})
		b.Run("live_shrink_only_"+size.String(), func(b *testing.B) {
			for b.Loop() {
				m, err := shrink(frame)
				if err != nil {
					b.Fatal(err)
				}
				m.Close()
			}
		})
		frame.Close()
	}
}
