package bac

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"

	"autogate/drivers/emrtd/iso7816"
	"autogate/drivers/emrtd/kdf"
	"autogate/drivers/emrtd/sm"
)

// Errors of BAC.
var (
	// ErrAccessDenied: the chip refused the terminal's proof, so the keys
	// derived from the MRZ are not the chip's. Re-read the MRZ (document
	// number, date of birth, date of expiry and their check digits).
	ErrAccessDenied = errors.New("bac: the chip refused the keys derived from the MRZ (re-read the MRZ: document number, birth and expiry dates)")
	// ErrChipProof: the chip's answer does not verify (bad MAC, or not the
	// terminal's own nonce sent back): the chip does not hold the MRZ keys,
	// or the answer was altered. Treat the document as suspect.
	ErrChipProof = errors.New("bac: the chip's answer to EXTERNAL AUTHENTICATE does not verify")
	// ErrNotSupported: the chip does not offer BAC (a PACE-only chip).
	ErrNotSupported = errors.New("bac: the chip does not support BAC (use PACE)")
)

const (
	nonceLen = 8
	keyLen   = 16
	// authLen is E(32 bytes) ‖ MAC(8 bytes), both ways.
	authLen = 40
)

// Authenticate runs BAC with the chip behind card, with the MRZ
// information (kdf.MRZInfo), and returns the 3DES secure messaging session
// it opens. rng supplies RND.IFD and K.IFD (nil means crypto/rand). The
// card is left as it was: send later commands through
// session.Transport(card.T).
func Authenticate(ctx context.Context, card *iso7816.Card, mrzInfo string, rng io.Reader) (*sm.Session, error) {
	if rng == nil {
		rng = rand.Reader
	}
	kEnc, kMAC := kdf.BACKeys(mrzInfo)
	rndIC, err := card.GetChallenge(ctx, nonceLen)
	if err != nil {
		if iso7816.IsStatus(err, iso7816.SWINSNotSupported) {
			return nil, fmt.Errorf("%w: %v", ErrNotSupported, err)
		}
		return nil, fmt.Errorf("bac: %w", err)
	}
	secret := make([]byte, nonceLen+keyLen)
	if _, err := io.ReadFull(rng, secret); err != nil {
		return nil, fmt.Errorf("bac: random source: %w", err)
	}
	rndIFD, kIFD := secret[:nonceLen], secret[nonceLen:]

	s := concat(rndIFD, rndIC, kIFD)
	eIFD, err := sm.Encrypt(kdf.TDES, kEnc, nil, s)
	if err != nil {
		return nil, err
	}
	mIFD, err := sm.MAC(kdf.TDES, kMAC, eIFD)
	if err != nil {
		return nil, err
	}
	resp, err := card.ExternalAuthenticate(ctx, concat(eIFD, mIFD), authLen)
	if err != nil {
		var se *iso7816.StatusError
		if errors.As(err, &se) {
			switch se.SW {
			case iso7816.SWAuthenticationFailed, iso7816.SWSecurityStatus, iso7816.SWWrongData, 0x6984:
				return nil, fmt.Errorf("%w (chip status %04X)", ErrAccessDenied, se.SW)
			case iso7816.SWINSNotSupported:
				return nil, fmt.Errorf("%w: %v", ErrNotSupported, err)
			}
		}
		return nil, fmt.Errorf("bac: %w", err)
	}
	r, err := open(kEnc, kMAC, resp)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(r[:nonceLen], rndIC) != 1 || subtle.ConstantTimeCompare(r[nonceLen:2*nonceLen], rndIFD) != 1 {
		return nil, fmt.Errorf("%w: the nonces in it are not RND.IC and RND.IFD", ErrChipProof)
	}
	return session(kIFD, r[2*nonceLen:], rndIC, rndIFD)
}

// open checks the MAC of a 40-byte E ‖ M and decrypts E.
func open(kEnc, kMAC, msg []byte) ([]byte, error) {
	if len(msg) != authLen {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrChipProof, len(msg), authLen)
	}
	e, m := msg[:32], msg[32:]
	want, err := sm.MAC(kdf.TDES, kMAC, e)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(m, want) != 1 {
		return nil, fmt.Errorf("%w: MAC mismatch", ErrChipProof)
	}
	return sm.Decrypt(kdf.TDES, kEnc, nil, e)
}

// session derives the session keys from K.IFD ⊕ K.IC and the counter from
// the nonces.
func session(kIFD, kIC, rndIC, rndIFD []byte) (*sm.Session, error) {
	seed := make([]byte, keyLen)
	subtle.XORBytes(seed, kIFD, kIC)
	ssc := concat(rndIC[4:], rndIFD[4:])
	return sm.New(kdf.TDES, kdf.Derive(kdf.TDES, seed, kdf.CounterEnc), kdf.Derive(kdf.TDES, seed, kdf.CounterMAC), ssc)
}

// ChipAnswer is the chip's side of EXTERNAL AUTHENTICATE: given the MRZ
// information the chip was personalised with, the challenge RND.IC it
// gave, its key share K.IC (16 random bytes) and the terminal's command
// data, it returns the response data E_IC ‖ M_IC and the session both
// sides now share. An error means the terminal's proof is wrong; the chip
// answers 6300 and forgets the challenge.
func ChipAnswer(mrzInfo string, rndIC, kIC, cmdData []byte) ([]byte, *sm.Session, error) {
	if len(rndIC) != nonceLen || len(kIC) != keyLen {
		return nil, nil, fmt.Errorf("bac: chip nonce of %d and key share of %d bytes, want %d and %d", len(rndIC), len(kIC), nonceLen, keyLen)
	}
	kEnc, kMAC := kdf.BACKeys(mrzInfo)
	s, err := open(kEnc, kMAC, cmdData)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: the terminal's proof does not verify", ErrAccessDenied)
	}
	rndIFD, gotIC, kIFD := s[:nonceLen], s[nonceLen:2*nonceLen], s[2*nonceLen:]
	if !bytes.Equal(gotIC, rndIC) {
		return nil, nil, fmt.Errorf("%w: the terminal answered another challenge", ErrAccessDenied)
	}
	eIC, err := sm.Encrypt(kdf.TDES, kEnc, nil, concat(rndIC, rndIFD, kIC))
	if err != nil {
		return nil, nil, err
	}
	mIC, err := sm.MAC(kdf.TDES, kMAC, eIC)
	if err != nil {
		return nil, nil, err
	}
	sess, err := session(kIFD, kIC, rndIC, rndIFD)
	if err != nil {
		return nil, nil, err
	}
	return concat(eIC, mIC), sess, nil
}

func concat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
