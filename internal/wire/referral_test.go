package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// fakeJPEG is n bytes that start as a JPEG does.
func fakeJPEG(n int) []byte {
	b := bytes.Repeat([]byte{0x42}, n)
	copy(b, jpegMagic)
	return b
}

func validReferral() Referral {
	c := validCrossing()
	c.Decision = DecisionRefer
	c.Checks = []Check{{Name: "face", Result: ResultRefer, Reason: "face_mismatch",
		Scores: map[string]float64{"face_score": 0.31, "face_threshold": 0.5}}}
	return Referral{V: SchemaVersion, Crossing: c, HeldUntil: c.EndedAt.Add(90 * time.Second),
		ChipPhoto: fakeJPEG(2000), LiveCapture: fakeJPEG(3000)}
}

func TestDecodeReferral(t *testing.T) {
	mutate := func(f func(*Referral)) []byte { r := validReferral(); f(&r); return Encode(r) }
	cases := []struct {
		name    string
		topic   string
		payload []byte
		want    error // nil: accepted
	}{
		{"valid", "post-a-01", Encode(validReferral()), nil},
		{"no images", "post-a-01", mutate(func(r *Referral) { r.ChipPhoto, r.LiveCapture = nil, nil }), nil},
		{"not held", "post-a-01", mutate(func(r *Referral) { r.HeldUntil = time.Time{} }), nil},
		{"image at the limit", "post-a-01", mutate(func(r *Referral) { r.ChipPhoto = fakeJPEG(MaxReferralImageBytes) }), nil},
		{"decision pass", "post-a-01", mutate(func(r *Referral) { r.Crossing.Decision = DecisionPass }), ErrInvalid},
		{"other gate's topic", "post-b-07", Encode(validReferral()), ErrInvalid},
		{"chip photo not a JPEG", "post-a-01", mutate(func(r *Referral) { r.ChipPhoto = []byte("\x89PNG\r\n\x1a\n....") }), ErrInvalid},
		{"live capture not a JPEG", "post-a-01", mutate(func(r *Referral) { r.LiveCapture = []byte{0xFF, 0xD8} }), ErrInvalid},
		{"image over the limit", "post-a-01", mutate(func(r *Referral) { r.LiveCapture = fakeJPEG(MaxReferralImageBytes + 1) }), ErrInvalid},
		{"unknown v", "post-a-01", mutate(func(r *Referral) { r.V = 2 }), ErrUnknownVersion},
		{"no v", "post-a-01", []byte(`{"crossing":{}}`), ErrMalformed},
		{"crossing invalid", "post-a-01", mutate(func(r *Referral) { r.Crossing.ID = "nope" }), ErrInvalid},
		{"image not base64", "post-a-01", []byte(`{"v":1,"chip_photo":"!!"}`), ErrMalformed},
		{"both images at the limit", "post-a-01", mutate(func(r *Referral) {
			r.ChipPhoto, r.LiveCapture = fakeJPEG(MaxReferralImageBytes), fakeJPEG(MaxReferralImageBytes)
		}), nil},
		{"too large", "post-a-01", mutate(func(r *Referral) { r.Crossing.Checks[0].Message = strings.Repeat("x", MaxMessageBytes) }), ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := DecodeReferral(tc.topic, tc.payload)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				var sent Referral
				if err := json.Unmarshal(tc.payload, &sent); err != nil {
					t.Fatal(err)
				}
				if r.Crossing.ID != sent.Crossing.ID || !bytes.Equal(r.ChipPhoto, sent.ChipPhoto) ||
					!bytes.Equal(r.LiveCapture, sent.LiveCapture) || !r.HeldUntil.Equal(sent.HeldUntil) {
					t.Fatalf("decoded %s differs from what was sent", r.Crossing.ID)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err=%v, want %v", err, tc.want)
			}
		})
	}
}

// FuzzDecodeReferral: DecodeReferral never panics, refuses only with the
// package's typed errors, and what it accepts is a refer of the topic's gate
// whose images are JPEG-looking and within the limit, and that decodes the
// same again after a re-encode.
func FuzzDecodeReferral(f *testing.F) {
	f.Add("post-a-01", Encode(validReferral()))
	r := validReferral()
	r.ChipPhoto, r.LiveCapture = nil, []byte{0xFF, 0xD8, 0xFF}
	f.Add("post-a-01", Encode(r))
	f.Add("post-b-07", Encode(validReferral()))
	f.Add("g", []byte(`{"v":1,"crossing":{"decision":"refer"},"chip_photo":"/9j/"}`))
	f.Add("g", []byte(`{"v":1,"live_capture":null,"held_until":"x"}`))
	f.Add("g", []byte(`{"v":1,"chip_photo":"`+strings.Repeat("A", 200)+`"}`))
	f.Fuzz(func(t *testing.T, gate string, payload []byte) {
		r, err := DecodeReferral(gate, payload)
		if err != nil {
			if !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrMalformed) &&
				!errors.Is(err, ErrUnknownVersion) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("untyped refusal: %v", err)
			}
			return
		}
		if r.V != SchemaVersion || r.Crossing.Gate != gate || r.Crossing.Decision != DecisionRefer || !validID(r.Crossing.ID) {
			t.Fatalf("accepted an invalid referral: %+v", r.Crossing)
		}
		for _, img := range [][]byte{r.ChipPhoto, r.LiveCapture} {
			if len(img) > 0 && (len(img) > MaxReferralImageBytes || !bytes.HasPrefix(img, jpegMagic)) {
				t.Fatalf("accepted an image of %d bytes starting % x", len(img), img[:min(len(img), 4)])
			}
		}
		again, err := json.Marshal(r)
		if err != nil {
			return // a time JSON cannot write again: central's "unstorable" case
		}
		r2, err := DecodeReferral(gate, again)
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				return // re-encoding may grow escapes past the limit
			}
			t.Fatalf("accepted referral does not re-decode: %v", err)
		}
		if r2.Crossing.ID != r.Crossing.ID || !bytes.Equal(r2.ChipPhoto, r.ChipPhoto) || !bytes.Equal(r2.LiveCapture, r.LiveCapture) {
			t.Fatal("re-decoded referral differs")
		}
	})
}
