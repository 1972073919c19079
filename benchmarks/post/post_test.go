package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"autogate/benchmarks/population"
	"autogate/internal/identity"
	"autogate/internal/testenv"
	"autogate/internal/wire"
	"autogate/models/face"
)

// These tests run central, the broker and gate agents as real processes
// talking real MQTT on loopback, and compare central's store with every
// gate's SQLite at the end.

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "autogate-post-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	root, err := repoRoot()
	if err == nil {
		err = build(context.Background(), root, dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "building the binaries for the integration tests:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func newPost(t *testing.T, gates int, speed float64, separateBroker bool, opts ...func(*Post)) *Post {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	p := &Post{Bin: binDir, Work: t.TempDir(), Root: root, Speed: speed, Gates: gates, SeparateBroker: separateBroker, TLS: true}
	for _, o := range opts {
		o(p)
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			dumpLogs(t, p)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return p
}

func dumpLogs(t *testing.T, p *Post) {
	logs, _ := filepath.Glob(filepath.Join(p.Work, "logs", "*.log"))
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		lines := strings.Split(string(b), "\n")
		if len(lines) > 40 {
			lines = lines[len(lines)-40:]
		}
		t.Logf("--- tail of %s\n%s", filepath.Base(l), strings.Join(lines, "\n"))
	}
}

// recordedAtGates counts the crossings in every gate's SQLite.
func recordedAtGates(t *testing.T, p *Post) (total int, docs map[string]bool) {
	t.Helper()
	docs = map[string]bool{}
	for i := range p.gates {
		cs, err := p.GateCrossings(context.Background(), i)
		if err != nil {
			continue // the store may not exist yet
		}
		total += len(cs)
		for _, c := range cs {
			docs[c.Document.DocumentNumber] = true
		}
	}
	return total, docs
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func assertExactlyOnce(t *testing.T, p *Post, pop []population.Traveller) Report {
	t.Helper()
	rep, err := p.waitDelivered(context.Background(), pop, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep.SummaryLine())
	if rep.Lost != 0 || rep.Duplicates != 0 || rep.Delivered != rep.Crossings {
		t.Fatalf("central differs from the gates: %s", rep.SummaryLine())
	}
	if rep.WrongDecisions != 0 {
		explainWrong(t, p, pop)
		t.Fatalf("%d crossings decided against the planted faults", rep.WrongDecisions)
	}
	return rep
}

// explainWrong logs what the gates said about each crossing decided
// against the plan.
func explainWrong(t *testing.T, p *Post, pop []population.Traveller) {
	t.Helper()
	plan := map[string]population.Traveller{}
	for _, tr := range pop {
		plan[tr.Fields.DocumentNumber] = tr
	}
	for i := range p.gates {
		cs, _ := p.GateCrossings(context.Background(), i)
		for _, c := range cs {
			tr, ok := plan[c.Document.DocumentNumber]
			if wrong, _ := judge(tr, c); !ok || !wrong {
				continue
			}
			t.Logf("%s: planned %s (%s %s, shown %s) but %s:", c.Document.DocumentNumber, tr.Expect, tr.Why, tr.Presentation, tr.ShownPhoto, c.Decision)
			for _, ch := range c.Checks {
				t.Logf("  %s %s %s %v: %s", ch.Name, ch.Result, ch.Reason, ch.Scores, ch.Message)
			}
		}
	}
}

// travellers generates n travellers with chips issued by the post's PKI,
// a share of them expired, cloned or tampered with.
func travellers(t *testing.T, p *Post, n int, seed int64) []population.Traveller {
	t.Helper()
	o := population.DefaultOptions(time.Now())
	o.Seed, o.ExpiredShare = seed, 0.15
	ts := population.Generate(n, o)
	pki, err := p.PKI()
	if err != nil {
		t.Fatal(err)
	}
	if err := population.IssueDocuments(ts, population.Chips{PKI: pki, Faces: [][]byte{syntheticFace()}, CloneShare: 0.05, TamperShare: 0.05, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	return ts
}

// A broker that dies and comes back mid-run loses nothing: gates keep
// deciding on their own, and every crossing reaches central exactly once.
func TestBrokerRestartMidRunLosesNothing(t *testing.T) {
	p := newPost(t, 2, 60, true)
	pop := travellers(t, p, 60, 7)
	if _, err := p.Feed(context.Background(), pop); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a first share of crossings", 60*time.Second, func() bool { n, _ := recordedAtGates(t, p); return n >= 10 })
	p.StopBroker()
	before, _ := recordedAtGates(t, p)
	// The gates go on deciding while central is out of reach.
	waitFor(t, "crossings recorded while the broker is down", 30*time.Second, func() bool {
		n, _ := recordedAtGates(t, p)
		return n >= before+5
	})
	if err := p.StartBroker(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every traveller through", 90*time.Second, func() bool { n, _ := recordedAtGates(t, p); return n >= len(pop) })
	rep := assertExactlyOnce(t, p, pop)
	if rep.Crossings != len(pop) || rep.Referred == 0 || rep.Passed == 0 {
		t.Fatalf("want %d crossings with both decisions: %s", len(pop), rep.SummaryLine())
	}
}

// A gate agent SIGKILLed at random points and restarted loses nothing it
// recorded, and every traveller it had not recorded can cross again.
func TestGateSIGKILLLosesNothing(t *testing.T) {
	const kills = 6
	p := newPost(t, 2, 60, false)
	pop := travellers(t, p, 80, 11)
	if _, err := p.Feed(context.Background(), pop); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for k := 0; k < kills; k++ {
		time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
		p.KillGate(0, syscall.SIGKILL)
		if err := p.StartGate(context.Background(), 0); err != nil {
			t.Fatal(err)
		}
		// The restarted agent's queue is empty: queue again whoever of its
		// travellers has no record yet (a real queue would still stand there).
		refeed(t, p, pop, 0)
	}
	waitFor(t, "every traveller through", 120*time.Second, func() bool { n, _ := recordedAtGates(t, p); return n >= len(pop) })
	assertExactlyOnce(t, p, pop)
}

// refeed queues gate i's travellers that no gate has recorded.
func refeed(t *testing.T, p *Post, pop []population.Traveller, gate int) {
	t.Helper()
	_, docs := recordedAtGates(t, p)
	var batch []map[string]any
	for j, tr := range pop {
		if j%len(p.gates) == gate && !docs[tr.Fields.DocumentNumber] {
			batch = append(batch, feedItem(tr))
		}
	}
	if len(batch) > 0 {
		if err := p.FeedGate(context.Background(), gate, batch); err != nil {
			t.Fatal(err)
		}
	}
}

// The simulator's own contract: the last line is the summary, and a clean
// run exits 0.
func TestSimulatorSummaryLine(t *testing.T) {
	root, _ := repoRoot()
	cmd := exec.Command("go", "run", ".", "--gates", "2", "--travellers", "20", "--speed", "0", "--faces=false",
		"--exit-when-done", "--bin", binDir, "--results", t.TempDir(), "--work", t.TempDir())
	cmd.Dir = filepath.Join(root, "benchmarks", "post")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("simulator failed: %v\n%s", err, out)
	}
	last, r := summaryOf(t, out)
	if r.Travellers != 20 || r.Crossings != 20 || r.Delivered != 20 || r.Lost != 0 || r.Duplicates != 0 || r.Passed+r.Referred != 20 {
		t.Fatalf("summary %q", last)
	}
}

// summaryOf parses the simulator's last line, the summary contract.
func summaryOf(t *testing.T, out []byte) (string, Report) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := lines[len(lines)-1]
	var r Report
	n, err := fmt.Sscanf(last, "summary: travellers=%d crossings=%d delivered=%d lost=%d duplicates=%d passed=%d referred=%d median_crossing_s=%f p95_software_ms=%f",
		&r.Travellers, &r.Crossings, &r.Delivered, &r.Lost, &r.Duplicates, &r.Passed, &r.Referred, &r.MedianCrossingS, &r.P95SoftwareMS)
	if err != nil || n != 9 {
		t.Fatalf("last line %q does not match the summary contract: %v", last, err)
	}
	return last, r
}

// Under --chaos (gate agents, the broker and central killed and restarted,
// links paused and cut, crossings delivered again) the summary still shows
// every traveller crossed once and delivered once.
func TestChaosSummary(t *testing.T) {
	root, _ := repoRoot()
	cmd := exec.Command("go", "run", ".", "--chaos", "--chaos-for", "8s", "--chaos-every", "500ms", "--chaos-max-down", "1s",
		"--gates", "2", "--travellers", "40", "--speed", "0", "--faces=false", "--list-persons", "500", "--list-documents", "2000",
		"--exit-when-done", "--bin", binDir, "--work", t.TempDir())
	cmd.Dir = filepath.Join(root, "benchmarks", "post")
	out, err := cmd.Output()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("simulator under --chaos failed: %v", err)
	}
	last, r := summaryOf(t, out)
	if r.Travellers != 40 || r.Crossings != 40 || r.Delivered != 40 || r.Lost != 0 || r.Duplicates != 0 {
		t.Fatalf("summary %q: want 40 travellers, 40 crossings, all delivered, none lost or twice", last)
	}
	if !strings.Contains(string(out), "every one of the 40 travellers has exactly one crossing") {
		t.Fatal("no statement that every traveller crossed exactly once")
	}
	kills := 0
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "chaos: t=") && strings.Contains(l, " kill ") {
			kills++
		}
	}
	if kills == 0 {
		t.Fatal("the chaos killed nothing")
	}
}

// One gate reads every chip through the real pcscd (virtual chips plugged in
// through vpcd), the other in-process: the same decisions, nothing lost.
func TestPostWithAGateOnRealPCSC(t *testing.T) {
	testenv.PCSCD(t)
	p := newPost(t, 2, 60, false, func(p *Post) { p.PCSCGate = true })
	pop := travellers(t, p, 8, 5)
	if _, err := p.Feed(context.Background(), pop); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every traveller through", 120*time.Second, func() bool { n, _ := recordedAtGates(t, p); return n >= len(pop) })
	assertExactlyOnce(t, p, pop)
	cs, err := p.GateCrossings(context.Background(), 0)
	if err != nil || len(cs) == 0 {
		t.Fatal(err)
	}
	for _, c := range cs {
		for _, ch := range c.Checks {
			if ch.Name == "chip_pa" && ch.Result == "pass" {
				return
			}
		}
	}
	t.Fatal("the PC/SC gate never passed Passive Authentication")
}

// Gates with a camera compare each traveller's face with the chip's
// portrait: genuine travellers pass (bar the odd biometric false reject),
// impostors are referred for no_match and attacks for presentation_attack,
// and nothing is lost on the way to central.
func TestPostFaceStage(t *testing.T) {
	lfw := testenv.SharedTestdata(t, "faces/lfw")
	root := testenv.RepoRoot(t)
	for _, f := range face.ModelFiles() {
		if _, err := os.Stat(filepath.Join(ModelsDir(root), f)); err != nil {
			t.Skipf("face model %s not found: run `make models`", filepath.Join(ModelsDir(root), f))
		}
	}
	p := newPost(t, 2, 10, false, func(p *Post) { p.Faces = true })
	pop := faceTravellers(t, p, 12, 3, &population.Faces{Dir: lfw, ImpostorShare: 0.2, AttackShare: 0.2, MinQuality: 0.5})
	t.Log(population.Describe(pop))
	if _, err := p.Feed(context.Background(), pop); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every traveller through", 180*time.Second, func() bool { n, _ := recordedAtGates(t, p); return n >= len(pop) })
	rep := assertExactlyOnce(t, p, pop)
	f := rep.Faces
	if f == nil {
		t.Fatal("no face report for travellers with faces")
	}
	t.Logf("face: %+v", *f)
	if f.Impostors < 2 || f.Attacks < 2 || f.Genuine+f.Impostors+f.Attacks != len(pop) {
		t.Fatalf("want ≥ 2 impostors and ≥ 2 attacks among %d travellers: %+v", len(pop), *f)
	}
	if f.ImpostorReasons["no_match"] != f.Impostors {
		t.Fatalf("impostors referred for %v, want no_match for all %d", f.ImpostorReasons, f.Impostors)
	}
	if f.AttackReasons["presentation_attack"] != f.Attacks {
		t.Fatalf("attacks referred for %v, want presentation_attack for all %d", f.AttackReasons, f.Attacks)
	}
	if 2*f.GenuinePassed < f.Genuine {
		t.Fatalf("%d of %d genuine travellers passed (false rejects %v)", f.GenuinePassed, f.Genuine, f.FalseRejectsBy)
	}
	// The face stage ran on every crossing, and said why it decided.
	for i := range p.gates {
		cs, err := p.GateCrossings(context.Background(), i)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if _, ran := faceMS(c); !ran {
				t.Fatalf("crossing %s of %s has no face check: %+v", c.ID, c.Document.DocumentNumber, c.Checks)
			}
		}
	}
}

// faceTravellers generates n travellers (none expired) whose faces cast
// chooses and shows (its detector: the post's face models), with chips from
// the post's PKI.
func faceTravellers(t *testing.T, p *Post, n int, seed int64, cast *population.Faces) []population.Traveller {
	t.Helper()
	eng, err := face.Load(face.Config{Dir: ModelsDir(p.Root), Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	cast.Detector, cast.Seed = eng, seed
	o := population.DefaultOptions(time.Now())
	o.Seed, o.ExpiredShare = seed, 0
	pop := population.Generate(n, o)
	if err := cast.AssignPeople(pop); err != nil {
		t.Fatal(err)
	}
	pki, err := p.PKI()
	if err != nil {
		t.Fatal(err)
	}
	if err := population.IssueDocuments(pop, population.Chips{PKI: pki, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	if _, err := cast.Present(pop); err != nil {
		t.Fatal(err)
	}
	return pop
}

// The plan decides what is a wrong decision and what a biometric false
// reject.
func TestJudgeBiometricFalseRejectsApart(t *testing.T) {
	refer := func(reasons ...string) wire.Crossing {
		c := wire.Crossing{Decision: wire.DecisionRefer}
		for _, r := range reasons {
			c.Checks = append(c.Checks, wire.Check{Name: "x", Result: wire.ResultRefer, Reason: r})
		}
		return c
	}
	pass := wire.Crossing{Decision: wire.DecisionPass}
	genuine := population.Traveller{Expect: "pass", Presentation: population.Genuine}
	expired := population.Traveller{Expect: "refer", Why: "document_expired", Presentation: population.Genuine}
	impostor := population.Traveller{Expect: "refer", Why: population.WhyImpostor, Presentation: population.Impostor}
	noFaces := population.Traveller{Expect: "pass"}
	for _, c := range []struct {
		name        string
		t           population.Traveller
		c           wire.Crossing
		wrong       bool
		falseReject string
	}{
		{"genuine passed", genuine, pass, false, ""},
		{"genuine, no match", genuine, refer("no_match"), false, "no_match"},
		{"genuine, low quality then no match", genuine, refer("low_quality", "no_match"), false, "low_quality"},
		{"genuine, no portrait", genuine, refer("no_reference"), true, ""},
		{"genuine, biometric and a document fault", genuine, refer("no_match", "document_expired"), true, ""},
		{"genuine, referred without a reason", genuine, refer(), true, ""},
		{"expired, referred", expired, refer("document_expired"), false, ""},
		{"expired, passed", expired, pass, true, ""},
		{"impostor referred", impostor, refer("no_match"), false, ""},
		{"impostor for another reason", impostor, refer("low_quality"), false, ""},
		{"impostor passed", impostor, pass, true, ""},
		{"no camera, no match", noFaces, refer("no_match"), true, ""},
	} {
		wrong, fr := judge(c.t, c.c)
		if wrong != c.wrong || fr != c.falseReject {
			t.Errorf("%s: wrong %v false reject %q, want %v %q", c.name, wrong, fr, c.wrong, c.falseReject)
		}
	}
}

// A list record is never planted for a traveller with a namesake in the
// run (the same name and year, or one the matcher takes for it): it would
// hit both.
func TestPlantHitsSkipNamesakes(t *testing.T) {
	o := population.DefaultOptions(time.Now())
	o.Seed, o.ExpiredShare = 5, 0
	pop := population.Generate(120, o)
	same := func(i int, surname, given string, year int, nat string) {
		f := &pop[i].Fields
		f.Surname, f.GivenNames, f.Nationality = surname, given, nat
		f.BirthDate = time.Date(year, 3, 10, 0, 0, 0, 0, time.UTC)
		pop[i].Expect, pop[i].Why = "pass", ""
	}
	same(0, "NGUYEN", "QUOC BAO", 1984, "VNM")
	same(1, "NGUYEN", "QUOC BAO", 1984, "VNM")
	same(2, "WANG", "LEI", 1983, "CHN")
	same(3, "YANG", "LEI", 1983, "CHN")
	queries := make([]identity.Prepared, len(pop))
	for i, tr := range pop {
		f := tr.Fields
		queries[i] = identity.Prepare(identity.Person{Name: identity.Name{Surname: f.Surname, Given: f.GivenNames},
			Birth: identity.Date{Year: f.BirthDate.Year(), Month: int(f.BirthDate.Month()), Day: f.BirthDate.Day()}, Nationality: f.Nationality})
	}
	// Every traveller without a namesake is planted for: share 1.
	hits, err := plantHits(pop, 1, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits.Persons) < 40 {
		t.Fatalf("only %d person records planted among %d travellers", len(hits.Persons), len(pop))
	}
	for _, p := range hits.Persons {
		birth, _ := identity.ParseDate(p.BirthDate)
		rec := identity.Prepare(identity.Person{Name: identity.Name{Surname: p.Surname, Given: p.GivenNames}, Birth: birth, Nationality: p.Nationality})
		var matched []string
		for i := range pop {
			if identity.MatchScore(queries[i], rec) >= namesakeScore {
				matched = append(matched, pop[i].Fields.Surname+" "+pop[i].Fields.GivenNames)
			}
		}
		if len(matched) > 1 {
			t.Errorf("record %s (%s, %s %s) matches %d travellers: %v", p.ID, p.Surname, p.GivenNames, p.BirthDate, len(matched), matched)
		}
	}
}

// Gates hold the post's lists: the planted wanted persons (written as an
// officer types them, the MRZ in ICAO transliteration) and stolen or lost
// documents are referred with their reason, a wanted person as an alert;
// watch-only persons and near misses cross.
func TestListHitsAreReferredWithTheirReason(t *testing.T) {
	o := population.DefaultOptions(time.Now())
	o.Seed, o.ExpiredShare = 21, 0
	pop := population.Generate(36, o)
	var plan ListPlan
	p := newPost(t, 2, 60, false, func(p *Post) {
		var err error
		plan, err = p.BuildLists(context.Background(), pop, ListOptions{Persons: 3000, Documents: 10000, HitShare: 0.5, Seed: 21}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
	})
	if plan.Planted.Kinds[population.WhyWanted] == 0 || plan.Planted.Kinds[population.KindNearly] == 0 || plan.Planted.Kinds[population.WhyStolen] == 0 {
		t.Fatalf("too few hits planted to test: %v", plan.Planted.Kinds)
	}
	pki, err := p.PKI()
	if err != nil {
		t.Fatal(err)
	}
	if err := population.IssueDocuments(pop, population.Chips{PKI: pki, Faces: [][]byte{syntheticFace()}, Seed: 21}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Feed(context.Background(), pop); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every traveller through", 90*time.Second, func() bool { n, _ := recordedAtGates(t, p); return n >= len(pop) })
	assertExactlyOnce(t, p, pop)
	byDoc := map[string]population.Traveller{}
	for _, tr := range pop {
		byDoc[tr.Fields.DocumentNumber] = tr
	}
	seen := map[string]int{}
	for i := range p.gates {
		cs, err := p.GateCrossings(context.Background(), i)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			tr := byDoc[c.Document.DocumentNumber]
			for _, ch := range c.Checks {
				if ch.Reason == "" || (ch.Name != "watchlist" && ch.Name != "document_list") {
					continue
				}
				seen[ch.Reason]++
				if ch.Reason != tr.Why && !(ch.Reason == "watchlist_watch" && tr.Why == "") {
					t.Errorf("%s: %s hit %s (%s), planned %q", c.Document.DocumentNumber, ch.Name, ch.Reason, ch.Message, tr.Why)
				}
				if tr.Why == population.WhyWanted && ch.Result != "alert" {
					t.Errorf("%s: a wanted person must be an alert, got %s", c.Document.DocumentNumber, ch.Result)
				}
			}
		}
	}
	for _, why := range []string{population.WhyWanted, population.WhyStolen, population.WhyLost} {
		if seen[why] != plan.Planted.Kinds[why] {
			t.Errorf("%s: %d crossings carry it, %d planted", why, seen[why], plan.Planted.Kinds[why])
		}
	}
}
