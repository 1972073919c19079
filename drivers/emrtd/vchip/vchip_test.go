package vchip_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"math/big"
	"testing"
	"time"

	"autogate/drivers/emrtd/bac"
	"autogate/drivers/emrtd/chipauth"
	"autogate/drivers/emrtd/iso7816"
	"autogate/drivers/emrtd/kdf"
	"autogate/drivers/emrtd/sm"
	"autogate/drivers/emrtd/tlv"
	"autogate/drivers/emrtd/vchip"

	"github.com/ProtonMail/go-crypto/brainpool"
)

// The chip speaks ICAO 9303-11 Appendix D byte for byte: given the
// appendix's RND.IC and K.IC as its randomness, and a terminal given
// RND.IFD and K.IFD, every APDU and response after the application is
// selected is the appendix's.
func TestAppendixDEndToEnd(t *testing.T) {
	chip := vchip.New(vchip.Config{
		MRZInfo: specimenMRZ,
		Files:   map[uint16][]byte{iso7816.FIDCOM: h("60145F0104303130365F36063034303030305C026175")},
		Rand:    bytes.NewReader(h("4608F91988702212 0B4F80323EB3191CB04970CB4052790B")),
	})
	rec := &recorder{inner: chip}
	plain := &iso7816.Card{T: rec}
	if err := plain.SelectAID(ctx(t), iso7816.AIDLDS1); err != nil {
		t.Fatal(err)
	}
	s, err := bac.Authenticate(ctx(t), plain, specimenMRZ, bytes.NewReader(h("781723860C06C226 0B795240CB7049B01C19B33E32804F0B")))
	if err != nil {
		t.Fatal(err)
	}
	com, err := (&iso7816.Card{T: s.Transport(rec)}).ReadFile(ctx(t), iso7816.FIDCOM)
	if err != nil || !bytes.Equal(com, h("60145F0104303130365F36063034303030305C026175")) {
		t.Fatalf("EF.COM %X %v", com, err)
	}
	want := [][2]string{
		{"0084000008", "4608F919887022129000"},
		{"008200002872C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A728",
			"46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74499000"},
		{"0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800", "990290008E08FA855A5D4C50A8ED9000"},
		{"0CB000000D9701048E08ED6705417E96BA5500", "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"},
		{"0CB000040D9701128E082EA28A70F3C7B53500", "871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000"},
	}
	got := rec.log[1:] // after SELECT of the application
	if len(got) != len(want) {
		t.Fatalf("%d exchanges, want %d", len(got), len(want))
	}
	for i, w := range want {
		if !bytes.Equal(got[i][0], h(w[0])) || !bytes.Equal(got[i][1], h(w[1])) {
			t.Fatalf("exchange %d:\n got %X → %X\nwant %s → %s", i, got[i][0], got[i][1], w[0], w[1])
		}
	}
}

// BAC, then every file, in each length form the chip and terminal may use.
func TestBACReadAllFiles(t *testing.T) {
	doc := newDocument(t, docOptions{})
	for _, c := range []struct {
		name    string
		t0      bool
		noExt   bool
		maxRead int
	}{
		{"short APDUs", false, false, 0},
		{"extended length", false, false, 4096},
		{"T=0 with GET RESPONSE", true, false, 0},
		{"chip without extended length", false, true, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := doc.cfg
			cfg.T0, cfg.NoExtendedLength = c.t0, c.noExt
			chip := vchip.New(cfg)
			card, _ := openBAC(t, chip, specimenMRZ)
			card.MaxRead = c.maxRead
			readAll(t, card, doc.files)
		})
	}
}

// The chip's answer to an oversized request under a short APDU fits 256
// bytes once protected; the terminal gets fewer bytes and goes on.
func TestShortResponseLimit(t *testing.T) {
	doc := newDocument(t, docOptions{})
	card, _ := openBAC(t, vchip.New(doc.cfg), specimenMRZ)
	if err := card.Select(ctx(t), iso7816.FIDDataGroup(2)); err != nil {
		t.Fatal(err)
	}
	b, err := card.ReadBinary(ctx(t), 0, 256)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 || len(b) >= 256 || !bytes.Equal(b, doc.files[iso7816.FIDDataGroup(2)][:len(b)]) {
		t.Fatalf("%d bytes", len(b))
	}
	card.MaxRead = 256
	readAll(t, card, map[uint16][]byte{iso7816.FIDDataGroup(1): doc.files[iso7816.FIDDataGroup(1)]})
}

func TestAccessControl(t *testing.T) {
	doc := newDocument(t, docOptions{})
	chip := vchip.New(doc.cfg)
	plain := &iso7816.Card{T: chip}
	// EF.CardAccess is open in the master file.
	ca, err := plain.ReadFile(ctx(t), iso7816.FIDCardAccess)
	if err != nil || !bytes.Equal(ca, doc.cfg.MasterFiles[iso7816.FIDCardAccess]) {
		t.Fatalf("EF.CardAccess %X %v", ca, err)
	}
	// LDS files are not in the master file, and not readable without BAC.
	if _, err := plain.ReadFile(ctx(t), iso7816.FIDCOM); !iso7816.IsStatus(err, iso7816.SWFileNotFound) {
		t.Fatalf("EF.COM from the MF: %v", err)
	}
	if err := plain.SelectAID(ctx(t), iso7816.AIDLDS1); err != nil {
		t.Fatal(err)
	}
	if _, err := plain.ReadFile(ctx(t), iso7816.FIDDataGroup(1)); !iso7816.IsStatus(err, iso7816.SWSecurityStatus) {
		t.Fatalf("DG1 without BAC: %v", err)
	}
	if err := plain.SelectAID(ctx(t), h("A0000002471002")); !iso7816.IsStatus(err, iso7816.SWFileNotFound) {
		t.Fatalf("unknown AID: %v", err)
	}
	// Active Authentication needs secure messaging too.
	if _, err := plain.InternalAuthenticate(ctx(t), make([]byte, 8), 256); !iso7816.IsStatus(err, iso7816.SWSecurityStatus) {
		t.Fatalf("INTERNAL AUTHENTICATE without BAC: %v", err)
	}
	// After BAC: a missing data group is 6A82 under secure messaging.
	card, _ := openBAC(t, chip, specimenMRZ)
	if _, err := card.ReadFile(ctx(t), iso7816.FIDDataGroup(3)); !iso7816.IsStatus(err, iso7816.SWFileNotFound) {
		t.Fatalf("DG3: %v", err)
	}
	readAll(t, card, map[uint16][]byte{iso7816.FIDDataGroup(1): doc.files[iso7816.FIDDataGroup(1)]})
}

// Short file identifiers, odd INS with a file identifier, FCP on request.
func TestReadBinaryVariants(t *testing.T) {
	doc := newDocument(t, docOptions{})
	chip := vchip.New(doc.cfg)
	card, _ := openBAC(t, chip, specimenMRZ)
	dg1 := doc.files[iso7816.FIDDataGroup(1)]
	// READ BINARY with SFI 01 in P1, offset 4 in P2.
	b, err := card.Exec(ctx(t), "READ BINARY SFI", iso7816.Command{INS: 0xB0, P1: 0x81, P2: 4, Ne: 10})
	if err != nil || !bytes.Equal(b, dg1[4:14]) {
		t.Fatalf("SFI read %X %v", b, err)
	}
	// The SFI read made DG1 current.
	b, err = card.ReadBinary(ctx(t), 0, 4)
	if err != nil || !bytes.Equal(b, dg1[:4]) {
		t.Fatalf("current after SFI %X %v", b, err)
	}
	// Odd INS naming the file by FID in P1-P2.
	r, err := card.Exec(ctx(t), "READ BINARY odd", iso7816.Command{INS: 0xB1, P1: 0x01, P2: 0x0E, Data: h("540102"), Ne: 20})
	if err != nil {
		t.Fatal(err)
	}
	do, _, err := tlv.Next(r)
	if err != nil || do.Tag != 0x53 || len(do.Value) != 18 || !bytes.Equal(do.Value, doc.files[iso7816.FIDDataGroup(14)][2:20]) {
		t.Fatalf("odd read %X %v", r, err)
	}
	// Offset past the end.
	if _, err := card.ReadBinary(ctx(t), 5000, 4); !iso7816.IsStatus(err, iso7816.SWWrongParameters) {
		t.Fatalf("offset past the end: %v", err)
	}
	// SELECT asking for the FCP.
	fcp, err := card.Exec(ctx(t), "SELECT with FCP", iso7816.Command{INS: 0xA4, P1: 2, P2: 0x04, Data: h("0101"), Ne: 256})
	if err != nil {
		t.Fatal(err)
	}
	root, err := tlv.ParseOne(fcp)
	size, ok := root.Find(0x80)
	if err != nil || root.Tag != 0x62 || !ok || int(size.Value[0])<<8|int(size.Value[1]) != len(dg1) {
		t.Fatalf("FCP %X %v", fcp, err)
	}
}

// An unprotected command ends secure messaging, as ISO 7816-4 requires.
func TestPlainCommandEndsSession(t *testing.T) {
	doc := newDocument(t, docOptions{})
	chip := vchip.New(doc.cfg)
	card, _ := openBAC(t, chip, specimenMRZ)
	if _, err := (&iso7816.Card{T: chip}).GetChallenge(ctx(t), 8); err != nil {
		t.Fatal(err)
	}
	_, err := card.ReadFile(ctx(t), iso7816.FIDDataGroup(1))
	if !iso7816.IsStatus(err, iso7816.SWSMDataIncorrect) {
		t.Fatalf("%v, want 6988", err)
	}
	if _, err := card.ReadFile(ctx(t), iso7816.FIDDataGroup(1)); !errors.Is(err, sm.ErrAborted) {
		t.Fatalf("after 6988: %v, want the session aborted", err)
	}
}

// Secure messaging errors: a protected command without DO'8E' is 6987, a
// bad MAC 6988; either ends the session, and so does a protected command
// with no session at all.
func TestSMErrorsEndSession(t *testing.T) {
	doc := newDocument(t, docOptions{dg2Size: 1000})
	chip := vchip.New(doc.cfg)
	if r := chip.Process(h("0CB0000003970104")); !bytes.Equal(r, h("6988")) {
		t.Fatalf("protected command before BAC: %X", r)
	}
	card, _ := openBAC(t, chip, specimenMRZ)
	if r := chip.Process(h("0CB0000003970104")); !bytes.Equal(r, h("6987")) {
		t.Fatalf("no DO'8E': %X", r)
	}
	if _, err := card.ReadFile(ctx(t), iso7816.FIDDataGroup(1)); !iso7816.IsStatus(err, iso7816.SWSMDataIncorrect) {
		t.Fatalf("after 6987: %v", err)
	}
	card, _ = openBAC(t, chip, specimenMRZ)
	if r := chip.Process(h("0CB000000D9701048E08ED6705417E96BA5500")); !bytes.Equal(r, h("6988")) {
		t.Fatalf("foreign MAC: %X", r)
	}
}

func TestResetForgetsSession(t *testing.T) {
	doc := newDocument(t, docOptions{})
	chip := vchip.New(doc.cfg)
	card, _ := openBAC(t, chip, specimenMRZ)
	chip.Reset()
	if _, err := card.ReadFile(ctx(t), iso7816.FIDDataGroup(1)); !iso7816.IsStatus(err, iso7816.SWSMDataIncorrect) {
		t.Fatalf("%v", err)
	}
	// The chip works again after a new BAC.
	card, _ = openBAC(t, chip, specimenMRZ)
	readAll(t, card, map[uint16][]byte{iso7816.FIDDataGroup(1): doc.files[iso7816.FIDDataGroup(1)]})
}

// explicitBrainpoolP224 is brainpoolP224r1 with explicit parameters, as
// German passports' DG14 carries it: the curve comes from the key.
func explicitBrainpoolP224(t testing.TB) elliptic.Curve {
	spki := h("308201133081d406072a8648ce3d02013081c8020101302806072a8648ce3d0101021d00d7c134aa264366862a18302575d1d787b09f075797da89f57ec8c0ff303c041c68a5e62ca9ce6c1c299803a6c1530b514e182ad8b0042a59cad29f43041c2580f63ccfe44138870713b1a92369e33e2135d266dbb372386c400b0439040d9029ad2c7e5cf4340823b2a87dc68c9e4ce3174c1e6efdee12c07d58aa56f772c0726f24c6b89e4ecdac24354b9e99caa3f6d3761402cd021d00d7c134aa264366862a18302575d0fb98d116bc4b6ddebca3a5a7939f020101033a0004b3d186b72e30ba78ffdd5ac1836acabd4a8c8447175497b76a7c083991018e1b8e65a348ddda8ed36a2c68b0a68140e738cc9c1c4c51e4b4")
	pub, err := chipauth.ParsePublicKeyInfo(spki)
	if err != nil {
		t.Fatal(err)
	}
	return pub.(*ecdsa.PublicKey).Curve
}

// Chip Authentication v1 over BAC: read DG14, agree on new keys, and read
// on with them.
func TestChipAuthentication(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	bp256, _ := ecdsa.GenerateKey(brainpool.P256r1(), rand.Reader)
	bp224, err := ecdsa.GenerateKey(explicitBrainpoolP224(t), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dh, err := chipauth.GenerateDHKey(rfc5114, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		key    crypto.PrivateKey
		proto  []int
		keyID  *big.Int
		cipher kdf.Cipher
	}{
		{"ECDH P-256 AES-128", p256, []int{2, 2}, nil, kdf.AES128},
		{"ECDH brainpoolP256r1 3DES", bp256, []int{2, 1}, nil, kdf.TDES},
		{"ECDH brainpoolP256r1 AES-256 with key id", bp256, []int{2, 4}, big.NewInt(7), kdf.AES256},
		{"ECDH brainpoolP224r1 explicit AES-192", bp224, []int{2, 3}, nil, kdf.AES192},
		{"DH RFC 5114 3DES", dh, []int{1, 1}, nil, kdf.TDES},
		{"DH RFC 5114 AES-128", dh, []int{1, 2}, big.NewInt(1), kdf.AES128},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := newDocument(t, docOptions{caKey: c.key, caProtocol: c.proto, caKeyID: c.keyID, dg2Size: 3000})
			card, ch := openBAC(t, vchip.New(doc.cfg), specimenMRZ)
			dg14, err := card.ReadFile(ctx(t), iso7816.FIDDataGroup(14))
			if err != nil {
				t.Fatal(err)
			}
			s, err := chipauth.ChipAuthenticateDG14(ctx(t), card, dg14, nil)
			if err != nil {
				t.Fatal(err)
			}
			if s.Cipher() != c.cipher || ch.Session() != s {
				t.Fatalf("session %v, channel switched: %v", s.Cipher(), ch.Session() == s)
			}
			readAll(t, card, doc.files)
		})
	}
}

func TestActiveAuthentication(t *testing.T) {
	r1024, r2048 := rsaKeys(t)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	bp, _ := ecdsa.GenerateKey(brainpool.P384r1(), rand.Reader)
	for _, c := range []struct {
		name string
		key  crypto.Signer
		hash crypto.Hash
	}{
		{"RSA-1024 ISO 9796-2 SHA-1", r1024, 0},
		{"RSA-2048 ISO 9796-2 SHA-256 (extended length)", r2048, crypto.SHA256},
		{"ECDSA P-256", p256, crypto.SHA256},
		{"ECDSA brainpoolP384r1 SHA-384", bp, crypto.SHA384},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := newDocument(t, docOptions{aaKey: c.key, aaHash: c.hash, dg2Size: 1000})
			card, _ := openBAC(t, vchip.New(doc.cfg), specimenMRZ)
			dg15, err := card.ReadFile(ctx(t), iso7816.FIDDataGroup(15))
			if err != nil {
				t.Fatal(err)
			}
			dg14, err := card.ReadFile(ctx(t), iso7816.FIDDataGroup(14))
			if err != nil {
				t.Fatal(err)
			}
			pub, err := chipauth.PublicKeyFromDG15(dg15)
			if err != nil {
				t.Fatal(err)
			}
			hash, err := chipauth.ActiveAuthenticationHash(dg14)
			if err != nil {
				t.Fatal(err)
			}
			if err := chipauth.ActiveAuthenticateHash(ctx(t), card, pub, hash, nil); err != nil {
				t.Fatal(err)
			}
			// The session survives AA: reading goes on.
			readAll(t, card, map[uint16][]byte{iso7816.FIDDataGroup(1): doc.files[iso7816.FIDDataGroup(1)]})
		})
	}
}

// A 2048-bit signature does not fit a short protected response: the chip
// says 6700 rather than break the length rules.
func TestActiveAuthenticationNeedsExtendedLength(t *testing.T) {
	_, r2048 := rsaKeys(t)
	doc := newDocument(t, docOptions{aaKey: r2048, dg2Size: 1000})
	card, _ := openBAC(t, vchip.New(doc.cfg), specimenMRZ)
	if _, err := card.InternalAuthenticate(ctx(t), make([]byte, 8), 256); !iso7816.IsStatus(err, iso7816.SWWrongLength) {
		t.Fatalf("%v", err)
	}
}

// The attack suite's chips: each is refused with its own error.
func TestAttacks(t *testing.T) {
	doc := newDocument(t, docOptions{dg2Size: 20000})

	t.Run("terminal with a misread MRZ", func(t *testing.T) {
		plain := &iso7816.Card{T: vchip.New(doc.cfg)}
		plain.SelectAID(ctx(t), iso7816.AIDLDS1)
		wrong := kdf.MRZInfo("L898902C", '3', "690806", '1', "940624", '4')
		if _, err := bac.Authenticate(ctx(t), plain, wrong, nil); !errors.Is(err, bac.ErrAccessDenied) {
			t.Fatalf("%v", err)
		}
	})

	t.Run("chip with wrong MRZ keys", func(t *testing.T) {
		cfg := doc.cfg
		cfg.Faults.WrongMRZ = true
		plain := &iso7816.Card{T: vchip.New(cfg)}
		plain.SelectAID(ctx(t), iso7816.AIDLDS1)
		if _, err := bac.Authenticate(ctx(t), plain, specimenMRZ, nil); !errors.Is(err, bac.ErrAccessDenied) {
			t.Fatalf("%v", err)
		}
	})

	t.Run("MAC failure mid-session", func(t *testing.T) {
		cfg := doc.cfg
		cfg.Faults.CorruptMACAfter = 5
		card, ch := openBAC(t, vchip.New(cfg), specimenMRZ)
		_, err := card.ReadFile(ctx(t), iso7816.FIDDataGroup(2))
		if !errors.Is(err, sm.ErrMAC) {
			t.Fatalf("%v, want ErrMAC", err)
		}
		if !ch.Session().Aborted() {
			t.Fatal("session still open after a MAC failure")
		}
	})

	t.Run("cloned chip: Chip Authentication", func(t *testing.T) {
		cfg := doc.cfg
		cfg.Faults.Clone = true
		card, _ := openBAC(t, vchip.New(cfg), specimenMRZ)
		dg14, err := card.ReadFile(ctx(t), iso7816.FIDDataGroup(14))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := chipauth.ChipAuthenticateDG14(ctx(t), card, dg14, nil); !errors.Is(err, chipauth.ErrChipAuthentication) {
			t.Fatalf("%v, want ErrChipAuthentication", err)
		}
	})

	t.Run("cloned chip: Active Authentication", func(t *testing.T) {
		cfg := doc.cfg
		cfg.Faults.Clone = true
		card, _ := openBAC(t, vchip.New(cfg), specimenMRZ)
		dg15, err := card.ReadFile(ctx(t), iso7816.FIDDataGroup(15))
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := chipauth.PublicKeyFromDG15(dg15)
		if err := chipauth.ActiveAuthenticate(ctx(t), card, pub, nil); !errors.Is(err, chipauth.ErrActiveAuthentication) {
			t.Fatalf("%v, want ErrActiveAuthentication", err)
		}
	})

	t.Run("chip stops answering", func(t *testing.T) {
		cfg := doc.cfg
		cfg.Faults.SilentAfter = 6
		chip := vchip.New(cfg)
		defer chip.Close()
		card, _ := openBAC(t, chip, specimenMRZ)
		c, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := card.ReadFile(c, iso7816.FIDDataGroup(2))
		if !errors.Is(err, iso7816.ErrNoResponse) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%v, want no response and the deadline", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("gave up after %v", d)
		}
		// Reset: the chip answers again (a new session is needed).
		chip.Reset()
		card, _ = openBAC(t, chip, specimenMRZ)
		readAll(t, card, map[uint16][]byte{iso7816.FIDDataGroup(1): doc.files[iso7816.FIDDataGroup(1)]})
	})
}

func TestProcessBlocksWhenSilentUntilClosed(t *testing.T) {
	chip := vchip.New(vchip.Config{Faults: vchip.Faults{SilentAfter: 1}})
	if r := chip.Process(h("0084000008")); len(r) != 10 {
		t.Fatalf("first APDU: %X", r)
	}
	done := make(chan []byte)
	go func() { done <- chip.Process(h("0084000008")) }()
	select {
	case r := <-done:
		t.Fatalf("a mute chip answered %X", r)
	case <-time.After(50 * time.Millisecond):
	}
	chip.Close()
	if r := <-done; r != nil {
		t.Fatalf("released with %X", r)
	}
	if r := chip.Process(h("0084000008")); r != nil {
		t.Fatalf("closed mute chip answered %X", r)
	}
}

// A stand-in for the PACE plug-in: it checks the hook's contract (MSE:Set
// AT C1A4 and the GENERAL AUTHENTICATE chain reach it unprotected; the
// session it returns protects everything after its last answer).
type pacePlugin struct {
	t     *testing.T
	steps int
	s     *sm.Session
}

func (p *pacePlugin) HandlePACE(cmd iso7816.Command) (iso7816.Response, *sm.Session) {
	if cmd.CLA&0x0C != 0 {
		p.t.Errorf("PACE got a protected command %v", cmd)
	}
	switch {
	case cmd.INS == 0x22:
		p.steps = 0
		return iso7816.Response{SW: 0x9000}, nil
	case cmd.INS == 0x86 && cmd.CLA&0x10 != 0:
		p.steps++
		return iso7816.Response{Data: h("7C00"), SW: 0x9000}, nil
	case cmd.INS == 0x86 && p.steps == 3:
		return iso7816.Response{Data: h("7C00"), SW: 0x9000}, p.s
	}
	return iso7816.Response{SW: 0x6985}, nil
}

func TestPACEHook(t *testing.T) {
	doc := newDocument(t, docOptions{dg2Size: 1000})
	key := kdf.Derive(kdf.AES128, []byte("pace secret"), kdf.CounterEnc)
	mac := kdf.Derive(kdf.AES128, []byte("pace secret"), kdf.CounterMAC)
	chipSide, _ := sm.New(kdf.AES128, key, mac, make([]byte, 16))
	termSide, _ := sm.New(kdf.AES128, key, mac, make([]byte, 16))
	cfg := doc.cfg
	cfg.MRZInfo = "" // a PACE-only chip
	cfg.PACE = &pacePlugin{t: t, s: chipSide}
	chip := vchip.New(cfg)
	card := &iso7816.Card{T: chip}
	if err := card.SelectAID(ctx(t), iso7816.AIDLDS1); err != nil {
		t.Fatal(err)
	}
	if _, err := card.ReadFile(ctx(t), iso7816.FIDDataGroup(1)); !iso7816.IsStatus(err, iso7816.SWSecurityStatus) {
		t.Fatalf("PACE chip readable without PACE: %v", err)
	}
	if _, err := bac.Authenticate(ctx(t), card, specimenMRZ, nil); !errors.Is(err, bac.ErrNotSupported) {
		t.Fatalf("BAC on a PACE-only chip: %v", err)
	}
	if err := card.MSESetAT(ctx(t), 0xC1, h("800A04007F00070202040202830101")); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := card.GeneralAuthenticate(ctx(t), nil, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := card.GeneralAuthenticate(ctx(t), nil, true); err != nil {
		t.Fatal(err)
	}
	secure := &iso7816.Card{T: termSide.Transport(chip)}
	readAll(t, secure, doc.files)
}

// Hostile terminal bytes never make the chip panic or answer with
// anything but one well-formed response APDU. Half the inputs go through
// an established session, so the commands behind secure messaging are
// reached too.
func FuzzVChipProcess(f *testing.F) {
	for _, s := range []string{
		"00A4040C07A0000002471001", "00A4020C02011E", "00B0000004", "00B1000003540180FF",
		"0084000008", "0082000028" + "00", "002241A6039101AA", "002241A40F800A04007F00070202030202",
		"0086000004 7C028000 00", "0088000008 0102030405060708 00", "00B09C0000", "10860000027C0000",
		"0CB000000D9701048E08ED6705417E96BA5500", "00C0000010", "FFCA000000", "00B000000000FF",
	} {
		f.Add(h(s), false)
		f.Add(h(s), true)
	}
	key := kdf.Derive(kdf.AES128, []byte("fuzz"), kdf.CounterEnc)
	mac := kdf.Derive(kdf.AES128, []byte("fuzz"), kdf.CounterMAC)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	r1024, _ := rsaKeys(f)
	files := map[uint16][]byte{0x011E: h("60145F0104303130365F36063034303030305C026175"), 0x0101: bytes.Repeat([]byte{0x61}, 40000)}
	f.Fuzz(func(t *testing.T, apdu []byte, secure bool) {
		chip := vchip.New(vchip.Config{
			MRZInfo: specimenMRZ, Files: files, MasterFiles: map[uint16][]byte{0x011C: h("3100")},
			CAKey: p256, AAKey: r1024, T0: len(apdu)%3 == 0,
		})
		defer chip.Close()
		chip.Process(h("00A4040C07A0000002471001"))
		in := apdu
		if secure {
			cs, _ := sm.New(kdf.AES128, key, mac, make([]byte, 16))
			ts, _ := sm.New(kdf.AES128, key, mac, make([]byte, 16))
			chip.SetSession(cs)
			cmd, err := iso7816.ParseCommand(apdu)
			if err != nil || cmd.CLA&0x0C != 0 || cmd.CLA == 0xFF {
				return
			}
			w, err := ts.Wrap(cmd)
			if err != nil {
				return
			}
			if in, err = w.Bytes(); err != nil {
				return
			}
		}
		out := chip.Process(in)
		if _, err := iso7816.ParseResponse(out); err != nil {
			t.Fatalf("%X → %X: %v", in, out, err)
		}
	})
}
