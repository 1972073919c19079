package syncbench

import (
	"fmt"
	"time"

	"autogate/internal/wire"
)

// Crossing is crossing seq of gate, minted now, shaped like a real gate's:
// every check of a chip-and-face passport crossing with its message and
// scores, every stage timed — about 3 KB of JSON, the bytes the broker,
// central and the uplink carry in service.
func Crossing(gate string, seq int64) wire.Crossing {
	start := time.Now().UTC().Add(-15 * time.Second).Truncate(time.Millisecond)
	at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
	check := func(name, reason, msg string, ms float64, scores map[string]float64) wire.Check {
		return wire.Check{Name: name, Result: wire.ResultPass, Reason: reason, Message: msg, DurationMS: ms, Scores: scores}
	}
	return wire.Crossing{
		V: wire.SchemaVersion, ID: wire.NewID(), Gate: gate, Post: "post-bench", Seq: seq, Direction: "entry",
		StartedAt: start, EndedAt: at(13800), Decision: wire.DecisionPass, Door: "exit",
		Document: wire.Document{Format: "TD3", DocumentCode: "P", IssuingState: "UTO",
			DocumentNumber: fmt.Sprintf("L%08d", seq%100000000), Surname: "ERIKSSON-VAN DER BERG",
			GivenNames: "ANNA MARIA CHRISTINA", Nationality: "UTO", BirthDate: "1974-08-12", Sex: "F", ExpiryDate: "2032-04-15"},
		Checks: []wire.Check{
			check("mrz", "", "check digits valid (document number, birth date, expiry date, composite)", 0.41, nil),
			check("document_type", "", "document code P admitted at this gate", 0.02, nil),
			check("expiry", "", "valid until 2032-04-15, 2334 days left (minimum 0)", 0.03, nil),
			check("chip_access", "", "PACE-ECDH-GM-AES-CBC-CMAC-128 with the MRZ key on brainpoolP256r1", 612.5, map[string]float64{"apdus": 14}),
			check("chip_read", "", "read EF.COM, EF.SOD, DG1, DG2 (18 734 bytes), DG14 under secure messaging", 2310.8, map[string]float64{"bytes": 19871, "apdus": 96}),
			check("chip_ca", "", "Chip Authentication v1 (id-CA-ECDH-AES-CBC-CMAC-128): channel re-keyed", 388.1, nil),
			check("chip_pa", "", "SOD signed by document signer C=UTO,O=Utopia,CN=DS 0042; chained to CSCA C=UTO,CN=CSCA 2021; every data group hash matches", 41.7, nil),
			check("chip_mrz_match", "", "DG1 equals the printed MRZ", 0.05, nil),
			check("face_capture", "", "best of 30 frames, inter-eye 96 px", 1032.4, map[string]float64{"quality": 0.83, "inter_eye_px": 96, "frames": 30}),
			check("face_liveness", "", "bona fide (passive)", 12.9, map[string]float64{"pad_score": 0.07, "pad_threshold": 0.5}),
			check("face_match", "", "portrait and live capture match at level 0.1%", 88.6, map[string]float64{"face_score": 0.912, "face_threshold": 0.61, "mobilefacenet": 0.88, "dlib_resnet": 0.93}),
			check("lists_replica", "", "replica verified, lists issued 3h ago", 0.01, nil),
			check("document_list", "", "not among 5,000,000 lost, stolen and revoked documents", 0.19, nil),
			check("watchlist", "", "no person of interest scored above 0.85 (best 0.41: different birth date)", 2.8, map[string]float64{"best_score": 0.41, "candidates": 37}),
			check("visa", "", "visa-exempt nationality", 0.04, nil),
		},
		Stages: []wire.Stage{
			{Name: "idle", Start: at(0), End: at(1200)},
			{Name: "document", Start: at(1200), End: at(3900)},
			{Name: "checks", Start: at(3900), End: at(7400)},
			{Name: "decision", Start: at(7400), End: at(7420)},
			{Name: "door", Start: at(7420), End: at(13700)},
			{Name: "record", Start: at(13700), End: at(13800)},
		},
		DeviceMS: 12950.2, SoftwareMS: 849.8,
	}
}
