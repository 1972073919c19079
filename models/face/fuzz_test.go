package face

import (
	"errors"
	"os"
	"testing"
)

// FuzzDecideImage drives outside bytes through the whole decision:
// DecodeImage → Enrol → Compare against a real template of someone else.
// It must never panic, every failure must be one of the package's errors,
// and garbage must never match.
func FuzzDecideImage(f *testing.F) {
	e := engine(f)
	refImg := readImage(f, photosOf(f, "adrien_brody")[0])
	ref, err := e.Enrol(refImg)
	refImg.Close()
	if err != nil {
		f.Fatal(err)
	}
	other, err := os.ReadFile(photosOf(f, "ariel_sharon")[0])
	if err != nil {
		f.Fatal(err)
	}
	f.Add(other)
	f.Add(other[:len(other)/2])
	f.Add(encodeJPEG(f, gradient(120, 90, false)))
	f.Add(encodeJPEG(f, gradient(64, 64, true)))
	f.Add(encodePNG(f, gradient(40, 30, false)))
	f.Add(withJPEGSize(f, encodeJPEG(f, gradient(64, 48, false)), 30000, 30000))
	f.Add([]byte{})
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := DecodeImage(data, 4_000_000)
		if err != nil {
			if !errors.Is(err, ErrBadImage) {
				t.Fatalf("DecodeImage error %v does not wrap ErrBadImage", err)
			}
			return
		}
		defer img.Close()
		tp, err := e.Enrol(img)
		if err != nil {
			if !errors.Is(err, ErrNoFace) && !errors.Is(err, ErrMultipleFaces) && !errors.Is(err, ErrBadImage) {
				t.Fatalf("Enrol error %v is none of the package's", err)
			}
			return
		}
		if c := e.Compare(ref, tp); c.Match {
			t.Fatalf("fuzzed image matched the reference: %+v", c)
		}
	})
}
