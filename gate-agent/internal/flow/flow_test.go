package flow

import (
	"context"
	"testing"
	"time"

	"autogate/drivers/docreader"
	"autogate/drivers/gatectl"
	"autogate/gate-agent/internal/config"
	"autogate/gate-agent/internal/store"
	"autogate/internal/mrz"
	"autogate/internal/testenv"
	"autogate/internal/wire"
)

type lane struct {
	reader *docreader.Sim
	gate   *gatectl.Sim
	store  *store.Store
	flow   *Flow
	dir    string
}

func newLane(t *testing.T, policy config.Policy) *lane {
	t.Helper()
	l := &lane{dir: t.TempDir()}
	var err error
	if l.reader, err = docreader.NewSim(testenv.ShippedProfile(t, "sim-docreader"), 0); err != nil {
		t.Fatal(err)
	}
	if l.gate, err = gatectl.NewSim(testenv.ShippedProfile(t, "sim-gatectl"), 0); err != nil {
		t.Fatal(err)
	}
	if l.store, err = store.Open(context.Background(), l.dir); err != nil {
		t.Fatal(err)
	}
	if len(policy.DocumentCodes) == 0 {
		policy.DocumentCodes = []string{"P", "I"}
	}
	l.flow = New(Options{Gate: "g1", Post: "p1", Direction: "entry", Checks: DocumentChecks(policy),
		DocumentTimeout: 2 * time.Second, LaneTimeout: 2 * time.Second}, l.reader, l.gate, l.store)
	t.Cleanup(func() { l.reader.Close(); l.gate.Close(); l.store.Close() })
	return l
}

// traveller plays one traveller: walks in (once the entrance opens) and
// places their document.
func (l *lane) traveller(lines []string, tailgate bool) {
	go func() {
		l.gate.Enter()
		if tailgate {
			l.gate.Tailgate()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		l.gate.WaitOccupancy(ctx, func(n int) bool { return n >= 1 })
		if lines != nil {
			l.reader.Present(lines)
		}
	}()
}

func (l *lane) once(t *testing.T) wire.Crossing {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := l.flow.Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func build(t *testing.T, expiry time.Time) []string {
	t.Helper()
	lines, err := mrz.Build(mrz.TD3, mrz.Fields{DocumentCode: "P", IssuingState: "VNM", Nationality: "VNM",
		Surname: "NGUYEN", GivenNames: "VAN AN", DocumentNumber: "C1234567",
		BirthDate: time.Date(1990, 5, 17, 0, 0, 0, 0, time.UTC), ExpiryDate: expiry, Sex: "M"})
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

func reasonsOf(c wire.Crossing) map[string]bool {
	r := map[string]bool{}
	for _, ch := range c.Checks {
		if ch.Reason != "" {
			r[ch.Reason] = true
		}
	}
	return r
}

func TestValidDocumentPassesThroughTheExit(t *testing.T) {
	l := newLane(t, config.Policy{})
	l.traveller(build(t, time.Now().AddDate(3, 0, 0)), false)
	c := l.once(t)
	if c.Decision != wire.DecisionPass || c.Door != DoorExit {
		t.Fatalf("decision=%s door=%s checks=%+v", c.Decision, c.Door, c.Checks)
	}
	if c.Document.DocumentNumber != "C1234567" || c.Document.Nationality != "VNM" {
		t.Fatalf("document %+v", c.Document)
	}
	want := []string{StageIdle, StageDocument, StageChecks, StageDecision, StageDoor, StageRecord}
	if len(c.Stages) != len(want) {
		t.Fatalf("stages %+v", c.Stages)
	}
	for i, s := range c.Stages {
		if s.Name != want[i] || s.End.Before(s.Start) || (i > 0 && s.Start.Before(c.Stages[i-1].Start)) {
			t.Fatalf("stage %d = %+v, want %s in order", i, s, want[i])
		}
	}
	stored, err := l.store.Crossing(context.Background(), c.ID)
	if err != nil || stored.Decision != wire.DecisionPass || stored.Seq != 1 {
		t.Fatalf("stored %+v err=%v", stored, err)
	}
	if d, _ := l.store.OutboxDepth(context.Background()); d != 1 {
		t.Fatalf("outbox depth %d, want the crossing queued for central", d)
	}
	if st := l.gate.Stats(); st.ExitCycles != 1 || st.Exited != 1 || st.BothOpen != 0 {
		t.Fatalf("lane stats %+v: want one exit cycle, one exit, never both doors open", st)
	}
}

func TestFaultsReferAndNeverOpenTheExit(t *testing.T) {
	cases := []struct {
		name     string
		lines    func(t *testing.T) []string
		tailgate bool
		policy   config.Policy
		reason   string
	}{
		{"expired", func(t *testing.T) []string { return build(t, time.Now().AddDate(0, -2, 0)) }, false, config.Policy{}, ReasonDocumentExpired},
		{"expiring soon", func(t *testing.T) []string { return build(t, time.Now().AddDate(0, 0, 20)) }, false, config.Policy{MinValidityDays: 90}, ReasonDocumentExpiring},
		{"check digit", func(t *testing.T) []string {
			l := build(t, time.Now().AddDate(2, 0, 0))
			b := []byte(l[1])
			b[9] = '0' + (b[9]-'0'+1)%10 // break the document number's check digit
			return []string{l[0], string(b)}
		}, false, config.Policy{}, ReasonMRZInvalid},
		{"garbage", func(*testing.T) []string { return []string{"HELLO", "WORLD"} }, false, config.Policy{}, ReasonMRZInvalid},
		{"type not admitted", func(t *testing.T) []string { return build(t, time.Now().AddDate(2, 0, 0)) }, false, config.Policy{DocumentCodes: []string{"I"}}, ReasonDocumentType},
		{"tailgating", func(t *testing.T) []string { return build(t, time.Now().AddDate(2, 0, 0)) }, true, config.Policy{}, ReasonTailgating},
		{"no document", func(*testing.T) []string { return nil }, false, config.Policy{}, ReasonDocumentNotRead},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newLane(t, tc.policy)
			l.traveller(tc.lines(t), tc.tailgate)
			c := l.once(t)
			if c.Decision != wire.DecisionRefer || !reasonsOf(c)[tc.reason] {
				t.Fatalf("decision=%s reasons=%v, want refer with %s", c.Decision, reasonsOf(c), tc.reason)
			}
			if st := l.gate.Stats(); st.Exited != 0 || st.ExitCycles != 0 || st.BothOpen != 0 {
				t.Fatalf("lane stats %+v: the exit opened for a referred traveller", st)
			}
			if c.Door != DoorEntrance {
				t.Fatalf("door=%s, want the traveller returned through the entrance", c.Door)
			}
		})
	}
}

func TestReaderUnpluggedRefers(t *testing.T) {
	l := newLane(t, config.Policy{})
	l.reader.Unplug()
	l.traveller(build(t, time.Now().AddDate(2, 0, 0)), false)
	c := l.once(t)
	if c.Decision != wire.DecisionRefer || !reasonsOf(c)[ReasonDocumentNotRead] || l.gate.Stats().Exited != 0 {
		t.Fatalf("decision=%s reasons=%v exit opens=%d", c.Decision, reasonsOf(c), l.gate.Stats().Exited)
	}
}

func TestUnrecordableDecisionNeverOpensTheExit(t *testing.T) {
	l := newLane(t, config.Policy{})
	l.store.Close() // the disk is gone: nothing can be journalled
	l.traveller(build(t, time.Now().AddDate(2, 0, 0)), false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := l.flow.Once(ctx); err == nil {
		t.Fatal("a crossing was reported recorded by a closed store")
	}
	if l.gate.Stats().Exited != 0 {
		t.Fatal("the exit opened although the decision could not be recorded")
	}
	if l.gate.Occupancy() != 0 {
		t.Fatal("the traveller was not returned")
	}
}

func TestCrossingsFollowEachOther(t *testing.T) {
	l := newLane(t, config.Policy{})
	for i := 0; i < 5; i++ {
		l.traveller(build(t, time.Now().AddDate(2, 0, 0)), false)
		c := l.once(t)
		if c.Seq != int64(i+1) || c.Decision != wire.DecisionPass {
			t.Fatalf("crossing %d: seq=%d decision=%s", i, c.Seq, c.Decision)
		}
	}
}
