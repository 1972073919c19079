package verify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Status is a model's verdict.
type Status string

// The verdicts. Anything but StatusPass fails `make models-verify`.
const (
	StatusPass    Status = "PASS"
	StatusFail    Status = "FAIL"    // outputs differ
	StatusMissing Status = "MISSING" // converted model or source script absent
	StatusError   Status = "ERROR"   // a runtime refused or crashed
)

// Result is the verdict on one model.
type Result struct {
	Model  string `json:"model"`
	Status Status `json:"status"`
	// Detail says why a model did not pass.
	Detail  string         `json:"detail,omitempty"`
	ONNX    string         `json:"onnx,omitempty"`
	Script  string         `json:"script"`
	Source  string         `json:"source"`
	Outputs []OutputResult `json:"outputs,omitempty"`
}

// Stage is what a model's check is doing, for progress reports.
type Stage string

// The stages of a check, in order.
const (
	StageONNX   Stage = "onnx"   // Done counts crops
	StageSource Stage = "source" // one Node process: Done 0 then Total
)

// Progress is reported while a model is checked.
type Progress struct {
	Model       string
	Stage       Stage
	Done, Total int
}

// Verifier checks converted models against their source runtimes.
type Verifier struct {
	// CacheDir is models/cache: the ONNX files and the fetched packages.
	CacheDir string
	Runner   NodeRunner
	// MinCosine defaults to MinCosine.
	MinCosine float64
	Progress  func(Progress)
}

// ONNXPath returns the converted model's path.
func (v *Verifier) ONNXPath(spec Spec) string {
	return filepath.Join(v.CacheDir, filepath.FromSlash(spec.ONNX))
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// Check compares the model of spec with its source on the NHWC inputs in
// (preprocessed for spec, one image per crop name).
func (v *Verifier) Check(ctx context.Context, spec Spec, in []float32, crops []string) Result {
	res := Result{Model: spec.Name, Script: spec.Script, Source: spec.Source}
	script := v.Runner.ScriptPath(spec)
	onnxPath := v.ONNXPath(spec)
	res.ONNX = onnxPath
	switch {
	case !fileExists(script):
		res.Status, res.Detail = StatusMissing, fmt.Sprintf("source script %s not found", script)
		return res
	case !fileExists(onnxPath):
		res.Status, res.Detail = StatusMissing, fmt.Sprintf("converted model %s not found: `make models` makes it", onnxPath)
		return res
	}
	n := len(crops)
	if n == 0 {
		res.Status, res.Detail = StatusError, "no crops to compare"
		return res
	}
	if per := spec.Size * spec.Size * 3; len(in) != n*per {
		res.Status, res.Detail = StatusError, fmt.Sprintf("%d input values for %d crops of %d", len(in), n, per)
		return res
	}
	minCos := v.MinCosine
	if minCos == 0 {
		minCos = MinCosine
	}

	done := 0
	v.report(spec, StageONNX, 0, n)
	got, err := runONNX(onnxPath, spec, in, n, func() { done++; v.report(spec, StageONNX, done, n) })
	if err != nil {
		res.Status, res.Detail = StatusError, fmt.Sprintf("ONNX model %s: %v", onnxPath, err)
		return res
	}
	v.report(spec, StageSource, 0, 1)
	flat, err := v.Runner.Run(ctx, spec, v.CacheDir, in, n)
	v.report(spec, StageSource, 1, 1)
	if err != nil {
		res.Status, res.Detail = StatusError, err.Error()
		if errors.Is(err, ErrNodeNotFound) {
			res.Detail = ErrNodeNotFound.Error()
		}
		return res
	}
	sizes := make([]int, len(spec.Outputs))
	for j := range sizes {
		sizes[j] = len(got[0][j])
	}
	ref, err := SplitOutputs(flat, n, sizes)
	if err != nil {
		res.Status, res.Detail = StatusError, err.Error()
		return res
	}
	res.Outputs, err = Compare(spec.Outputs, crops, ref, got, minCos)
	if err != nil {
		res.Status, res.Detail = StatusError, err.Error()
		return res
	}
	res.Status = StatusPass
	var why []string
	for _, o := range res.Outputs {
		if !o.Pass {
			res.Status = StatusFail
			why = append(why, fmt.Sprintf("output %q: worst cosine %.7f on %s, want ≥ %g", o.Name, o.WorstCosine, o.WorstCrop, minCos))
		}
	}
	res.Detail = strings.Join(why, "; ")
	return res
}

func (v *Verifier) report(spec Spec, st Stage, done, total int) {
	if v.Progress != nil {
		v.Progress(Progress{Model: spec.Name, Stage: st, Done: done, Total: total})
	}
}
