package referrals

import (
	"context"
	"testing"

	"autogate/central/internal/store"
	"autogate/internal/wire"
)

// FuzzReceive feeds arbitrary payloads to the receiver on gate-1's
// referrals topic: it never panics, what it accepts is stored (with the
// images it carried) and what it refuses is recorded as a reject.
func FuzzReceive(f *testing.F) {
	// Small seeds: the fuzzer minimises each input that finds new code,
	// one database write per try, so a long seed stalls it for minutes.
	lean := func(gate string, seq int64, chip, live []byte) []byte {
		w := referral(gate, seq)
		w.Crossing.Document, w.Crossing.Stages = wire.Document{}, nil
		w.Crossing.Checks = w.Crossing.Checks[1:2]
		w.Crossing.Checks[0].Message, w.Crossing.Checks[0].Scores = "", nil
		w.ChipPhoto, w.LiveCapture = chip, live
		return wire.Encode(w)
	}
	f.Add(lean("gate-1", 1, fakeJPEG('c', 4), fakeJPEG('l', 6)))
	f.Add(lean("gate-1", 2, nil, nil))
	f.Add(lean("gate-2", 1, fakeJPEG('c', 4), nil))
	f.Add([]byte(`{"v":1,"crossing":{"decision":"refer"},"chip_photo":"/9j/"}`))
	f.Add([]byte(`{"v":1}`))
	f.Add([]byte{})
	st := openStore(f)
	r := New(Options{Store: st, Logger: quietLogger()})
	topic := wire.GateTopic("gate-1", wire.KindReferrals)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, payload []byte) {
		before, err := st.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		stored := count(r, ResultStored)
		if err := r.Receive(ctx, topic, payload); err != nil {
			after, _ := st.Stats(ctx)
			if after.RejectedTotal != before.RejectedTotal+1 {
				t.Fatalf("refused (%v) but not recorded: %d rejects before, %d after", err, before.RejectedTotal, after.RejectedTotal)
			}
			return
		}
		w, err := wire.DecodeReferral("gate-1", payload)
		if err != nil {
			t.Fatalf("accepted what the decoder refuses: %v", err)
		}
		got, ok, err := st.Referral(ctx, w.Crossing.ID)
		if err != nil || !ok || got.Gate != "gate-1" {
			t.Fatalf("accepted but not stored: %+v ok=%v err=%v", got, ok, err)
		}
		if count(r, ResultStored) == stored {
			return // a duplicate of an earlier input: its images are the first's
		}
		for kind, img := range map[string][]byte{store.ImageChipPhoto: w.ChipPhoto, store.ImageLiveCapture: w.LiveCapture} {
			if _, held, _ := st.ReferralImage(ctx, w.Crossing.ID, kind); held != (len(img) > 0) {
				t.Fatalf("%s: held=%v for %d bytes sent", kind, held, len(img))
			}
		}
	})
}
