package identity

import "strconv"

// DefaultThreshold is the score from which a comparison is a hit. It sits
// at the bottom of what one deviation leaves, so any single one stays a
// hit: a letter slip (3-token name ≈ 0.97), a missing middle name (≈ 0.94),
// a partial birth date (0.92–0.95), a name cut by the MRZ (≈ 0.92), a birth
// year off by one (0.87). Two deviations together may fall below it (a
// missing middle name with a year off by one ≈ 0.82; a letter slip with a
// year off by one ≈ 0.84), and so do the near-misses: an exact name with the
// same birth year but another month and day (0.5), a name sharing one token
// of two (≤ 0.55). match_test.go holds these cases.
const DefaultThreshold = 0.85

// Result is a comparison of a query with a record.
type Result struct {
	Score float64 // 0–1; a hit from DefaultThreshold (or the configured one)
	Name  float64 // name similarity 0–1
	Date  float64 // birth-date factor 0–1
	// Why explains the score in words an officer reads, one reason each,
	// e.g. "surname NGUYEN = NGUYEN", "given name ANH ~ ANHH (1 letter
	// differs)", "names in swapped order", "birth day unknown on a side; the
	// rest agrees (query 1975-06-12, record 1975-06-00)".
	Why []string
}

// Name weights: a token's weight is set by its part on the record (the
// query's, for a query token left unmatched). A surname says more about
// who someone is than a given name.
const (
	weightSurname = 1.0
	weightGiven   = 0.75
)

// Penalties for tokens left unmatched, as a share of their weight. A token
// only one side has is a missing middle name or second surname: a small
// cost, larger for a record's surname. Tokens unmatched on both sides are a
// contradiction (MOHAMMED ALI vs MOHAMMED HASSAN): they count in full.
const (
	penaltyMissingSurname = 0.3
	penaltyMissingGiven   = 0.15
	penaltyExtraQuery     = 0.15
)

// Token similarities, per kind of agreement. Pairs below minPairSim are
// not paired: a one-letter slip in a 4-letter token (JOHN, JOAN) is another
// name more often than a slip.
const (
	minPairSim        = 0.8
	simTruncated      = 0.95 // a last token cut by the MRZ's length
	simShortTruncated = 0.85 // cut to 2 letters
	simInitial        = 0.85
	simSlipLong       = 0.94 // 1 edit, 8 letters or more
	simSlip           = 0.92 // 1 edit, 5–7 letters
	simSlipShort      = 0.78 // 1 edit, 4 letters: below minPairSim
	simTwoSlipsLong   = 0.86 // 2 edits, 8 letters or more
	simConsonants     = 0.88 // vowel-less (Arabic script) token, same consonants
)

// swappedFactor: a name matched only across parts (surname against given
// name) ranks just below the same name in order.
const swappedFactor = 0.98

// nationalityFactor applies when both sides name a different nationality.
const nationalityFactor = 0.95

// Limits of one comparison: tokens past maxPartTokens in a part are not
// compared, nor are edit distances of tokens longer than maxTokenLen.
const (
	maxPartTokens = 8
	maxSlots      = 2 * maxPartTokens
	maxTokenLen   = 40
)

type matchKind uint8

const (
	kindNone matchKind = iota
	kindExact
	kindSlip
	kindSwap // adjacent letters swapped
	kindTruncatedQuery
	kindTruncatedRecord
	kindInitial
	kindConsonants
)

// tokenMatch is how a query token compares with a record token: the best
// over their transliteration variants.
type tokenMatch struct {
	sim    float32
	kind   matchKind
	edits  uint8
	qv, rv uint8 // variants that gave it
}

// slot is one token position of a side: its part (0 surname, 1 given), its
// index in the part, and whether it is the part's last token.
type slot struct {
	part, index uint8
	last        bool
}

// side is a Prepared seen token by token.
type side struct {
	parts [2][][]string // surname, given names
	n     int
	slots [maxSlots]slot
}

func (s *side) init(p *Prepared) {
	s.parts = [2][][]string{p.Surname, p.Given}
	for part, vs := range s.parts {
		if len(vs) == 0 {
			continue
		}
		tokens := min(len(vs[0]), maxPartTokens)
		for i := 0; i < tokens; i++ {
			s.slots[s.n] = slot{part: uint8(part), index: uint8(i), last: i == len(vs[0])-1}
			s.n++
		}
	}
}

func (s *side) part(k int) [][]string {
	return s.parts[s.slots[k].part]
}

func (s *side) token(k, variant int) string {
	return s.part(k)[variant][s.slots[k].index]
}

func (s *side) weight(k int) float64 {
	if s.slots[k].part == 0 {
		return weightSurname
	}
	return weightGiven
}

// comparison is the work of one Match: the token pairs chosen and the
// figures they give.
type comparison struct {
	q, r             side
	pairs            [maxSlots][maxSlots]tokenMatch
	pairedQ, pairedR [maxSlots]int8 // the other side's slot, or -1
	name             float64
	crossed          [2]bool // a query token of this part matched the other part
	swapped          bool
	conflict         bool
}

// Match compares a query (e.g. from an MRZ, possibly truncated) with a
// record: Score = Name × Date × nationality factor, with the reasons. Name
// tokens are pooled across surname and given names (order-independent),
// each query token paired with at most one record token, best pairs first.
func Match(query, record Prepared) Result {
	var c comparison
	c.run(&query, &record)
	date, dateWhy := dateFactor(query.Birth, record.Birth)
	res := Result{Name: c.name, Date: date, Score: c.score(&query, &record, date)}
	res.Why = c.explain(&query, &record, dateWhy)
	return res
}

// MatchScore is Match's score without the reasons, allocation-free: for
// ranking many candidates before explaining the few that reach the
// threshold.
func MatchScore(query, record Prepared) float64 {
	var c comparison
	c.run(&query, &record)
	date, _ := dateFactor(query.Birth, record.Birth)
	return c.score(&query, &record, date)
}

func (c *comparison) score(query, record *Prepared, date float64) float64 {
	s := c.name * date
	if c.swapped {
		s *= swappedFactor
	}
	if query.Nationality != "" && record.Nationality != "" && query.Nationality != record.Nationality {
		s *= nationalityFactor
	}
	return s
}

func (c *comparison) run(query, record *Prepared) {
	c.q.init(query)
	c.r.init(record)
	for i := 0; i < c.q.n; i++ {
		for j := 0; j < c.r.n; j++ {
			c.pairs[i][j] = c.compareSlots(i, j)
		}
	}
	for i := range c.pairedQ {
		c.pairedQ[i], c.pairedR[i] = -1, -1
	}
	// Greedy assignment, best pair first; among equals, a pair within the
	// same part (surname with surname) wins.
	var matchedW, matchedS float64
	for {
		bi, bj, best := -1, -1, float32(0)
		for i := 0; i < c.q.n; i++ {
			if c.pairedQ[i] >= 0 {
				continue
			}
			for j := 0; j < c.r.n; j++ {
				sim := c.pairs[i][j].sim
				if c.pairedR[j] >= 0 || sim < minPairSim {
					continue
				}
				if c.q.slots[i].part == c.r.slots[j].part {
					sim += 0.001
				}
				if sim > best {
					bi, bj, best = i, j, sim
				}
			}
		}
		if bi < 0 {
			break
		}
		c.pairedQ[bi], c.pairedR[bj] = int8(bj), int8(bi)
		w := c.r.weight(bj)
		matchedW += w
		matchedS += w * float64(c.pairs[bi][bj].sim)
		if qp := c.q.slots[bi].part; qp != c.r.slots[bj].part {
			c.crossed[qp] = true
		}
	}
	// Surname matched to given name and given name to surname: the parts
	// were swapped. One way only: a name placed in the other part (a
	// middle name counted as the surname's).
	c.swapped = c.crossed[0] && c.crossed[1]
	if matchedW == 0 {
		return
	}
	var missingR, missingQ, penalty float64
	for j := 0; j < c.r.n; j++ {
		if c.pairedR[j] < 0 {
			missingR += c.r.weight(j)
			if c.r.slots[j].part == 0 {
				penalty += penaltyMissingSurname * c.r.weight(j)
			} else {
				penalty += penaltyMissingGiven * c.r.weight(j)
			}
		}
	}
	for i := 0; i < c.q.n; i++ {
		if c.pairedQ[i] < 0 {
			missingQ += c.q.weight(i)
			penalty += penaltyExtraQuery * c.q.weight(i)
		}
	}
	if missingR > 0 && missingQ > 0 {
		c.conflict = true
		penalty = missingR + missingQ
	}
	c.name = matchedS / (matchedW + penalty)
}

// compareSlots compares query slot i with record slot j over their
// variants, keeping the best.
func (c *comparison) compareSlots(i, j int) tokenMatch {
	var best tokenMatch
	qs, rs := c.q.slots[i], c.r.slots[j]
	qPart, rPart := c.q.part(i), c.r.part(j)
	for qv, qTokens := range qPart {
		if len(qTokens) != len(qPart[0]) {
			continue
		}
		for rv, rTokens := range rPart {
			if len(rTokens) != len(rPart[0]) {
				continue
			}
			m := compareTokens(qTokens[qs.index], rTokens[rs.index], qs.last, rs.last)
			if m.sim > best.sim {
				best = m
				best.qv, best.rv = uint8(qv), uint8(rv)
				if m.kind == kindExact {
					return best
				}
			}
		}
	}
	return best
}

// compareTokens compares two tokens in the MRZ alphabet. qLast and rLast
// say the token ends its part on its side, where an MRZ may have cut it.
func compareTokens(q, r string, qLast, rLast bool) tokenMatch {
	if q == "" || r == "" {
		return tokenMatch{} // only a hand-made Prepared holds empty tokens
	}
	if q == r {
		return tokenMatch{sim: 1, kind: kindExact}
	}
	if m, ok := truncation(q, r, qLast, kindTruncatedQuery); ok {
		return m
	}
	if m, ok := truncation(r, q, rLast, kindTruncatedRecord); ok {
		return m
	}
	if len(q) == 1 || len(r) == 1 {
		if q[0] == r[0] {
			return tokenMatch{sim: simInitial, kind: kindInitial}
		}
		return tokenMatch{}
	}
	var best tokenMatch
	long := max(len(q), len(r))
	// Only 1 edit in 4+ letters or 2 edits in 8+ letters can pair: skip
	// the distance where neither is possible.
	diff := max(len(q)-len(r), len(r)-len(q))
	if long >= 4 && long <= maxTokenLen && (diff <= 1 || (diff == 2 && long >= 8)) {
		edits, swap := editDistance(q, r)
		var sim float32
		switch {
		case edits == 1 && long >= 8:
			sim = simSlipLong
		case edits == 1 && long >= 5:
			sim = simSlip
		case edits == 1 && long == 4:
			sim = simSlipShort
		case edits == 2 && long >= 8:
			sim = simTwoSlipsLong
		}
		if sim > 0 {
			best = tokenMatch{sim: sim, kind: kindSlip, edits: uint8(edits)}
			if swap && edits == 1 {
				best.kind = kindSwap
			}
		}
	}
	if simConsonants > best.sim && (abjadLike(q) || abjadLike(r)) && sameConsonants(q, r) {
		best = tokenMatch{sim: simConsonants, kind: kindConsonants}
	}
	return best
}

// truncation reports cut as a prefix of full, where cut ends its part.
func truncation(cut, full string, last bool, kind matchKind) (tokenMatch, bool) {
	if !last || len(cut) < 2 || len(cut) >= len(full) || full[:len(cut)] != cut {
		return tokenMatch{}, false
	}
	if len(cut) == 2 {
		return tokenMatch{sim: simShortTruncated, kind: kind}, true
	}
	return tokenMatch{sim: simTruncated, kind: kind}, true
}

func hasVowel(t string) bool {
	for i := 0; i < len(t); i++ {
		if isVowelLetter(t[i]) {
			return true
		}
	}
	return false
}

// abjadLike reports a token without vowels, or of 4 letters or more with
// at most one vowel in three: how the transliteration of an Arabic-script
// name looks, which writes long vowels only (HSN, MHMD, AHMD, EBDALLH).
func abjadLike(t string) bool {
	vowels := 0
	for i := 0; i < len(t); i++ {
		if isVowelLetter(t[i]) {
			vowels++
		}
	}
	return vowels == 0 || (len(t) >= 4 && 3*vowels <= len(t))
}

// sameConsonants compares two tokens by their consonants (W and Y, which
// write Arabic long vowels, left out; a doubled letter made single; the X
// escapes of a vowel-less token skipped): how an Arabic-script
// transliteration (MHMD, MXHMD, EBDALLH) meets a transcription (MOHAMMED,
// ABDULLAH). At least two consonants must agree.
func sameConsonants(a, b string) bool {
	var bufA, bufB [maxTokenLen]byte
	ca, cb := consonants(a, &bufA), consonants(b, &bufB)
	return len(ca) >= 2 && string(ca) == string(cb)
}

func consonants(t string, buf *[maxTokenLen]byte) []byte {
	abjad := !hasVowel(t)
	out := buf[:0]
	for i := 0; i < len(t) && len(out) < len(buf); i++ {
		c := t[i]
		if isVowelLetter(c) || c == 'W' || c == 'Y' || (abjad && c == 'X') || (i > 0 && t[i-1] == c) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// editDistance is the optimal-string-alignment distance of a and b
// (insertions, deletions, substitutions, adjacent transpositions), counted
// up to 3; swap says a transposition was used. Both are at most
// maxTokenLen letters.
func editDistance(a, b string) (int, bool) {
	var rows [3][maxTokenLen + 1]uint8
	var swapRows [3][maxTokenLen + 1]bool
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	sw2, sw1, sw := &swapRows[0], &swapRows[1], &swapRows[2]
	for j := 0; j <= len(b); j++ {
		prev[j] = uint8(j)
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = uint8(i)
		sw[0] = false
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := uint8(1)
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d, s := prev[j-1]+cost, sw1[j-1]
			if v := prev[j] + 1; v < d {
				d, s = v, sw1[j]
			}
			if v := cur[j-1] + 1; v < d {
				d, s = v, sw[j-1]
			}
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] && a[i-1] != b[j-1] {
				if v := prev2[j-2] + 1; v < d {
					d, s = v, true
				}
			}
			cur[j], sw[j] = d, s
			rowMin = min(rowMin, d)
		}
		if rowMin > 2 {
			return 3, false
		}
		prev2, prev, cur = prev, cur, prev2
		sw2, sw1, sw = sw1, sw, sw2
	}
	return min(int(prev[len(b)]), 3), sw1[len(b)]
}

// explain turns a comparison into an officer's reasons.
func (c *comparison) explain(query, record *Prepared, dateWhy string) []string {
	why := make([]string, 0, c.q.n+c.r.n+3)
	if c.q.n == 0 || c.r.n == 0 {
		why = append(why, "no name to compare: the query or the record has no letter in its name")
	}
	for i := 0; i < c.q.n; i++ {
		if j := c.pairedQ[i]; j >= 0 {
			why = append(why, c.explainPair(i, int(j)))
		}
	}
	for j := 0; j < c.r.n; j++ {
		if c.pairedR[j] < 0 {
			why = append(why, "record "+partName(c.r.slots[j].part)+" "+c.r.token(j, 0)+" not in the query")
		}
	}
	for i := 0; i < c.q.n; i++ {
		if c.pairedQ[i] < 0 {
			why = append(why, "query "+partName(c.q.slots[i].part)+" "+c.q.token(i, 0)+" not on the record")
		}
	}
	if c.conflict {
		why = append(why, "names differ: tokens unmatched on both sides")
	}
	switch {
	case c.swapped:
		why = append(why, "names in swapped order")
	case c.crossed[0] || c.crossed[1]:
		why = append(why, "a name is a surname on one side and a given name on the other")
	}
	switch {
	case query.Birth == (Date{}) && record.Birth == (Date{}):
		why = append(why, dateWhy)
	case query.Birth == record.Birth:
		why = append(why, dateWhy+" ("+record.Birth.String()+")")
	default:
		why = append(why, dateWhy+" (query "+query.Birth.String()+", record "+record.Birth.String()+")")
	}
	if query.Nationality != "" && record.Nationality != "" && query.Nationality != record.Nationality {
		why = append(why, "nationality differs ("+query.Nationality+" vs "+record.Nationality+")")
	}
	return why
}

func partName(part uint8) string {
	if part == 0 {
		return "surname"
	}
	return "given name"
}

func (c *comparison) explainPair(i, j int) string {
	m := c.pairs[i][j]
	qt, rt := c.q.token(i, int(m.qv)), c.r.token(j, int(m.rv))
	role := partName(c.r.slots[j].part)
	var s string
	switch m.kind {
	case kindExact:
		s = role + " " + qt + " = " + rt
	case kindSlip:
		s = role + " " + qt + " ~ " + rt + " (" + strconv.Itoa(int(m.edits)) + " letter" + plural(int(m.edits)) + " differ" + verbS(int(m.edits)) + ")"
	case kindSwap:
		s = role + " " + qt + " ~ " + rt + " (2 adjacent letters swapped)"
	case kindTruncatedQuery:
		s = role + " " + qt + " = " + rt + " (" + partName(c.q.slots[i].part) + " truncated in the query)"
	case kindTruncatedRecord:
		s = role + " " + qt + " = " + rt + " (" + role + " truncated on the record)"
	case kindInitial:
		s = role + " " + qt + " = " + rt + " (initial)"
	case kindConsonants:
		s = role + " " + qt + " ~ " + rt + " (same consonants; vowels not written in the Arabic script)"
	}
	if m.rv > 0 {
		s += "; record transliterated " + c.r.token(j, 0) + " or " + rt
	}
	if m.qv > 0 {
		s += "; query read " + c.q.token(i, 0) + " or " + qt
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func verbS(n int) string {
	if n == 1 {
		return "s"
	}
	return ""
}
