package simfeed

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"autogate/drivers/docreader"
	"autogate/drivers/gatectl"
	"autogate/internal/testenv"
)

func sims(t *testing.T) (*docreader.Sim, *gatectl.Sim) {
	t.Helper()
	r, _ := docreader.NewSim(testenv.ShippedProfile(t, "sim-docreader"), 0)
	l, _ := gatectl.NewSim(testenv.ShippedProfile(t, "sim-gatectl"), 0)
	t.Cleanup(func() { r.Close(); l.Close() })
	return r, l
}

func TestOneTravellerAtATime(t *testing.T) {
	reader, lane := sims(t)
	f := New(reader, lane, slog.Default())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go f.Run(ctx)
	f.Add(Traveller{MRZ: []string{"A", "B"}}, Traveller{MRZ: []string{"C", "D"}})
	if err := lane.OpenDoor(ctx, gatectl.Entrance); err != nil {
		t.Fatal(err)
	}
	doc, err := reader.Read(ctx)
	if err != nil || doc.Lines[0] != "A" {
		t.Fatalf("first document %v err=%v", doc.Lines, err)
	}
	// The second traveller must wait: the lane is occupied.
	time.Sleep(100 * time.Millisecond)
	if st := f.Status(); st.Admitted != 1 || st.Queued != 1 {
		t.Fatalf("status %+v while the lane is occupied, want 1 admitted, 1 queued", st)
	}
	if err := lane.OpenDoor(ctx, gatectl.Exit); err != nil {
		t.Fatal(err)
	}
	if _, err := lane.WaitOccupancy(ctx, func(n int) bool { return n == 0 }); err != nil {
		t.Fatal(err)
	}
	lane.CloseDoor(ctx, gatectl.Exit)
	// The lane is empty but the gate has not recorded the first crossing:
	// the next traveller still waits for the gate's signal.
	time.Sleep(100 * time.Millisecond)
	if st := f.Status(); st.Admitted != 1 {
		t.Fatalf("status %+v: admitted before the previous crossing was recorded", st)
	}
	f.Recorded()
	doc, err = reader.Read(ctx)
	if err != nil || doc.Lines[0] != "C" {
		t.Fatalf("second document %v err=%v", doc.Lines, err)
	}
}

func TestHandlerRefusesBadTravellers(t *testing.T) {
	reader, lane := sims(t)
	srv := httptest.NewServer(New(reader, lane, slog.Default()).Handler())
	defer srv.Close()
	for _, body := range []string{`nope`, `[{"mrz":["one line"]}]`, `[{"mrz":["a","b"],"colour":"red"}]`} {
		resp, err := http.Post(srv.URL+"/sim/travellers", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %s, want 400", body, resp.Status)
		}
	}
	resp, _ := http.Post(srv.URL+"/sim/travellers", "application/json", strings.NewReader(`[{"mrz":["a","b"]}]`))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("good traveller: %s", resp.Status)
	}
}
