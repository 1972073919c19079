package inspect_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"slices"
	"sync"
	"testing"
	"time"

	"autogate/drivers/emrtd/chipreader"
	"autogate/drivers/emrtd/inspect"
	"autogate/drivers/emrtd/iso7816"
	"autogate/drivers/emrtd/issuer"
	"autogate/drivers/emrtd/trust"
	"autogate/drivers/emrtd/vchip"
	"autogate/drivers/emrtd/vdoc"
	"autogate/internal/mrz"
)

var (
	pkiOnce sync.Once
	testPKI *issuer.PKI
	other   *issuer.PKI
)

func pkis(t testing.TB) (*issuer.PKI, *issuer.PKI) {
	pkiOnce.Do(func() {
		testPKI, _ = issuer.NewPKI(issuer.CSCAOptions{Country: "UT"})
		other, _ = issuer.NewPKI(issuer.CSCAOptions{Country: "UT", CommonName: "CSCA Rogue"})
	})
	if testPKI == nil || other == nil {
		t.Fatal("test PKI generation failed")
	}
	return testPKI, other
}

func store(t testing.TB, p *issuer.PKI) *trust.Store {
	s := trust.NewStore()
	if _, err := s.AddCertificate(p.CSCA.Cert, "test", false); err != nil {
		t.Fatal(err)
	}
	return s
}

func face(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 240, 320))
	for y := 0; y < 320; y++ {
		for x := 0; x < 240; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var printedLines = []string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"}

func printed() mrz.Document {
	return mrz.Parse(printedLines, time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC))
}

func issue(t testing.TB, p *issuer.PKI, o vdoc.Options) *vdoc.Document {
	d, err := vdoc.Issue(p, printedLines, face(t), o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// read presents the document to a simulated reader and runs the inspection.
func read(t testing.TB, d *vdoc.Document, s *trust.Store, opts inspect.Options) *inspect.Result {
	t.Helper()
	chip, err := d.Chip()
	if err != nil {
		t.Fatal(err)
	}
	reader := chipreader.NewSim(chipreader.AirTime{}, 0)
	reader.Present(chip)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := reader.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	opts.Trust, opts.Printed = s, printed()
	if opts.At.IsZero() {
		opts.At = time.Now()
	}
	return inspect.Read(ctx, conn, opts)
}

func names(r *inspect.Result) []string {
	var out []string
	for _, s := range r.Steps {
		out = append(out, s.Name)
	}
	return out
}

func TestGenuineDocuments(t *testing.T) {
	p, _ := pkis(t)
	for _, c := range []struct {
		name   string
		o      vdoc.Options
		access string
		auth   string
	}{
		{"PACE + CA", vdoc.Options{}, "PACE id-PACE-ECDH-GM-AES-CBC-CMAC-128", inspect.StepCA},
		{"BAC + CA", vdoc.Options{NoPACE: true}, "BAC", inspect.StepCA},
		{"PACE + AA ECDSA", vdoc.Options{NoCA: true}, "PACE id-PACE-ECDH-GM-AES-CBC-CMAC-128", inspect.StepAA},
		{"BAC + AA RSA", vdoc.Options{NoPACE: true, NoCA: true, RSAAA: true}, "BAC", inspect.StepAA},
		{"brainpool PACE", vdoc.Options{PACEParamID: 13, NoAA: true}, "PACE id-PACE-ECDH-GM-AES-CBC-CMAC-128", inspect.StepCA},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := read(t, issue(t, p, c.o), store(t, p), inspect.Options{})
			if !r.OK || r.Access != c.access {
				t.Fatalf("ok=%v access=%q steps=%+v", r.OK, r.Access, r.Steps)
			}
			for _, want := range []string{inspect.StepAccess, c.auth, inspect.StepPA, inspect.StepMRZMatch} {
				if !slices.Contains(names(r), want) {
					t.Fatalf("no %s step in %v", want, names(r))
				}
			}
			if r.DG1 == nil || r.DG1.DocumentNumber != "L898902C3" || r.Face == nil || r.Face.Width != 240 || r.Face.Format == "" {
				t.Fatalf("dg1=%+v face=%+v", r.DG1, r.Face)
			}
		})
	}
}

// The attack suite: each refused with its own reason, never a pass.
func TestAttacksAreRefused(t *testing.T) {
	p, rogue := pkis(t)
	good := store(t, p)
	cases := []struct {
		name   string
		doc    func() *vdoc.Document
		store  *trust.Store
		opts   inspect.Options
		reason string
	}{
		{"signed by an unknown signer", func() *vdoc.Document { return issue(t, rogue, vdoc.Options{}) }, good, inspect.Options{}, "ds_not_chaining"},
		{"DG changed after signing", func() *vdoc.Document {
			d := issue(t, p, vdoc.Options{})
			dg2 := d.Files[iso7816.FIDDataGroup(2)]
			dg2[len(dg2)-10] ^= 0xFF
			return d
		}, good, inspect.Options{}, "dg_hash_mismatch"},
		{"cloned chip", func() *vdoc.Document {
			d := issue(t, p, vdoc.Options{})
			d.Faults = vchip.Faults{Clone: true}
			return d
		}, good, inspect.Options{}, inspect.ReasonCAFailed},
		{"cloned chip, AA only", func() *vdoc.Document {
			d := issue(t, p, vdoc.Options{NoCA: true})
			d.Faults = vchip.Faults{Clone: true}
			return d
		}, good, inspect.Options{}, inspect.ReasonAAFailed},
		{"wrong MRZ keys", func() *vdoc.Document {
			d := issue(t, p, vdoc.Options{NoPACE: true})
			d.Faults = vchip.Faults{WrongMRZ: true}
			return d
		}, good, inspect.Options{}, inspect.ReasonAccessDenied},
		{"MAC failure mid-session", func() *vdoc.Document {
			d := issue(t, p, vdoc.Options{})
			d.Faults = vchip.Faults{CorruptMACAfter: 3}
			return d
		}, good, inspect.Options{}, inspect.ReasonSecureMessages},
		{"chip stops answering", func() *vdoc.Document {
			d := issue(t, p, vdoc.Options{})
			d.Faults = vchip.Faults{SilentAfter: 12}
			return d
		}, good, inspect.Options{}, inspect.ReasonNotAnswering},
		{"empty trust store", func() *vdoc.Document { return issue(t, p, vdoc.Options{}) }, trust.NewStore(), inspect.Options{}, "trust_store_empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := c.doc()
			ctxOpts := c.opts
			r := readWithTimeout(t, d, c.store, ctxOpts)
			if r.OK {
				t.Fatalf("an attack passed: %+v", r.Steps)
			}
			reasons := r.Reasons()
			if len(reasons) == 0 {
				t.Fatalf("refused without a reason: %+v", r.Steps)
			}
			t.Logf("reasons %v", reasons)
			if c.reason != "" && !slices.Contains(reasons, c.reason) {
				t.Fatalf("reasons %v, want %s", reasons, c.reason)
			}
		})
	}
}

func readWithTimeout(t *testing.T, d *vdoc.Document, s *trust.Store, o inspect.Options) *inspect.Result {
	chip, err := d.Chip()
	if err != nil {
		t.Fatal(err)
	}
	reader := chipreader.NewSim(chipreader.AirTime{}, 0)
	reader.Present(chip)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn, err := reader.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	o.Trust, o.Printed, o.At = s, printed(), time.Now()
	return inspect.Read(ctx, conn, o)
}

// A chip whose DG1 (signed and all) belongs to another document than the
// printed page: the keys still open it (same key information), PA passes,
// and the MRZ comparison must catch it.
func TestDG1MismatchRefused(t *testing.T) {
	p, _ := pkis(t)
	// Same document number, dates and check digits (so the same keys), other name.
	other := []string{"P<UTOERIKSSON<<ANNE<MARIE<<<<<<<<<<<<<<<<<<<", printedLines[1]}
	d, err := vdoc.Issue(p, other, face(t), vdoc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := read(t, d, store(t, p), inspect.Options{})
	if r.OK {
		t.Fatal("a chip holding another MRZ passed")
	}
	if pa, _ := r.Step(inspect.StepPA); !pa.OK {
		t.Fatalf("PA should pass (the issuer signed it): %+v", pa)
	}
	if m, _ := r.Step(inspect.StepMRZMatch); m.OK || m.Reason != inspect.ReasonMRZMismatch {
		t.Fatalf("mrz_match %+v", m)
	}
}

func TestInvalidPrintedMRZNeverOpensTheChip(t *testing.T) {
	p, _ := pkis(t)
	d := issue(t, p, vdoc.Options{})
	chip, _ := d.Chip()
	reader := chipreader.NewSim(chipreader.AirTime{}, 0)
	reader.Present(chip)
	conn, _ := reader.Connect(context.Background())
	bad := mrz.Parse([]string{printedLines[0], printedLines[1][:43] + "9"}, time.Now())
	r := inspect.Read(context.Background(), conn, inspect.Options{Printed: bad, Trust: store(t, p)})
	if r.OK || len(r.Steps) != 1 || r.Steps[0].Reason != inspect.ReasonBadMRZ {
		t.Fatalf("%+v", r.Steps)
	}
}

// The document survives its JSON form (how the simulator hands it to a gate).
func TestDocumentJSONRoundTrip(t *testing.T) {
	p, _ := pkis(t)
	d := issue(t, p, vdoc.Options{})
	b, err := jsonMarshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var back vdoc.Document
	if err := jsonUnmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if r := read(t, &back, store(t, p), inspect.Options{}); !r.OK {
		t.Fatalf("%+v", r.Steps)
	}
}
