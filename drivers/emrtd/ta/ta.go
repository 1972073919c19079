package ta

import (
	"context"
	"crypto"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"

	"autogate/drivers/emrtd/cvc"
	"autogate/drivers/emrtd/iso7816"
	"autogate/drivers/emrtd/tlv"
)

// Instruction bytes of Terminal Authentication.
const (
	InsPerformSecurityOperation byte = 0x2A
	// P1 P2 of PSO:Verify Certificate.
	psoVerifyP1, psoVerifyP2 byte = 0x00, 0xBE
)

// ChallengeLen is the length of r_PICC.
const ChallengeLen = 8

// Errors a terminal gets when the chip refuses Terminal Authentication.
var (
	// ErrNoTrustPoint: the chip does not know the key the first
	// certificate names (its CAR): the chain does not lead to a CVCA the
	// chip trusts (wrong country, or a CVCA too new or too old for it).
	ErrNoTrustPoint = errors.New("ta: the chip has no trust point for the certificate chain (CAR unknown to the chip)")
	// ErrCertificateRefused: the chip refused a certificate of the chain
	// (bad signature, expired at the chip's date, or a wrong role).
	ErrCertificateRefused = errors.New("ta: the chip refused a certificate of the chain")
	// ErrSignatureRefused: the chip refused the terminal's signature
	// (wrong private key for the IS certificate, or a wrong ID_PICC or
	// ephemeral key).
	ErrSignatureRefused = errors.New("ta: the chip refused the terminal's signature")
)

// MSESetDSTCommand selects the public key named car for verifying
// certificates.
func MSESetDSTCommand(car string) iso7816.Command {
	return iso7816.Command{INS: iso7816.InsManageSecurityEnv, P1: 0x81, P2: 0xB6, Data: tlv.Encode(0x83, []byte(car))}
}

// PSOVerifyCertificateCommand hands the chip a certificate to verify.
func PSOVerifyCertificateCommand(c *cvc.Certificate) iso7816.Command {
	return iso7816.Command{INS: InsPerformSecurityOperation, P1: psoVerifyP1, P2: psoVerifyP2, Data: c.VerifyCertificateData()}
}

// IsPSOVerifyCertificate reports whether cmd is PSO:Verify Certificate.
func IsPSOVerifyCertificate(cmd iso7816.Command) bool {
	return cmd.INS == InsPerformSecurityOperation && cmd.P1 == psoVerifyP1 && cmd.P2 == psoVerifyP2
}

// Comp compresses an ephemeral public key as TR-03110 part 3 appendix
// A.2.2.3 asks: the x-coordinate of an EC point (uncompressed, 04‖X‖Y, so
// of odd length), SHA-1 of a DH value (a prime's length, even).
func Comp(pub []byte) []byte {
	if len(pub)%2 == 1 && pub[0] == 0x04 {
		return pub[1 : 1+len(pub)/2]
	}
	h := sha1.Sum(pub)
	return h[:]
}

// SignedData is what the terminal signs: ID_PICC ‖ r_PICC ‖ Comp(PK_PCD).
func SignedData(idPICC, challenge, terminalEphemeralPub []byte) []byte {
	out := append([]byte{}, idPICC...)
	out = append(out, challenge...)
	return append(out, Comp(terminalEphemeralPub)...)
}

// IDPICCFromBAC is ID_PICC after BAC: the document number with its check
// digit, as in the MRZ (the first ten characters of the MRZ information
// BAC keys are drawn from).
func IDPICCFromBAC(mrzInfo string) ([]byte, error) {
	if len(mrzInfo) < 10 {
		return nil, fmt.Errorf("ta: MRZ information %q is too short to hold a document number and check digit", mrzInfo)
	}
	return []byte(mrzInfo[:10]), nil
}

// Authenticate runs Terminal Authentication v1 over card (which must speak
// the secure messaging of Chip Authentication). chain runs from the
// certificate the chip's CVCA signed (a link or DV certificate) to the IS
// certificate whose private key isKey is. idPICC is the chip's identifier
// (IDPICCFromBAC), terminalEphemeralPub the ephemeral key Chip
// Authentication sent (chipauth.ChipAuthenticationV1Ephemeral).
func Authenticate(ctx context.Context, card *iso7816.Card, chain []*cvc.Certificate, isKey crypto.Signer, idPICC, terminalEphemeralPub []byte, rng io.Reader) error {
	if len(chain) == 0 {
		return errors.New("ta: no certificate chain")
	}
	if isKey == nil || len(idPICC) == 0 || len(terminalEphemeralPub) == 0 {
		return errors.New("ta: Terminal Authentication needs the IS key, ID_PICC and the ephemeral key of Chip Authentication")
	}
	for i, c := range chain {
		if _, err := card.Exec(ctx, "MSE:Set DST "+c.CAR, MSESetDSTCommand(c.CAR)); err != nil {
			if i == 0 && refused(err) {
				return fmt.Errorf("%w: %s: %w", ErrNoTrustPoint, c.CAR, err)
			}
			if refused(err) {
				return fmt.Errorf("%w: the chip does not know %s, which signed %s: %w", ErrCertificateRefused, c.CAR, c.CHR, err)
			}
			return fmt.Errorf("ta: %w", err)
		}
		if _, err := card.Exec(ctx, "PSO:Verify Certificate "+c.CHR, PSOVerifyCertificateCommand(c)); err != nil {
			if refused(err) {
				return fmt.Errorf("%w: %s: %w", ErrCertificateRefused, c, err)
			}
			return fmt.Errorf("ta: %w", err)
		}
	}
	is := chain[len(chain)-1]
	if err := card.MSESetAT(ctx, 0x81, tlv.Encode(0x83, []byte(is.CHR))); err != nil {
		if refused(err) {
			return fmt.Errorf("%w: selecting %s for External Authenticate: %w", ErrCertificateRefused, is.CHR, err)
		}
		return fmt.Errorf("ta: %w", err)
	}
	challenge, err := card.GetChallenge(ctx, ChallengeLen)
	if err != nil {
		return fmt.Errorf("ta: %w", err)
	}
	sig, err := cvc.Sign(isKey, is.PublicKey.Algorithm, SignedData(idPICC, challenge, terminalEphemeralPub), rng)
	if err != nil {
		return fmt.Errorf("ta: signing the challenge with the IS key: %w", err)
	}
	if _, err := card.ExternalAuthenticate(ctx, sig, 0); err != nil {
		if refused(err) {
			return fmt.Errorf("%w: %w", ErrSignatureRefused, err)
		}
		return fmt.Errorf("ta: %w", err)
	}
	return nil
}

// refused reports a status word by which a chip refuses a TA step.
func refused(err error) bool {
	var se *iso7816.StatusError
	if !errors.As(err, &se) {
		return false
	}
	switch se.SW {
	case iso7816.SWAuthenticationFailed, iso7816.SWSecurityStatus, iso7816.SWConditionsOfUse,
		iso7816.SWRefDataNotFound, iso7816.SWWrongData:
		return true
	}
	return se.SW&0xFFF0 == 0x63C0
}
