package simfeed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg" // face frames
	_ "image/png"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"autogate/drivers/emrtd/chipreader"
	"autogate/drivers/emrtd/vdoc"
	"autogate/drivers/gatectl"
)

// Traveller is one simulated traveller.
type Traveller struct {
	MRZ []string `json:"mrz"`
	// Tailgate sends a second person into the lane behind the traveller.
	Tailgate bool `json:"tailgate,omitempty"`
	// Document is the travel document's chip (nil: a document without one).
	Document *vdoc.Document `json:"document,omitempty"`
	// Face is what the camera sees while the traveller stands in the lane:
	// JPEG or PNG frames, played in a loop (none: an empty lane).
	Face [][]byte `json:"face,omitempty"`
}

// MaxFaceFrames bounds one traveller's frames.
const MaxFaceFrames = 64

// maxFramePixels bounds a decoded frame: a 4K camera's frame.
const maxFramePixels = 3840 * 2160

// Status reports the feed's progress.
type Status struct {
	Queued   int `json:"queued"`   // waiting in front of the gate
	Admitted int `json:"admitted"` // walked into the lane since the agent started
	Recorded int `json:"recorded"` // crossings recorded since the agent started
}

// Presenter is a simulated document reader the feed places documents on:
// docreader.Sim, or docreader.PTYSim behind the real serial driver.
type Presenter interface {
	Present(lines []string)
}

// ChipPresenter is a simulated chip reader the feed lays the document's
// chip on: chipreader.Sim, or chipreader.VPCDSim in front of pcscd.
type ChipPresenter interface {
	Present(card chipreader.Card)
	Remove()
}

// CameraPresenter is a simulated camera the feed shows the traveller to.
type CameraPresenter interface {
	Show(frames []image.Image)
}

// Feed queues travellers and plays them into the lane.
type Feed struct {
	reader Presenter
	chip   ChipPresenter
	camera CameraPresenter
	lane   *gatectl.Sim
	log    *slog.Logger

	mu       sync.Mutex
	queue    []Traveller
	admitted int
	recorded int
	wake     chan struct{}
	// recordedCh wakes waitRecorded.
	recordedCh chan struct{}
}

// New creates a feed over the simulated reader and lane.
func New(reader Presenter, lane *gatectl.Sim, log *slog.Logger) *Feed {
	return &Feed{reader: reader, lane: lane, log: log.With("component", "simfeed"), wake: make(chan struct{}, 1),
		recordedCh: make(chan struct{}, 1)}
}

// SetChipReader makes the feed lay each traveller's chip on the reader.
func (f *Feed) SetChipReader(c ChipPresenter) { f.chip = c }

// SetCamera makes the feed show each traveller's face to the camera.
func (f *Feed) SetCamera(c CameraPresenter) { f.camera = c }

// Add queues travellers.
func (f *Feed) Add(ts ...Traveller) {
	f.mu.Lock()
	f.queue = append(f.queue, ts...)
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// Status returns the feed's progress.
func (f *Feed) Status() Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return Status{Queued: len(f.queue), Admitted: f.admitted, Recorded: f.recorded}
}

// Recorded counts a recorded crossing (the flow calls it).
func (f *Feed) Recorded() {
	f.mu.Lock()
	f.recorded++
	f.mu.Unlock()
	select {
	case f.recordedCh <- struct{}{}:
	default:
	}
}

// Run plays queued travellers until ctx ends.
func (f *Feed) Run(ctx context.Context) error {
	for {
		f.mu.Lock()
		var next *Traveller
		if len(f.queue) > 0 {
			next = &f.queue[0]
		}
		f.mu.Unlock()
		if next == nil {
			select {
			case <-ctx.Done():
				return nil
			case <-f.wake:
				continue
			}
		}
		// One traveller at a time, as the gate's signal tells a real queue:
		// the next steps in once the lane is empty and the previous crossing
		// is recorded. Without the second condition a traveller sent back
		// through the open entrance and the next one walking in could merge
		// into one unbroken "occupied" on the sensor.
		if _, err := f.lane.WaitOccupancy(ctx, func(n int) bool { return n == 0 }); err != nil {
			return nil
		}
		if !f.waitRecorded(ctx) {
			return nil
		}
		t := *next
		f.lane.Enter()
		if t.Tailgate {
			f.lane.Tailgate()
		}
		if _, err := f.lane.WaitOccupancy(ctx, func(n int) bool { return n >= 1 }); err != nil {
			return nil
		}
		f.mu.Lock()
		f.queue = f.queue[1:]
		f.admitted++
		f.mu.Unlock()
		f.presentChip(t)
		f.showFace(t)
		f.reader.Present(t.MRZ)
	}
}

// presentChip lays the traveller's chip on the chip reader (taking the
// previous traveller's away), together with the page on the MRZ reader.
func (f *Feed) presentChip(t Traveller) {
	if f.chip == nil {
		return
	}
	f.chip.Remove()
	if t.Document == nil {
		return
	}
	chip, err := t.Document.Chip()
	if err != nil {
		f.log.Warn("traveller's document has no usable chip", "err", err)
		return
	}
	f.chip.Present(chip)
}

// showFace shows the traveller's frames to the camera (the empty lane
// when there are none or none decodes).
func (f *Feed) showFace(t Traveller) {
	if f.camera == nil {
		return
	}
	frames := make([]image.Image, 0, len(t.Face))
	for i, b := range t.Face {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
		if err == nil && cfg.Width*cfg.Height > maxFramePixels {
			err = fmt.Errorf("%d×%d pixels, at most %d", cfg.Width, cfg.Height, maxFramePixels)
		}
		if err != nil {
			f.log.Warn("traveller's face frame refused; skipped", "frame", i, "err", err)
			continue
		}
		img, _, err := image.Decode(bytes.NewReader(b))
		if err != nil {
			f.log.Warn("traveller's face frame does not decode; skipped", "frame", i, "err", err)
			continue
		}
		frames = append(frames, img)
	}
	f.camera.Show(frames)
}

// recordGrace bounds the wait for the previous crossing's record once the
// lane is empty: a crossing the gate could not record must not stop the queue.
const recordGrace = 3 * time.Second

// waitRecorded waits until every admitted traveller's crossing is recorded,
// or recordGrace passes; false when ctx ended.
func (f *Feed) waitRecorded(ctx context.Context) bool {
	deadline := time.After(recordGrace)
	for {
		f.mu.Lock()
		done := f.recorded >= f.admitted
		f.mu.Unlock()
		if done {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-deadline:
			f.log.Warn("previous crossing not recorded in time; admitting the next traveller", "grace", recordGrace)
			return true
		case <-f.recordedCh:
		}
	}
}

// Handler serves POST /sim/travellers (a JSON array of travellers) and
// GET /sim/status.
func (f *Feed) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sim/travellers", func(w http.ResponseWriter, r *http.Request) {
		var ts []Traveller
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 256<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ts); err != nil {
			http.Error(w, fmt.Sprintf("want a JSON array of travellers {\"mrz\":[lines],\"tailgate\":bool}: %v", err), http.StatusBadRequest)
			return
		}
		for i, t := range ts {
			if len(t.MRZ) < 2 || len(t.MRZ) > 3 {
				http.Error(w, fmt.Sprintf("traveller %d: mrz must have 2 or 3 lines, has %d", i, len(t.MRZ)), http.StatusBadRequest)
				return
			}
			if len(t.Face) > MaxFaceFrames {
				http.Error(w, fmt.Sprintf("traveller %d: %d face frames, at most %d", i, len(t.Face), MaxFaceFrames), http.StatusBadRequest)
				return
			}
		}
		f.Add(ts...)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(f.Status())
	})
	mux.HandleFunc("GET /sim/status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(f.Status())
	})
	return mux
}
