package pace

import (
	"crypto/sha1"
	"errors"
	"fmt"

	"autogate/drivers/emrtd/kdf"
	"autogate/drivers/emrtd/tlv"
)

// PasswordRef is the password reference of MSE:Set AT tag 83.
type PasswordRef byte

// Password references of 9303-11 section 4.4.4.1.
const (
	PasswordMRZ PasswordRef = 1
	PasswordCAN PasswordRef = 2
)

func (r PasswordRef) String() string {
	switch r {
	case PasswordMRZ:
		return "MRZ"
	case PasswordCAN:
		return "CAN"
	}
	return fmt.Sprintf("PasswordRef(%d)", byte(r))
}

// Password is a PACE password π as the key derivation needs it: its
// reference and the encoding K = f(π) of 9303-11 Table 14.
type Password struct {
	Ref PasswordRef
	K   []byte
}

// MRZPassword is the password of the MRZ: K = SHA-1 of the MRZ information
// (kdf.MRZInfo builds that string from the document number, birth and
// expiry dates with their check digits).
func MRZPassword(mrzInfo string) Password {
	return Password{Ref: PasswordMRZ, K: kdf.Seed(mrzInfo)}
}

// CANPassword is the password of a Card Access Number: K is the CAN in
// ISO 8859-1.
func CANPassword(can string) (Password, error) {
	k := make([]byte, 0, len(can))
	for _, r := range can {
		if r > 0xFF {
			return Password{}, fmt.Errorf("pace: CAN %q has a character outside ISO 8859-1", can)
		}
		k = append(k, byte(r))
	}
	if len(k) == 0 {
		return Password{}, errors.New("pace: empty CAN")
	}
	return Password{Ref: PasswordCAN, K: k}, nil
}

// key derives Kπ = KDFπ(π) = KDF(f(π), 3) for the cipher.
func (p Password) key(c kdf.Cipher) []byte { return kdf.Derive(c, p.K, kdf.CounterPI) }

// Step names a step of the protocol, for errors.
type Step string

// Steps of PACE (9303-11 section 4.4.4 and Table 4).
const (
	StepSetAT              Step = "MSE:Set AT"
	StepEncryptedNonce     Step = "GENERAL AUTHENTICATE step 1 (encrypted nonce)"
	StepMapNonce           Step = "GENERAL AUTHENTICATE step 2 (map nonce)"
	StepKeyAgreement       Step = "GENERAL AUTHENTICATE step 3 (key agreement)"
	StepMutualAuth         Step = "GENERAL AUTHENTICATE step 4 (mutual authentication)"
	StepChipAuthentication Step = "chip authentication mapping"
	StepSelectProtocol     Step = "choosing the PACE protocol"
)

// Causes of failure; an *Error wraps one of them (errors.Is works).
var (
	// ErrAccessDenied: the chip refused the password (it answered 6300,
	// 63Cx or 6982 to the mutual authentication). The MRZ or CAN the key was
	// derived from is wrong: re-read the MRZ, or ask for the CAN again.
	ErrAccessDenied = errors.New("the chip refused the password: re-read the MRZ (document number, birth and expiry dates) or re-enter the CAN")
	// ErrChipToken: the chip's authentication token does not verify, so the
	// chip does not know the password the terminal used while it accepted
	// the terminal's token — an impostor chip or a man in the middle.
	ErrChipToken = errors.New("the chip's authentication token is wrong although it accepted ours: the chip may be an impostor; refer the traveller to an officer")
	// ErrChipAuthentication: PACE-CAM chip authentication failed; the chip
	// does not hold the private key of its EF.CardSecurity public key.
	ErrChipAuthentication = errors.New("chip authentication mapping failed: the chip does not prove its static key; treat the chip as substituted and refer the traveller to an officer")
	// ErrMalformed: the chip sent data that does not follow 9303-11.
	ErrMalformed = errors.New("the chip's answer does not follow ICAO 9303-11; retry once, then fall back to BAC or manual inspection")
	// ErrChipStatus: the chip answered with an error status word.
	ErrChipStatus = errors.New("the chip answered with an error status")
	// ErrUnsupported: no PACE configuration both sides support.
	ErrUnsupported = errors.New("no PACE configuration this terminal supports; fall back to BAC if the chip offers it")
	// ErrTransport: the APDU exchange itself failed.
	ErrTransport = errors.New("the exchange with the chip failed (card removed or reader error); retry the read")
)

// Error is a PACE failure: the step it happened at, the status word the
// chip answered (0 if none), and the cause.
type Error struct {
	Step Step
	SW   uint16
	Err  error
}

func (e *Error) Error() string {
	if e.SW != 0 {
		return fmt.Sprintf("pace: %s: SW %04X: %v", e.Step, e.SW, e.Err)
	}
	return fmt.Sprintf("pace: %s: %v", e.Step, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// detail wraps a cause with details, keeping errors.Is on the cause.
func detail(cause error, format string, args ...any) error {
	return fmt.Errorf("%w (%s)", cause, fmt.Sprintf(format, args...))
}

// tokenInput is the public key data object the authentication token MACs
// (9303-11 sections 4.4.3.4 and 9.4.5): 7F49 { 06 protocol OID, 86 point }
// for ECDH, 7F49 { 06 protocol OID, 84 value } for DH.
func tokenInput(p Protocol, g *group, pub elem) []byte {
	tag := tlv.Tag(0x84)
	if g.isEC() {
		tag = 0x86
	}
	return tlv.Encode(0x7F49, tlv.Encode(0x06, oidContent(p.OID)), tlv.Encode(tag, g.encode(pub)))
}

// dynAuth wraps data objects in the Dynamic Authentication Data template 7C.
func dynAuth(objects ...[]byte) []byte { return tlv.Encode(0x7C, objects...) }

// dataObjects holds the context-specific data objects of a 7C template.
type dataObjects map[tlv.Tag][]byte

// parseDynAuth decodes a 7C template holding primitive data objects, each
// tag at most once, nothing after it.
func parseDynAuth(b []byte) (dataObjects, error) {
	t, rest, err := tlv.Next(b)
	if err != nil {
		return nil, fmt.Errorf("dynamic authentication data: %v", err)
	}
	if t.Tag != 0x7C {
		return nil, fmt.Errorf("dynamic authentication data has tag %v, want 7C", t.Tag)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%d bytes after the 7C template", len(rest))
	}
	out := dataObjects{}
	for body := t.Value; len(body) > 0; {
		do, next, err := tlv.Next(body)
		if err != nil {
			return nil, fmt.Errorf("inside 7C: %v", err)
		}
		if do.Tag.Constructed() || do.Tag < 0x80 || do.Tag > 0x8F {
			return nil, fmt.Errorf("inside 7C: unexpected tag %v", do.Tag)
		}
		if _, dup := out[do.Tag]; dup {
			return nil, fmt.Errorf("inside 7C: tag %v twice", do.Tag)
		}
		out[do.Tag] = do.Value
		body = next
	}
	return out, nil
}

// only checks that the template holds exactly the wanted tags (optional
// ones may be missing) and nothing else.
func (d dataObjects) only(required []tlv.Tag, optional ...tlv.Tag) error {
	for _, t := range required {
		if _, ok := d[t]; !ok {
			return fmt.Errorf("data object %v missing", t)
		}
	}
	for t := range d {
		if !containsTag(required, t) && !containsTag(optional, t) {
			return fmt.Errorf("unexpected data object %v", t)
		}
	}
	return nil
}

func containsTag(tags []tlv.Tag, t tlv.Tag) bool {
	for _, x := range tags {
		if x == t {
			return true
		}
	}
	return false
}

// IDPICC is the chip's identifier for Terminal Authentication after PACE
// (BSI TR-03110 part 3): Comp(PK_PICC) of the chip's ephemeral key agreement
// key — its x-coordinate for ECDH, its SHA-1 hash for DH.
func IDPICC(a KeyAgreement, encoded []byte) []byte {
	if a == ECDH && len(encoded) > 1 && encoded[0] == 0x04 {
		return append([]byte{}, encoded[1:1+(len(encoded)-1)/2]...)
	}
	h := sha1.Sum(encoded)
	return h[:]
}
