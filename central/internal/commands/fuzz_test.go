package commands

import (
	"context"
	"testing"
	"time"

	"autogate/internal/wire"
)

// FuzzReceiveAck feeds arbitrary bytes to central's ack handler: it must
// refuse or accept without panicking, and accept only a well-formed ack of
// the topic's gate.
func FuzzReceiveAck(f *testing.F) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Add(wire.Encode(wire.CommandAck{V: 1, ID: "01J0000000000000000000000A", Gate: "gate-1", Result: wire.CommandDone, Mode: "locked", At: at}))
	f.Add(wire.Encode(wire.CommandAck{V: 1, Gate: "gate-1", Result: wire.CommandRefused, Reason: "bad_signature", Detail: "x", At: at}))
	f.Add([]byte(`{"v":1,"gate":"gate-2","result":"done"}`))
	f.Add([]byte(`{"v":1,"gate":"gate-1","result":"done"}{}`))
	f.Add([]byte{})
	s := newSender(f, newKey(f), (&wireLog{}).publish, openStore(f))
	topic := wire.GateTopic("gate-1", wire.KindCommandAcks)
	f.Fuzz(func(t *testing.T, payload []byte) {
		a, err := s.Receive(context.Background(), topic, payload)
		if err != nil {
			return
		}
		if a.Gate != "gate-1" || (a.Result != wire.CommandDone && a.Result != wire.CommandRefused) {
			t.Fatalf("accepted %+v", a)
		}
	})
}
