// Package testenv holds the helpers the tests of every package share: the
// repository root, the shared test data, the shipped device profiles.
//
// The repository root is the folder holding go.mod, found upwards from the
// test's working directory, so a test finds firmware-config/ whichever
// package it runs in. The shared test data lives outside the repository: in
// $AUTOGATE_TESTDATA, or else in ../shared/testdata next to the repository
// root; a test that needs it is skipped, saying where it looked, when it is
// absent.
//
// Only tests import this package. drivers/device's own in-package tests
// cannot, because this package imports drivers/device.
package testenv
