package distribute

import (
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"autogate/internal/lists"
	"autogate/internal/wire"
)

// FuzzHandleResync feeds arbitrary topics and bytes to central's resync
// handler (what any gate may publish): it must never panic, and it may
// accept only a request that decodes for the topic's gate and names a list
// central keeps.
func FuzzHandleResync(f *testing.F) {
	topic := wire.GateTopic("gate-a", wire.KindResync)
	f.Add(topic, resyncRequest("gate-a", lists.ListDocuments, 3))
	f.Add(topic, resyncRequest("gate-a", wire.ConfigList, 0))
	f.Add(topic, resyncRequest("gate-b", lists.ListDocuments, 3))
	f.Add(wire.GateTopic("gate-a", wire.KindStatus), resyncRequest("gate-a", lists.ListPersons, 1))
	f.Add("autogate/v1/gates/+/resync", []byte(`{"v":1}`))
	f.Add(topic, []byte(`{"v":1,"gate":"gate-a","list":"documents","have":-5}`))
	st, err := Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	p := NewPublisher(st, func(string, byte, bool, []byte) error { return errors.New("not connected") },
		PublisherOptions{Logger: testLogger(), Registry: prometheus.NewRegistry(), ResyncEvery: time.Nanosecond})
	f.Fuzz(func(t *testing.T, topic string, payload []byte) {
		if p.HandleResync(topic, payload) != nil {
			return
		}
		r := <-p.resync // accepted: queued for Run
		gate, _, err := wire.ParseGateTopic(topic)
		if err != nil {
			t.Fatalf("accepted a request on topic %q: %v", topic, err)
		}
		if _, err := wire.DecodeResync(gate, payload); err != nil || r.Gate != gate {
			t.Fatalf("accepted %q on %q: %v", payload, topic, err)
		}
	})
}
