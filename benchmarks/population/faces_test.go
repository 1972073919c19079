package population

import (
	"bytes"
	"os"
	"path"
	"path/filepath"
	"testing"
	"time"

	"autogate/internal/testenv"
	"autogate/models/face"
)

// faceEngine loads the face models, or skips naming `make models`.
func faceEngine(t *testing.T) *face.Engine {
	t.Helper()
	dir := filepath.Join(testenv.RepoRoot(t), "models", "cache", "onnx")
	for _, f := range face.ModelFiles() {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Skipf("face model %s not found: run `make models`", filepath.Join(dir, f))
		}
	}
	eng, err := face.Load(face.Config{Dir: dir, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

func castFaces(t *testing.T, eng *face.Engine, lfw string, n int) []Traveller {
	t.Helper()
	o := DefaultOptions(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC))
	o.ExpiredShare = 0.2
	ts := Generate(n, o)
	f := &Faces{Dir: lfw, Detector: eng, ImpostorShare: 0.2, AttackShare: 0.2, MinQuality: 0.5, Seed: 9}
	if err := f.AssignPeople(ts); err != nil {
		t.Fatal(err)
	}
	st, err := f.Present(ts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s; %+v", Describe(ts), st)
	return ts
}

func TestFacesCastPeopleAndPlantImpostorsAndAttacks(t *testing.T) {
	lfw := testenv.SharedTestdata(t, "faces/lfw")
	eng := faceEngine(t)
	const n = 10
	ts := castFaces(t, eng, lfw, n)
	kinds := map[Presentation]int{}
	for i, tr := range ts {
		kinds[tr.Presentation]++
		if tr.Person == "" || len(tr.Portrait) == 0 {
			t.Fatalf("traveller %d: no person or portrait", i)
		}
		if len(tr.Face) != DefaultBurstFrames {
			t.Fatalf("traveller %d: %d frames, want %d", i, len(tr.Face), DefaultBurstFrames)
		}
		// The chip's portrait must hold exactly one face, or the gate has
		// nothing to compare with.
		img, err := face.DecodeImage(tr.Portrait, 0)
		if err != nil {
			t.Fatalf("traveller %d: portrait: %v", i, err)
		}
		faces, err := eng.Detect(img)
		img.Close()
		if err != nil || len(faces) != 1 {
			t.Fatalf("traveller %d: %d faces in the portrait (%v)", i, len(faces), err)
		}
		// So must the frames the camera shows (the first and a middle one).
		for _, k := range []int{0, len(tr.Face) / 2} {
			img, err := face.DecodeImage(tr.Face[k], 0)
			if err != nil {
				t.Fatalf("traveller %d frame %d: %v", i, k, err)
			}
			faces, err := eng.Detect(img)
			img.Close()
			if err != nil || len(faces) != 1 {
				t.Fatalf("traveller %d (%s) frame %d: %d faces (%v)", i, tr.Presentation, k, len(faces), err)
			}
		}
		person := path.Dir(tr.ShownPhoto)
		switch tr.Presentation {
		case Genuine:
			if person != tr.Person || tr.ShownPhoto == tr.PortraitPhoto {
				t.Fatalf("traveller %d: genuine but shown %s (portrait %s)", i, tr.ShownPhoto, tr.PortraitPhoto)
			}
		case Impostor:
			if person == tr.Person || tr.Expect != "refer" || tr.Why != WhyImpostor {
				t.Fatalf("traveller %d: impostor %s shown %s, expect %s why %s", i, tr.Person, tr.ShownPhoto, tr.Expect, tr.Why)
			}
		case AttackReplay, AttackPrint:
			if tr.ShownPhoto != tr.PortraitPhoto || tr.Expect != "refer" || tr.Why != WhyAttack {
				t.Fatalf("traveller %d: attack shown %s (portrait %s), expect %s why %s", i, tr.ShownPhoto, tr.PortraitPhoto, tr.Expect, tr.Why)
			}
		default:
			t.Fatalf("traveller %d: presentation %q", i, tr.Presentation)
		}
	}
	if kinds[Impostor] != 2 || kinds[AttackReplay]+kinds[AttackPrint] != 2 {
		t.Fatalf("presentations %v: want 2 impostors and 2 attacks of 10 at shares 0.2", kinds)
	}
	// Faces are planted only on travellers nothing else was planted on.
	for i, tr := range ts {
		if tr.Presentation != Genuine && tr.Why != WhyImpostor && tr.Why != WhyAttack {
			t.Fatalf("traveller %d: %s planted on a traveller already referred for %s", i, tr.Presentation, tr.Why)
		}
	}

	// One seed, one cast: the same people, portraits and frames.
	again := castFaces(t, eng, lfw, n)
	for i := range ts {
		a, b := ts[i], again[i]
		if a.Person != b.Person || a.Presentation != b.Presentation || !bytes.Equal(a.Portrait, b.Portrait) {
			t.Fatalf("traveller %d differs between two casts with one seed", i)
		}
		for k := range a.Face {
			if !bytes.Equal(a.Face[k], b.Face[k]) {
				t.Fatalf("traveller %d frame %d differs between two casts with one seed", i, k)
			}
		}
	}
}

func TestFacesNeedAssignPeopleFirst(t *testing.T) {
	lfw := testenv.SharedTestdata(t, "faces/lfw")
	ts := Generate(3, DefaultOptions(time.Now()))
	f := &Faces{Dir: lfw}
	if _, err := f.Present(ts); err == nil {
		t.Fatal("Present before AssignPeople succeeded")
	}
	if n, err := (&Faces{Dir: t.TempDir()}).People(); err == nil {
		t.Fatalf("an empty folder gave %d people and no error", n)
	}
}
