package cvc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/brainpool"
)

// bsiTestCVCA is the self-signed CVCA certificate DETESTeID00005 of the
// BSI test PKI for authentication terminals (brainpoolP256r1,
// id-TA-ECDSA-SHA-256, valid 2015-05-04 to 2018-05-04), as published in
// the PersoSim personalisations.
const bsiTestCVCA = "7F218201B67F4E82016E5F290100420E44455445535465494430303030357F4982011D060A04007F000702020202038120A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E537782207D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9832026DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B68441048BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F0469978520A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A78641049BFEBA8DC7FAAB6E3BDEB3FF794DBB800848FE4F6940A4CC7EECB5159C87DA5395505892026D420A22596CD014ED1FD872DADA597DB0F8D64441041198F62D448701015F200E44455445535465494430303030357F4C12060904007F0007030102025305FC0F13FFFF5F25060105000500045F24060108000500045F374058B4E65598EFB9CA2CAFC05C80F5A907E8B69C3897C704739320896DC53492E47766841A9C3D4EAC85CE653D166B53DB06A70E735AB93C88858811EF69D6B543"

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestPublishedBSICVCA(t *testing.T) {
	raw := unhex(t, bsiTestCVCA)
	c, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if c.CAR != "DETESTeID00005" || c.CHR != "DETESTeID00005" || !c.SelfSigned() {
		t.Errorf("CAR %q CHR %q", c.CAR, c.CHR)
	}
	if !c.PublicKey.Algorithm.Equal(OIDTAECDSASHA256) || c.PublicKey.Curve != brainpool.P256r1() {
		t.Errorf("key %v on %v", c.PublicKey.Algorithm, c.PublicKey.Curve)
	}
	if !c.CHAT.Terminal.Equal(OIDAuthenticationTerminal) || c.CHAT.Role() != RoleCVCA || len(c.CHAT.Data) != 5 {
		t.Errorf("CHAT %v %X", c.CHAT.Terminal, c.CHAT.Data)
	}
	if !c.Effective.Equal(date(2015, 5, 4)) || !c.Expiry.Equal(date(2018, 5, 4)) {
		t.Errorf("valid %v to %v", c.Effective, c.Expiry)
	}
	// The self-signature verifies with the certificate's own key.
	if err := c.PublicKey.Verify(c.Body, c.Signature); err != nil {
		t.Fatal(err)
	}
	a, err := VerifyChain([]TrustPoint{c.TrustPoint()}, []*Certificate{c}, date(2016, 1, 1))
	if err != nil || a.Role != RoleCVCA {
		t.Fatalf("chain: %v %v", a, err)
	}
	if _, err := VerifyChain([]TrustPoint{c.TrustPoint()}, []*Certificate{c}, date(2018, 5, 5)); !errors.Is(err, ErrExpired) {
		t.Errorf("after expiry: %v", err)
	}
	// One bit off in the signed body: the signature fails.
	bad := *c
	bad.Body = append([]byte{}, c.Body...)
	bad.Body[20] ^= 1
	if err := c.PublicKey.Verify(bad.Body, c.Signature); !errors.Is(err, ErrSignature) {
		t.Errorf("tampered body: %v", err)
	}
	// Re-encoding writes the same bytes.
	if got := hex.EncodeToString(c.Encode()); !strings.EqualFold(got, bsiTestCVCA) {
		t.Error("re-encoding differs")
	}
	// The body re-encoded from the parsed fields is the published one.
	body, err := c.encodeBody(true)
	if err != nil || hex.EncodeToString(body) != hex.EncodeToString(c.Body) {
		t.Errorf("body re-encoding differs: %v", err)
	}
}

type pki struct{ cvca, dv, is *Holder }

func buildPKI(t testing.TB, cvcaKey crypto.Signer, alg asn1.ObjectIdentifier, isRights Rights) pki {
	t.Helper()
	from, to := date(2025, 1, 1), date(2030, 1, 1)
	var p pki
	var err error
	if p.cvca, err = NewCVCA(Template{CHR: "UTCVCA00001", Rights: AllRights, Effective: from, Expiry: to, Key: cvcaKey, Algorithm: alg}); err != nil {
		t.Fatal(err)
	}
	if p.dv, err = p.cvca.IssueDV(Template{CHR: "UTDVGATE00001", Rights: AllRights, Effective: from, Expiry: to}, true); err != nil {
		t.Fatal(err)
	}
	if p.is, err = p.dv.IssueIS(Template{CHR: "UTISGATE00001", Rights: isRights, Effective: from, Expiry: date(2026, 6, 30)}); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p pki) chain() []*Certificate { return []*Certificate{p.dv.Cert, p.is.Cert} }

func TestChainRoundTrip(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	bp256, _ := ecdsa.GenerateKey(brainpool.P256r1(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		key  crypto.Signer
		alg  asn1.ObjectIdentifier
	}{
		{"P-256", p256, OIDTAECDSASHA256},
		{"brainpoolP256r1", bp256, OIDTAECDSASHA256},
		{"P-384 SHA-384", p384, OIDTAECDSASHA384},
		{"brainpoolP256r1 SHA-1", bp256, OIDTAECDSASHA1},
		{"RSA PKCS1 v1.5 SHA-256", rsaKey, OIDTARSAv15SHA256},
		{"RSA PSS SHA-256", rsaKey, OIDTARSAPSSSHA256},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := buildPKI(t, tc.key, tc.alg, ReadDG3)
			for _, h := range []*Holder{p.cvca, p.dv, p.is} {
				back, err := Parse(h.Cert.Raw)
				if err != nil {
					t.Fatalf("%s: %v", h.Cert.CHR, err)
				}
				if back.CHR != h.Cert.CHR || back.CAR != h.Cert.CAR || !back.Expiry.Equal(h.Cert.Expiry) {
					t.Errorf("round trip of %s: %v", h.Cert.CHR, back)
				}
			}
			// Only the CVCA carries domain parameters.
			if p.cvca.Cert.PublicKey.IsECDSA() {
				if p.cvca.Cert.PublicKey.Curve == nil || p.dv.Cert.PublicKey.Curve != nil || p.is.Cert.PublicKey.Curve != nil {
					t.Error("domain parameters must be in the CVCA certificate only")
				}
			}
			a, err := VerifyChain([]TrustPoint{p.cvca.Cert.TrustPoint()}, p.chain(), date(2026, 1, 15))
			if err != nil {
				t.Fatal(err)
			}
			if a.CHR != "UTISGATE00001" || a.Role != RoleTerminal || a.Rights != ReadDG3 {
				t.Errorf("authorization %+v", a)
			}
			// The IS key (with inherited parameters) verifies the IS's signatures.
			sig, err := Sign(p.is.Key, a.Key.Algorithm, []byte("challenge"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Key.Verify([]byte("challenge"), sig); err != nil {
				t.Fatal(err)
			}
			if err := a.Key.Verify([]byte("challengf"), sig); !errors.Is(err, ErrSignature) {
				t.Errorf("other message: %v", err)
			}
		})
	}
}

func TestChainRefusals(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p := buildPKI(t, key, OIDTAECDSASHA256, ReadDG3|ReadDG4)
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other := buildPKI(t, otherKey, OIDTAECDSASHA256, ReadDG3)
	trust := []TrustPoint{p.cvca.Cert.TrustPoint()}
	now := date(2026, 1, 15)

	// A chain under another CVCA of the same name: its DV signature fails.
	if _, err := VerifyChain(trust, other.chain(), now); !errors.Is(err, ErrSignature) {
		t.Errorf("foreign CVCA with the same name: %v", err)
	}
	// A CVCA the chip does not know.
	renamed, err := NewCVCA(Template{CHR: "XXCVCA00009", Rights: AllRights, Effective: date(2025, 1, 1), Expiry: date(2030, 1, 1), Key: otherKey, Algorithm: OIDTAECDSASHA256})
	if err != nil {
		t.Fatal(err)
	}
	dv, _ := renamed.IssueDV(Template{CHR: "XXDV00001", Rights: AllRights, Effective: date(2025, 1, 1), Expiry: date(2030, 1, 1)}, false)
	if _, err := VerifyChain(trust, []*Certificate{dv.Cert}, now); !errors.Is(err, ErrUnknownCAR) {
		t.Errorf("unknown CVCA: %v", err)
	}
	// IS certificate expired (valid to 2026-06-30), and not yet valid.
	if _, err := VerifyChain(trust, p.chain(), date(2026, 7, 1)); !errors.Is(err, ErrExpired) {
		t.Errorf("expired IS: %v", err)
	}
	if _, err := VerifyChain(trust, p.chain(), date(2026, 6, 30)); err != nil {
		t.Errorf("last valid day: %v", err)
	}
	if _, err := VerifyChain(trust, p.chain(), date(2024, 12, 31)); !errors.Is(err, ErrNotYetValid) {
		t.Errorf("before effective: %v", err)
	}
	// An IS certificate straight under the CVCA: wrong role.
	direct, _ := p.cvca.IssueIS(Template{CHR: "UTISROGUE0001", Rights: ReadDG3, Effective: date(2025, 1, 1), Expiry: date(2027, 1, 1)})
	if _, err := VerifyChain(trust, []*Certificate{direct.Cert}, now); !errors.Is(err, ErrRole) {
		t.Errorf("IS under CVCA: %v", err)
	}
	// Rights narrow along the chain: a DV with DG4 only cannot grant DG3.
	dv4, _ := p.cvca.IssueDV(Template{CHR: "UTDVIRIS00001", Rights: ReadDG4, Effective: date(2025, 1, 1), Expiry: date(2030, 1, 1)}, false)
	is34, _ := dv4.IssueIS(Template{CHR: "UTISBOTH00001", Rights: ReadDG3 | ReadDG4, Effective: date(2025, 1, 1), Expiry: date(2030, 1, 1)})
	a, err := VerifyChain(trust, []*Certificate{dv4.Cert, is34.Cert}, now)
	if err != nil || a.Rights != ReadDG4 || a.Rights.CanRead(3) || !a.Rights.CanRead(4) {
		t.Errorf("rights %v, %v", a.Rights, err)
	}
	// A tampered signature.
	bad, _ := Parse(p.is.Cert.Raw)
	bad.Signature[5] ^= 0x40
	if _, err := VerifyChain(trust, []*Certificate{p.dv.Cert, bad}, now); !errors.Is(err, ErrSignature) {
		t.Errorf("tampered IS signature: %v", err)
	}
	// A link certificate makes the new CVCA key trusted.
	newKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	link, err := p.cvca.Link(Template{CHR: "UTCVCA00002", Rights: AllRights, Effective: date(2025, 6, 1), Expiry: date(2031, 1, 1), Key: newKey})
	if err != nil {
		t.Fatal(err)
	}
	dv2, _ := link.IssueDV(Template{CHR: "UTDVGATE00002", Rights: AllRights, Effective: date(2025, 6, 1), Expiry: date(2030, 1, 1)}, true)
	if _, err := VerifyChain(trust, []*Certificate{link.Cert, dv2.Cert}, now); err != nil {
		t.Errorf("link chain: %v", err)
	}
	if _, err := VerifyChain(trust, []*Certificate{dv2.Cert}, now); !errors.Is(err, ErrUnknownCAR) {
		t.Errorf("DV of the new CVCA without the link: %v", err)
	}
}

func TestParseRefusesMalformed(t *testing.T) {
	raw := unhex(t, bsiTestCVCA)
	cases := map[string][]byte{
		"empty":         nil,
		"truncated":     raw[:len(raw)-1],
		"trailing byte": append(append([]byte{}, raw...), 0),
		"not 7F21":      append([]byte{0x7F, 0x22}, raw[2:]...),
	}
	// Bad date digit: the effective date's first digit becomes 0A.
	i := strings.Index(strings.ToUpper(hex.EncodeToString(raw)), "5F2506")
	bad := append([]byte{}, raw...)
	bad[i/2+3] = 0x0A
	cases["date digit"] = bad
	for name, b := range cases {
		if _, err := Parse(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzParseCVC(f *testing.F) {
	f.Add(unhex(f, bsiTestCVCA))
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p := buildPKI(f, key, OIDTAECDSASHA256, ReadDG3)
	f.Add(p.dv.Cert.Raw)
	f.Add(p.is.Cert.Raw)
	f.Add(p.is.Cert.VerifyCertificateData())
	f.Fuzz(func(t *testing.T, b []byte) {
		// The PSO:Verify Certificate form must fail cleanly too.
		if _, err := ParseBodyAndSignature(b); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("body and signature: error not marked ErrMalformed: %v", err)
		}
		c, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not marked ErrMalformed: %v", err)
			}
			return
		}
		// Whatever parses re-encodes to the same bytes and survives
		// verification without panicking.
		if got := c.Encode(); string(got) != string(b) {
			t.Fatalf("re-encoding differs")
		}
		_, _ = VerifyChain([]TrustPoint{c.TrustPoint()}, []*Certificate{c}, date(2026, 1, 1))
	})
}
