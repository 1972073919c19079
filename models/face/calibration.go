package face

import (
	_ "embed"
	"fmt"
	"math"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// Level is a security level: the false match rate the decision threshold
// is chosen for.
type Level string

// The security levels calibrated. The gate configuration picks one.
const (
	Level1       Level = "1%"
	Level01      Level = "0.1%"
	Level001     Level = "0.01%"
	DefaultLevel       = Level01
)

// Levels lists the calibrated levels, loosest first.
var Levels = []Level{Level1, Level01, Level001}

// FMR returns the target false match rate of the level as a fraction.
func (l Level) FMR() (float64, error) {
	switch l {
	case Level1:
		return 0.01, nil
	case Level01:
		return 0.001, nil
	case Level001:
		return 0.0001, nil
	}
	return 0, fmt.Errorf("face: unknown security level %q (want one of %q)", string(l), Levels)
}

// Metrics of a model's raw score.
const (
	MetricCosine = "cosine" // cosine similarity of the embeddings
	MetricL2     = "l2"     // negated Euclidean distance, so higher is more alike
)

// Calibration holds what models/cmd/calibrate fitted: per model, the
// impostor mean and spread that z-normalise its score and its weight in
// the fusion; per level, the fused-score threshold.
type Calibration struct {
	// Provenance says when, on which data and from how many pairs the
	// constants were fitted.
	Provenance string             `toml:"provenance"`
	Models     []ModelCalibration `toml:"model"`
	Levels     []LevelThreshold   `toml:"level"`
}

// ModelCalibration is one embedder's normalisation and fusion weight.
type ModelCalibration struct {
	Name   string `toml:"name"`
	Metric string `toml:"metric"`
	// Mean and Std of the raw score over impostor pairs (z-norm).
	Mean   float64 `toml:"impostor_mean"`
	Std    float64 `toml:"impostor_std"`
	Weight float64 `toml:"weight"`
}

// LevelThreshold is the fused-score threshold of one level, with the error
// rates measured at it on identities the threshold was not chosen on.
type LevelThreshold struct {
	Level     Level   `toml:"level"`
	Threshold float64 `toml:"threshold"`
	// HeldOutFMR and HeldOutFNMR were measured on the held-back half.
	HeldOutFMR  float64 `toml:"held_out_fmr"`
	HeldOutFNMR float64 `toml:"held_out_fnmr"`
}

//go:embed calibration.toml
var calibrationTOML []byte

// ShippedCalibration parses the calibration embedded in the binary.
func ShippedCalibration() (*Calibration, error) {
	return ParseCalibration(calibrationTOML)
}

// ParseCalibration reads and checks a calibration file.
func ParseCalibration(b []byte) (*Calibration, error) {
	var c Calibration
	dec := toml.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("face: calibration: %w", err)
	}
	if err := c.Check(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Check refuses a calibration that could not score: no models, a zero
// spread, an unknown metric, a missing level.
func (c *Calibration) Check() error {
	if len(c.Models) == 0 {
		return fmt.Errorf("face: calibration names no model")
	}
	for _, m := range c.Models {
		if m.Metric != MetricCosine && m.Metric != MetricL2 {
			return fmt.Errorf("face: calibration of %q: unknown metric %q", m.Name, m.Metric)
		}
		if !(m.Std > 0) || math.IsInf(m.Std, 0) || math.IsNaN(m.Mean) || !(m.Weight >= 0) {
			return fmt.Errorf("face: calibration of %q: impostor std %g, weight %g are not usable", m.Name, m.Std, m.Weight)
		}
	}
	var wsum float64
	for _, m := range c.Models {
		wsum += m.Weight
	}
	if !(wsum > 0) {
		return fmt.Errorf("face: calibration gives no model a fusion weight")
	}
	for _, l := range Levels {
		if _, err := c.Threshold(l); err != nil {
			return err
		}
	}
	return nil
}

// Threshold returns the fused-score threshold of a level.
func (c *Calibration) Threshold(l Level) (float64, error) {
	for _, t := range c.Levels {
		if t.Level == l {
			if math.IsNaN(t.Threshold) || math.IsInf(t.Threshold, 0) {
				return 0, fmt.Errorf("face: calibration: threshold of level %q is %g", l, t.Threshold)
			}
			return t.Threshold, nil
		}
	}
	return 0, fmt.Errorf("face: calibration has no threshold for level %q", string(l))
}

// Marshal writes the calibration as TOML under a header comment.
func (c *Calibration) Marshal(header string) ([]byte, error) {
	body, err := toml.Marshal(c)
	if err != nil {
		return nil, err
	}
	var sb strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(header), "\n") {
		sb.WriteString("# " + line + "\n")
	}
	sb.WriteString("\n")
	sb.Write(body)
	return []byte(sb.String()), nil
}

// weight is the fusion weight of the named model, 0 when it is not
// calibrated.
func (c *Calibration) weight(name string) float64 {
	for _, m := range c.Models {
		if m.Name == name {
			return m.Weight
		}
	}
	return 0
}

// RawScore is a model's similarity of two embeddings under its metric,
// higher meaning more alike.
func RawScore(metric string, a, b []float32) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return math.NaN()
	}
	switch metric {
	case MetricCosine:
		var dot, na, nb float64
		for i := range a {
			dot += float64(a[i]) * float64(b[i])
			na += float64(a[i]) * float64(a[i])
			nb += float64(b[i]) * float64(b[i])
		}
		if na == 0 || nb == 0 {
			return math.NaN()
		}
		return dot / math.Sqrt(na*nb)
	case MetricL2:
		var s float64
		for i := range a {
			d := float64(a[i]) - float64(b[i])
			s += d * d
		}
		return -math.Sqrt(s)
	}
	return math.NaN()
}

// Fuse returns the z-normalised score of each model and their weighted
// sum. A model missing from either side, or a score that is not a number,
// makes the fused score NaN, which never passes a threshold.
func (c *Calibration) Fuse(a, b map[string][]float32) (fused float64, perModel map[string]float64) {
	perModel = make(map[string]float64, len(c.Models))
	var wsum float64
	for _, m := range c.Models {
		if m.Weight == 0 {
			// Not part of the fusion: EnrolFace does not compute it.
			continue
		}
		z := (RawScore(m.Metric, a[m.Name], b[m.Name]) - m.Mean) / m.Std
		perModel[m.Name] = z
		fused += m.Weight * z
		wsum += m.Weight
	}
	if !(wsum > 0) {
		return math.NaN(), perModel
	}
	return fused / wsum, perModel
}
