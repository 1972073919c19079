package ingest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"autogate/central/internal/store"
	"autogate/internal/wire"
)

// FuzzIngestMessage drives (topic, payload) through Classify and, when
// accepted, through the store, checking the decision is always coherent:
// refused messages carry a known reason and the topic and are never stored;
// accepted crossings are stored (or recognised as duplicates or conflicts)
// and read back as decoded; accepted statuses update their gate.
func FuzzIngestMessage(f *testing.F) {
	c := validCrossing("gate-1", 7)
	c.Checks = append(c.Checks, wire.Check{Name: "face", Result: wire.ResultRefer, Reason: "face_mismatch"})
	topic := wire.GateTopic("gate-1", wire.KindCrossings)
	status := wire.Status{V: 1, Gate: "gate-1", State: wire.StateOnline, At: time.Now().UTC(),
		Devices: map[string]string{"camera": "ok"}, OutboxDepth: 3}
	f.Add(topic, wire.Encode(c))
	f.Add(wire.GateTopic("gate-1", wire.KindStatus), wire.Encode(status))
	f.Add(wire.GateTopic("gate-1", wire.KindStatus), []byte{})
	f.Add(wire.GateTopic("gate-2", wire.KindCrossings), wire.Encode(c))
	f.Add(wire.GateTopic("gate-1", wire.KindReferrals), wire.Encode(c))
	f.Add("autogate/v1/gates/gate 1/crossings", wire.Encode(c))
	f.Add("autogate/v1/gates//crossings", []byte(`{}`))
	f.Add(topic, []byte(`{"v":1,"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","gate":"gate-1","seq":1,"decision":"pass","started_at":"2025-01-01T00:00:00Z","ended_at":"2025-01-01T00:00:14+14:00"}`))
	f.Add(topic, []byte(`{"v":2}`))
	f.Add(topic, []byte(`{"v":1}{"v":1}`))
	f.Add(topic, []byte(`{"v":null}`))
	f.Add(topic, []byte(`[1,2,3]`))
	f.Add(topic, []byte(strings.Repeat(" ", wire.MaxMessageBytes+1)))
	batches := wire.GateTopic("gate-1", wire.KindBatches)
	c2 := validCrossing("gate-1", 8)
	f.Add(batches, wire.Encode(wire.CrossingBatch{V: 1, Gate: "gate-1", Crossings: []wire.Crossing{c, c2}}))
	f.Add(batches, wire.Encode(wire.CrossingBatch{V: 1, Gate: "gate-1", Crossings: []wire.Crossing{c, c}}))
	f.Add(wire.GateTopic("gate-2", wire.KindBatches), wire.Encode(wire.CrossingBatch{V: 1, Gate: "gate-1", Crossings: []wire.Crossing{c}}))
	f.Add(batches, []byte(`{"v":1,"gate":"gate-1","crossings":[]}`))
	f.Add(batches, []byte(`{"v":1,"gate":"gate-1","crossings":[{"v":1,"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","gate":"gate-1","seq":1,"decision":"pass","started_at":"2025-01-01T00:00:00Z","ended_at":"2025-01-01T00:00:14+14:00"}]}`))
	f.Add(batches, []byte(`{"v":1,"gate":"gate-1","crossings":[{"v":2}]}`))
	f.Add(batches, wire.Encode(c))

	st, err := store.Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	ctx := context.Background()

	f.Fuzz(func(t *testing.T, topic string, payload []byte) {
		msg, rej := Classify(topic, payload)
		if rej != nil {
			if msg != (Message{}) {
				t.Fatalf("refused and accepted at once: %+v / %v", msg, rej)
			}
			if !slices.Contains(Reasons, rej.Reason) {
				t.Fatalf("unknown reason %q", rej.Reason)
			}
			if rej.Err == nil || !strings.Contains(rej.Error(), rej.Reason) {
				t.Fatalf("rejection without a useful error: %#v", rej)
			}
			if rej.Size != len(payload) {
				t.Fatalf("size %d, payload %d bytes", rej.Size, len(payload))
			}
			if err := st.RecordRejects(ctx, []store.Reject{{Topic: rej.Topic, Gate: rej.Gate, Reason: rej.Reason, Error: rej.Err.Error(), Size: rej.Size}}); err != nil {
				t.Fatalf("recording a reject: %v", err)
			}
			return
		}
		gate, kind, err := wire.ParseGateTopic(topic)
		if err != nil || gate != msg.Gate || kind != msg.Kind {
			t.Fatalf("accepted on topic %q (%v) as gate %q kind %q", topic, err, msg.Gate, msg.Kind)
		}
		switch {
		case msg.Crossing != nil || msg.Batch != nil:
			if (msg.Crossing != nil) == (msg.Batch != nil) || (msg.Batch != nil) != (kind == wire.KindBatches) {
				t.Fatalf("kind %q accepted as crossing=%v batch=%v", kind, msg.Crossing != nil, msg.Batch != nil)
			}
			crs := msg.Crossings()
			if len(crs) == 0 {
				t.Fatal("accepted a message without crossings")
			}
			for _, cr := range crs {
				if cr.Gate != gate {
					t.Fatalf("accepted crossing of %q on %q's topic", cr.Gate, gate)
				}
			}
			res, err := st.Apply(ctx, store.Batch{Crossings: crs})
			if err != nil {
				t.Fatalf("store refused accepted crossings: %v", err)
			}
			for i, cr := range crs {
				switch res.Outcomes[i] {
				case store.Inserted, store.Duplicate:
					got, ok, err := st.Crossing(ctx, cr.ID)
					if err != nil || !ok {
						t.Fatalf("crossing %s not found after %s: %v", cr.ID, res.Outcomes[i], err)
					}
					if res.Outcomes[i] == store.Inserted && string(wire.Encode(got)) != string(wire.Encode(cr)) {
						t.Fatalf("stored crossing reads back differently:\n got %s\nwant %s", wire.Encode(got), wire.Encode(cr))
					}
				case store.Conflict, store.Unstorable:
					// Refused by the store, recorded as a reject.
				default:
					t.Fatalf("outcome %v", res.Outcomes[i])
				}
			}
		case msg.Status != nil:
			if err := st.UpsertStatus(ctx, *msg.Status); err != nil {
				t.Fatalf("store refused an accepted status: %v", err)
			}
			gates, err := st.Gates(ctx)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(gates, func(g store.Gate) bool { return g.ID == gate })
			if i < 0 || gates[i].State != msg.Status.State {
				t.Fatalf("status of %s not reflected: %+v", gate, gates)
			}
		case msg.Cleared:
			if kind != wire.KindStatus || len(payload) != 0 {
				t.Fatalf("cleared for kind %q with %d bytes", kind, len(payload))
			}
		default:
			t.Fatalf("accepted message with nothing in it: %+v", msg)
		}
	})
}
