// Package issuer is a test document PKI and document issuer for the
// simulator, the population generator and the tests: it makes Country
// Signing CAs (self-signed; ECDSA on P-256/384/521 or brainpoolP256r1/
// P384r1/P512r1, RSA PKCS#1 v1.5 or RSA-PSS; EC keys optionally with
// explicit domain parameters, as many real CSCAs have), document signer
// certificates, link certificates and CRLs (ICAO Doc 9303 part 12), and
// signs EF.SOD files (Doc 9303 part 10, 4.6.2: CMS SignedData over an
// LDSSecurityObject, inside application tag 0x77) that packages sod and
// passive accept.
//
// SignSODWith also makes deliberately broken SODs, one defect each (wrong
// signing key, foreign certificate, wrong messageDigest, flipped
// signature, unknown hash), for the Passive Authentication attack suite.
//
// A PKI saves to and loads from a folder of PEM files: the CSCA and link
// certificates and the CRL at the top, where trust.LoadDir and
// "gate-agent trust list DIR" find them, and document signers and private
// keys under private/.
//
// Certificates, CRLs and SODs are encoded with encoding/asn1, not
// crypto/x509.CreateCertificate, which refuses brainpool keys and explicit
// EC parameters. Brainpool keys are generated and used through crypto/ecdsa,
// whose generic path still handles any elliptic.Curve in Go 1.26.
//
// This is test tooling: keys are written unencrypted.
package issuer
