package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"autogate/internal/wire"
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
	// started_at is timeLayout text in UTC: its first 13 characters,
	// "2006-01-02T15", are the hour.
	rows, err := s.db.QueryContext(ctx, `SELECT gate, post, substr(started_at, 1, 13) AS hour,
		count(*), coalesce(sum(decision = 'refer'), 0)
		FROM crossings WHERE started_at >= ?
		GROUP BY gate, post, hour ORDER BY hour, post, gate`, formatTime(since))
	if err != nil {
		return nil, fmt.Errorf("store %s: crossings per hour since %s: %w", s.path, since, err)
	}
	defer rows.Close()
	out := []HourCount{}
	for rows.Next() {
		var h HourCount
		var hour string
		if err := rows.Scan(&h.Gate, &h.Post, &hour, &h.Crossings, &h.Refers); err != nil {
			return nil, fmt.Errorf("store %s: crossings per hour: %w", s.path, err)
		}
		if h.Hour, err = time.Parse(hourLayout, hour); err != nil {
			return nil, fmt.Errorf("store %s: crossings per hour: started_at hour %q: %w", s.path, hour, err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// stageSpan is one stage of a crossing: its name and length.
type stageSpan struct {
	name    string
	seconds float64
}

// stageSpans reads a crossings.stages column into buf (reused). The column
// is json.Marshal of []wire.Stage (encodeCrossing), and encoding/json
// takes most of Timings' time over a day of crossings, so that exact shape
// is read by hand; anything else (an escape in a name, another layout)
// goes through encoding/json.
func stageSpans(col string, buf []stageSpan) ([]stageSpan, error) {
	if out, ok := stageSpansFast(col, buf[:0]); ok {
		return out, nil
	}
	var stages []wire.Stage
	if err := json.Unmarshal([]byte(col), &stages); err != nil {
		return nil, err
	}
	out := buf[:0]
	for _, st := range stages {
		out = append(out, stageSpan{st.Name, st.End.Sub(st.Start).Seconds()})
	}
	return out, nil
}

func stageSpansFast(col string, out []stageSpan) ([]stageSpan, bool) {
	rest, ok := strings.CutPrefix(col, "[")
	if !ok {
		return nil, false
	}
	if rest == "]" {
		return out, true
	}
	for {
		var name, start, end string
		if name, rest, ok = jsonStringField(rest, `{"name":"`); !ok {
			return nil, false
		}
		if start, rest, ok = jsonStringField(rest, `,"start":"`); !ok {
			return nil, false
		}
		if end, rest, ok = jsonStringField(rest, `,"end":"`); !ok {
			return nil, false
		}
		// UnmarshalText parses as strictly as encoding/json does.
		var t1, t2 time.Time
		if t1.UnmarshalText([]byte(start)) != nil || t2.UnmarshalText([]byte(end)) != nil {
			return nil, false
		}
		out = append(out, stageSpan{name, t2.Sub(t1).Seconds()})
		if rest == "}]" {
			return out, true
		}
		if rest, ok = strings.CutPrefix(rest, "},"); !ok {
			return nil, false
		}
	}
}

// jsonStringField cuts prefix (which ends with a string's opening quote)
// and the string's value up to its closing quote. A value encoding/json
// would change or refuse (an escape, a control character, invalid UTF-8)
// is not read here.
func jsonStringField(s, prefix string) (val, rest string, ok bool) {
	if s, ok = strings.CutPrefix(s, prefix); !ok {
		return "", "", false
	}
	i := strings.IndexByte(s, '"')
	if i < 0 {
		return "", "", false
	}
	for j := 0; j < i; j++ {
		if s[j] < 0x20 || s[j] == '\\' {
			return "", "", false
		}
	}
	if !utf8.ValidString(s[:i]) {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// hourLayout is the hour prefix of timeLayout.
const hourLayout = "2006-01-02T15"

// idleStage is the lane's wait for the traveller, before the crossing
// starts: it is no part of where a crossing's time goes.
const idleStage = "idle"

// Timing is where one gate's crossings took their time (Gate "": all the
// crossings of the post).
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
// crossings started at or after since, and for every post a row with Gate
// "" over all its crossings (a post's median and p95 are its own, not
// sums of its gates').
//
// The median is the middle crossing time (the mean of the two middle ones
// for an even count) and p95 the nearest-rank 95th percentile: the
// ceil(0.95·N)-th smallest. A stage's mean is over the crossings that went
// through it.
func (s *Store) Timings(ctx context.Context, since time.Time) ([]Timing, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT gate, post, started_at, ended_at, stages, device_ms, software_ms
		FROM crossings WHERE started_at >= ?`, formatTime(since))
	if err != nil {
		return nil, fmt.Errorf("store %s: crossing times since %s: %w", s.path, since, err)
	}
	defer rows.Close()
	type acc struct {
		t         Timing
		durations []float64
		stageSum  map[string]float64
		stageN    map[string]int
		dev, soft float64
	}
	byGate := map[[2]string]*acc{}
	var spans []stageSpan
	for rows.Next() {
		var gate, post, started, ended, stagesJSON string
		var dev, soft float64
		if err := rows.Scan(&gate, &post, &started, &ended, &stagesJSON, &dev, &soft); err != nil {
			return nil, fmt.Errorf("store %s: crossing times: %w", s.path, err)
		}
		st, err1 := parseTime(started)
		en, err2 := parseTime(ended)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("store %s: crossing times: unreadable times %q, %q", s.path, started, ended)
		}
		if spans, err = stageSpans(stagesJSON, spans); err != nil {
			return nil, fmt.Errorf("store %s: crossing times: stages column: %w", s.path, err)
		}
		for _, k := range [][2]string{{gate, post}, {"", post}} {
			a := byGate[k]
			if a == nil {
				a = &acc{t: Timing{Gate: k[0], Post: post}, stageSum: map[string]float64{}, stageN: map[string]int{}}
				byGate[k] = a
			}
			a.durations = append(a.durations, en.Sub(st).Seconds())
			a.dev += dev
			a.soft += soft
			for _, sp := range spans {
				if sp.name == idleStage {
					continue
				}
				a.stageSum[sp.name] += sp.seconds
				a.stageN[sp.name]++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store %s: crossing times: %w", s.path, err)
	}
	out := make([]Timing, 0, len(byGate))
	for _, a := range byGate {
		t := a.t
		n := len(a.durations)
		t.N = n
		slices.Sort(a.durations)
		if n%2 == 1 {
			t.MedianS = a.durations[n/2]
		} else {
			t.MedianS = (a.durations[n/2-1] + a.durations[n/2]) / 2
		}
		t.P95S = a.durations[int(math.Ceil(0.95*float64(n)))-1]
		t.StageMeanS = make(map[string]float64, len(a.stageSum))
		for name, sum := range a.stageSum {
			t.StageMeanS[name] = sum / float64(a.stageN[name])
		}
		t.DeviceMeanS = a.dev / float64(n) / 1000
		t.SoftwareMeanS = a.soft / float64(n) / 1000
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Post != out[j].Post {
			return out[i].Post < out[j].Post
		}
		return out[i].Gate < out[j].Gate
	})
	return out, nil
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
// A referred crossing that names no reason (every check passed, e.g. a
// gate referring everyone) counts under ReferReasonUnspecified.
func (s *Store) ReferralReasons(ctx context.Context, since time.Time) ([]ReasonCount, error) {
	// Grouped by the whole reasons text first: few distinct combinations,
	// so Go splits a handful of strings, not every crossing's.
	rows, err := s.db.QueryContext(ctx, `SELECT gate, post, refer_reasons, count(*)
		FROM crossings WHERE started_at >= ? AND decision = 'refer'
		GROUP BY gate, post, refer_reasons`, formatTime(since))
	if err != nil {
		return nil, fmt.Errorf("store %s: refer reasons since %s: %w", s.path, since, err)
	}
	defer rows.Close()
	counts := map[ReasonCount]int{} // keyed with N zero
	for rows.Next() {
		var k ReasonCount
		var reasons string
		var n int
		if err := rows.Scan(&k.Gate, &k.Post, &reasons, &n); err != nil {
			return nil, fmt.Errorf("store %s: refer reasons: %w", s.path, err)
		}
		seen := map[string]bool{}
		for _, r := range strings.Split(reasons, ",") {
			if r == "" {
				r = ReferReasonUnspecified
			}
			if seen[r] { // two checks giving one reason: one crossing
				continue
			}
			seen[r] = true
			k.Reason = r
			counts[k] += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store %s: refer reasons: %w", s.path, err)
	}
	out := make([]ReasonCount, 0, len(counts))
	for k, n := range counts {
		k.N = n
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.Post != b.Post:
			return a.Post < b.Post
		case a.Gate != b.Gate:
			return a.Gate < b.Gate
		case a.N != b.N:
			return a.N > b.N
		}
		return a.Reason < b.Reason
	})
	return out, nil
}

// ReferReasonUnspecified stands for a referral whose crossing names no reason.
const ReferReasonUnspecified = "unspecified"
