package pace

import (
	"bytes"
	"fmt"
	"math/big"

	"autogate/drivers/emrtd/kdf"
	"autogate/drivers/emrtd/sm"
)

// nonceLen is the length of the nonce s the chip draws: the smallest
// multiple of the block size not shorter than the key (9303-11 section
// 4.4.3.3, the rule Integrated Mapping requires; 3DES counts as 128 bits).
func nonceLen(c kdf.Cipher) int {
	if c == kdf.AES192 || c == kdf.AES256 {
		return 32
	}
	return 16
}

// maxNonceLen bounds what a terminal accepts from a chip.
const maxNonceLen = 64

// authToken computes an authentication token (9303-11 section 4.4.3.4):
// CMAC with 8-byte output for AES, retail MAC (ISO/IEC 9797-1 MAC
// algorithm 3, padding method 2) for 3DES.
func authToken(c kdf.Cipher, ksMAC, data []byte) ([]byte, error) {
	if c == kdf.TDES {
		return sm.RetailMAC(ksMAC, sm.Pad(data, sm.BlockSize(c)))
	}
	mac, err := sm.CMAC(ksMAC, data)
	if err != nil {
		return nil, err
	}
	return mac[:8], nil
}

// camIV is IV = E(KSEnc, -1) of 9303-11 section 4.4.3.5.4.
func camIV(c kdf.Cipher, ksEnc []byte) ([]byte, error) {
	b, err := sm.NewBlock(c, ksEnc)
	if err != nil {
		return nil, err
	}
	iv := bytes.Repeat([]byte{0xFF}, b.BlockSize())
	b.Encrypt(iv, iv)
	return iv, nil
}

// encryptCAData gives A_IC = E(KSEnc, CA_IC) (9303-11 section 4.4.3.5).
func encryptCAData(c kdf.Cipher, ksEnc, ca []byte) ([]byte, error) {
	iv, err := camIV(c, ksEnc)
	if err != nil {
		return nil, err
	}
	return sm.Encrypt(c, ksEnc, iv, sm.Pad(ca, sm.BlockSize(c)))
}

// decryptCAData recovers CA_IC from A_IC.
func decryptCAData(c kdf.Cipher, ksEnc, a []byte) ([]byte, error) {
	iv, err := camIV(c, ksEnc)
	if err != nil {
		return nil, err
	}
	plain, err := sm.Decrypt(c, ksEnc, iv, a)
	if err != nil {
		return nil, err
	}
	return sm.Unpad(plain)
}

// IM pseudo-random number mapping constants (9303-11 section 4.4.3.3.2).
var (
	imC0_128 = []byte{0xa6, 0x68, 0x89, 0x2a, 0x7c, 0x41, 0xe3, 0xca, 0x73, 0x9f, 0x40, 0xb0, 0x57, 0xd8, 0x59, 0x04}
	imC1_128 = []byte{0xa4, 0xe1, 0x36, 0xac, 0x72, 0x5f, 0x73, 0x8b, 0x01, 0xc1, 0xf6, 0x02, 0x17, 0xc1, 0x88, 0xad}
	imC0_256 = []byte{0xd4, 0x63, 0xd6, 0x52, 0x34, 0x12, 0x4e, 0xf7, 0x89, 0x70, 0x54, 0x98, 0x6d, 0xca, 0x0a, 0x17,
		0x4e, 0x28, 0xdf, 0x75, 0x8c, 0xba, 0xa0, 0x3f, 0x24, 0x06, 0x16, 0x41, 0x4d, 0x5a, 0x16, 0x76}
	imC1_256 = []byte{0x54, 0xbd, 0x72, 0x55, 0xf0, 0xaa, 0xf8, 0x31, 0xbe, 0xc3, 0x42, 0x3f, 0xcf, 0x39, 0xd6, 0x9b,
		0x6c, 0xbf, 0x06, 0x66, 0x77, 0xd0, 0xfa, 0xae, 0x5a, 0xad, 0xd9, 0x9d, 0xf8, 0xe5, 0x35, 0x17}
)

// pseudoRandom is R(s, t) of 9303-11 section 4.4.3.3.2 (Figure 2): the key
// k0 = E(t, s); then x_i = E(k_{i-1}, c1) and k_i = E(k_{i-1}, c0) truncated
// to the key size, n blocks with n·l ≥ log2 p + 64. It returns the octet
// string x1‖…‖xn; R_p(s, t) is its value mod p.
func pseudoRandom(c kdf.Cipher, s, t []byte, p *big.Int) ([]byte, error) {
	k := c.KeyLen()
	if len(t) != k {
		return nil, fmt.Errorf("nonce t of %d bytes, want %d for %v", len(t), k, c)
	}
	if len(s) < k {
		return nil, fmt.Errorf("nonce s of %d bytes is shorter than the %d-byte %v key", len(s), k, c)
	}
	c0, c1 := imC0_128, imC1_128
	if c == kdf.AES192 || c == kdf.AES256 {
		c0, c1 = imC0_256, imC1_256
	}
	key, err := sm.Encrypt(c, t, nil, s)
	if err != nil {
		return nil, err
	}
	key = key[:k]
	l := len(c1) * 8
	n := (p.BitLen() + 64 + l - 1) / l
	out := make([]byte, 0, n*len(c1))
	for i := 0; i < n; i++ {
		x, err := sm.Encrypt(c, key, nil, c1)
		if err != nil {
			return nil, err
		}
		out = append(out, x...)
		next, err := sm.Encrypt(c, key, nil, c0)
		if err != nil {
			return nil, err
		}
		key = next[:k]
	}
	return out, nil
}
