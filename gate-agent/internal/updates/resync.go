package updates

import (
	"context"
	"fmt"

	"autogate/internal/wire"
)

// onVersions takes central's retained statement of its latest versions: a
// list (or the configuration) found behind is asked for by tick.
func (u *Updates) onVersions(payload []byte) {
	if len(payload) == 0 {
		return // the retained message was cleared
	}
	f, err := wire.DecodeFleetVersions(payload)
	if err != nil {
		u.refuse("bad_versions", wire.FleetVersionsTopic, err)
		return
	}
	// Unsigned: a forged statement could only make the gate ask for what it
	// has (rate-limited), never apply anything. Only central may publish it.
	for _, n := range names {
		if v, ok := f.Lists[n]; ok {
			u.fleet[n] = v
		}
	}
}

// haves returns the versions the gate holds; lists are left out when the
// replica is missing or cannot be read.
func (u *Updates) haves(ctx context.Context) map[string]int64 {
	out := map[string]int64{wire.ConfigList: u.ConfigVersion()}
	if u.o.Replica == nil {
		return out
	}
	vs, err := u.o.Replica.Versions(ctx)
	if err != nil {
		u.log.Warn("cannot read the replica's versions", "err", err)
		return out
	}
	for _, v := range vs {
		out[v.List] = v.Version
	}
	return out
}

// tick asks central for a resync of every list behind its fleet version
// (or behind an update held out of order) for longer than GapWait, at
// most once per ResyncEvery, doubling while the answers bring nothing.
func (u *Updates) tick(ctx context.Context) {
	now := u.o.Now()
	haves := u.haves(ctx)
	for _, n := range names {
		have, ok := haves[n]
		if !ok {
			continue
		}
		target := u.fleet[n]
		for _, p := range u.pend[n] {
			target = max(target, p.to)
		}
		if have >= target {
			delete(u.behindFrom, n)
			delete(u.askEvery, n)
			u.setBehind(n, "")
			continue
		}
		from, seen := u.behindFrom[n]
		if !seen {
			u.behindFrom[n] = now
			continue
		}
		if now.Sub(from) >= u.o.BehindAlarm {
			u.setBehind(n, fmt.Sprintf("lists_behind: %s at version %d while central has %d; asked central for a resync", n, have, target))
		}
		wait, unanswered := u.askEvery[n]
		if !unanswered {
			wait = u.o.ResyncEvery
		}
		if last, asked := u.lastAsk[n]; now.Sub(from) < u.o.GapWait || (asked && now.Sub(last) < wait) {
			continue
		}
		why := "behind"
		if len(u.pend[n]) > 0 {
			why = "gap"
		}
		u.ask(n, have, why)
		u.lastAsk[n] = now
		if unanswered {
			wait = min(2*wait, maxResyncEvery)
		}
		u.askEvery[n] = wait
	}
}

// progress notes that an update of list was applied: the backoff starts
// over, and a list still behind waits GapWait again (more may be coming).
func (u *Updates) progress(list string) {
	delete(u.askEvery, list)
	if _, ok := u.behindFrom[list]; ok {
		u.behindFrom[list] = u.o.Now()
	}
}

func (u *Updates) setBehind(list, alarm string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if alarm == "" {
		delete(u.behind, list)
		return
	}
	if u.behind[list] == "" {
		u.log.Error("ALARM: "+alarm, "list", list)
	}
	u.behind[list] = alarm
}

// ask publishes a resync request; a failure (no connection) is retried by
// a later tick.
func (u *Updates) ask(list string, have int64, why string) {
	r := wire.ResyncRequest{V: wire.SchemaVersion, Gate: u.o.Gate, List: list, Have: have, Why: why, At: u.o.Now().UTC()}
	if err := u.o.Publish(wire.GateTopic(u.o.Gate, wire.KindResync), 1, false, wire.Encode(r)); err != nil {
		u.log.Warn("cannot ask central for a resync; will retry", "list", list, "have", have, "err", err)
		return
	}
	u.mResync.WithLabelValues(list).Inc()
	u.log.Info("asked central for a resync", "list", list, "have", have, "central_has", u.fleet[list], "why", why)
}
