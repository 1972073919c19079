package main

import (
	"math"
	"slices"
	"time"
)

// latency summarises the durations of one kind of call.
type latency struct {
	N      int     `json:"n"`
	P50MS  float64 `json:"p50_ms"`
	P95MS  float64 `json:"p95_ms"`
	P99MS  float64 `json:"p99_ms"`
	MaxMS  float64 `json:"max_ms"`
	MeanMS float64 `json:"mean_ms"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// summarise takes nearest-rank percentiles: p99 is a duration that 99 %
// of the calls did not exceed.
func summarise(ds []time.Duration) latency {
	if len(ds) == 0 {
		return latency{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(p float64) time.Duration {
		return s[max(0, int(math.Ceil(p*float64(len(s))))-1)]
	}
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return latency{
		N: len(s), P50MS: ms(rank(0.50)), P95MS: ms(rank(0.95)), P99MS: ms(rank(0.99)),
		MaxMS: ms(s[len(s)-1]), MeanMS: ms(sum) / float64(len(s)),
	}
}

// timed runs call and returns how long it took.
func timed(call func()) time.Duration {
	start := time.Now()
	call()
	return time.Since(start)
}

// share is n of total, 0 when there is none.
func share(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return float64(n) / float64(total)
}
