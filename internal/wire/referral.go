package wire

import (
	"bytes"
	"fmt"
	"time"
)

// MaxReferralImageBytes bounds each image of a referral: two of them,
// base64 in JSON (4/3 of their size, 214 KiB), leave room for the record
// inside MaxMessageBytes.
const MaxReferralImageBytes = 80 << 10

// Referral is a referred crossing sent live, on the gate's referrals topic,
// to the officers of its post as soon as the gate has decided, before the
// doors move: the officer sees the traveller while they are still in the
// lane. It is a notice, not the record: the crossing itself still travels
// through the outbox (with its door outcome and any officer override), and
// a referral lost while the link is down loses no crossing.
type Referral struct {
	V int `json:"v"`
	// Crossing is the record as decided: decision "refer", checks, stages
	// up to the decision, door "" (not yet moved), ended_at the decision time.
	Crossing Crossing `json:"crossing"`
	// HeldUntil is when the gate gives up waiting for an officer and
	// returns the traveller (zero: not held, the traveller is being
	// returned at once, so only lock/unlock and the record remain).
	HeldUntil time.Time `json:"held_until,omitzero"`
	// ChipPhoto is the chip's verified portrait and LiveCapture the frame
	// the face was compared from, both JPEG re-encoded by the gate (at
	// most MaxReferralImageBytes each); absent when the gate has none.
	ChipPhoto   []byte `json:"chip_photo,omitempty"`
	LiveCapture []byte `json:"live_capture,omitempty"`
}

// jpegMagic starts every JPEG (SOI marker and the next marker's 0xFF).
var jpegMagic = []byte{0xFF, 0xD8, 0xFF}

// DecodeReferral decodes and validates a referral received on topicGate's
// referrals topic.
func DecodeReferral(topicGate string, payload []byte) (Referral, error) {
	var r Referral
	if err := decode(payload, &r); err != nil {
		return Referral{}, err
	}
	if err := r.Crossing.validate(topicGate); err != nil {
		return Referral{}, err
	}
	if r.Crossing.Decision != DecisionRefer {
		return Referral{}, fmt.Errorf("%w: referral %s: decision %q (a referral is a refer)", ErrInvalid, r.Crossing.ID, r.Crossing.Decision)
	}
	for name, img := range map[string][]byte{"chip_photo": r.ChipPhoto, "live_capture": r.LiveCapture} {
		if len(img) == 0 {
			continue
		}
		if len(img) > MaxReferralImageBytes {
			return Referral{}, fmt.Errorf("%w: referral %s: %s of %d bytes (limit %d)", ErrInvalid, r.Crossing.ID, name, len(img), MaxReferralImageBytes)
		}
		if !bytes.HasPrefix(img, jpegMagic) {
			return Referral{}, fmt.Errorf("%w: referral %s: %s is not a JPEG", ErrInvalid, r.Crossing.ID, name)
		}
	}
	return r, nil
}
