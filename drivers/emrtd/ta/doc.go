// Package ta is the terminal side of Terminal Authentication version 1
// (Extended Access Control, EAC1): ICAO Doc 9303-11 section 7.1 and BSI
// TR-03110 parts 1 and 3. It runs after Chip Authentication v1, under the
// secure messaging CA established, and proves to the chip that the
// terminal holds the private key of an inspection system certificate the
// chip's CVCA trust point vouches for. The chip then opens the data groups
// the certificate chain grants: DG3 (fingerprints) and DG4 (iris).
//
// For each certificate of the chain, MSE:Set DST (0022 81B6, DO'83' = the
// CAR) selects the key that signed it and PSO:Verify Certificate
// (002A 00BE, body 7F4E and signature 5F37) imports it. MSE:Set AT
// (0022 81A4, DO'83' = the CHR of the IS certificate) selects the IS key,
// GET CHALLENGE returns r_PICC (8 bytes), and EXTERNAL AUTHENTICATE carries
// the terminal's signature over ID_PICC ‖ r_PICC ‖ Comp(PK_PCD), where
// PK_PCD is the ephemeral public key of Chip Authentication and ID_PICC,
// after BAC, the document number with its check digit.
package ta
