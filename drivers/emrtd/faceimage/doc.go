// Package faceimage decodes the face images of an eMRTD (DG2, and the
// displayed portrait of DG5) and encodes images for the test document
// issuer, through OpenCV (gocv.io/x/gocv, OpenCV 4.6 as Debian 12 ships it).
//
// ICAO 9303-10 admits JPEG (ISO/IEC 10918) and JPEG 2000 (ISO/IEC 15444-1:
// the JP2 file format or a bare codestream) for face images; OpenCV reads
// JPEG through libjpeg and JPEG 2000 through OpenJPEG.
//
// The image bytes come from a chip. Before anything is handed to OpenCV the
// image's header is read in Go (lds.SniffImage): only JPEG and JPEG 2000 go
// further, and only when the header states a size of at most MaxPixels, so a
// crafted header cannot make the decoder allocate gigabytes. The decoded size
// must equal the header's.
//
// The package needs cgo and the OpenCV development files (Debian:
// libopencv-dev); container parsing in drivers/emrtd/lds does not, so it
// stays fast to build and to fuzz.
package faceimage
