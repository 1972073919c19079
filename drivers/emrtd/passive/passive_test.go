package passive_test

import (
	"bytes"
	"crypto"
	"encoding/asn1"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"autogate/drivers/emrtd/issuer"
	"autogate/drivers/emrtd/passive"
	"autogate/drivers/emrtd/trust"
)

// A document as the issuer writes it: DG1 (MRZ), a DG2 of realistic size,
// DG14 and DG15.
func sampleDGs() map[int][]byte {
	dg2 := make([]byte, 20000)
	for i := range dg2 {
		dg2[i] = byte(i * 7)
	}
	dg2[0] = 0x75
	return map[int][]byte{
		1:  []byte("\x61\x5b\x5f\x1f\x58P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10"),
		2:  dg2,
		14: []byte("\x6e\x0bchip-auth.."),
		15: []byte("\x6f\x0bactive-auth"),
	}
}

type fixture struct {
	pki   *issuer.PKI
	ds    *issuer.Signer
	store *trust.Store
	dgs   map[int][]byte
}

func newFixture(t *testing.T, kt issuer.KeyType) fixture {
	t.Helper()
	p, err := issuer.NewPKI(issuer.CSCAOptions{Key: kt, ExplicitParameters: !strings.HasPrefix(string(kt), "RSA")})
	if err != nil {
		t.Fatal(err)
	}
	store := trust.NewStore()
	if _, err := store.AddCertificate(p.CSCA.Cert, "test CSCA", false); err != nil {
		t.Fatal(err)
	}
	return fixture{pki: p, ds: p.DocumentSigners[0], store: store, dgs: sampleDGs()}
}

func (f fixture) sign(t *testing.T, o issuer.SODOptions) []byte {
	t.Helper()
	b, err := issuer.SignSODWith(f.dgs, crypto.SHA256, f.ds, o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGenuineDocumentPasses(t *testing.T) {
	for _, tc := range []struct {
		key issuer.KeyType
		o   issuer.SODOptions
	}{
		{issuer.P256, issuer.SODOptions{}},
		{issuer.BrainpoolP256r1, issuer.SODOptions{SignerID: issuer.SubjectKeyID}},
		{issuer.BrainpoolP384r1, issuer.SODOptions{LDSVersion: "0108", UnicodeVersion: "040000"}},
		{issuer.RSAPSS2048, issuer.SODOptions{}},
		{issuer.RSA2048, issuer.SODOptions{OmitSigningTime: true}},
	} {
		t.Run(string(tc.key), func(t *testing.T) {
			f := newFixture(t, tc.key)
			r := passive.Verify(f.sign(t, tc.o), f.dgs, f.store, time.Now())
			if !r.OK {
				t.Fatalf("genuine document refused: %v", r)
			}
			want := []string{"sod_parse", "signature", "chain", "dg_hash 1", "dg_hash 2", "dg_hash 14", "dg_hash 15"}
			var got []string
			for _, s := range r.Steps {
				name := s.Name
				if s.DG != 0 {
					name = fmt.Sprintf("%s %d", s.Name, s.DG)
				}
				got = append(got, name)
				if s.Status != passive.Pass {
					t.Errorf("step %s: %s %s %s", name, s.Status, s.Reason, s.Detail)
				}
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("steps %v, want %v", got, want)
			}
			if r.Chain.CSCA == nil || !bytes.Equal(r.Chain.CSCA.Cert.Raw, f.pki.CSCA.Cert.Raw) || r.Chain.DSExpiredNow {
				t.Errorf("chain %+v", r.Chain)
			}
		})
	}
}

// The attack suite: every forged, damaged or untrusted document is refused
// with the specific reason.
func TestAttackSuite(t *testing.T) {
	f := newFixture(t, issuer.P256)
	genuine := f.sign(t, issuer.SODOptions{})
	now := time.Now()

	stranger, err := issuer.NewPKI(issuer.CSCAOptions{Country: "UT"}) // same country name, another key
	if err != nil {
		t.Fatal(err)
	}
	strangerSOD, err := issuer.SignSOD(f.dgs, crypto.SHA256, stranger.DocumentSigners[0])
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := issuer.P256.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}

	// A DS whose certificate ended before the SOD was signed.
	expiredDS, err := f.pki.CSCA.IssueDocumentSigner(issuer.DSOptions{NotBefore: now.Add(-400 * 24 * time.Hour), Validity: 300 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	expiredSOD, err := issuer.SignSODWith(f.dgs, crypto.SHA256, expiredDS, issuer.SODOptions{SigningTime: now.Add(-24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	// A DS signing outside its private key usage period.
	pkupDS, err := f.pki.CSCA.IssueDocumentSigner(issuer.DSOptions{NotBefore: now.Add(-200 * 24 * time.Hour), PrivateKeyUsage: 90 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	pkupSOD, err := issuer.SignSODWith(f.dgs, crypto.SHA256, pkupDS, issuer.SODOptions{SigningTime: now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	// A DS signing before its certificate existed.
	earlySOD, err := issuer.SignSODWith(f.dgs, crypto.SHA256, f.ds, issuer.SODOptions{SigningTime: f.ds.Cert.NotBefore.Add(-48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}

	// A revoked DS, with the CSCA's CRL in the store.
	revokedDS, err := f.pki.CSCA.IssueDocumentSigner(issuer.DSOptions{Serial: big.NewInt(777)})
	if err != nil {
		t.Fatal(err)
	}
	revokedSOD, err := issuer.SignSOD(f.dgs, crypto.SHA256, revokedDS)
	if err != nil {
		t.Fatal(err)
	}
	crl, err := f.pki.CSCA.IssueCRL([]*big.Int{big.NewInt(777)}, now.Add(-time.Hour), now.Add(30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	storeWithCRL := trust.NewStore()
	if _, err := storeWithCRL.AddCertificate(f.pki.CSCA.Cert, "csca", false); err != nil {
		t.Fatal(err)
	}
	if _, err := storeWithCRL.AddCRL(crl, "csca.crl"); err != nil {
		t.Fatal(err)
	}

	// An expired CSCA (documents checked after it ended).
	oldCSCA, err := issuer.NewCSCA(issuer.CSCAOptions{Country: "ZZ", NotBefore: now.Add(-20 * 365 * 24 * time.Hour), Validity: 15 * 365 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	oldDS, err := oldCSCA.IssueDocumentSigner(issuer.DSOptions{NotBefore: now.Add(-19 * 365 * 24 * time.Hour), Validity: 10 * 365 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	oldSOD, err := issuer.SignSODWith(f.dgs, crypto.SHA256, oldDS, issuer.SODOptions{SigningTime: now.Add(-18 * 365 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	oldStore := trust.NewStore()
	if _, err := oldStore.AddCertificate(oldCSCA.Cert, "old", false); err != nil {
		t.Fatal(err)
	}

	tamperedDGs := sampleDGs()
	tamperedDGs[1] = bytes.Replace(tamperedDGs[1], []byte("ERIKSSON"), []byte("ERIKSSEN"), 1)
	missingDG2 := sampleDGs()
	delete(missingDG2, 2)
	extraDG := sampleDGs()
	extraDG[11] = []byte("\x6b\x03abc")

	flipped := append([]byte(nil), genuine...)
	flipped[len(flipped)-10] ^= 0x40 // inside the signature, which ends the file

	truncated := genuine[:len(genuine)/2]
	overlong := append([]byte(nil), genuine...)
	overlong[2], overlong[3] = 0xff, 0xff // 0x77 claims 65535 bytes
	innerOverlong := append([]byte(nil), genuine...)
	innerOverlong[6], innerOverlong[7] = 0x7f, 0xff // the ContentInfo claims more than the 0x77 holds
	bomb := append([]byte{0x77, 0x82, 0xea, 0x60}, bytes.Repeat([]byte{0x30, 0x80}, 30000)...)
	deep := nestedDefinite(2000)
	huge := append([]byte{0x77, 0x83, 0x01, 0x86, 0xa0}, make([]byte, 100000)...)

	cases := []struct {
		name   string
		sod    []byte
		dgs    map[int][]byte
		store  *trust.Store
		at     time.Time
		step   string
		reason string
	}{
		{"SOD signed by a DS of an unknown CSCA", strangerSOD, f.dgs, f.store, now, "chain", "ds_not_chaining"},
		{"SOD signed with a key that is not the DS's", f.sign(t, issuer.SODOptions{WrongKey: otherKey}), f.dgs, f.store, now, "signature", "signature_invalid"},
		{"SOD embedding another DS certificate", f.sign(t, issuer.SODOptions{EmbedCertificate: stranger.DocumentSigners[0].Cert}), f.dgs, f.store, now, "signature", "signature_invalid"},
		{"SOD without a DS certificate", f.sign(t, issuer.SODOptions{OmitCertificate: true}), f.dgs, f.store, now, "signature", "signer_unknown"},
		{"DS certificate not chaining to a CSCA", genuine, f.dgs, storeOf(t, stranger.CSCA), now, "chain", "ds_not_chaining"},
		{"DS expired at signing time", expiredSOD, f.dgs, f.store, now, "chain", "ds_expired_at_signing"},
		{"DS signing after its private key usage period", pkupSOD, f.dgs, f.store, now, "chain", "ds_expired_at_signing"},
		{"DS signing before its certificate", earlySOD, f.dgs, f.store, now, "chain", "ds_not_yet_valid_at_signing"},
		{"revoked DS", revokedSOD, f.dgs, storeWithCRL, now, "chain", "ds_revoked"},
		{"CSCA expired", oldSOD, f.dgs, oldStore, now, "chain", "csca_expired"},
		{"empty trust store", genuine, f.dgs, trust.NewStore(), now, "chain", "trust_store_empty"},
		{"no trust store", genuine, f.dgs, nil, now, "chain", "trust_store_missing"},
		{"DG1 changed after signing", genuine, tamperedDGs, f.store, now, "dg_hash", "dg_hash_mismatch"},
		{"DG2 not read", genuine, missingDG2, f.store, now, "dg_hash", "dg_missing"},
		{"DG read that the SOD does not cover", genuine, extraDG, f.store, now, "dg_hash", "dg_not_in_sod"},
		{"signature bytes flipped", flipped, f.dgs, f.store, now, "signature", "signature_invalid"},
		{"messageDigest differs from the content", f.sign(t, issuer.SODOptions{WrongMessageDigest: true}), f.dgs, f.store, now, "signature", "message_digest_mismatch"},
		{"no signed attributes", f.sign(t, issuer.SODOptions{OmitSignedAttributes: true}), f.dgs, f.store, now, "signature", "signed_attributes_missing"},
		{"unknown DG hash algorithm", f.sign(t, issuer.SODOptions{HashAlgorithmOID: asn1.ObjectIdentifier{1, 2, 3, 4}}), f.dgs, f.store, now, "dg_hash", "hash_algorithm_unknown"},
		{"unknown digest algorithm", f.sign(t, issuer.SODOptions{DigestAlgorithmOID: asn1.ObjectIdentifier{1, 2, 3, 5}}), f.dgs, f.store, now, "signature", "digest_algorithm_unknown"},
		{"truncated DER", truncated, f.dgs, f.store, now, "sod_parse", "sod_malformed"},
		{"overlong wrapper length", overlong, f.dgs, f.store, now, "sod_parse", "sod_malformed"},
		{"overlong inner length", innerOverlong, f.dgs, f.store, now, "sod_parse", "sod_malformed"},
		{"indefinite-length nesting bomb", bomb, f.dgs, f.store, now, "sod_parse", "sod_malformed"},
		{"deep definite-length nesting", deep, f.dgs, f.store, now, "sod_parse", "sod_malformed"},
		{"oversized SOD", huge, f.dgs, f.store, now, "sod_parse", "sod_too_large"},
		{"empty SOD", nil, f.dgs, f.store, now, "sod_parse", "sod_malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := passive.Verify(tc.sod, tc.dgs, tc.store, tc.at)
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v: hostile input must not stall the gate", d)
			}
			if r.OK {
				t.Fatalf("passed: %v", r)
			}
			found := false
			for _, s := range r.Steps {
				if s.Name == tc.step && s.Status == passive.Fail && s.Reason == tc.reason {
					found = true
					if s.Detail == "" {
						t.Errorf("step %s/%s has no detail", s.Name, s.Reason)
					}
				}
			}
			if !found {
				t.Fatalf("want step %s to fail with %s; got %v", tc.step, tc.reason, r)
			}
		})
	}
}

// storeOf returns a trust store holding the CSCAs.
func storeOf(t *testing.T, cscas ...*issuer.Signer) *trust.Store {
	t.Helper()
	s := trust.NewStore()
	for _, c := range cscas {
		if _, err := s.AddCertificate(c.Cert, "test", false); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// nestedDefinite wraps a SEQUENCE in n SEQUENCEs with definite lengths,
// inside the 0x77 wrapper.
func nestedDefinite(n int) []byte {
	inner := []byte{0x30, 0x00}
	for i := 0; i < n; i++ {
		inner = append(derLen(0x30, len(inner)), inner...)
	}
	return append(derLen(0x77, len(inner)), inner...)
}

func derLen(tag byte, n int) []byte {
	switch {
	case n < 0x80:
		return []byte{tag, byte(n)}
	case n < 0x100:
		return []byte{tag, 0x81, byte(n)}
	case n < 0x10000:
		return []byte{tag, 0x82, byte(n >> 8), byte(n)}
	default:
		return []byte{tag, 0x83, byte(n >> 16), byte(n >> 8), byte(n)}
	}
}

// A DS that has expired since it signed still passes (Doc 9303 practice),
// and the result says it has expired.
func TestDSExpiredSinceSigningStillPasses(t *testing.T) {
	now := time.Now()
	csca, err := issuer.NewCSCA(issuer.CSCAOptions{NotBefore: now.Add(-6 * 365 * 24 * time.Hour), Validity: 20 * 365 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := csca.IssueDocumentSigner(issuer.DSOptions{NotBefore: now.Add(-5 * 365 * 24 * time.Hour), Validity: 2 * 365 * 24 * time.Hour, PrivateKeyUsage: 90 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	dgs := sampleDGs()
	signedAt := now.Add(-5*365*24*time.Hour + 30*24*time.Hour)
	raw, err := issuer.SignSODWith(dgs, crypto.SHA256, ds, issuer.SODOptions{SigningTime: signedAt})
	if err != nil {
		t.Fatal(err)
	}
	r := passive.Verify(raw, dgs, storeOf(t, csca), now)
	if !r.OK {
		t.Fatalf("refused: %v", r)
	}
	if !r.Chain.DSExpiredNow || !r.Chain.DSValidAtSigning || !r.Chain.SigningTimeKnown {
		t.Errorf("chain should report DS expired now but valid at signing: %+v", r.Chain)
	}

	// Without a signingTime attribute the signer is judged at the check
	// time, and fails; the document's date of issue settles it.
	noTime, err := issuer.SignSODWith(dgs, crypto.SHA256, ds, issuer.SODOptions{OmitSigningTime: true})
	if err != nil {
		t.Fatal(err)
	}
	if r := passive.Verify(noTime, dgs, storeOf(t, csca), now); r.OK || !r.Failed("ds_expired_at_signing") {
		t.Errorf("no signing time, DS expired now: %v", r)
	}
	r = passive.VerifyWithOptions(noTime, dgs, storeOf(t, csca), now, passive.Options{SigningTime: signedAt})
	if !r.OK || !r.Chain.DSExpiredNow {
		t.Errorf("with the date of issue as signing time: %v", r)
	}
	r = passive.VerifyWithOptions(noTime, dgs, storeOf(t, csca), now, passive.Options{SigningTime: now.Add(-time.Hour)})
	if r.OK || !r.Failed("ds_expired_at_signing") {
		t.Errorf("date of issue after the DS expired: %v", r)
	}
}

// Link certificates: the DS is signed by the new CSCA key, the store holds
// the old self-signed CSCA and the link certificate only.
func TestChainThroughLinkCertificate(t *testing.T) {
	now := time.Now()
	old, err := issuer.NewCSCA(issuer.CSCAOptions{Key: issuer.BrainpoolP256r1, NotBefore: now.Add(-8 * 365 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	next, err := issuer.NewCSCA(issuer.CSCAOptions{Key: issuer.P256})
	if err != nil {
		t.Fatal(err)
	}
	link, err := old.IssueLink(next)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := next.IssueDocumentSigner(issuer.DSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dgs := sampleDGs()
	raw, err := issuer.SignSOD(dgs, crypto.SHA256, ds)
	if err != nil {
		t.Fatal(err)
	}
	store := storeOf(t, old)
	if _, err := store.AddCertificate(link, "link", false); err != nil {
		t.Fatal(err)
	}
	r := passive.Verify(raw, dgs, store, now)
	if !r.OK {
		t.Fatalf("refused through the link certificate: %v", r)
	}
	if len(r.Chain.Path) != 3 || !bytes.Equal(r.Chain.Path[1].Raw, link.Raw) || !bytes.Equal(r.Chain.Path[2].Raw, old.Cert.Raw) {
		t.Errorf("path should be DS, link, old CSCA; got %d certificates", len(r.Chain.Path))
	}

	// Without the old CSCA the link certificate anchors nothing.
	onlyLink := trust.NewStore()
	if _, err := onlyLink.AddCertificate(link, "link", false); err != nil {
		t.Fatal(err)
	}
	r = passive.Verify(raw, dgs, onlyLink, now)
	if r.OK || !r.Failed("ds_not_chaining") {
		t.Fatalf("link certificate without its issuer: %v", r)
	}
	if s, _ := r.Step("chain", 0); !strings.Contains(s.Detail, "link certificate") {
		t.Errorf("detail should name the link certificate: %s", s.Detail)
	}
}

func TestResultWithoutDGsForAStandAloneSOD(t *testing.T) {
	f := newFixture(t, issuer.P256)
	raw := f.sign(t, issuer.SODOptions{})
	r := passive.Verify(raw, nil, f.store, time.Now())
	if r.OK || !r.Failed("dg_missing") {
		t.Fatalf("DG1 and DG2 are required by default: %v", r)
	}
	r = passive.VerifyWithOptions(raw, nil, f.store, time.Now(), passive.Options{RequiredDataGroups: []int{}})
	if !r.OK {
		t.Fatalf("stand-alone SOD check: %v", r)
	}
	for _, n := range []int{1, 2, 14, 15} {
		if s, ok := r.Step("dg_hash", n); !ok || s.Status != passive.NotChecked || s.Reason != "dg_not_read" {
			t.Errorf("DG%d step %+v, want not_checked/dg_not_read", n, s)
		}
	}
}
