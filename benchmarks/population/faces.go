package population

import (
	"errors"
	"fmt"
	"hash/fnv"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"gocv.io/x/gocv"

	"autogate/models/face"
	"autogate/models/pad"
)

// Presentation is what the gate's camera sees of a traveller.
type Presentation string

const (
	// Genuine: the document's holder, live (a bona-fide burst made from
	// another photo of the person in DG2).
	Genuine Presentation = "genuine"
	// Impostor: someone else, live, with the document (a bona-fide burst
	// of another person's photo). The gate must refer: no_match.
	Impostor Presentation = "impostor"
	// AttackReplay and AttackPrint hold the DG2 photo itself up to the
	// camera: still (a replayed photo or paused screen) or moved by hand
	// (a print). The gate must refer: presentation_attack.
	AttackReplay Presentation = "attack_replayed_still"
	AttackPrint  Presentation = "attack_print_moved"
)

// Attack tells the presentation attacks apart.
func (p Presentation) Attack() bool { return p == AttackReplay || p == AttackPrint }

// Reasons the gate must give for the planted face presentations.
const (
	WhyImpostor = "no_match"
	WhyAttack   = "presentation_attack"
)

// Detector finds faces with their landmarks and quality (models/face's
// Engine).
type Detector interface {
	Detect(img gocv.Mat) ([]face.Face, error)
}

// Zoom is the factor between the shared set's photos and what the gate's
// camera sees: LFW's 250 px photos show a face about 40 px between the
// eyes, a face-capture camera at an e-gate about twice that.
const Zoom = 2

// DefaultBurstFrames is a gate's default burst: the camera is given as
// many frames as one burst holds, so no frame repeats within it.
const DefaultBurstFrames = 30

// Faces gives travellers real faces from a folder of people
// (<Dir>/<person>/*.jpg, the shared LFW set): each traveller is a person,
// DG2 holds one photo of them, and the camera sees a burst made from
// another one (genuine), from someone else (impostor) or from the DG2
// photo itself (attack).
//
// Use it in this order: AssignPeople (before IssueDocuments, which puts
// each traveller's portrait in DG2), then Present.
type Faces struct {
	Dir      string
	Detector Detector
	// ImpostorShare and AttackShare are the shares of travellers who
	// present someone else's face or an attack; they are chosen among the
	// travellers no other fault was planted on, so each is referred for
	// its own reason.
	ImpostorShare, AttackShare float64
	// PrintAttacks makes half the attacks a printed photo moved by hand.
	// Passive liveness (the gate's default) does not catch those
	// (benchmarks/results/pad-eval.md): plant them only against gates
	// configured with face.liveness = "challenge". Otherwise every attack
	// is a still picture held up (a photo or a paused screen).
	PrintAttacks bool
	// Frames per burst (DefaultBurstFrames when 0).
	Frames int
	// MinQuality is the face quality (models/face, at the camera's
	// framing) a photo must reach to serve as a portrait or a live face:
	// travellers look at the camera as the gate asks them to, and passport
	// photos are frontal. LFW also holds strongly turned heads; 0 takes
	// any photo with one face.
	MinQuality float64
	Seed       int64
	// Workers run in parallel (runtime.NumCPU when 0).
	Workers int
	// Progress, if set, is told how far a step ("portraits", "bursts") is.
	Progress func(step string, done, total int)

	once    sync.Once
	people  []person
	peopleE error
	mu      sync.Mutex
	photos  map[string]*photoEntry
	bursts  map[burstKey]*burstEntry
	stats   BurstStats
	statsMu sync.Mutex
}

type person struct {
	name   string
	photos []string // paths, sorted
}

// photo is one shared photo framed as a portrait: cropped to the head and
// shoulders of its main face (LFW photos often hold bystanders), as the
// detector saw it at the camera's zoom.
type photo struct {
	path     string
	crop     image.Rectangle // in the file's pixels
	portrait []byte          // the crop at the camera's zoom, JPEG (DG2)
	lm       []pad.Point     // landmarks in the crop's own pixels
	quality  float64
	usable   bool // one face in the crop
}

// Framing of the crop around the face, in inter-eye distances: a 4:5
// head-and-shoulders portrait as ICAO 9303 asks of DG2 photos.
const cropW, cropH = 4.0, 5.0

type photoEntry struct {
	once sync.Once
	p    *photo
	err  error
}

type burstKey struct {
	path string
	kind pad.Kind
}

type burstEntry struct {
	once   sync.Once
	frames [][]byte
	err    error
}

// BurstStats says what Present made.
type BurstStats struct {
	Bursts, Cached int // bursts made, and travellers served from the cache
	Frames         int
	Bytes          int64
	PhotosChecked  int // photos run through the detector
}

// faceTraveller is the face side of a traveller, kept beside it.
type faceTraveller struct {
	live string // the genuine live photo
}

func (f *Faces) load() error {
	f.once.Do(func() {
		f.photos = map[string]*photoEntry{}
		f.bursts = map[burstKey]*burstEntry{}
		dirs, err := os.ReadDir(f.Dir)
		if err != nil {
			f.peopleE = fmt.Errorf("population: face photos: %w", err)
			return
		}
		for _, d := range dirs {
			if !d.IsDir() {
				continue
			}
			ps, _ := filepath.Glob(filepath.Join(f.Dir, d.Name(), "*.jpg"))
			if len(ps) >= 2 { // a portrait and another photo
				sort.Strings(ps)
				f.people = append(f.people, person{name: d.Name(), photos: ps})
			}
		}
		if len(f.people) < 2 {
			f.peopleE = fmt.Errorf("population: %s holds %d people with two photos or more; impostors need two", f.Dir, len(f.people))
		}
	})
	return f.peopleE
}

// rel names a photo by its place in Dir ("person/file.jpg").
func (f *Faces) rel(path string) string {
	r, err := filepath.Rel(f.Dir, path)
	if err != nil {
		return path
	}
	return filepath.ToSlash(r)
}

// People counts the people with two photos or more.
func (f *Faces) People() (int, error) {
	if err := f.load(); err != nil {
		return 0, err
	}
	return len(f.people), nil
}

// look runs the detector on a photo once, at the camera's framing.
func (f *Faces) look(path string) (*photo, error) {
	f.mu.Lock()
	e := f.photos[path]
	if e == nil {
		e = &photoEntry{}
		f.photos[path] = e
	}
	f.mu.Unlock()
	e.once.Do(func() {
		f.statsMu.Lock()
		f.stats.PhotosChecked++
		f.statsMu.Unlock()
		e.p, e.err = f.detect(path)
	})
	return e.p, e.err
}

// readPhoto decodes a photo file; the caller closes the Mat.
func readPhoto(path string) (gocv.Mat, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return gocv.Mat{}, err
	}
	img, err := face.DecodeImage(data, 0)
	if err != nil {
		return gocv.Mat{}, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

func (f *Faces) detect(path string) (*photo, error) {
	img, err := readPhoto(path)
	if err != nil {
		return nil, err
	}
	defer img.Close()
	big := gocv.NewMat()
	defer big.Close()
	gocv.Resize(img, &big, image.Point{}, Zoom, Zoom, gocv.InterpolationLinear)
	faces, err := f.Detector.Detect(big)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := &photo{path: path}
	if len(faces) == 0 {
		return p, nil
	}
	// The largest face is the photo's subject (Detect sorts them so).
	lm := make([]pad.Point, len(faces[0].Landmarks))
	lo, hi := pad.Point{math.Inf(1), math.Inf(1)}, pad.Point{math.Inf(-1), math.Inf(-1)}
	for i, q := range faces[0].Landmarks {
		lm[i] = pad.Point{q[0] / Zoom, q[1] / Zoom}
		lo = pad.Point{min(lo[0], lm[i][0]), min(lo[1], lm[i][1])}
		hi = pad.Point{max(hi[0], lm[i][0]), max(hi[1], lm[i][1])}
	}
	ied := pad.InterEye(lm)
	cx, cy := (lo[0]+hi[0])/2, (lo[1]+hi[1])/2
	w, h := int(cropW*ied), int(cropH*ied)
	x0 := min(max(int(cx)-w/2, 0), max(img.Cols()-w, 0))
	y0 := min(max(int(cy)-h/2, 0), max(img.Rows()-h, 0))
	p.crop = image.Rect(x0, y0, x0+w, y0+h).Intersect(image.Rect(0, 0, img.Cols(), img.Rows()))
	p.usable = true
	for _, other := range faces[1:] {
		box := image.Rectangle{other.Box.Min.Div(Zoom), other.Box.Max.Div(Zoom)}
		if box.Overlaps(p.crop.Inset(-int(ied))) {
			p.usable = false // a bystander close enough to come into view
		}
	}
	p.quality = faces[0].Quality.Score
	p.lm = make([]pad.Point, len(lm))
	for i, q := range lm {
		p.lm[i] = pad.Point{q[0] - float64(p.crop.Min.X), q[1] - float64(p.crop.Min.Y)}
	}
	region := img.Region(p.crop)
	defer region.Close()
	if p.portrait, err = encodeZoomed(region, 92); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// encodeZoomed encodes img at the camera's zoom as JPEG.
func encodeZoomed(img gocv.Mat, quality int) ([]byte, error) {
	big := gocv.NewMat()
	defer big.Close()
	gocv.Resize(img, &big, image.Point{}, Zoom, Zoom, gocv.InterpolationLinear)
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, big, []int{gocv.IMWriteJpegQuality, quality})
	if err != nil {
		return nil, fmt.Errorf("encoding a frame: %w", err)
	}
	defer buf.Close()
	return slices.Clone(buf.GetBytes()), nil
}

// pick returns the first photo of paths, in an order shuffled by rng,
// that has one face of MinQuality; failing that the best one with one
// face; nil when none has one face. skip is left out.
func (f *Faces) pick(paths []string, skip string, rng *rand.Rand) (*photo, error) {
	order := slices.Clone(paths)
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	var best *photo
	for _, path := range order {
		if path == skip {
			continue
		}
		p, err := f.look(path)
		if err != nil {
			return nil, err
		}
		if !p.usable {
			continue
		}
		if p.quality >= f.MinQuality {
			return p, nil
		}
		if best == nil || p.quality > best.quality {
			best = p
		}
	}
	return best, nil
}

// AssignPeople makes each traveller a person: Person names them, Portrait
// is the photo DG2 will hold, and another photo of theirs is kept for
// the camera. People are dealt in a shuffled order, so they repeat only
// when there are more travellers than people.
func (f *Faces) AssignPeople(ts []Traveller) error {
	if err := f.load(); err != nil {
		return err
	}
	deal := rand.New(rand.NewPCG(uint64(f.Seed), 0x70656f706c65)).Perm(len(f.people))
	return f.parallel("portraits", len(ts), func(i int) error {
		t := &ts[i]
		// A person without two usable photos is passed over for the next.
		for k := range len(f.people) {
			p := f.people[deal[(i+k)%len(deal)]]
			rng := rand.New(rand.NewPCG(uint64(f.Seed), uint64(i)<<20|uint64(k)))
			portrait, err := f.pick(p.photos, "", rng)
			if err != nil {
				return err
			}
			if portrait == nil {
				continue
			}
			live, err := f.pick(p.photos, portrait.path, rng)
			if err != nil {
				return err
			}
			if live == nil {
				continue
			}
			t.Person, t.Portrait, t.face = p.name, portrait.portrait, faceTraveller{live: live.path}
			t.PortraitPhoto = f.rel(portrait.path)
			return nil
		}
		return fmt.Errorf("population: no person in %s has two photos with one face", f.Dir)
	})
}

// Present plants impostors and attacks among the travellers no other
// fault was planted on, then makes every traveller's burst (Face): JPEG
// frames of what the camera sees. Bursts are cached per (photo, kind):
// the same photo shown the same way gives the same frames.
func (f *Faces) Present(ts []Traveller) (BurstStats, error) {
	if err := f.load(); err != nil {
		return BurstStats{}, err
	}
	for i := range ts {
		if ts[i].Person == "" {
			return BurstStats{}, fmt.Errorf("population: traveller %d has no person: AssignPeople first", i)
		}
		ts[i].Presentation = Genuine
	}
	f.plant(ts)
	byName := map[string]int{}
	for i, p := range f.people {
		byName[p.name] = i
	}
	err := f.parallel("bursts", len(ts), func(i int) error {
		t := &ts[i]
		rng := rand.New(rand.NewPCG(uint64(f.Seed), 0x6c697665<<20|uint64(i)))
		var path string
		kind := pad.BonaFide
		switch t.Presentation {
		case Genuine:
			path = t.face.live
		case Impostor:
			// Someone else: any other person, their first usable photo.
			self, start := byName[t.Person], rng.IntN(len(f.people)-1)
			for k := range len(f.people) - 1 {
				other := f.people[(self+1+(start+k)%(len(f.people)-1))%len(f.people)]
				p, err := f.pick(other.photos, "", rng)
				if err != nil {
					return err
				}
				if p != nil {
					path = p.path
					break
				}
			}
			if path == "" {
				return fmt.Errorf("population: traveller %d: no other person has a photo with one face", i)
			}
		case AttackReplay, AttackPrint:
			path, kind = filepath.Join(f.Dir, filepath.FromSlash(t.PortraitPhoto)), pad.ReplayedStill
			if t.Presentation == AttackPrint {
				kind = pad.PrintMoved
			}
		}
		frames, err := f.burst(path, kind)
		if err != nil {
			return fmt.Errorf("population: traveller %d (%s): %w", i, t.Fields.DocumentNumber, err)
		}
		t.Face, t.ShownPhoto = frames, f.rel(path)
		return nil
	})
	f.statsMu.Lock()
	defer f.statsMu.Unlock()
	return f.stats, err
}

// plant chooses the impostors and attacks: exact counts (the shares of
// all travellers, rounded) among the clean travellers, in a seeded order.
func (f *Faces) plant(ts []Traveller) {
	var clean []int
	for i, t := range ts {
		if t.Expect == "pass" {
			clean = append(clean, i)
		}
	}
	rng := rand.New(rand.NewPCG(uint64(f.Seed), 0x706c616e74))
	rng.Shuffle(len(clean), func(i, j int) { clean[i], clean[j] = clean[j], clean[i] })
	nImp := min(int(math.Round(f.ImpostorShare*float64(len(ts)))), len(clean))
	nAtt := min(int(math.Round(f.AttackShare*float64(len(ts)))), len(clean)-nImp)
	for k, i := range clean[:nImp+nAtt] {
		t := &ts[i]
		switch {
		case k < nImp:
			t.Presentation = Impostor
			t.plant(WhyImpostor)
		case !f.PrintAttacks || rng.IntN(2) == 0:
			t.Presentation = AttackReplay
			t.plant(WhyAttack)
		default:
			t.Presentation = AttackPrint
			t.plant(WhyAttack)
		}
	}
}

// burst makes (once) the JPEG frames of a photo shown the way kind says.
func (f *Faces) burst(path string, kind pad.Kind) ([][]byte, error) {
	key := burstKey{path, kind}
	f.mu.Lock()
	e := f.bursts[key]
	made := e != nil
	if e == nil {
		e = &burstEntry{}
		f.bursts[key] = e
	}
	f.mu.Unlock()
	e.once.Do(func() { e.frames, e.err = f.synthesize(path, kind) })
	f.statsMu.Lock()
	if made {
		f.stats.Cached++
	}
	f.statsMu.Unlock()
	return e.frames, e.err
}

func (f *Faces) synthesize(path string, kind pad.Kind) ([][]byte, error) {
	p, err := f.look(path)
	if err != nil {
		return nil, err
	}
	if !p.usable {
		return nil, fmt.Errorf("%s: not one face", path)
	}
	img, err := readPhoto(path)
	if err != nil {
		return nil, err
	}
	defer img.Close()
	region := img.Region(p.crop)
	crop := region.Clone()
	region.Close()
	defer crop.Close()
	frames := f.Frames
	if frames <= 0 {
		frames = DefaultBurstFrames
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%s\x00%s", f.Seed, filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), kind)
	// Synthesised at the photo's size (a quarter of the pixels to remap),
	// then framed as the camera sees it.
	s, err := pad.Synthesize(crop, p.lm, kind, pad.SynthConfig{Frames: frames, Seed: h.Sum64()})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer s.Close()
	out := make([][]byte, 0, frames)
	var size int64
	for _, fr := range s.Frames {
		b, err := encodeZoomed(fr, 90)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		size += int64(len(b))
		out = append(out, b)
	}
	f.statsMu.Lock()
	f.stats.Bursts++
	f.stats.Frames += len(out)
	f.stats.Bytes += size
	f.statsMu.Unlock()
	return out, nil
}

// parallel runs fn for 0..n-1 on the workers, reporting progress; the
// first error stops handing out work and is returned.
func (f *Faces) parallel(step string, n int, fn func(i int) error) error {
	workers := f.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	var (
		mu   sync.Mutex
		next int
		done int
		errs []error
		wg   sync.WaitGroup
	)
	if f.Progress != nil {
		f.Progress(step, 0, n)
	}
	for range min(workers, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next >= n || len(errs) > 0 {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()
				err := fn(i)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				}
				done++
				if f.Progress != nil {
					f.Progress(step, done, n)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Describe sums the presentations up, e.g. "genuine 188, impostor 6, …".
func Describe(ts []Traveller) string {
	counts := map[Presentation]int{}
	for _, t := range ts {
		if t.Presentation != "" {
			counts[t.Presentation]++
		}
	}
	var parts []string
	for _, p := range []Presentation{Genuine, Impostor, AttackReplay, AttackPrint} {
		if counts[p] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", p, counts[p]))
		}
	}
	return strings.Join(parts, ", ")
}
