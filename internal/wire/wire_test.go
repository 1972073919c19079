package wire

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func validCrossing() Crossing {
	t := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	return Crossing{V: SchemaVersion, ID: NewID(), Gate: "post-a-01", Post: "post-a", Seq: 1, Direction: "entry",
		StartedAt: t, EndedAt: t.Add(9 * time.Second), Decision: DecisionPass,
		Checks: []Check{{Name: "mrz", Result: ResultPass}}}
}

func TestCrossingRoundTrip(t *testing.T) {
	c := validCrossing()
	got, err := DecodeCrossing("post-a-01", Encode(c))
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != c.ID || got.Seq != 1 || !got.EndedAt.Equal(c.EndedAt) || got.Checks[0].Name != "mrz" {
		t.Fatalf("round trip: %+v", got)
	}
}

func TestDecodeCrossingRefuses(t *testing.T) {
	mutate := func(f func(*Crossing)) []byte { c := validCrossing(); f(&c); return Encode(c) }
	cases := []struct {
		name    string
		topic   string
		payload []byte
		want    error
	}{
		{"not json", "post-a-01", []byte("{nope"), ErrMalformed},
		{"no version", "post-a-01", []byte(`{"id":"x"}`), ErrMalformed},
		{"future version", "post-a-01", mutate(func(c *Crossing) { c.V = 2 }), ErrUnknownVersion},
		{"trailing", "post-a-01", append(Encode(validCrossing()), []byte(" {}")...), ErrMalformed},
		{"too large", "post-a-01", []byte(`{"v":1,"pad":"` + strings.Repeat("x", MaxMessageBytes) + `"}`), ErrTooLarge},
		{"other gate", "post-b-07", Encode(validCrossing()), ErrInvalid},
		{"bad id", "post-a-01", mutate(func(c *Crossing) { c.ID = "123" }), ErrInvalid},
		{"lower-case id", "post-a-01", mutate(func(c *Crossing) { c.ID = strings.ToLower(c.ID) }), ErrInvalid},
		{"bad decision", "post-a-01", mutate(func(c *Crossing) { c.Decision = "open" }), ErrInvalid},
		{"zero seq", "post-a-01", mutate(func(c *Crossing) { c.Seq = 0 }), ErrInvalid},
		{"ends before start", "post-a-01", mutate(func(c *Crossing) { c.EndedAt = c.StartedAt.Add(-time.Second) }), ErrInvalid},
		{"bad check result", "post-a-01", mutate(func(c *Crossing) { c.Checks[0].Result = "maybe" }), ErrInvalid},
		{"wrong type", "post-a-01", []byte(`{"v":1,"seq":"one"}`), ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := DecodeCrossing(tc.topic, tc.payload); !errors.Is(err, tc.want) {
				t.Fatalf("err=%v, want %v", err, tc.want)
			}
		})
	}
}

func TestAckAndStatus(t *testing.T) {
	id := NewID()
	a, err := DecodeAck(Encode(Ack{V: 1, IDs: []string{id}}))
	if err != nil || a.IDs[0] != id {
		t.Fatalf("ack: %+v %v", a, err)
	}
	if _, err := DecodeAck([]byte(`{"v":1,"ids":["x"]}`)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("ack with a bad id: %v", err)
	}
	s := Status{V: 1, Gate: "g", State: StateOnline}
	if _, err := DecodeStatus("g", Encode(s)); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeStatus("h", Encode(s)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("status for another gate: %v", err)
	}
	s.State = "dancing"
	if _, err := DecodeStatus("g", Encode(s)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("status with a bad state: %v", err)
	}
}

func TestTopics(t *testing.T) {
	topic := GateTopic("post-a-01", KindCrossings)
	if topic != "autogate/v1/gates/post-a-01/crossings" {
		t.Fatal(topic)
	}
	g, k, err := ParseGateTopic(topic)
	if err != nil || g != "post-a-01" || k != KindCrossings {
		t.Fatalf("%q %q %v", g, k, err)
	}
	for _, bad := range []string{"autogate/v2/gates/a/crossings", "autogate/v1/gates/a", "autogate/v1/gates/a/b/c",
		"autogate/v1/gates/+/crossings", "autogate/v1/gates//crossings", "autogate/v1/gates/a#/x"} {
		if _, _, err := ParseGateTopic(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if AllGates(KindStatus) != "autogate/v1/gates/+/status" {
		t.Fatal(AllGates(KindStatus))
	}
}

func FuzzDecodeCrossing(f *testing.F) {
	f.Add("post-a-01", Encode(validCrossing()))
	f.Add("g", []byte(`{"v":1}`))
	f.Add("g", []byte(`{"v":1,"checks":[{"result":"pass"}],"stages":[{}]}`))
	f.Fuzz(func(t *testing.T, gate string, payload []byte) {
		c, err := DecodeCrossing(gate, payload)
		if err != nil {
			return
		}
		// Whatever is accepted must survive a re-encode and still be valid.
		if _, err := DecodeCrossing(gate, Encode(c)); err != nil {
			t.Fatalf("accepted crossing does not re-decode: %v", err)
		}
		if c.Gate != gate || c.Seq <= 0 {
			t.Fatalf("accepted an invalid crossing: %+v", c)
		}
	})
}

func FuzzParseGateTopic(f *testing.F) {
	f.Add("autogate/v1/gates/post-a-01/crossings")
	f.Add("autogate/v1/gates/x/y/z")
	f.Fuzz(func(t *testing.T, topic string) {
		g, k, err := ParseGateTopic(topic)
		if err == nil && GateTopic(g, k) != topic {
			t.Fatalf("%q parsed to %q/%q which rebuilds differently", topic, g, k)
		}
	})
}
