package vchip_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"math/big"
	"sync"
	"testing"
	"time"

	"autogate/drivers/emrtd/bac"
	"autogate/drivers/emrtd/chipauth"
	"autogate/drivers/emrtd/iso7816"
	"autogate/drivers/emrtd/kdf"
	"autogate/drivers/emrtd/sm"
	"autogate/drivers/emrtd/tlv"
	"autogate/drivers/emrtd/vchip"
	"autogate/internal/testenv"
)

// h decodes a hex test vector.
var h = testenv.Hex

// The specimen of ICAO 9303-11 Appendix D.
var (
	specimenMRZ = kdf.MRZInfo("L898902C", '3', "690806", '1', "940623", '6')
	td3         = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<" + "L898902C<3UTO6908061F9406236ZE184226B<<<<<14"
)

// RFC 5114 section 2.1 (TR-03110 standardized DH parameters 0).
var rfc5114 = chipauth.DHParameters{
	P: new(big.Int).SetBytes(h("B10B8F96A080E01DDE92DE5EAE5D54EC52C99FBCFB06A3C69A6A9DCA52D23B616073E28675A23D189838EF1E2EE652C013ECB4AEA906112324975C3CD49B83BFACCBDD7D90C4BD7098488E9C219A73724EFFD6FAE5644738FAA31A4FF55BCCC0A151AF5F0DC8B4BD45BF37DF365C1A65E68CFDA76D4DA708DF1FB2BC2E4A4371")),
	G: new(big.Int).SetBytes(h("A4D1CBD5C3FD34126765A442EFB99905F8104DD258AC507FD6406CFF14266D31266FEA1E5C41564B777E690F5504F213160217B4B01B886A5E91547F9E2749F4D7FBD7D3B9A92EE1909D0D2263F80A76A6A24C087A091F531DBF0A0169B6A28AD662A4D18E73AFA32D779D5918D08BC8858F4DCEF97C2A24855E6EEB22B3B2E5")),
	Q: new(big.Int).SetBytes(h("F518AA8781A8DF278ABA4E7D64B7CB9D49462353")),
}

// RSA keys take a moment to make; the tests share them.
var (
	rsaOnce          sync.Once
	rsa1024, rsa2048 *rsa.PrivateKey
)

func rsaKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	rsaOnce.Do(func() {
		rsa1024, _ = rsa.GenerateKey(rand.Reader, 1024)
		rsa2048, _ = rsa.GenerateKey(rand.Reader, 2048)
	})
	if rsa1024 == nil || rsa2048 == nil {
		t.Fatal("RSA key generation failed")
	}
	return rsa1024, rsa2048
}

// document is a test passport: the chip's configuration and what a
// terminal should read from it.
type document struct {
	cfg   vchip.Config
	files map[uint16][]byte
}

type docOptions struct {
	caKey      crypto.PrivateKey // nil: P-256
	caProtocol []int             // last two arcs of id-CA-…; nil: ECDH AES-128
	caKeyID    *big.Int
	aaKey      crypto.Signer // nil: RSA 1024
	aaHash     crypto.Hash
	dg2Size    int
}

func pseudoRandom(n int, seed byte) []byte {
	out := make([]byte, n)
	x := uint32(seed) + 1
	for i := range out {
		x = x*1664525 + 1013904223
		out[i] = byte(x >> 24)
	}
	return out
}

func newDocument(t testing.TB, o docOptions) document {
	t.Helper()
	if o.caKey == nil {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		o.caKey = k
	}
	if o.aaKey == nil {
		o.aaKey, _ = rsaKeys(t)
	}
	if o.dg2Size == 0 {
		o.dg2Size = 40000 // past 32 767: READ BINARY with odd INS
	}
	var caPub crypto.PublicKey
	dh := false
	switch k := o.caKey.(type) {
	case *ecdsa.PrivateKey:
		caPub = &k.PublicKey
	case *chipauth.DHPrivateKey:
		caPub, dh = &k.DHPublicKey, true
	}
	proto := chipauth.OIDCAECDHAES128
	if o.caProtocol != nil {
		proto = append(append([]int{}, chipauth.OIDCAECDH3DES[:9]...), o.caProtocol...)
	} else if dh {
		proto = chipauth.OIDCADHAES128
	}
	var aaAlg []int
	if _, ok := o.aaKey.(*ecdsa.PrivateKey); ok {
		aaAlg = chipauth.OIDECDSAPlainSHA256
		if o.aaHash == crypto.SHA384 {
			aaAlg = chipauth.OIDECDSAPlainSHA384
		}
	}
	dg14, err := chipauth.EncodeDG14([]chipauth.ChipKey{{Protocol: proto, KeyID: o.caKeyID, PublicKey: caPub}}, aaAlg)
	if err != nil {
		t.Fatal(err)
	}
	dg15, err := chipauth.EncodeDG15(o.aaKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	files := map[uint16][]byte{
		iso7816.FIDCOM:           tlv.Encode(0x60, tlv.Encode(0x5F01, []byte("0107")), tlv.Encode(0x5F36, []byte("040000")), tlv.Encode(0x5C, h("61756E6F"))),
		iso7816.FIDDataGroup(1):  tlv.Encode(0x61, tlv.Encode(0x5F1F, []byte(td3))),
		iso7816.FIDDataGroup(2):  tlv.Encode(0x75, pseudoRandom(o.dg2Size, 2)),
		iso7816.FIDDataGroup(14): dg14,
		iso7816.FIDDataGroup(15): dg15,
		iso7816.FIDSOD:           tlv.Encode(0x77, pseudoRandom(1500, 0x77)),
	}
	cardAccess := tlv.Encode(0x31, tlv.Encode(0x30, h("060A04007F00070202040202"), h("020102"), h("02010D")))
	return document{
		cfg: vchip.Config{
			MRZInfo:     specimenMRZ,
			Files:       files,
			MasterFiles: map[uint16][]byte{iso7816.FIDCardAccess: cardAccess},
			CAKey:       o.caKey,
			CAKeyID:     o.caKeyID,
			AAKey:       o.aaKey,
			AAHash:      o.aaHash,
		},
		files: files,
	}
}

// recorder is a transport that keeps a transcript of what passes.
type recorder struct {
	inner iso7816.Transport
	log   [][2][]byte
}

func (r *recorder) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	resp, err := r.inner.Transmit(ctx, apdu)
	r.log = append(r.log, [2][]byte{append([]byte(nil), apdu...), resp})
	return resp, err
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// openBAC selects the LDS1 application and runs BAC; it returns a card
// that talks secure messaging.
func openBAC(t testing.TB, chip iso7816.Transport, mrz string) (*iso7816.Card, *sm.Channel) {
	t.Helper()
	plain := &iso7816.Card{T: chip}
	if err := plain.SelectAID(ctx(t), iso7816.AIDLDS1); err != nil {
		t.Fatal(err)
	}
	s, err := bac.Authenticate(ctx(t), plain, mrz, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch := sm.NewChannel(s, chip)
	return &iso7816.Card{T: ch}, ch
}

func readAll(t testing.TB, card *iso7816.Card, want map[uint16][]byte) {
	t.Helper()
	for fid, content := range want {
		got, err := card.ReadFile(ctx(t), fid)
		if err != nil {
			t.Fatalf("EF %04X: %v", fid, err)
		}
		if !bytes.Equal(got, content) {
			t.Fatalf("EF %04X: read %d bytes that differ from the %d written", fid, len(got), len(content))
		}
	}
}
