package kdf

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"math/bits"
)

// Cipher is a secure-messaging cipher with its key length.
type Cipher int

// Ciphers of ICAO 9303-11.
const (
	TDES Cipher = iota + 1 // two-key 3DES (16-byte key)
	AES128
	AES192
	AES256
)

func (c Cipher) String() string {
	switch c {
	case TDES:
		return "3DES"
	case AES128:
		return "AES-128"
	case AES192:
		return "AES-192"
	case AES256:
		return "AES-256"
	}
	return fmt.Sprintf("Cipher(%d)", int(c))
}

// KeyLen is the cipher's key length in bytes.
func (c Cipher) KeyLen() int {
	switch c {
	case TDES, AES128:
		return 16
	case AES192:
		return 24
	case AES256:
		return 32
	}
	return 0
}

// Counters of KDF.
const (
	CounterEnc uint32 = 1
	CounterMAC uint32 = 2
	CounterPI  uint32 = 3 // PACE password key Kπ
)

// Derive computes KDF(secret, counter) for the cipher.
func Derive(c Cipher, secret []byte, counter uint32) []byte {
	var h hash.Hash
	switch c {
	case TDES, AES128:
		h = sha1.New()
	case AES192, AES256:
		h = sha256.New()
	default:
		panic(fmt.Sprintf("kdf: unknown cipher %v", c))
	}
	h.Write(secret)
	var ctr [4]byte
	binary.BigEndian.PutUint32(ctr[:], counter)
	h.Write(ctr[:])
	k := h.Sum(nil)[:c.KeyLen()]
	if c == TDES {
		SetParity(k)
	}
	return k
}

// SetParity sets each byte's least significant bit so the byte has odd
// parity, as DES keys require.
func SetParity(k []byte) {
	for i, b := range k {
		b &^= 1
		if bits.OnesCount8(b)%2 == 0 {
			b |= 1
		}
		k[i] = b
	}
}

// MRZInfo is the MRZ information of ICAO 9303-11 section 9.7.2: document
// number (padded with '<' to at least 9 characters — a number ending in '<'
// keeps its filler) with its check digit, date of birth with its check
// digit, date of expiry with its check digit.
func MRZInfo(documentNumber string, numberCheck byte, birthYYMMDD string, birthCheck byte, expiryYYMMDD string, expiryCheck byte) string {
	for len(documentNumber) < 9 {
		documentNumber += "<"
	}
	return documentNumber + string(numberCheck) + birthYYMMDD + string(birthCheck) + expiryYYMMDD + string(expiryCheck)
}

// Seed is SHA-1 of the MRZ information: BAC keys derive from its first 16
// bytes, the PACE password key Kπ from all 20.
func Seed(mrzInfo string) []byte {
	s := sha1.Sum([]byte(mrzInfo))
	return s[:]
}

// BACKeys derives the BAC access keys KEnc and KMAC from the MRZ information.
func BACKeys(mrzInfo string) (kEnc, kMAC []byte) {
	seed := Seed(mrzInfo)[:16]
	return Derive(TDES, seed, CounterEnc), Derive(TDES, seed, CounterMAC)
}

// PACEPasswordKey derives Kπ for an MRZ password.
func PACEPasswordKey(c Cipher, mrzInfo string) []byte {
	return Derive(c, Seed(mrzInfo), CounterPI)
}
