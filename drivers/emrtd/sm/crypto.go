package sm

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/subtle"
	"errors"
	"fmt"

	"autogate/drivers/emrtd/kdf"
)

// ErrPadding marks decrypted data whose ISO/IEC 9797-1 method 2 padding is
// wrong: a wrong key, or bytes altered on the way.
var ErrPadding = errors.New("sm: padding is not ISO/IEC 9797-1 method 2")

// BlockSize is the cipher's block size: 8 for 3DES, 16 for AES.
func BlockSize(c kdf.Cipher) int {
	if c == kdf.TDES {
		return des.BlockSize
	}
	return aes.BlockSize
}

// NewBlock returns the block cipher for key; a two-key 3DES key (16 bytes)
// runs as K1‖K2‖K1.
func NewBlock(c kdf.Cipher, key []byte) (cipher.Block, error) {
	switch c {
	case kdf.TDES:
		if len(key) != 16 {
			return nil, fmt.Errorf("sm: 3DES key of %d bytes, want 16", len(key))
		}
		k := make([]byte, 0, 24)
		k = append(append(k, key...), key[:8]...)
		return des.NewTripleDESCipher(k)
	case kdf.AES128, kdf.AES192, kdf.AES256:
		if len(key) != c.KeyLen() {
			return nil, fmt.Errorf("sm: %v key of %d bytes, want %d", c, len(key), c.KeyLen())
		}
		return aes.NewCipher(key)
	}
	return nil, fmt.Errorf("sm: unknown cipher %v", c)
}

// Pad applies ISO/IEC 9797-1 padding method 2: 80, then 00 up to a whole
// block. It always adds at least one byte.
func Pad(data []byte, blockSize int) []byte {
	n := len(data) + 1
	n += (blockSize - n%blockSize) % blockSize
	out := make([]byte, n)
	copy(out, data)
	out[len(data)] = 0x80
	return out
}

// Unpad removes ISO/IEC 9797-1 padding method 2.
func Unpad(data []byte) ([]byte, error) {
	for i := len(data) - 1; i >= 0; i-- {
		switch data[i] {
		case 0x00:
			continue
		case 0x80:
			return data[:i], nil
		}
		break
	}
	return nil, ErrPadding
}

// Encrypt encrypts data, a whole number of blocks, in CBC mode; a nil iv
// is the zero block.
func Encrypt(c kdf.Cipher, key, iv, data []byte) ([]byte, error) {
	return cbc(c, key, iv, data, true)
}

// Decrypt decrypts data, a whole number of blocks, in CBC mode; a nil iv
// is the zero block.
func Decrypt(c kdf.Cipher, key, iv, data []byte) ([]byte, error) {
	return cbc(c, key, iv, data, false)
}

func cbc(c kdf.Cipher, key, iv, data []byte, encrypt bool) ([]byte, error) {
	b, err := NewBlock(c, key)
	if err != nil {
		return nil, err
	}
	return cbcBlock(b, iv, data, encrypt)
}

func cbcBlock(b cipher.Block, iv, data []byte, encrypt bool) ([]byte, error) {
	bs := b.BlockSize()
	if len(data)%bs != 0 {
		return nil, fmt.Errorf("sm: %d bytes is not a whole number of %d-byte blocks", len(data), bs)
	}
	if iv == nil {
		iv = make([]byte, bs)
	}
	if len(iv) != bs {
		return nil, fmt.Errorf("sm: IV of %d bytes, want %d", len(iv), bs)
	}
	out := make([]byte, len(data))
	if encrypt {
		cipher.NewCBCEncrypter(b, iv).CryptBlocks(out, data)
	} else {
		cipher.NewCBCDecrypter(b, iv).CryptBlocks(out, data)
	}
	return out, nil
}

// MAC computes the 8-byte MAC secure messaging and BAC use: data is padded
// with method 2, then MACed with the retail MAC (3DES) or AES-CMAC
// truncated to 8 bytes.
func MAC(c kdf.Cipher, key, data []byte) ([]byte, error) {
	if c == kdf.TDES {
		return RetailMAC(key, Pad(data, des.BlockSize))
	}
	b, err := NewBlock(c, key)
	if err != nil {
		return nil, err
	}
	return cmac(b, Pad(data, aes.BlockSize))[:8], nil
}

// RetailMAC is ISO/IEC 9797-1 MAC algorithm 3 with DES and a zero IV: CBC
// under Ka over every block, then the last result decrypted under Kb and
// encrypted under Ka. key is Ka‖Kb; data must already be padded.
func RetailMAC(key, data []byte) ([]byte, error) {
	if len(key) != 16 {
		return nil, fmt.Errorf("sm: retail MAC key of %d bytes, want 16", len(key))
	}
	if len(data) == 0 || len(data)%des.BlockSize != 0 {
		return nil, fmt.Errorf("sm: retail MAC over %d bytes, want whole 8-byte blocks", len(data))
	}
	ka, err := des.NewCipher(key[:8])
	if err != nil {
		return nil, err
	}
	kb, err := des.NewCipher(key[8:])
	if err != nil {
		return nil, err
	}
	h := make([]byte, des.BlockSize)
	for i := 0; i < len(data); i += des.BlockSize {
		subtle.XORBytes(h, h, data[i:i+des.BlockSize])
		ka.Encrypt(h, h)
	}
	kb.Decrypt(h, h)
	ka.Encrypt(h, h)
	return h, nil
}

// CMAC is AES-CMAC (NIST SP 800-38B, RFC 4493) with its full 16 bytes.
func CMAC(key, data []byte) ([]byte, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sm: CMAC key: %w", err)
	}
	return cmac(b, data), nil
}

func cmac(b cipher.Block, msg []byte) []byte {
	const bs = aes.BlockSize
	k1 := make([]byte, bs)
	b.Encrypt(k1, k1)
	k1 = double(k1)
	k2 := double(k1)

	n := (len(msg) + bs - 1) / bs
	last := make([]byte, bs)
	if n > 0 && len(msg)%bs == 0 {
		subtle.XORBytes(last, msg[(n-1)*bs:], k1)
	} else {
		n = max(n, 1)
		tail := msg[(n-1)*bs:]
		copy(last, tail)
		last[len(tail)] = 0x80
		subtle.XORBytes(last, last, k2)
	}
	x := make([]byte, bs)
	for i := 0; i < n-1; i++ {
		subtle.XORBytes(x, x, msg[i*bs:(i+1)*bs])
		b.Encrypt(x, x)
	}
	subtle.XORBytes(x, x, last)
	b.Encrypt(x, x)
	return x
}

// double multiplies by x in GF(2^128), the CMAC subkey step.
func double(in []byte) []byte {
	out := make([]byte, len(in))
	var carry byte
	for i := len(in) - 1; i >= 0; i-- {
		out[i] = in[i]<<1 | carry
		carry = in[i] >> 7
	}
	if carry != 0 {
		out[len(out)-1] ^= 0x87
	}
	return out
}
