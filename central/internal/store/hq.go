package store

import (
	"context"
	"time"
)

// HourCount is one gate's crossings in one hour.
type HourCount struct {
	Gate      string    `json:"gate"`
	Post      string    `json:"post"`
	Hour      time.Time `json:"hour"` // start of the hour, UTC
	Crossings int       `json:"crossings"`
	Refers    int       `json:"refers"`
}

// Throughput returns crossings per gate and hour for crossings started at
// or after since (hours without crossings are absent).
func (s *Store) Throughput(ctx context.Context, since time.Time) ([]HourCount, error) {
	return nil, ErrNotImplemented
}

// Timing is where one gate's crossings took their time.
type Timing struct {
	Gate    string  `json:"gate"`
	Post    string  `json:"post"`
	N       int     `json:"n"`
	MedianS float64 `json:"median_s"` // crossing time, started_at to ended_at
	P95S    float64 `json:"p95_s"`
	// StageMeanS is the mean seconds of each stage (document, checks,
	// decision, door, record...).
	StageMeanS    map[string]float64 `json:"stage_mean_s"`
	DeviceMeanS   float64            `json:"device_mean_s"`
	SoftwareMeanS float64            `json:"software_mean_s"`
}

// Timings returns the crossing-time figures of every gate over the
// crossings started at or after since.
func (s *Store) Timings(ctx context.Context, since time.Time) ([]Timing, error) {
	return nil, ErrNotImplemented
}

// ReasonCount is how many referred crossings of a gate named a reason.
type ReasonCount struct {
	Gate   string `json:"gate"`
	Post   string `json:"post"`
	Reason string `json:"reason"`
	N      int    `json:"n"`
}

// ReferralReasons counts the refer reasons of crossings started at or
// after since (a crossing with two reasons counts once for each).
func (s *Store) ReferralReasons(ctx context.Context, since time.Time) ([]ReasonCount, error) {
	return nil, ErrNotImplemented
}
