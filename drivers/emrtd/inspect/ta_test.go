package inspect_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"autogate/drivers/emrtd/cvc"
	"autogate/drivers/emrtd/inspect"
	"autogate/drivers/emrtd/lds"
	"autogate/drivers/emrtd/vdoc"
)

// eacPKI is a CVCA with a DV and an inspection system allowed to read DG3.
func eacPKI(t *testing.T) (cvca *cvc.Holder, terminal *inspect.TerminalCredentials) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	from, to := time.Now().AddDate(0, -1, 0), time.Now().AddDate(1, 0, 0)
	cvca, err = cvc.NewCVCA(cvc.Template{CHR: "UTCVCA00001", Rights: cvc.AllRights, Effective: from, Expiry: to, Key: key, Algorithm: cvc.OIDTAECDSASHA256})
	if err != nil {
		t.Fatal(err)
	}
	dv, err := cvca.IssueDV(cvc.Template{CHR: "UTDVBORDER001", Rights: cvc.AllRights, Effective: from, Expiry: to}, true)
	if err != nil {
		t.Fatal(err)
	}
	is, err := dv.IssueIS(cvc.Template{CHR: "UTISGATE00001", Rights: cvc.ReadDG3, Effective: from, Expiry: to})
	if err != nil {
		t.Fatal(err)
	}
	return cvca, &inspect.TerminalCredentials{Chain: []*cvc.Certificate{dv.Cert, is.Cert}, Key: is.Key}
}

func TestTerminalAuthenticationReadsDG3(t *testing.T) {
	p, _ := pkis(t)
	cvca, terminal := eacPKI(t)
	finger := []byte("finger image")
	doc := issue(t, p, vdoc.Options{NoPACE: true, Fingerprint: finger, CVCAs: []*cvc.Certificate{cvca.Cert}})

	r := read(t, doc, store(t, p), inspect.Options{Groups: []int{2, 3}, Terminal: terminal})
	step, ran := r.Step(inspect.StepTA)
	if !r.OK || !ran || !step.OK || step.Skipped {
		t.Fatalf("ok=%v ta=%+v steps=%+v", r.OK, step, r.Steps)
	}
	dg3, err := lds.ParseDG3(r.Files[3])
	if err != nil || string(dg3.Templates[0].Record.Images[0].Data) != string(finger) {
		t.Fatalf("DG3: %v", err)
	}
	if !r.PA.OK {
		t.Fatal("Passive Authentication over DG3 failed")
	}

	// Without TA material DG3 is not asked for and nothing fails.
	r = read(t, doc, store(t, p), inspect.Options{Groups: []int{2, 3}})
	if _, ran := r.Step(inspect.StepTA); !r.OK || ran || r.Files[3] != nil {
		t.Fatalf("without TA material: ok=%v steps=%+v", r.OK, r.Steps)
	}

	// A terminal under another CVCA is refused: the ta step fails with its
	// reason and DG3 stays unread.
	_, stranger := eacPKI(t)
	r = read(t, doc, store(t, p), inspect.Options{Groups: []int{2, 3}, Terminal: stranger})
	step, _ = r.Step(inspect.StepTA)
	if r.OK || step.OK || step.Reason != inspect.ReasonTAFailed || r.Files[3] != nil {
		t.Fatalf("foreign terminal: ok=%v ta=%+v", r.OK, step)
	}
}

// After PACE the chip is identified by its ephemeral PACE key (TR-03110):
// TA signs over that, and DG3 opens.
func TestTerminalAuthenticationAfterPACE(t *testing.T) {
	p, _ := pkis(t)
	cvca, terminal := eacPKI(t)
	doc := issue(t, p, vdoc.Options{Fingerprint: []byte("finger"), CVCAs: []*cvc.Certificate{cvca.Cert}})
	r := read(t, doc, store(t, p), inspect.Options{Groups: []int{2, 3}, Terminal: terminal})
	step, ran := r.Step(inspect.StepTA)
	if !r.OK || !ran || !step.OK || step.Skipped || r.Files[3] == nil || r.Access == "BAC" {
		t.Fatalf("ok=%v access=%q ta=%+v", r.OK, r.Access, step)
	}
	// A foreign terminal is refused over PACE too.
	_, stranger := eacPKI(t)
	r = read(t, doc, store(t, p), inspect.Options{Groups: []int{2, 3}, Terminal: stranger})
	if step, _ := r.Step(inspect.StepTA); r.OK || step.OK || r.Files[3] != nil {
		t.Fatalf("foreign terminal over PACE: ok=%v ta=%+v", r.OK, step)
	}
}
