package ta_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"image"
	"image/jpeg"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/brainpool"

	"autogate/drivers/emrtd/bac"
	"autogate/drivers/emrtd/chipauth"
	"autogate/drivers/emrtd/cvc"
	"autogate/drivers/emrtd/iso7816"
	"autogate/drivers/emrtd/issuer"
	"autogate/drivers/emrtd/lds"
	"autogate/drivers/emrtd/sm"
	"autogate/drivers/emrtd/ta"
	"autogate/drivers/emrtd/vchip"
	"autogate/drivers/emrtd/vdoc"
	"autogate/internal/mrz"
)

var lines = []string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"}

var (
	pkiOnce sync.Once
	docPKI  *issuer.PKI
)

func documentPKI(t testing.TB) *issuer.PKI {
	pkiOnce.Do(func() { docPKI, _ = issuer.NewPKI(issuer.CSCAOptions{Country: "UT"}) })
	if docPKI == nil {
		t.Fatal("document PKI generation failed")
	}
	return docPKI
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// chipDate is the virtual chip's current date.
var chipDate = date(2026, 3, 1)

type eac struct{ cvca, dv, is *cvc.Holder }

func newEAC(t testing.TB, curve elliptic.Curve, isRights cvc.Rights, isExpiry time.Time) eac {
	t.Helper()
	key, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	from := date(2025, 1, 1)
	var e eac
	if e.cvca, err = cvc.NewCVCA(cvc.Template{CHR: "UTCVCA00001", Rights: cvc.AllRights, Effective: from, Expiry: date(2030, 1, 1), Key: key, Algorithm: cvc.OIDTAECDSASHA256}); err != nil {
		t.Fatal(err)
	}
	if e.dv, err = e.cvca.IssueDV(cvc.Template{CHR: "UTDVBORDER001", Rights: cvc.ReadDG3 | cvc.ReadDG4, Effective: from, Expiry: date(2028, 1, 1)}, true); err != nil {
		t.Fatal(err)
	}
	if e.is, err = e.dv.IssueIS(cvc.Template{CHR: "UTISGATE00001", Rights: isRights, Effective: from, Expiry: isExpiry}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e eac) chain() []*cvc.Certificate { return []*cvc.Certificate{e.dv.Cert, e.is.Cert} }

// face is a small JPEG for DG2.
func face(t testing.TB) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 32, 40)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var fingerprint = []byte("WSQ-like finger image bytes for the test")

// session opens a BAC chip with TA trust in e's CVCA, runs Chip
// Authentication, and returns the card with ID_PICC and the ephemeral key.
func session(t *testing.T, e eac) (*iso7816.Card, *vchip.Chip, []byte, []byte) {
	t.Helper()
	doc, err := vdoc.Issue(documentPKI(t), lines, face(t), vdoc.Options{NoPACE: true, NoAA: true,
		Fingerprint: fingerprint, CVCAs: []*cvc.Certificate{e.cvca.Cert}, ChipDate: chipDate})
	if err != nil {
		t.Fatal(err)
	}
	chip, err := doc.Chip()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	info, err := mrz.Parse(lines, time.Now()).KeyInfo()
	if err != nil {
		t.Fatal(err)
	}
	plain := &iso7816.Card{T: chip}
	if err := plain.SelectAID(ctx, iso7816.AIDLDS1); err != nil {
		t.Fatal(err)
	}
	s, err := bac.Authenticate(ctx, plain, info, nil)
	if err != nil {
		t.Fatal(err)
	}
	card := &iso7816.Card{T: sm.NewChannel(s, chip)}
	dg14, err := card.ReadFile(ctx, iso7816.FIDDataGroup(14))
	if err != nil {
		t.Fatal(err)
	}
	if infos, err := lds.ParseDG14(dg14); err != nil || len(infos.TerminalAuthentication) != 1 || infos.TerminalAuthentication[0].Version != 1 {
		t.Fatalf("DG14 does not announce TA: %v", err)
	}
	_, eph, err := chipauth.ChipAuthenticateDG14Ephemeral(ctx, card, dg14, nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := ta.IDPICCFromBAC(info)
	if err != nil {
		t.Fatal(err)
	}
	if string(id) != "L898902C36" {
		t.Fatalf("ID_PICC %q", id)
	}
	return card, chip, id, eph
}

func TestTerminalAuthenticationOpensDG3(t *testing.T) {
	for _, c := range []struct {
		name  string
		curve elliptic.Curve
	}{{"P-256", elliptic.P256()}, {"brainpoolP256r1", brainpool.P256r1()}} {
		t.Run(c.name, func(t *testing.T) {
			e := newEAC(t, c.curve, cvc.ReadDG3|cvc.ReadDG4, date(2026, 12, 31))
			card, _, id, eph := session(t, e)
			ctx := context.Background()
			// Before TA the chip refuses DG3.
			if _, err := card.ReadFile(ctx, iso7816.FIDDataGroup(3)); !iso7816.IsStatus(err, iso7816.SWSecurityStatus) {
				t.Fatalf("DG3 before TA: %v", err)
			}
			if err := ta.Authenticate(ctx, card, e.chain(), e.is.Key, id, eph, nil); err != nil {
				t.Fatal(err)
			}
			dg3, err := card.ReadFile(ctx, iso7816.FIDDataGroup(3))
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := lds.ParseDG3(dg3)
			if err != nil {
				t.Fatal(err)
			}
			if len(parsed.Templates) != 1 || !bytes.Equal(parsed.Templates[0].Record.Images[0].Data, fingerprint) {
				t.Fatalf("DG3 %+v", parsed)
			}
		})
	}
}

func TestTerminalAuthenticationRefusals(t *testing.T) {
	ctx := context.Background()
	good := newEAC(t, elliptic.P256(), cvc.ReadDG3, date(2026, 12, 31))

	t.Run("without TA", func(t *testing.T) {
		card, _, _, _ := session(t, good)
		for _, g := range []int{3} {
			if _, err := card.ReadFile(ctx, iso7816.FIDDataGroup(g)); !iso7816.IsStatus(err, iso7816.SWSecurityStatus) {
				t.Fatalf("DG%d: %v", g, err)
			}
		}
	})
	t.Run("wrong CVCA, other name", func(t *testing.T) {
		card, _, id, eph := session(t, good)
		other := newEAC(t, elliptic.P256(), cvc.ReadDG3, date(2026, 12, 31))
		renamed, err := cvc.NewCVCA(cvc.Template{CHR: "XXCVCA00001", Rights: cvc.AllRights, Effective: date(2025, 1, 1), Expiry: date(2030, 1, 1), Key: other.cvca.Key, Algorithm: cvc.OIDTAECDSASHA256})
		if err != nil {
			t.Fatal(err)
		}
		dv, _ := renamed.IssueDV(cvc.Template{CHR: "XXDV00001", Rights: cvc.AllRights, Effective: date(2025, 1, 1), Expiry: date(2028, 1, 1)}, false)
		is, _ := dv.IssueIS(cvc.Template{CHR: "XXIS00001", Rights: cvc.ReadDG3, Effective: date(2025, 1, 1), Expiry: date(2027, 1, 1)})
		err = ta.Authenticate(ctx, card, []*cvc.Certificate{dv.Cert, is.Cert}, is.Key, id, eph, nil)
		if !errors.Is(err, ta.ErrNoTrustPoint) {
			t.Fatalf("got %v", err)
		}
		assertDG3Closed(t, card)
	})
	t.Run("wrong CVCA, same name", func(t *testing.T) {
		card, _, id, eph := session(t, good)
		other := newEAC(t, elliptic.P256(), cvc.ReadDG3, date(2026, 12, 31))
		err := ta.Authenticate(ctx, card, other.chain(), other.is.Key, id, eph, nil)
		if !errors.Is(err, ta.ErrCertificateRefused) || !iso7816.IsStatus(err, iso7816.SWAuthenticationFailed) {
			t.Fatalf("got %v", err)
		}
		assertDG3Closed(t, card)
	})
	t.Run("expired IS certificate", func(t *testing.T) {
		expired := newEAC(t, elliptic.P256(), cvc.ReadDG3, date(2026, 2, 28)) // the chip's date is 2026-03-01
		card, _, id, eph := session(t, expired)
		err := ta.Authenticate(ctx, card, expired.chain(), expired.is.Key, id, eph, nil)
		if !errors.Is(err, ta.ErrCertificateRefused) {
			t.Fatalf("got %v", err)
		}
		assertDG3Closed(t, card)
	})
	t.Run("rights without DG3", func(t *testing.T) {
		irisOnly := newEAC(t, elliptic.P256(), cvc.ReadDG4, date(2026, 12, 31))
		card, _, id, eph := session(t, irisOnly)
		if err := ta.Authenticate(ctx, card, irisOnly.chain(), irisOnly.is.Key, id, eph, nil); err != nil {
			t.Fatal(err) // TA itself succeeds ...
		}
		assertDG3Closed(t, card) // ... but grants no fingerprints
	})
	t.Run("bad signature: wrong IS key", func(t *testing.T) {
		card, _, id, eph := session(t, good)
		wrong, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		err := ta.Authenticate(ctx, card, good.chain(), wrong, id, eph, nil)
		if !errors.Is(err, ta.ErrSignatureRefused) || !iso7816.IsStatus(err, iso7816.SWAuthenticationFailed) {
			t.Fatalf("got %v", err)
		}
		assertDG3Closed(t, card)
	})
	t.Run("bad signature: wrong ID_PICC", func(t *testing.T) {
		card, _, _, eph := session(t, good)
		err := ta.Authenticate(ctx, card, good.chain(), good.is.Key, []byte("X00000000<0"), eph, nil)
		if !errors.Is(err, ta.ErrSignatureRefused) {
			t.Fatalf("got %v", err)
		}
		assertDG3Closed(t, card)
	})
	t.Run("bad signature: other ephemeral key", func(t *testing.T) {
		card, _, id, _ := session(t, good)
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		pub, _ := k.PublicKey.Bytes()
		err := ta.Authenticate(ctx, card, good.chain(), good.is.Key, id, pub, nil)
		if !errors.Is(err, ta.ErrSignatureRefused) {
			t.Fatalf("got %v", err)
		}
		assertDG3Closed(t, card)
	})
	t.Run("rights end with the session", func(t *testing.T) {
		card, chip, id, eph := session(t, good)
		if err := ta.Authenticate(ctx, card, good.chain(), good.is.Key, id, eph, nil); err != nil {
			t.Fatal(err)
		}
		chip.Reset()
		plain := &iso7816.Card{T: chip}
		if err := plain.SelectAID(ctx, iso7816.AIDLDS1); err != nil {
			t.Fatal(err)
		}
		if err := plain.Select(ctx, iso7816.FIDDataGroup(3)); !iso7816.IsStatus(err, iso7816.SWSecurityStatus) {
			t.Fatalf("DG3 after reset: %v", err)
		}
	})
}

func assertDG3Closed(t *testing.T, card *iso7816.Card) {
	t.Helper()
	if _, err := card.ReadFile(context.Background(), iso7816.FIDDataGroup(3)); !iso7816.IsStatus(err, iso7816.SWSecurityStatus) {
		t.Fatalf("DG3 readable: %v", err)
	}
}

func TestComp(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub, _ := k.PublicKey.Bytes()
	if got := ta.Comp(pub); !bytes.Equal(got, k.X.FillBytes(make([]byte, 32))) {
		t.Errorf("EC Comp is not the x-coordinate")
	}
	dh := bytes.Repeat([]byte{0x04}, 128)
	if got := ta.Comp(dh); len(got) != 20 {
		t.Errorf("DH Comp is %d bytes, want SHA-1", len(got))
	}
}
