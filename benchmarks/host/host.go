package host

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
)

// LoadAverage is /proc/loadavg's 1-minute figure (0 where there is none):
// taken before and after a run, it says whether the machine was busy.
func LoadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _ := strconv.ParseFloat(strings.Fields(string(b) + " 0")[0], 64)
	return f
}

// Profile starts a CPU profile to path ("" profiles nothing); the returned
// function stops it.
func Profile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("creating the CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting the CPU profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
