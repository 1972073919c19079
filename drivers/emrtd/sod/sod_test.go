package sod_test

import (
	"bytes"
	"crypto"
	"encoding/asn1"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"autogate/drivers/emrtd/issuer"
	"autogate/drivers/emrtd/sod"
	"autogate/drivers/emrtd/sod/cms"
	"autogate/internal/testenv"
)

func readShared(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.SharedTestdata(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Real documents' SODs: each parses, and its signature verifies with its
// embedded document signer. New Zealand's use BER indefinite lengths,
// China's label the content id-data, Germany's and the UK's are V1 objects
// without a signing time.
func TestRealSODs(t *testing.T) {
	cases := []struct {
		file        string
		version     int
		ldsVersion  string
		hash        crypto.Hash
		dgs         []int
		signingTime string // "" when absent
		idData      bool
	}{
		{"emrtd/gmrtd/EF.SOD_AT.bin", 0, "", crypto.SHA256, []int{1, 2, 3, 11, 12, 14}, "2023-03-17T13:40:18Z", false},
		{"emrtd/gmrtd/EF.SOD_CN.bin", 0, "", crypto.SHA256, []int{1, 2, 11, 12, 15}, "2018-03-07T08:11:29Z", true},
		{"emrtd/gmrtd/EF.SOD_DE.bin", 1, "0108", crypto.SHA384, []int{1, 2, 3, 14}, "", false},
		{"emrtd/gmrtd/EF.SOD_FR.bin", 0, "", crypto.SHA256, []int{1, 2, 3, 11, 12, 13, 14}, "2017-09-05T20:41:33Z", false},
		{"emrtd/gmrtd/EF.SOD_NZ.bin", 0, "", crypto.SHA256, []int{1, 2, 12, 13, 14, 15}, "2017-11-15T00:36:12Z", false},
		{"emrtd/gmrtd/EF.SOD_RU.bin", 0, "", crypto.SHA1, []int{1, 2, 3, 13, 14}, "2020-01-22T07:21:58Z", false},
		{"emrtd/gmrtd/EF.SOD_UK.bin", 1, "0108", crypto.SHA256, []int{1, 2, 14}, "", false},
		{"emrtd/gmrtd/EF.SOD_US.bin", 0, "", crypto.SHA256, []int{1, 2, 11, 12}, "2021-09-16T13:45:00Z", false},
		{"emrtd/jmrtd/loes2006/ef011D.bin", 0, "", crypto.SHA256, []int{1, 2, 15}, "", false},
		{"emrtd/jmrtd/misc/NZ2013_EF_SOD.bin", 0, "", crypto.SHA256, []int{1, 2, 12, 13, 15}, "2011-10-18T00:38:56Z", false},
	}
	for _, tc := range cases {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			s, err := sod.Parse(readShared(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if s.Version != tc.version || s.LDSVersion != tc.ldsVersion || s.Hash != tc.hash || !slices.Equal(s.DataGroups(), tc.dgs) || s.ContentTypeIsData != tc.idData {
				t.Errorf("V%d LDS %q %v DGs %v id-data %v", s.Version, s.LDSVersion, s.Hash, s.DataGroups(), s.ContentTypeIsData)
			}
			st, ok := s.SigningTime()
			if got := ""; ok {
				got = st.Format(time.RFC3339)
				if got != tc.signingTime {
					t.Errorf("signing time %s, want %s", got, tc.signingTime)
				}
			} else if tc.signingTime != "" {
				t.Errorf("no signing time, want %s", tc.signingTime)
			}
			ds, err := s.VerifySignature()
			if err != nil {
				t.Fatalf("signature: %v", err)
			}
			if _, matched, _ := s.DocumentSigner(); !matched {
				t.Errorf("the signer identifier does not name the embedded certificate %q", ds.Subject)
			}
		})
	}
}

// The BSI 2008 test passport's signer key lies on a 224-bit curve given by
// explicit parameters that match no named curve here (it is
// brainpoolP224r1): the parameters are checked and used as given, and the
// signature verifies.
func TestBSI2008SignerOnAnUnnamedExplicitCurve(t *testing.T) {
	s, err := sod.Parse(readShared(t, "emrtd/jmrtd/bsi2008/EF_SOD.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.DataGroups(), []int{1, 2, 3, 14}) || s.Hash != crypto.SHA1 {
		t.Errorf("DGs %v hash %v", s.DataGroups(), s.Hash)
	}
	ds, err := s.VerifySignature()
	if err != nil {
		t.Fatalf("verification: %v", err)
	}
	if ds.KeyDescription != "ECDSA unnamed 224-bit prime curve (explicit parameters)" {
		t.Errorf("key %q", ds.KeyDescription)
	}
}

func TestParseRefuses(t *testing.T) {
	p, err := issuer.NewPKI(issuer.CSCAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	good, err := issuer.SignSOD(map[int][]byte{1: []byte("a"), 2: []byte("b")}, crypto.SHA256, p.DocumentSigners[0])
	if err != nil {
		t.Fatal(err)
	}
	signer, err := p.CSCA.IssueDocumentSigner(issuer.DSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ml, err := issuer.SignMasterList([]*cms.Certificate{p.CSCA.Cert}, crypto.SHA256, signer)
	if err != nil {
		t.Fatal(err)
	}
	wrongLen := append([]byte(nil), good...)
	wrongLen[1] = 0x85
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, sod.ErrMalformed},
		{"a master list", ml, sod.ErrNotSOD},
		{"too large", make([]byte, sod.MaxSize+1), sod.ErrTooLarge},
		{"truncated", good[:len(good)-40], sod.ErrMalformed},
		{"bad wrapper length", wrongLen, sod.ErrMalformed},
		{"garbage", []byte("\x77\x04\x01\x02\x03\x04"), sod.ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := sod.Parse(tc.in); !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
	// A bare ContentInfo (no 0x77) is read too.
	if _, err := sod.Parse(good[4:]); err != nil {
		t.Errorf("bare ContentInfo: %v", err)
	}
}

// Real SODs name their signer loosely. An issuer name in another string
// type still matches semantically; a serial that names nothing falls back
// to the only embedded certificate, and the signature decides.
func TestSignerIdentifierMatchedLoosely(t *testing.T) {
	p, err := issuer.NewPKI(issuer.CSCAOptions{Country: "NL"})
	if err != nil {
		t.Fatal(err)
	}
	ds := p.DocumentSigners[0]
	raw, err := issuer.SignSOD(map[int][]byte{1: []byte("a"), 2: []byte("b")}, crypto.SHA256, ds)
	if err != nil {
		t.Fatal(err)
	}
	issuerName := ds.Cert.Issuer.Raw
	serial, _ := asn1.Marshal(ds.Cert.SerialNumber)
	sid := append(append([]byte(nil), issuerName...), serial...)
	at := bytes.LastIndex(raw, sid)
	if at < 0 || at < bytes.Index(raw, ds.Cert.Raw)+len(ds.Cert.Raw) {
		t.Fatal("issuerAndSerialNumber not found in the SignerInfo")
	}

	// PrintableString (0x13) → UTF8String (0x0c) in the SID's issuer name.
	retyped := append([]byte(nil), raw...)
	// Each attribute is 06 03 55 04 xx (id-at-xx) then its string's tag.
	for i := at; i+5 < at+len(issuerName); i++ {
		if bytes.Equal(retyped[i:i+4], []byte{0x06, 0x03, 0x55, 0x04}) && retyped[i+5] == 0x13 {
			retyped[i+5] = 0x0c
		}
	}
	if bytes.Equal(retyped, raw) {
		t.Fatal("no PrintableString in the issuer name to retype")
	}
	s, err := sod.Parse(retyped)
	if err != nil {
		t.Fatal(err)
	}
	if _, matched, err := s.DocumentSigner(); err != nil || !matched {
		t.Errorf("retyped issuer name: matched %v, %v", matched, err)
	}
	if _, err := s.VerifySignature(); err != nil {
		t.Errorf("retyped issuer name: %v", err)
	}

	// A serial number that names nothing.
	wrongSerial := append([]byte(nil), raw...)
	wrongSerial[at+len(sid)-1] ^= 0x01
	s, err = sod.Parse(wrongSerial)
	if err != nil {
		t.Fatal(err)
	}
	if c, matched, err := s.DocumentSigner(); err != nil || matched || !bytes.Equal(c.Raw, ds.Cert.Raw) {
		t.Errorf("wrong serial: matched %v, %v", matched, err)
	}
	if _, err := s.VerifySignature(); err != nil {
		t.Errorf("wrong serial, only certificate: %v", err)
	}
}

func FuzzParseSOD(f *testing.F) {
	for _, kt := range []issuer.KeyType{issuer.P256, issuer.BrainpoolP256r1, issuer.RSAPSS2048} {
		p, err := issuer.NewPKI(issuer.CSCAOptions{Key: kt})
		if err != nil {
			f.Fatal(err)
		}
		b, err := issuer.SignSODWith(map[int][]byte{1: []byte("dg1"), 2: []byte("dg2"), 14: []byte("dg14")}, crypto.SHA256,
			p.DocumentSigners[0], issuer.SODOptions{LDSVersion: "0108", UnicodeVersion: "040000", SignerID: issuer.SubjectKeyID})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	base := os.Getenv(testenv.TestdataEnv)
	if base == "" {
		base = filepath.Join(testenv.RepoRoot(f), "..", "shared", "testdata")
	}
	seeds, _ := filepath.Glob(filepath.Join(base, "emrtd", "gmrtd", "EF.SOD_*.bin"))
	seeds = append(seeds, filepath.Join(base, "emrtd", "jmrtd", "bsi2008", "EF_SOD.bin"), filepath.Join(base, "emrtd", "jmrtd", "misc", "NZ2013_EF_SOD.bin"))
	for _, path := range seeds {
		if b, err := os.ReadFile(path); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := sod.Parse(b)
		if err != nil {
			return
		}
		if len(s.DataGroupHashes) == 0 || s.SignerInfo == nil {
			t.Fatal("parsed SOD without hashes or signer")
		}
		_, _ = s.VerifySignature()
		_, _ = s.SigningTime()
		for _, n := range s.DataGroups() {
			if h, err := s.HashDataGroup([]byte{byte(n)}); err == nil && len(h) != len(s.DataGroupHashes[n]) {
				t.Fatalf("DG%d: hash of %d bytes, SOD holds %d", n, len(h), len(s.DataGroupHashes[n]))
			}
		}
	})
}
