package passive_test

import (
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"autogate/drivers/emrtd/passive"
	"autogate/drivers/emrtd/trust"
	"autogate/internal/testenv"
)

func readShared(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.SharedTestdata(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	sharedStoreOnce sync.Once
	sharedStore     *trust.Store
	sharedStoreErr  error
)

// realStore is the trust store of the shared DE and NL master lists (and
// their signers' CSCAs), loaded once.
func realStore(t *testing.T) *trust.Store {
	t.Helper()
	dir := testenv.SharedTestdata(t, "emrtd/gmrtd")
	sharedStoreOnce.Do(func() { sharedStore, _, sharedStoreErr = trust.LoadDir(dir) })
	if sharedStoreErr != nil {
		t.Fatal(sharedStoreErr)
	}
	return sharedStore
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Real documents' SODs verify and chain to the CSCAs of the real master
// lists. DE and UK carry no signingTime, so they are checked at a date
// inside their signer's validity; FR is also checked in 2030, after its
// signer expired (2027) but long after it signed (2017): still valid.
func TestRealSODsChainToMasterListCSCAs(t *testing.T) {
	store := realStore(t)
	cases := []struct {
		country    string
		at         time.Time
		hash       string
		dgs        []int
		csca       string
		expiredNow bool
	}{
		{"AT", day("2026-06-01"), "SHA-256", []int{1, 2, 3, 11, 12, 14}, "CN=CSCA-AUSTRIA,OU=BMI,O=GV,C=AT", false},
		{"CN", day("2026-06-01"), "SHA-256", []int{1, 2, 11, 12, 15}, "CN=China Passport Country Signing Certificate,OU=Ministry of Foreign Affairs+OU=China Passport CA,O=Chinese Government,C=CN", false},
		{"DE", day("2023-03-01"), "SHA-384", []int{1, 2, 3, 14}, "CN=csca-germany,OU=bsi,O=bund,C=DE", false},
		{"FR", day("2026-06-01"), "SHA-256", []int{1, 2, 3, 11, 12, 13, 14}, "CN=CSCA-FRANCE,O=Gouv,C=FR", false},
		{"FR", day("2030-06-01"), "SHA-256", []int{1, 2, 3, 11, 12, 13, 14}, "CN=CSCA-FRANCE,O=Gouv,C=FR", true},
		{"NZ", day("2026-06-01"), "SHA-256", []int{1, 2, 12, 13, 14, 15}, "OU=Passports+OU=Identity Services Passport CA,O=Government of New Zealand,C=NZ", false},
		{"RU", day("2026-06-01"), "SHA-1", []int{1, 2, 3, 13, 14}, "CN=CSCA-Russia,OU=UZIS,O=FSUE STC Atlas,L=Moscow,ST=Russia,C=RU,1.2.840.113549.1.9.1=#0c1063616d61696c407374636e65742e7275", false},
		{"UK", day("2021-04-01"), "SHA-256", []int{1, 2, 14}, "CN=Country Signing Authority,O=UKKPA,C=GB", false},
		{"US", day("2026-06-01"), "SHA-256", []int{1, 2, 11, 12}, "OU=Department of State+OU=MRTD+OU=Certification Authorities+OU=U.S. Department of State MRTD CA,O=U.S. Government,C=US", false},
	}
	for _, tc := range cases {
		t.Run(tc.country+"@"+tc.at.Format(time.DateOnly), func(t *testing.T) {
			raw := readShared(t, "emrtd/gmrtd/EF.SOD_"+tc.country+".bin")
			r := passive.VerifyWithOptions(raw, nil, store, tc.at, passive.Options{RequiredDataGroups: []int{}})
			if !r.OK {
				t.Fatalf("%v", r)
			}
			if got := r.SOD.Hash.String(); got != tc.hash {
				t.Errorf("hash %s, want %s", got, tc.hash)
			}
			if got := r.SOD.DataGroups(); !equalInts(got, tc.dgs) {
				t.Errorf("data groups %v, want %v", got, tc.dgs)
			}
			if got := r.Chain.CSCA.Cert.Subject.String(); got != tc.csca {
				t.Errorf("CSCA %q, want %q", got, tc.csca)
			}
			if r.Chain.DSExpiredNow != tc.expiredNow {
				t.Errorf("DS expired now %v, want %v", r.Chain.DSExpiredNow, tc.expiredNow)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Checked after its CSCA expired, a real document fails with csca_expired;
// checked without a signing time after its signer's key usage, DE's is
// judged at the check time, where the DS is still valid.
func TestRealSODsOutsideTheirCSCAsValidity(t *testing.T) {
	store := realStore(t)
	raw := readShared(t, "emrtd/gmrtd/EF.SOD_CN.bin")
	r := passive.VerifyWithOptions(raw, nil, store, day("2030-06-01"), passive.Options{RequiredDataGroups: []int{}})
	if r.OK || !r.Failed("csca_expired") {
		t.Fatalf("CN in 2030 (CSCA ends 2029-04-05): %v", r)
	}
}

// The BSI 2008 test passport is consistent: its signature verifies and
// every data group its SOD hashes (DG1, DG2, DG3, DG14) matches. DG4 and DG15 are in the set but
// not in the SOD, so they are not authenticated. Its CSCA is a test CSCA
// absent from the real lists: the document as a whole must not pass.
func TestBSI2008AllDataGroupHashesMatch(t *testing.T) {
	raw := readShared(t, "emrtd/jmrtd/bsi2008/EF_SOD.bin")
	dgs := map[int][]byte{}
	for _, n := range []int{1, 2, 3, 4, 14, 15} {
		dgs[n] = readShared(t, "emrtd/jmrtd/bsi2008/Datagroup"+strconv.Itoa(n)+".bin")
	}
	r := passive.Verify(raw, dgs, realStore(t), day("2008-06-01"))
	if s, _ := r.Step("signature", 0); s.Status != passive.Pass {
		t.Errorf("signature: %+v", s)
	}
	for _, n := range []int{1, 2, 3, 14} {
		if s, ok := r.Step("dg_hash", n); !ok || s.Status != passive.Pass {
			t.Errorf("DG%d: %+v", n, s)
		}
	}
	for _, n := range []int{4, 15} {
		if s, ok := r.Step("dg_hash", n); !ok || s.Status != passive.Fail || s.Reason != "dg_not_in_sod" {
			t.Errorf("DG%d: %+v, want dg_not_in_sod", n, s)
		}
	}
	if r.OK {
		t.Fatal("the BSI test CSCA is not in the trust store: the document must not pass")
	}
	if !r.Failed("ds_not_chaining") {
		t.Errorf("want ds_not_chaining: %v", r)
	}
}

// The Dutch 2006 specimen: DG1, DG2 and DG15 match, the RSA signature
// verifies, and its test CSCA is not trusted.
func TestLoes2006(t *testing.T) {
	raw := readShared(t, "emrtd/jmrtd/loes2006/ef011D.bin")
	dgs := map[int][]byte{
		1:  readShared(t, "emrtd/jmrtd/loes2006/ef0101.bin"),
		2:  readShared(t, "emrtd/jmrtd/loes2006/ef0102.bin"),
		15: readShared(t, "emrtd/jmrtd/loes2006/ef010F.bin"),
	}
	r := passive.Verify(raw, dgs, realStore(t), day("2007-01-01"))
	for _, step := range []struct {
		name string
		dg   int
	}{{"sod_parse", 0}, {"signature", 0}, {"dg_hash", 1}, {"dg_hash", 2}, {"dg_hash", 15}} {
		if s, ok := r.Step(step.name, step.dg); !ok || s.Status != passive.Pass {
			t.Errorf("%s %d: %+v", step.name, step.dg, s)
		}
	}
	if r.OK || !r.Failed("ds_not_chaining") {
		t.Fatalf("the Sdu test CSCA is not trusted: %v", r)
	}
	// A data group swapped in from another document is caught.
	dgs[1] = readShared(t, "emrtd/jmrtd/bsi2008/Datagroup1.bin")
	if r := passive.Verify(raw, dgs, realStore(t), day("2007-01-01")); !r.Failed("dg_hash_mismatch") {
		t.Errorf("foreign DG1: %v", r)
	}
}

// The ICAO 9303-10 sample data groups come from different sources: against
// every real SOD, Passive Authentication fails on DG1 and DG2 (the sample's
// DG15 happens to be New Zealand's, which the NZ SOD rightly accepts).
func TestICAOSampleDataGroupsFailAgainstRealSODs(t *testing.T) {
	dir := testenv.SharedTestdata(t, "emrtd/gmrtd/icao9303_p10_sample")
	dgs := map[int][]byte{}
	for _, n := range []int{1, 2, 7, 11, 12, 13, 14, 15, 16} {
		b, err := os.ReadFile(filepath.Join(dir, "DG"+strconv.Itoa(n)+".bin"))
		if err != nil {
			t.Fatal(err)
		}
		dgs[n] = b
	}
	sods, err := filepath.Glob(filepath.Join(testenv.SharedTestdata(t, "emrtd/gmrtd"), "EF.SOD_*.bin"))
	if err != nil || len(sods) == 0 {
		t.Fatalf("no real SODs found: %v", err)
	}
	for _, path := range sods {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		r := passive.Verify(raw, dgs, realStore(t), day("2026-06-01"))
		if r.OK {
			t.Fatalf("%s: ICAO sample data groups passed", filepath.Base(path))
		}
		for _, n := range []int{1, 2} {
			if s, _ := r.Step("dg_hash", n); s.Status != passive.Fail || s.Reason != "dg_hash_mismatch" {
				t.Errorf("%s: DG%d %+v, want dg_hash_mismatch", filepath.Base(path), n, s)
			}
		}
	}
}
