// Package trust is the CSCA trust store of Passive Authentication (ICAO Doc
// 9303 part 12): the Country Signing CA certificates, from ICAO or national
// master lists (.ml: CMS SignedData with eContentType id-icao-cscaMasterList
// 2.23.136.1.1.2 holding CscaMasterList { version, certList }) and from
// stand-alone certificate files, plus the CSCAs' CRLs.
//
// Loading checks each master list's signature with its embedded signer
// certificate and that certificate against the stand-alone CSCA
// certificates (the list's own content would prove nothing), and reports,
// without failing, a list whose signer's CSCA is absent. Identical
// certificates from several lists are merged. Certificates crypto/x509
// refuses are read by the lenient parser of package cms and counted.
//
// CheckDocumentSigner chains a document signer (DS) certificate to a CSCA
// by authority key identifier and by issuer name, through link
// certificates (a new CSCA key certified by the old one) up to a
// self-signed CSCA, verifying every signature. Following Doc 9303 practice
// the DS is judged at signing time: a DS that has expired since is
// reported (DSExpiredNow) but passes; a DS not valid when it signed, a CSCA
// not valid at the check time, or a DS listed on a CRL its CSCA signed,
// fail with a stable reason code.
package trust
