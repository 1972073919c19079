package flow

import (
	"strings"
	"testing"
	"time"

	"autogate/gate-agent/internal/config"
	"autogate/internal/wire"
)

// misread replaces character pos (1-based) of line 2, as an OCR engine
// misreading it.
func misread(lines []string, pos int, c byte) []string {
	b := []byte(lines[1])
	b[pos-1] = c
	return []string{lines[0], string(b)}
}

func mrzCheckOf(t *testing.T, c wire.Crossing) wire.Check {
	t.Helper()
	for _, ch := range c.Checks {
		if ch.Name == "mrz" {
			return ch
		}
	}
	t.Fatalf("no mrz check in %+v", c.Checks)
	return wire.Check{}
}

func TestProvenOCRConfusionIsCorrectedAndRecorded(t *testing.T) {
	l := newLane(t, config.Policy{})
	good := build(t, time.Now().AddDate(3, 0, 0))
	// The birth date 900517 read as 9O0517: an O in a digit-only field,
	// which the birth date's check digit and the composite prove was a 0.
	l.traveller(misread(good, 15, 'O'), false)
	c := l.once(t)
	if c.Decision != wire.DecisionPass || c.Door != DoorExit {
		t.Fatalf("decision=%s door=%s checks=%+v", c.Decision, c.Door, c.Checks)
	}
	if c.Document.BirthDate != "1990-05-17" {
		t.Errorf("birth date recorded %q, want the corrected 1990-05-17", c.Document.BirthDate)
	}
	m := mrzCheckOf(t, c)
	if m.Result != wire.ResultPass || !strings.Contains(m.Message, `OCR confusions corrected, proven by the check digits: birth_date (line 2, character 15): "O" → "0"`) {
		t.Errorf("mrz check %+v does not record the correction", m)
	}
}

func TestUnprovenMisreadIsReferredNotCorrected(t *testing.T) {
	l := newLane(t, config.Policy{})
	good := build(t, time.Now().AddDate(3, 0, 0))
	// The document number C1234567 read as C1234S67: letters and digits are
	// both allowed there, so nothing proves the S wrong.
	l.traveller(misread(good, 6, 'S'), false)
	c := l.once(t)
	if c.Decision != wire.DecisionRefer || c.Door != DoorEntrance {
		t.Fatalf("decision=%s door=%s checks=%+v", c.Decision, c.Door, c.Checks)
	}
	m := mrzCheckOf(t, c)
	if m.Reason != ReasonMRZInvalid || strings.Contains(m.Message, "corrected") || !strings.Contains(m.Message, "document_number") {
		t.Errorf("mrz check %+v, want a referral naming the document number and no correction", m)
	}
}
