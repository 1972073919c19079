package vchip_test

import (
	"context"
	"testing"
	"time"

	"autogate/drivers/emrtd/chipauth"
	"autogate/drivers/emrtd/chipreader"
	"autogate/drivers/emrtd/iso7816"
	"autogate/drivers/emrtd/vchip"
	"autogate/internal/testenv"
)

// The virtual chip behind the real PC/SC stack: vpcd hands its APDUs to
// pcscd, the terminal reads through libpcsclite. BAC, every file, Chip
// and Active Authentication.
func TestThroughRealPCSCD(t *testing.T) {
	testenv.PCSCD(t)
	// A small DG2: each exchange through pcscd costs tens of milliseconds;
	// long files are read in-process (TestBACReadAllFiles).
	doc := newDocument(t, docOptions{dg2Size: 1500})
	chip := vchip.New(doc.cfg)
	defer chip.Close()
	reader := chipreader.NewVPCDSim("", "Virtual PCD")
	defer reader.Close()
	reader.Present(chip)
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := reader.Connect(c)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	card, _ := openBAC(t, conn, specimenMRZ)
	readAll(t, card, doc.files)
	if _, err := chipauth.ChipAuthenticateDG14(c, card, doc.files[iso7816.FIDDataGroup(14)], nil); err != nil {
		t.Fatal(err)
	}
	pub, err := chipauth.PublicKeyFromDG15(doc.files[iso7816.FIDDataGroup(15)])
	if err != nil {
		t.Fatal(err)
	}
	if err := chipauth.ActiveAuthenticate(c, card, pub, nil); err != nil {
		t.Fatal(err)
	}
	readAll(t, card, map[uint16][]byte{iso7816.FIDDataGroup(1): doc.files[iso7816.FIDDataGroup(1)]})
}
