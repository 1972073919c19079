package chipauth

import (
	"context"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"

	"autogate/drivers/emrtd/iso7816"
	"autogate/drivers/emrtd/kdf"
	"autogate/drivers/emrtd/sm"
	"autogate/drivers/emrtd/tlv"
)

// ErrChipAuthentication: the chip failed to prove it holds the private key
// of the DG14 public key: after the key agreement it cannot speak secure
// messaging under the new keys. A cloned or substituted chip; refer the
// traveller.
var ErrChipAuthentication = errors.New("chipauth: Chip Authentication failed: the chip does not hold the private key of DG14 (cloned or substituted chip)")

// ChipAuthenticationV1 runs Chip Authentication version 1 (ICAO 9303-11
// section 6.2) over an established secure messaging channel: an ephemeral
// key on the domain parameters of the chip's static key, sent with MSE:Set
// KAT for 3DES, or MSE:Set AT then GENERAL AUTHENTICATE for AES; both sides
// derive new session keys from the shared secret, with a zero counter.
//
// When card.T is an *sm.Channel, it is switched to the new session and a
// GET CHALLENGE under the new keys confirms the chip computed the same
// secret; a chip that cannot answer is ErrChipAuthentication. Otherwise the
// caller installs the returned session, and the first command under it is
// the proof.
func ChipAuthenticationV1(ctx context.Context, card *iso7816.Card, key ChipKey, rng io.Reader) (*sm.Session, error) {
	s, _, err := ChipAuthenticationV1Ephemeral(ctx, card, key, rng)
	return s, err
}

// ChipAuthenticationV1Ephemeral is ChipAuthenticationV1 that also returns
// the terminal's ephemeral public key as sent to the chip (04‖X‖Y, or the
// DH value padded to the prime's length): Terminal Authentication v1,
// which follows, signs its compressed form.
func ChipAuthenticationV1Ephemeral(ctx context.Context, card *iso7816.Card, key ChipKey, rng io.Reader) (*sm.Session, []byte, error) {
	cipher, err := key.Cipher()
	if err != nil {
		return nil, nil, err
	}
	if key.Protocol != nil && !matchesKey(key.Protocol, key.PublicKey) {
		return nil, nil, fmt.Errorf("chipauth: protocol %v does not fit a %T key", key.Protocol, key.PublicKey)
	}
	eph, err := agree(key.PublicKey, rng)
	if err != nil {
		return nil, nil, err
	}
	var keyRef []byte
	if key.KeyID != nil {
		keyRef = tlv.Encode(0x84, minimalBytes(key.KeyID.Bytes()))
	}
	if cipher == kdf.TDES {
		if err := card.MSESetKAT(ctx, append(tlv.Encode(0x91, eph.public), keyRef...)); err != nil {
			return nil, nil, fmt.Errorf("chipauth: %w", err)
		}
	} else {
		oid, err := oidValue(key.Protocol)
		if err != nil {
			return nil, nil, err
		}
		if err := card.MSESetAT(ctx, 0x41, append(tlv.Encode(0x80, oid), keyRef...)); err != nil {
			return nil, nil, fmt.Errorf("chipauth: %w", err)
		}
		out, err := card.GeneralAuthenticate(ctx, tlv.Encode(0x80, eph.public), true)
		if err != nil {
			return nil, nil, fmt.Errorf("chipauth: %w", err)
		}
		if len(out) != 0 {
			return nil, nil, fmt.Errorf("chipauth: GENERAL AUTHENTICATE returned %d unexpected bytes", len(out))
		}
	}
	s, err := SessionFromSecret(cipher, eph.secret)
	if err != nil {
		return nil, nil, err
	}
	ch, ok := card.T.(*sm.Channel)
	if !ok {
		return s, eph.public, nil
	}
	ch.SetSession(s)
	if _, err := card.GetChallenge(ctx, 8); err != nil {
		var se *iso7816.StatusError
		if errors.Is(err, sm.ErrMAC) || errors.Is(err, sm.ErrDataObjects) || errors.Is(err, sm.ErrMissingMAC) ||
			errors.As(err, &se) && (se.SW == iso7816.SWSMDataIncorrect || se.SW == iso7816.SWSMDataMissing) {
			return nil, nil, fmt.Errorf("%w: %v", ErrChipAuthentication, err)
		}
		return nil, nil, fmt.Errorf("chipauth: confirming the new keys: %w", err)
	}
	return s, eph.public, nil
}

// ChipAuthenticateDG14 runs Chip Authentication with the first key DG14
// announces.
func ChipAuthenticateDG14(ctx context.Context, card *iso7816.Card, dg14 []byte, rng io.Reader) (*sm.Session, error) {
	keys, err := ChipKeys(dg14)
	if err != nil {
		return nil, err
	}
	return ChipAuthenticationV1(ctx, card, keys[0], rng)
}

// ChipAuthenticateDG14Ephemeral is ChipAuthenticateDG14 that also returns
// the terminal's ephemeral public key (see ChipAuthenticationV1Ephemeral).
func ChipAuthenticateDG14Ephemeral(ctx context.Context, card *iso7816.Card, dg14 []byte, rng io.Reader) (*sm.Session, []byte, error) {
	keys, err := ChipKeys(dg14)
	if err != nil {
		return nil, nil, err
	}
	return ChipAuthenticationV1Ephemeral(ctx, card, keys[0], rng)
}

// SessionFromSecret derives the secure messaging session of Chip
// Authentication (and PACE) from a shared secret: KSEnc = KDF(Z, 1),
// KSMAC = KDF(Z, 2), counter zero.
func SessionFromSecret(c kdf.Cipher, z []byte) (*sm.Session, error) {
	return sm.New(c, kdf.Derive(c, z, kdf.CounterEnc), kdf.Derive(c, z, kdf.CounterMAC), make([]byte, sm.BlockSize(c)))
}

// oidValue is the content octets of an OID, as DO'80' of MSE:Set AT
// carries it.
func oidValue(oid asn1.ObjectIdentifier) ([]byte, error) {
	der, err := asn1.Marshal(oid)
	if err != nil {
		return nil, err
	}
	do, _, err := tlv.Next(der)
	if err != nil {
		return nil, err
	}
	return do.Value, nil
}

// OIDFromValue decodes the content octets of an OID (DO'80').
func OIDFromValue(v []byte) (asn1.ObjectIdentifier, error) {
	var oid asn1.ObjectIdentifier
	rest, err := asn1.Unmarshal(tlv.Encode(0x06, v), &oid)
	if err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("chipauth: %X is not an object identifier", v)
	}
	return oid, nil
}

func minimalBytes(b []byte) []byte {
	if len(b) == 0 {
		return []byte{0}
	}
	return b
}
