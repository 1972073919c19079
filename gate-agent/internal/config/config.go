package config

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"autogate/internal/credentials"
	"autogate/internal/wire"
)

// Gate is a parsed gate file.
type Gate struct {
	Gate       GateSection    `toml:"gate"`
	Agent      AgentSection   `toml:"agent"`
	Central    CentralSection `toml:"central"`
	Devices    Devices        `toml:"devices"`
	Chip       ChipSection    `toml:"chip"`
	Face       FaceSection    `toml:"face"`
	Simulation Simulation     `toml:"simulation"`
	Policy     Policy         `toml:"policy"`

	// Path is the file the gate was loaded from; relative device profile paths
	// are resolved against its folder.
	Path string `toml:"-"`
}

// GateSection identifies the gate.
type GateSection struct {
	ID        string `toml:"id"`
	Post      string `toml:"post"`
	Direction string `toml:"direction"` // entry | exit
}

// AgentSection configures the agent process.
type AgentSection struct {
	DataDir  string `toml:"data_dir"`
	HTTP     string `toml:"http"` // metrics, health and (simulation only) the traveller feed
	LogLevel string `toml:"log_level"`
	// DiskWarnMB and DiskAlarmMB are free-space thresholds of the data
	// folder's disk: below warn a warning is logged, below alarm the gate
	// raises an alarm to central (it keeps deciding while it can record).
	DiskWarnMB  int `toml:"disk_warn_mb"`
	DiskAlarmMB int `toml:"disk_alarm_mb"`
}

// CentralSection says how the gate reaches central.
type CentralSection struct {
	Broker        string `toml:"broker"`
	HeartbeatS    int    `toml:"heartbeat_s"`
	AckTimeoutS   int    `toml:"ack_timeout_s"`
	MaxInflight   int    `toml:"max_inflight"`
	BatchMax      int    `toml:"batch_max"` // crossings per batch message
	ConnectTimeoS int    `toml:"connect_timeout_s"`
	// HoldReferredS keeps a referred traveller in the lane (both doors
	// closed) up to that many seconds for an officer's open_exit, return or manual_booth
	// command from central; 0 returns them at once.
	HoldReferredS int `toml:"hold_referred_s"`
	// Credentials is the gate's credentials bundle written by 'central gate
	// add' (resolved against the gate file's folder): its certificate for a
	// tls:// broker and central's signing key.
	Credentials string `toml:"credentials"`
}

// Device names one device of the gate: its profile and, for real drivers, its port.
type Device struct {
	Profile string `toml:"profile"`
	Port    string `toml:"port"`
}

// Devices lists the gate's devices. The document reader and the door controller
// are required; camera and fingerprint scanner are optional until their stages exist.
type Devices struct {
	DocReader   *Device `toml:"docreader"`
	Camera      *Device `toml:"camera"`
	Fingerprint *Device `toml:"fingerprint"`
	GateCtl     *Device `toml:"gatectl"`
	ChipReader  *Device `toml:"chipreader"`
}

// ChipSection configures the chip stage (when a chip reader is configured).
type ChipSection struct {
	// TrustDir holds the CSCA master lists, certificates and CRLs that
	// Passive Authentication trusts.
	TrustDir string `toml:"trust_dir"`
	// TimeoutS bounds waiting for the chip and reading it.
	TimeoutS int `toml:"timeout_s"`
}

// FaceSection configures the face stage (when a camera is configured): the
// live capture is compared with the chip's portrait (DG2).
type FaceSection struct {
	// ModelsDir holds the converted ONNX face models (`make models`). Like
	// data_dir, a relative path is taken from the agent's working directory.
	ModelsDir string `toml:"models_dir"`
	// Level is the security level: the false-match rate the threshold was
	// calibrated for, "1%", "0.1%" (default) or "0.01%".
	Level string `toml:"level"`
	// Threads is the number of threads the face models may use (0: OpenCV's
	// default, all cores).
	Threads int `toml:"threads"`
	// BurstFrames is the number of frames of one capture burst: the best is
	// compared, all of them feed liveness.
	BurstFrames int `toml:"burst_frames"`
	// CaptureTimeoutS bounds the whole capture, retries included (BSI
	// TR-03121: face capture with liveness within 10 s).
	CaptureTimeoutS int `toml:"capture_timeout_s"`
	// MinQuality refers captures whose best frame scores lower (0–1).
	MinQuality *float64 `toml:"min_quality"`
	// PADThreshold refers captures whose presentation-attack score is this
	// high or higher (0 bona fide … 1 attack).
	PADThreshold *float64 `toml:"pad_threshold"`
	// Liveness is "passive" (default: the traveller just looks at the
	// camera) or "challenge" (the gate's display asks for a small head
	// turn, which a moved print cannot fake).
	Liveness string `toml:"liveness"`
}

// Simulation configures simulated devices.
type Simulation struct {
	// Speed divides simulated device delays: 1 real time, 10 ten times faster,
	// 0 no delays at all.
	Speed *float64 `toml:"speed"`
}

// Policy is what the gate enforces.
type Policy struct {
	// DocumentCodes lists the document codes admitted at this gate (first
	// letters of the MRZ document code: "P" passports, "I" ID cards, ...).
	DocumentCodes []string `toml:"document_codes"`
	// MinValidityDays refers documents that expire sooner than this.
	MinValidityDays int `toml:"min_validity_days"`
	// ChipRequired lists the document codes (prefixes) that must carry a
	// chip that verifies; other documents are verified when a chip answers.
	ChipRequired []string `toml:"chip_required"`

	// Nationalities admitted at this gate (empty: every nationality).
	Nationalities []string `toml:"nationalities"`
	// Citizens are the authority's own nationalities: exempt from the
	// visa, stay and (with sequence = "foreigners") sequence rules.
	Citizens []string `toml:"citizens"`
	// MinorAge refers travellers younger than this (0: no age rule).
	MinorAge *int `toml:"minor_age"`
	// VisaRequired lists the nationalities that need a visa or residence
	// permit (from the replica's visas list) to enter.
	VisaRequired []string `toml:"visa_required"`
	// VisaFreeStayDays is the stay a traveller who needs no visa may make;
	// exit gates refer overstays (0: not checked).
	VisaFreeStayDays int `toml:"visa_free_stay_days"`
	// RegistrationRequired lists the document codes (prefixes) whose holders
	// must be registered travellers, e.g. border passes.
	RegistrationRequired []string `toml:"registration_required"`
	// Sequence checks the entry/exit sequence from the gate group's
	// movements: "off", "foreigners" (non-citizens) or "all".
	Sequence string `toml:"sequence"`
	// SequenceWindowDays is how far back movements count.
	SequenceWindowDays int `toml:"sequence_window_days"`
	// NameThreshold is the person-match score from which a watchlist
	// record is a hit (0–1).
	NameThreshold *float64 `toml:"name_threshold"`
	// MaxReplicaAgeH: a replica whose watchlists were issued longer ago
	// puts the gate into refer-everyone mode.
	MaxReplicaAgeH int `toml:"max_replica_age_h"`
	// IntegrityCheckH is how often the replica's integrity is re-checked
	// (it is checked at start too).
	IntegrityCheckH int `toml:"integrity_check_h"`
	// Actions says what a list hit does, per person category (wanted,
	// entry_ban, exit_ban, watch) and document reason (lost, stolen,
	// revoked): "alert" (refer and alert officers silently), "refer",
	// "notify" (admit; the hit travels with the crossing) or "pass".
	Actions map[string]string `toml:"actions"`
}

// Actions a list hit may trigger.
const (
	ActionAlert  = "alert"
	ActionRefer  = "refer"
	ActionNotify = "notify"
	ActionPass   = "pass"
)

// DefaultActions are the list-hit actions of a gate facing direction: a
// ban refers only in the direction it bans.
func DefaultActions(direction string) map[string]string {
	a := map[string]string{
		"wanted": ActionAlert, "entry_ban": ActionRefer, "exit_ban": ActionRefer, "watch": ActionNotify,
		"lost": ActionRefer, "stolen": ActionAlert, "revoked": ActionRefer,
	}
	switch direction {
	case "entry":
		a["exit_ban"] = ActionNotify
	case "exit":
		a["entry_ban"] = ActionNotify
	}
	return a
}

// Defaults applied to fields left out of a gate file.
const (
	DefaultHeartbeatS   = 10
	DefaultAckTimeoutS  = 10
	DefaultMaxInflight  = 400 // four full batches in flight
	DefaultBatchMax     = 100
	DefaultDiskWarnMB   = 1024
	DefaultDiskAlarmMB  = 200
	DefaultConnectTimeS = 10
	MaxHoldReferredS    = 600 // a traveller shut in the lane longer needs an officer on foot
	DefaultHTTP         = "127.0.0.1:9101"
	DefaultChipTimeoutS = 15

	DefaultFaceModelsDir       = "models/cache/onnx"
	DefaultFaceLevel           = "0.1%"
	DefaultFaceBurstFrames     = 30
	DefaultFaceCaptureTimeoutS = 10
	DefaultFaceMinQuality      = 0.3
	DefaultFacePADThreshold    = 0.5

	DefaultMinorAge           = 18
	DefaultSequenceWindowDays = 365
	DefaultNameThreshold      = 0.85
	DefaultMaxReplicaAgeH     = 24
	DefaultIntegrityCheckH    = 24
)

// SequenceModes are the values of policy.sequence.
var SequenceModes = []string{"off", "foreigners", "all"}

// FaceLevels are the security levels the face thresholds are calibrated for.
var FaceLevels = []string{"1%", "0.1%", "0.01%"}

// Error lists every problem found in a gate file.
type Error struct {
	Path     string
	Problems []string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %d problem(s):\n  %s", e.Path, len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// Load reads, decodes and validates a gate file.
func Load(path string) (*Gate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading gate file: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates gate-file bytes; path names the file in errors
// and anchors relative paths.
func Parse(path string, data []byte) (*Gate, error) {
	g := &Gate{Path: path}
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(g); err != nil {
		return nil, &Error{Path: path, Problems: decodeProblems(err)}
	}
	g.applyDefaults()
	if problems := g.validate(); len(problems) > 0 {
		return nil, &Error{Path: path, Problems: problems}
	}
	return g, nil
}

func decodeProblems(err error) []string {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		var out []string
		for _, e := range strict.Errors {
			row, _ := e.Position()
			out = append(out, fmt.Sprintf("%s (line %d): unknown field — check its spelling and section", strings.Join(e.Key(), "."), row))
		}
		return out
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		key := strings.Join(de.Key(), ".")
		if key == "" {
			key = "TOML syntax"
		}
		return []string{fmt.Sprintf("%s (line %d, column %d): %s", key, row, col, de.Error())}
	}
	return []string{err.Error()}
}

func (g *Gate) applyDefaults() {
	c := &g.Central
	if c.HeartbeatS == 0 {
		c.HeartbeatS = DefaultHeartbeatS
	}
	if c.AckTimeoutS == 0 {
		c.AckTimeoutS = DefaultAckTimeoutS
	}
	if c.MaxInflight == 0 {
		c.MaxInflight = DefaultMaxInflight
	}
	if c.ConnectTimeoS == 0 {
		c.ConnectTimeoS = DefaultConnectTimeS
	}
	if c.BatchMax == 0 {
		c.BatchMax = DefaultBatchMax
	}
	if g.Agent.DiskWarnMB == 0 {
		g.Agent.DiskWarnMB = DefaultDiskWarnMB
	}
	if g.Agent.DiskAlarmMB == 0 {
		g.Agent.DiskAlarmMB = DefaultDiskAlarmMB
	}
	if g.Agent.HTTP == "" {
		g.Agent.HTTP = DefaultHTTP
	}
	if g.Agent.LogLevel == "" {
		g.Agent.LogLevel = "info"
	}
	if g.Agent.DataDir == "" && g.Gate.ID != "" {
		g.Agent.DataDir = filepath.Join("var", "gates", g.Gate.ID)
	}
	g.Policy.fileDefaults(g.Gate.Direction)
	if g.Chip.TimeoutS == 0 {
		g.Chip.TimeoutS = DefaultChipTimeoutS
	}
	f := &g.Face
	if f.ModelsDir == "" {
		f.ModelsDir = DefaultFaceModelsDir
	}
	if f.Level == "" {
		f.Level = DefaultFaceLevel
	}
	if f.BurstFrames == 0 {
		f.BurstFrames = DefaultFaceBurstFrames
	}
	if f.CaptureTimeoutS == 0 {
		f.CaptureTimeoutS = DefaultFaceCaptureTimeoutS
	}
	if f.MinQuality == nil {
		f.MinQuality = ptr(DefaultFaceMinQuality)
	}
	if f.PADThreshold == nil {
		f.PADThreshold = ptr(DefaultFacePADThreshold)
	}
	if f.Liveness == "" {
		f.Liveness = "passive"
	}
}

func ptr[T any](v T) *T { return &v }

// DefaultPolicy is the policy of a gate file that sets none, for a gate
// facing direction.
func DefaultPolicy(direction string) Policy {
	p := Policy{DocumentCodes: []string{"P", "I", "A", "C"}, ChipRequired: []string{"P"}}
	p.applyDefaults(direction)
	return p
}

// fileDefaults fills what a gate file's [policy] left out.
func (p *Policy) fileDefaults(direction string) {
	def := DefaultPolicy(direction)
	if len(p.DocumentCodes) == 0 {
		p.DocumentCodes = def.DocumentCodes
	}
	if p.ChipRequired == nil {
		p.ChipRequired = def.ChipRequired
	}
	p.applyDefaults(direction)
}

// ParsePolicy decodes the contents of a [policy] table as central sends it
// in a configuration update, for a gate facing direction: what it leaves
// out takes the defaults a gate file's [policy] gets, and it is validated
// as `config check` validates a gate file's policy.
func ParsePolicy(data, direction string) (Policy, error) {
	const where = "central configuration's [policy]"
	var p Policy
	dec := toml.NewDecoder(strings.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Policy{}, &Error{Path: where, Problems: decodeProblems(err)}
	}
	p.fileDefaults(direction)
	var problems []string
	p.validate(func(key, format string, args ...any) {
		problems = append(problems, key+": "+fmt.Sprintf(format, args...))
	})
	if len(problems) > 0 {
		return Policy{}, &Error{Path: where, Problems: problems}
	}
	return p, nil
}

func (p *Policy) applyDefaults(direction string) {
	if p.MinorAge == nil {
		p.MinorAge = ptr(DefaultMinorAge)
	}
	if p.Sequence == "" {
		p.Sequence = "off"
	}
	if p.SequenceWindowDays == 0 {
		p.SequenceWindowDays = DefaultSequenceWindowDays
	}
	if p.NameThreshold == nil {
		p.NameThreshold = ptr(DefaultNameThreshold)
	}
	if p.MaxReplicaAgeH == 0 {
		p.MaxReplicaAgeH = DefaultMaxReplicaAgeH
	}
	if p.IntegrityCheckH == 0 {
		p.IntegrityCheckH = DefaultIntegrityCheckH
	}
	actions := DefaultActions(direction)
	for k, v := range p.Actions {
		actions[k] = v
	}
	p.Actions = actions
}

// validate adds the policy's problems.
func (p *Policy) validate(add func(key, format string, args ...any)) {
	codes := func(key string, list []string, n int, example string) {
		for i, c := range list {
			if len(c) < 1 || len(c) > n || strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
				add(fmt.Sprintf("%s[%d]", key, i), "%q: want 1–%d capital letters such as %q", c, n, example)
			}
		}
	}
	codes("policy.document_codes", p.DocumentCodes, 2, "P")
	codes("policy.chip_required", p.ChipRequired, 2, "P")
	codes("policy.registration_required", p.RegistrationRequired, 2, "AC")
	codes("policy.nationalities", p.Nationalities, 3, "UTO")
	codes("policy.citizens", p.Citizens, 3, "UTO")
	codes("policy.visa_required", p.VisaRequired, 3, "UTO")
	if p.MinValidityDays < 0 {
		add("policy.min_validity_days", "%d: must be ≥ 0", p.MinValidityDays)
	}
	if a := *p.MinorAge; a < 0 || a > 25 {
		add("policy.minor_age", "%d: must be 0 (no age rule) to 25", a)
	}
	if p.VisaFreeStayDays < 0 {
		add("policy.visa_free_stay_days", "%d: must be ≥ 0 (0: stays not checked)", p.VisaFreeStayDays)
	}
	if !slices.Contains(SequenceModes, p.Sequence) {
		add("policy.sequence", "%q: must be one of %s", p.Sequence, strings.Join(SequenceModes, ", "))
	}
	if p.SequenceWindowDays < 0 {
		add("policy.sequence_window_days", "%d: must be positive", p.SequenceWindowDays)
	}
	if t := *p.NameThreshold; !(t >= 0.5 && t <= 1) {
		add("policy.name_threshold", "%v: must be between 0.5 and 1 (lower would hit on unrelated names)", t)
	}
	if p.MaxReplicaAgeH < 0 {
		add("policy.max_replica_age_h", "%d: must be positive", p.MaxReplicaAgeH)
	}
	if p.IntegrityCheckH < 0 {
		add("policy.integrity_check_h", "%d: must be positive", p.IntegrityCheckH)
	}
	known := DefaultActions("")
	for _, k := range slices.Sorted(maps.Keys(p.Actions)) {
		if _, ok := known[k]; !ok {
			add("policy.actions."+k, "unknown: actions are set for %s", strings.Join(slices.Sorted(maps.Keys(known)), ", "))
			continue
		}
		switch p.Actions[k] {
		case ActionAlert, ActionRefer, ActionNotify, ActionPass:
		default:
			add("policy.actions."+k, "%q: must be alert, refer, notify or pass", p.Actions[k])
		}
	}
	if p.Actions["wanted"] == ActionPass || p.Actions["wanted"] == ActionNotify {
		add("policy.actions.wanted", "%q: a wanted person must be referred or alerted, never admitted", p.Actions["wanted"])
	}
}

func (g *Gate) validate() []string {
	var p []string
	add := func(key, format string, args ...any) {
		p = append(p, key+": "+fmt.Sprintf(format, args...))
	}
	if g.Gate.ID == "" {
		add("gate.id", "missing: every gate needs a unique id, e.g. \"post-a-01\"")
	} else if err := wire.ValidateGateID(g.Gate.ID); err != nil {
		add("gate.id", "%v", err)
	}
	if g.Gate.Post == "" {
		add("gate.post", "missing: the border post this gate belongs to")
	}
	if d := g.Gate.Direction; d != "entry" && d != "exit" {
		add("gate.direction", "%q: must be \"entry\" or \"exit\"", d)
	}
	if _, _, err := net.SplitHostPort(g.Agent.HTTP); err != nil {
		add("agent.http", "%q: want host:port, e.g. \"127.0.0.1:9101\"", g.Agent.HTTP)
	}
	switch g.Agent.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		add("agent.log_level", "%q: must be debug, info, warn or error", g.Agent.LogLevel)
	}
	if g.Central.Broker == "" {
		add("central.broker", "missing: the MQTT broker URL, e.g. \"tcp://central.example:1883\"")
	} else if u, err := url.Parse(g.Central.Broker); err != nil || u.Host == "" {
		add("central.broker", "%q: want a URL like tcp://host:1883", g.Central.Broker)
	} else if u.Scheme != "tcp" && u.Scheme != "mqtt" && u.Scheme != "ssl" && u.Scheme != "tls" && u.Scheme != "mqtts" && u.Scheme != "ws" && u.Scheme != "wss" {
		add("central.broker", "%q: scheme %q not supported (tcp, mqtt, tls, ssl, mqtts, ws, wss)", g.Central.Broker, u.Scheme)
	}
	g.validateCredentials(add)
	positive := func(key string, v int) {
		if v <= 0 {
			add(key, "%d: must be positive", v)
		}
	}
	positive("central.heartbeat_s", g.Central.HeartbeatS)
	positive("central.ack_timeout_s", g.Central.AckTimeoutS)
	positive("central.max_inflight", g.Central.MaxInflight)
	positive("central.connect_timeout_s", g.Central.ConnectTimeoS)
	if h := g.Central.HoldReferredS; h < 0 || h > MaxHoldReferredS {
		add("central.hold_referred_s", "%d: must be 0 (return referred travellers at once) to %d seconds", h, MaxHoldReferredS)
	}
	if b := g.Central.BatchMax; b < 1 || b > wire.MaxBatchCrossings {
		add("central.batch_max", "%d: must be 1 to %d crossings per message", b, wire.MaxBatchCrossings)
	}
	positive("agent.disk_warn_mb", g.Agent.DiskWarnMB)
	positive("agent.disk_alarm_mb", g.Agent.DiskAlarmMB)
	if g.Agent.DiskAlarmMB >= g.Agent.DiskWarnMB {
		add("agent.disk_alarm_mb", "%d: must be below agent.disk_warn_mb (%d), so the warning comes first", g.Agent.DiskAlarmMB, g.Agent.DiskWarnMB)
	}

	g.eachDevice(func(name string, d *Device, required bool) {
		key := "devices." + name
		if d == nil {
			if required {
				add(key, "missing: the gate cannot run without a %s (add [%s] with a profile)", name, key)
			}
			return
		}
		if d.Profile == "" {
			add(key+".profile", "missing: path of the device profile, e.g. \"../devices/sim-%s.toml\"", name)
			return
		}
		if _, err := os.Stat(g.Resolve(d.Profile)); err != nil {
			add(key+".profile", "%q: %v", d.Profile, err)
		}
	})
	if s := g.Simulation.Speed; s != nil && *s < 0 {
		add("simulation.speed", "%v: must be ≥ 0 (1 real time, 10 ten times faster, 0 no delays)", *s)
	}
	g.Policy.validate(add)
	if g.Devices.ChipReader != nil {
		if g.Chip.TrustDir == "" {
			add("chip.trust_dir", "missing: a gate with a chip reader needs the CSCA trust store (master lists, CSCA certificates, CRLs)")
		} else if st, err := os.Stat(g.Resolve(g.Chip.TrustDir)); err != nil || !st.IsDir() {
			add("chip.trust_dir", "%q: not a readable folder", g.Chip.TrustDir)
		}
	}
	if g.Chip.TimeoutS < 0 {
		add("chip.timeout_s", "%d: must be positive", g.Chip.TimeoutS)
	}
	f := g.Face
	if !slices.Contains(FaceLevels, f.Level) {
		add("face.level", "%q: must be one of %s (the false-match rate the threshold holds)", f.Level, strings.Join(FaceLevels, ", "))
	}
	if f.Threads < 0 || f.Threads > 64 {
		add("face.threads", "%d: must be 0 (OpenCV's default) to 64", f.Threads)
	}
	if f.BurstFrames < 1 || f.BurstFrames > 60 {
		add("face.burst_frames", "%d: must be 1 to 60", f.BurstFrames)
	}
	if f.CaptureTimeoutS < 1 || f.CaptureTimeoutS > 60 {
		add("face.capture_timeout_s", "%d: must be 1 to 60", f.CaptureTimeoutS)
	}
	if q := *f.MinQuality; !(q >= 0 && q <= 1) {
		add("face.min_quality", "%v: must be between 0 and 1", q)
	}
	if f.Liveness != "passive" && f.Liveness != "challenge" {
		add("face.liveness", "%q: must be \"passive\" or \"challenge\"", f.Liveness)
	}
	if t := *f.PADThreshold; !(t > 0 && t <= 1) {
		add("face.pad_threshold", "%v: must be above 0 and at most 1 (0 would refer everyone)", t)
	}
	return p
}

// eachDevice visits the device entries in a fixed order.
func (g *Gate) eachDevice(fn func(name string, d *Device, required bool)) {
	fn("docreader", g.Devices.DocReader, true)
	fn("camera", g.Devices.Camera, false)
	fn("fingerprint", g.Devices.Fingerprint, false)
	fn("gatectl", g.Devices.GateCtl, true)
	fn("chipreader", g.Devices.ChipReader, false)
}

// BrokerTLS says whether central.broker asks for TLS (tls://, ssl://,
// mqtts://), which needs central.credentials.
func (g *Gate) BrokerTLS() bool {
	u, err := url.Parse(g.Central.Broker)
	return err == nil && (u.Scheme == "tls" || u.Scheme == "ssl" || u.Scheme == "mqtts")
}

// LoadCredentials loads central.credentials; nil without one.
func (g *Gate) LoadCredentials() (*credentials.Bundle, error) {
	if g.Central.Credentials == "" {
		return nil, nil
	}
	b, err := credentials.Load(g.Resolve(g.Central.Credentials))
	if err != nil {
		return nil, err
	}
	if g.Gate.ID != "" && b.GateID != g.Gate.ID {
		return nil, fmt.Errorf("%s holds the credentials of gate %q, not of this gate %q: copy the bundle 'central gate add %s' wrote", g.Central.Credentials, b.GateID, g.Gate.ID, g.Gate.ID)
	}
	return b, nil
}

func (g *Gate) validateCredentials(add func(key, format string, args ...any)) {
	if g.Central.Credentials == "" {
		if g.BrokerTLS() {
			add("central.credentials", "missing: a TLS broker (%s) needs this gate's credentials bundle: run 'central gate add %s' on central and copy the file it writes next to this gate file", g.Central.Broker, g.Gate.ID)
		}
		return
	}
	if _, err := g.LoadCredentials(); err != nil {
		add("central.credentials", "%v", err)
	} else if !g.BrokerTLS() && g.Central.Broker != "" {
		add("central.broker", "%q: with credentials the broker must be a TLS one, e.g. \"tls://central.example:8883\" (over tcp:// the certificate is unused and the broker cannot tell this gate from another)", g.Central.Broker)
	}
}

// Resolve anchors a path from the gate file at the gate file's folder.
func (g *Gate) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(g.Path), p)
}

// DataDir is the agent's data folder. Unlike device profiles, which travel
// with the gate file, data lives where the agent runs: a relative data_dir is
// taken from the working directory, as central's --data is.
func (g *Gate) DataDir() string { return g.Agent.DataDir }

// Speed is the simulation speed (1 when unset).
func (g *Gate) Speed() float64 {
	if g.Simulation.Speed == nil {
		return 1
	}
	return *g.Simulation.Speed
}

// SlotDevice is a configured device with the slot it fills.
type SlotDevice struct {
	Slot string // docreader, camera, fingerprint, gatectl
	Device
}

// DeviceList returns the configured devices in a fixed order.
func (g *Gate) DeviceList() []SlotDevice {
	var out []SlotDevice
	g.eachDevice(func(name string, d *Device, _ bool) {
		if d != nil {
			out = append(out, SlotDevice{Slot: name, Device: *d})
		}
	})
	return out
}
