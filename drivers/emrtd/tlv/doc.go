// Package tlv encodes and decodes BER-TLV as ICAO 9303 and ISO/IEC 7816-4 use
// it: tags of one to three bytes (bit 6 of the first byte marks a constructed
// value), definite lengths in short form or long form of up to four bytes.
//
// The bytes come from a chip, which may be hostile: the decoder refuses the
// indefinite length form, lengths beyond the data, tags longer than three
// bytes, and bounds nesting depth and node count, so a crafted structure can
// neither hang it nor exhaust memory. Values are sub-slices of the input, not
// copies.
package tlv
