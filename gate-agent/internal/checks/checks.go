package checks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"autogate/gate-agent/internal/config"
	"autogate/gate-agent/internal/flow"
	"autogate/gate-agent/internal/replica"
	"autogate/internal/identity"
	"autogate/internal/lists"
	"autogate/internal/wire"
)

// Reason codes (stable: officers, dashboards and scripts key on them).
const (
	ReasonReplicaEmpty      = "replica_empty"
	ReasonReplicaDamaged    = "replica_damaged"
	ReasonReplicaUnverified = "replica_unverified"
	ReasonReplicaStale      = "replica_stale"

	ReasonDocumentLost    = "document_lost"
	ReasonDocumentStolen  = "document_stolen"
	ReasonDocumentRevoked = "document_revoked"

	ReasonWanted   = "watchlist_wanted"
	ReasonEntryBan = "watchlist_entry_ban"
	ReasonExitBan  = "watchlist_exit_ban"
	ReasonWatch    = "watchlist_watch"

	ReasonNationality      = "nationality_not_admitted"
	ReasonMinor            = "minor"
	ReasonBirthDateUnknown = "birth_date_unknown"
	ReasonVisaMissing      = "visa_missing"
	ReasonVisaExpired      = "visa_expired"
	ReasonVisaEntriesUsed  = "visa_entries_used"
	ReasonOverstay         = "overstay"
	ReasonNoEntryRecorded  = "sequence_no_entry"
	ReasonDoubleEntry      = "sequence_double_entry"
	ReasonNotRegistered    = "not_registered"
	ReasonListUnavailable  = "list_unavailable"
)

// Lists builds the list checks of a gate.
type Lists struct {
	Replica   *replica.Replica
	Monitor   *Monitor
	Policy    config.Policy
	Direction string
}

// Checks returns the checks the policy asks for, the replica's health
// first; without a replica (it could not be opened) only that one, which
// refers everyone.
func (l Lists) Checks() []flow.Check {
	if l.Replica == nil {
		return []flow.Check{replicaCheck{l}}
	}
	out := []flow.Check{
		replicaCheck{l},
		documentListCheck{l},
		watchlistCheck{l},
	}
	if len(l.Policy.Nationalities) > 0 {
		out = append(out, nationalityCheck{l})
	}
	if *l.Policy.MinorAge > 0 {
		out = append(out, minorCheck{l})
	}
	if len(l.Policy.VisaRequired) > 0 && l.Direction == lists.DirectionEntry {
		out = append(out, visaCheck{l})
	}
	if l.Direction == lists.DirectionExit && (len(l.Policy.VisaRequired) > 0 || l.Policy.VisaFreeStayDays > 0) {
		out = append(out, stayCheck{l})
	}
	if l.Policy.Sequence != "off" {
		out = append(out, sequenceCheck{l})
	}
	if len(l.Policy.RegistrationRequired) > 0 {
		out = append(out, registrationCheck{l})
	}
	return out
}

// result turns a list hit's configured action into a check result.
func result(name, action, reason, message string) wire.Check {
	c := wire.Check{Name: name, Reason: reason, Message: message}
	switch action {
	case config.ActionAlert:
		c.Result = wire.ResultAlert
	case config.ActionRefer:
		c.Result = wire.ResultRefer
	default: // notify, pass: the hit travels with the crossing
		c.Result = wire.ResultPass
		if action == config.ActionPass {
			c.Reason = ""
		}
	}
	return c
}

// failed refers a traveller a check could not decide on, and reports the
// replica damaged when the error is not the crossing's own deadline.
func (l Lists) failed(ctx context.Context, name string, err error) wire.Check {
	if ctx.Err() == nil {
		l.Monitor.Damaged(err)
	}
	return flow.Refer(name, ReasonListUnavailable, "the list could not be consulted: %v", err)
}

func (l Lists) citizen(in flow.Input) bool {
	return slices.Contains(l.Policy.Citizens, in.MRZ.Nationality)
}

func today(in flow.Input) time.Time { return in.Now.UTC().Truncate(24 * time.Hour) }

// replicaCheck refers everyone while the replica is not fit to decide on.
type replicaCheck struct{ l Lists }

func (replicaCheck) Name() string { return "lists_replica" }
func (c replicaCheck) Run(_ context.Context, in flow.Input) []wire.Check {
	return []wire.Check{c.run(in)}
}

func (c replicaCheck) run(in flow.Input) wire.Check {
	h := c.l.Monitor.Health(in.Now)
	if !h.OK {
		return flow.Refer(c.Name(), h.Reason, "refer-everyone mode: %s", h.Message)
	}
	return flow.Pass(c.Name())
}

type documentListCheck struct{ l Lists }

func (documentListCheck) Name() string { return "document_list" }
func (c documentListCheck) Run(ctx context.Context, in flow.Input) []wire.Check {
	return []wire.Check{c.run(ctx, in)}
}

func (c documentListCheck) run(ctx context.Context, in flow.Input) wire.Check {
	d, err := c.l.Replica.FindDocument(ctx, in.MRZ.IssuingState, in.MRZ.DocumentNumber)
	if err != nil {
		return c.l.failed(ctx, c.Name(), err)
	}
	if d == nil {
		return flow.Pass(c.Name())
	}
	return result(c.Name(), c.l.Policy.Actions[d.Reason], "document_"+d.Reason,
		fmt.Sprintf("document %s issued by %s is listed as %s (type %s)", d.Number, d.IssuingState, d.Reason, d.Type))
}

// categoryReasons maps a person category to its reason code.
var categoryReasons = map[string]string{
	lists.CategoryWanted: ReasonWanted, lists.CategoryEntryBan: ReasonEntryBan,
	lists.CategoryExitBan: ReasonExitBan, lists.CategoryWatch: ReasonWatch,
}

// actionRank orders actions by severity.
var actionRank = map[string]int{config.ActionPass: 0, config.ActionNotify: 1, config.ActionRefer: 2, config.ActionAlert: 3}

type watchlistCheck struct{ l Lists }

func (watchlistCheck) Name() string { return "watchlist" }
func (c watchlistCheck) Run(ctx context.Context, in flow.Input) []wire.Check {
	return []wire.Check{c.run(ctx, in)}
}

// Query prepares the MRZ holder for a person search.
func Query(d wire.Document) identity.Prepared {
	birth, _ := identity.ParseDate(d.BirthDate) // an unreadable date searches every year
	return identity.Prepare(identity.Person{
		Name:        identity.Name{Surname: d.Surname, Given: d.GivenNames},
		Birth:       birth,
		Nationality: d.Nationality,
	})
}

func (c watchlistCheck) run(ctx context.Context, in flow.Input) wire.Check {
	q := Query(wire.Document{Surname: in.MRZ.Surname, GivenNames: in.MRZ.GivenNames, BirthDate: in.MRZ.BirthDate, Nationality: in.MRZ.Nationality})
	hits, err := c.l.Replica.FindPersons(ctx, q, *c.l.Policy.NameThreshold)
	if err != nil {
		return c.l.failed(ctx, c.Name(), err)
	}
	if len(hits) == 0 {
		return flow.Pass(c.Name())
	}
	// The most severe action decides; every hit is described for the officer.
	worst, action := -1, ""
	var words []string
	for i, h := range hits {
		a := c.l.Policy.Actions[h.Person.Category]
		if worst < 0 || actionRank[a] > actionRank[action] {
			worst, action = i, a
		}
		if i < 5 {
			words = append(words, DescribeHit(h))
		}
	}
	if len(hits) > 5 {
		words = append(words, fmt.Sprintf("and %d more", len(hits)-5))
	}
	r := result(c.Name(), action, categoryReasons[hits[worst].Person.Category], strings.Join(words, " | "))
	r.Scores = map[string]float64{"name_score": hits[worst].Result.Score, "hits": float64(len(hits))}
	return r
}

// DescribeHit puts a person hit in an officer's words.
func DescribeHit(h replica.PersonHit) string {
	p := h.Person
	name := p.Surname + ", " + p.GivenNames
	if h.Alias >= 0 && h.Alias < len(p.Aliases) {
		a := p.Aliases[h.Alias]
		name = fmt.Sprintf("%s, %s (alias of %s, %s)", a.Surname, a.GivenNames, p.Surname, p.GivenNames)
	}
	return fmt.Sprintf("%s: %s born %s %s, score %.2f: %s", strings.ReplaceAll(p.Category, "_", " "), name,
		p.BirthDate, p.Nationality, h.Result.Score, strings.Join(h.Result.Why, "; "))
}

type nationalityCheck struct{ l Lists }

func (nationalityCheck) Name() string { return "nationality" }
func (c nationalityCheck) Run(_ context.Context, in flow.Input) []wire.Check {
	return []wire.Check{c.run(in)}
}

func (c nationalityCheck) run(in flow.Input) wire.Check {
	if slices.Contains(c.l.Policy.Nationalities, in.MRZ.Nationality) {
		return flow.Pass(c.Name())
	}
	return flow.Refer(c.Name(), ReasonNationality, "nationality %q is not admitted at this gate (admitted: %s)",
		in.MRZ.Nationality, strings.Join(c.l.Policy.Nationalities, ", "))
}

type minorCheck struct{ l Lists }

func (minorCheck) Name() string { return "minor" }
func (c minorCheck) Run(_ context.Context, in flow.Input) []wire.Check {
	return []wire.Check{c.run(in)}
}

func (c minorCheck) run(in flow.Input) wire.Check {
	limit := *c.l.Policy.MinorAge
	birth, err := identity.ParseDate(in.MRZ.BirthDate)
	if err != nil || birth.Year == 0 {
		return flow.Refer(c.Name(), ReasonBirthDateUnknown, "birth date %q unknown: the age rule (%d) cannot be checked", in.MRZ.BirthDate, limit)
	}
	// An unknown month or day counts as the latest possible: a traveller
	// who may be a minor is treated as one.
	m, d := birth.Month, birth.Day
	if m == 0 {
		m, d = 12, 31
	} else if d == 0 {
		d = time.Date(birth.Year, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	}
	adult := time.Date(birth.Year+limit, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if today(in).Before(adult) {
		return flow.Refer(c.Name(), ReasonMinor, "traveller born %s is under %d", in.MRZ.BirthDate, limit)
	}
	return flow.Pass(c.Name())
}

// parseDay reads a list's YYYY-MM-DD date (validated when applied).
func parseDay(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

type visaCheck struct{ l Lists }

func (visaCheck) Name() string { return "visa" }
func (c visaCheck) Run(ctx context.Context, in flow.Input) []wire.Check {
	return []wire.Check{c.run(ctx, in)}
}

func (c visaCheck) run(ctx context.Context, in flow.Input) wire.Check {
	if c.l.citizen(in) || !slices.Contains(c.l.Policy.VisaRequired, in.MRZ.Nationality) {
		return flow.Pass(c.Name())
	}
	visas, err := c.l.Replica.Visas(ctx, in.MRZ.IssuingState, in.MRZ.DocumentNumber)
	if err != nil {
		return c.l.failed(ctx, c.Name(), err)
	}
	if len(visas) == 0 {
		return flow.Refer(c.Name(), ReasonVisaMissing, "nationality %s needs a visa or residence permit; none is held for document %s",
			in.MRZ.Nationality, in.MRZ.DocumentNumber)
	}
	day := today(in)
	var expired []string
	for _, v := range visas {
		if day.Before(parseDay(v.ValidFrom)) || day.After(parseDay(v.ValidUntil)) {
			expired = append(expired, fmt.Sprintf("%s %s valid %s to %s", v.Kind, v.ID, v.ValidFrom, v.ValidUntil))
			continue
		}
		if v.Entries > 0 {
			used, err := c.entriesSince(ctx, in, parseDay(v.ValidFrom))
			if err != nil {
				return c.l.failed(ctx, c.Name(), err)
			}
			if used >= v.Entries {
				return flow.Refer(c.Name(), ReasonVisaEntriesUsed, "%s %s allows %d entries; %d recorded since %s",
					v.Kind, v.ID, v.Entries, used, v.ValidFrom)
			}
		}
		r := flow.Pass(c.Name())
		r.Message = fmt.Sprintf("%s %s valid until %s", v.Kind, v.ID, v.ValidUntil)
		return r
	}
	return flow.Refer(c.Name(), ReasonVisaExpired, "no valid visa or permit today: %s", strings.Join(expired, "; "))
}

func (c visaCheck) entriesSince(ctx context.Context, in flow.Input, since time.Time) (int, error) {
	ms, err := c.l.Replica.Movements(ctx, in.MRZ.IssuingState, in.MRZ.DocumentNumber, since, 1000)
	n := 0
	for _, m := range ms {
		if m.Direction == lists.DirectionEntry {
			n++
		}
	}
	return n, err
}

// lastMovement returns the latest movement of the document within the
// policy's window (nil when none).
func (l Lists) lastMovement(ctx context.Context, in flow.Input) (*lists.Movement, error) {
	since := in.Now.AddDate(0, 0, -l.Policy.SequenceWindowDays)
	ms, err := l.Replica.Movements(ctx, in.MRZ.IssuingState, in.MRZ.DocumentNumber, since, 1)
	if err != nil || len(ms) == 0 {
		return nil, err
	}
	return &ms[0], nil
}

// stayCheck refers, at exit, a traveller who stayed longer than permitted.
type stayCheck struct{ l Lists }

func (stayCheck) Name() string { return "stay" }
func (c stayCheck) Run(ctx context.Context, in flow.Input) []wire.Check {
	return []wire.Check{c.run(ctx, in)}
}

func (c stayCheck) run(ctx context.Context, in flow.Input) wire.Check {
	if c.l.citizen(in) {
		return flow.Pass(c.Name())
	}
	last, err := c.l.lastMovement(ctx, in)
	if err != nil {
		return c.l.failed(ctx, c.Name(), err)
	}
	if last == nil || last.Direction != lists.DirectionEntry {
		return flow.Pass(c.Name()) // no entry to measure from: the sequence check's business
	}
	entered := last.At.UTC().Truncate(24 * time.Hour)
	// The days of entry and exit both count as days of stay.
	stayed := int(today(in).Sub(entered).Hours()/24) + 1
	allowed, basis := c.l.Policy.VisaFreeStayDays, "visa-free stay"
	if slices.Contains(c.l.Policy.VisaRequired, in.MRZ.Nationality) {
		visas, err := c.l.Replica.Visas(ctx, in.MRZ.IssuingState, in.MRZ.DocumentNumber)
		if err != nil {
			return c.l.failed(ctx, c.Name(), err)
		}
		allowed, basis = 0, "no visa held"
		for _, v := range visas {
			n := v.StayDays
			until := int(parseDay(v.ValidUntil).Sub(entered).Hours()/24) + 1
			if n == 0 || n > until {
				n = until // a stay never outlasts the visa or permit
			}
			if n > allowed {
				allowed, basis = n, v.Kind+" "+v.ID
			}
		}
	}
	if allowed > 0 && stayed > allowed || basis == "no visa held" {
		return flow.Refer(c.Name(), ReasonOverstay, "entered %s: %d days stayed, %d permitted (%s)",
			entered.Format(time.DateOnly), stayed, allowed, basis)
	}
	return flow.Pass(c.Name())
}

// sequenceCheck refers an exit with no recorded entry and a second entry
// with no exit between.
type sequenceCheck struct{ l Lists }

func (sequenceCheck) Name() string { return "sequence" }
func (c sequenceCheck) Run(ctx context.Context, in flow.Input) []wire.Check {
	return []wire.Check{c.run(ctx, in)}
}

func (c sequenceCheck) run(ctx context.Context, in flow.Input) wire.Check {
	if c.l.Policy.Sequence == "foreigners" && c.l.citizen(in) {
		return flow.Pass(c.Name())
	}
	last, err := c.l.lastMovement(ctx, in)
	if err != nil {
		return c.l.failed(ctx, c.Name(), err)
	}
	switch {
	case c.l.Direction == lists.DirectionExit && (last == nil || last.Direction != lists.DirectionEntry):
		what := "no movement"
		if last != nil {
			what = fmt.Sprintf("the last movement is an exit at %s on %s", last.Gate, last.At.Format(time.DateOnly))
		}
		return flow.Refer(c.Name(), ReasonNoEntryRecorded, "exit with no recorded entry in the last %d days: %s",
			c.l.Policy.SequenceWindowDays, what)
	case c.l.Direction == lists.DirectionEntry && last != nil && last.Direction == lists.DirectionEntry:
		return flow.Refer(c.Name(), ReasonDoubleEntry, "second entry: already entered at %s on %s with no exit recorded since",
			last.Gate, last.At.Format(time.DateOnly))
	}
	return flow.Pass(c.Name())
}

type registrationCheck struct{ l Lists }

func (registrationCheck) Name() string { return "registration" }
func (c registrationCheck) Run(ctx context.Context, in flow.Input) []wire.Check {
	return []wire.Check{c.run(ctx, in)}
}

func (c registrationCheck) run(ctx context.Context, in flow.Input) wire.Check {
	code := in.MRZ.DocumentCode
	if !slices.ContainsFunc(c.l.Policy.RegistrationRequired, func(p string) bool { return strings.HasPrefix(code, p) }) {
		return flow.Pass(c.Name())
	}
	reg, err := c.l.Replica.Registration(ctx, in.MRZ.IssuingState, in.MRZ.DocumentNumber)
	if err != nil {
		return c.l.failed(ctx, c.Name(), err)
	}
	if reg == nil {
		return flow.Refer(c.Name(), ReasonNotRegistered, "document code %s needs a registered traveller; document %s is not enrolled", code, in.MRZ.DocumentNumber)
	}
	if today(in).After(parseDay(reg.ValidUntil)) {
		return flow.Refer(c.Name(), ReasonNotRegistered, "registration (%s) of document %s ended on %s", reg.Programme, in.MRZ.DocumentNumber, reg.ValidUntil)
	}
	return flow.Pass(c.Name())
}
