package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"autogate/benchmarks/population"
	"autogate/drivers/emrtd/issuer"
	"autogate/internal/faultnet"
	"autogate/internal/wire"
)

// Post is a simulated border post: central (with its embedded broker, or
// beside a separate broker process) and N gate-agent processes on loopback.
type Post struct {
	Bin   string  // folder holding the gate-agent and central binaries
	Work  string  // folder for data, gate files and logs
	Root  string  // repository root (for firmware-config/devices)
	Speed float64 // simulated device speed
	Gates int
	// SeparateBroker runs the broker as its own process (`central broker`),
	// so it can be restarted under a running central.
	SeparateBroker bool
	// HTTP is central's dashboard address ("" = a free loopback port).
	HTTP string
	// PCSCGate makes the first gate read chips through the real pcscd: each
	// traveller's virtual chip is plugged in through vsmartcard's vpcd.
	PCSCGate bool
	// Faces gives the gates a camera and the face stage (models from
	// <Root>/models/cache/onnx); without it they have no camera at all.
	Faces bool
	// Proxies routes each gate's MQTT link through its own faultnet proxy,
	// so a test or --chaos can pause or cut one gate's link.
	Proxies bool
	// TLS gives the post central's fleet PKI (`central pki init`) before
	// the broker starts, and each gate its credentials bundle (`central gate
	// add`): every MQTT link is then TLS with client certificates, through
	// the proxies too (they pass the bytes untouched).
	TLS bool
	// HoldReferred keeps a referred traveller in the lane for an officer
	// this long (each gate file's [central] hold_referred_s, whole
	// seconds, rounded up); 0 returns them at once.
	HoldReferred time.Duration

	// Accounts are central's web accounts, made by Start with random
	// passwords (see accounts.go) and written to AccountsFile.
	Accounts []Account

	MQTT     string // broker address in use
	pki      *issuer.PKI
	central  *proc
	broker   *proc
	gates    []*gateProc
	hqMu     sync.Mutex
	hqClient *WebClient
}

type gateProc struct {
	ID, Config, Data, HTTP string
	p                      *proc
	link                   *faultnet.Proxy // nil without Post.Proxies
}

// proc is one child process with its log file.
type proc struct {
	name string
	args []string
	bin  string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *proc) start() error {
	lf, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	p.cmd = exec.Command(p.bin, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = lf, lf
	// Own process group: a Ctrl-C in the terminal reaches the simulator,
	// which then stops its children in order.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		lf.Close()
		return fmt.Errorf("starting %s: %w", p.name, err)
	}
	p.done = make(chan struct{})
	go func() { p.cmd.Wait(); lf.Close(); close(p.done) }()
	return nil
}

func (p *proc) running() bool {
	if p == nil || p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// stop sends sig and waits (SIGKILL after the timeout).
func (p *proc) stop(sig syscall.Signal, timeout time.Duration) {
	if !p.running() {
		return
	}
	p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// TrustDir is where the post's test PKI lives: its CSCA certificate and CRL
// at the top (what gates trust), private keys in a subfolder.
func (s *Post) TrustDir() string { return filepath.Join(s.Work, "pki") }

// PKI creates the post's test country (once) and returns it.
func (s *Post) PKI() (*issuer.PKI, error) {
	if s.pki != nil {
		return s.pki, nil
	}
	if p, err := issuer.Load(s.TrustDir()); err == nil {
		s.pki = p
		return p, nil
	}
	p, err := issuer.NewPKI(issuer.CSCAOptions{Country: "UT"})
	if err != nil {
		return nil, err
	}
	if err := p.Save(s.TrustDir()); err != nil {
		return nil, err
	}
	s.pki = p
	return p, nil
}

// GateID names gate i.
func GateID(i int) string { return fmt.Sprintf("sim-post-%02d", i+1) }

// Start launches the broker (if separate), central and the gates, and waits
// until each answers.
func (s *Post) Start(ctx context.Context) error {
	for _, d := range []string{"logs", "gates", "data"} {
		if err := os.MkdirAll(filepath.Join(s.Work, d), 0o755); err != nil {
			return err
		}
	}
	if _, err := s.PKI(); err != nil {
		return fmt.Errorf("creating the post's test PKI: %w", err)
	}
	var err error
	if s.MQTT, err = freeAddr(); err != nil {
		return err
	}
	if s.HTTP == "" {
		if s.HTTP, err = freeAddr(); err != nil {
			return err
		}
	}
	if s.TLS {
		// Central and its broker speak TLS by themselves once the PKI exists.
		if _, err := os.Stat(filepath.Join(s.centralData(), "pki")); err != nil {
			if err := s.centralCLI(ctx, "pki", "init", "--data", s.centralData()); err != nil {
				return err
			}
		}
	}
	centralArgs := []string{"serve", "--data", s.centralData(), "--http", s.HTTP}
	if s.SeparateBroker {
		// --data always: the broker looks there for the PKI, and must not
		// find one elsewhere (its default folder is relative).
		args := []string{"broker", "--listen", s.MQTT, "--data", s.centralData()}
		s.broker = &proc{name: "broker", bin: filepath.Join(s.Bin, "central"), args: args,
			log: filepath.Join(s.Work, "logs", "broker.log")}
		if err := s.StartBroker(ctx); err != nil {
			return err
		}
		centralArgs = append(centralArgs, "--broker", s.brokerURL(s.MQTT))
	} else {
		centralArgs = append(centralArgs, "--mqtt-listen", s.MQTT)
	}
	s.central = &proc{name: "central", bin: filepath.Join(s.Bin, "central"), args: centralArgs,
		log: filepath.Join(s.Work, "logs", "central.log")}
	if err := s.createAccounts(ctx); err != nil {
		return fmt.Errorf("creating the post's web accounts: %w", err)
	}
	if err := s.StartCentral(ctx); err != nil {
		return err
	}
	if _, err := os.Stat(s.ListsDB()); err != nil {
		// No lists were built for this post: the gates start with empty
		// (but loaded) lists, so none of them refers everyone.
		if _, err := s.BuildLists(ctx, nil, ListOptions{}, io.Discard); err != nil {
			return err
		}
	}
	for i := 0; i < s.Gates; i++ {
		g, err := s.writeGate(i)
		if err != nil {
			return err
		}
		s.gates = append(s.gates, g)
		if err := s.StartGate(ctx, i); err != nil {
			return err
		}
	}
	return nil
}

func (s *Post) centralData() string { return filepath.Join(s.Work, "data", "central") }

// brokerURL is the MQTT URL of addr: tls:// with the PKI, else tcp://.
func (s *Post) brokerURL(addr string) string {
	if s.TLS {
		return "tls://" + addr
	}
	return "tcp://" + addr
}

// centralCLI runs one of central's commands to its end (PKI set-up).
func (s *Post) centralCLI(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, filepath.Join(s.Bin, "central"), args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("central %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// Credentials is gate i's credentials bundle (with TLS).
func (s *Post) Credentials(i int) string { return filepath.Join(s.Work, "gates", GateID(i)+".pem") }

// StartBroker starts (or restarts) the separate broker process.
func (s *Post) StartBroker(ctx context.Context) error {
	if err := s.broker.start(); err != nil {
		return err
	}
	return waitTCP(ctx, s.MQTT, s.broker)
}

// StopBroker stops the separate broker (SIGKILL: a crash, not a goodbye).
func (s *Post) StopBroker() { s.broker.stop(syscall.SIGKILL, time.Second) }

// StartCentral starts (or restarts) central and waits for its health check.
func (s *Post) StartCentral(ctx context.Context) error {
	if err := s.central.start(); err != nil {
		return err
	}
	return waitHTTP(ctx, "http://"+s.HTTP+"/healthz", s.central)
}

// StopCentral stops central with sig.
func (s *Post) StopCentral(sig syscall.Signal) { s.central.stop(sig, 10*time.Second) }

func (s *Post) writeGate(i int) (_ *gateProc, err error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	g := &gateProc{ID: GateID(i), HTTP: addr,
		Config: filepath.Join(s.Work, "gates", GateID(i)+".toml"),
		Data:   filepath.Join(s.Work, "data", GateID(i))}
	brokerAddr := s.MQTT
	if s.Proxies {
		// The proxy outlives the gate's restarts: the gate file names it.
		if g.link, err = faultnet.Listen(s.MQTT); err != nil {
			return nil, fmt.Errorf("%s's link proxy: %w", g.ID, err)
		}
		brokerAddr = g.link.Addr()
		defer func() {
			if err != nil {
				g.link.Close()
			}
		}()
	}
	devices := filepath.Join(s.Root, "firmware-config", "devices")
	var b strings.Builder
	fmt.Fprintf(&b, "# written by the border-post simulator\n[gate]\nid = %q\npost = %q\ndirection = %q\n\n", g.ID, PostName, []string{"entry", "exit"}[i%2])
	fmt.Fprintf(&b, "[agent]\ndata_dir = %q\nhttp = %q\n\n", g.Data, g.HTTP)
	// Short timeouts: a simulated post restarts brokers and agents on purpose.
	fmt.Fprintf(&b, "[central]\nbroker = %q\nheartbeat_s = 2\nack_timeout_s = 5\n", s.brokerURL(brokerAddr))
	if s.HoldReferred > 0 {
		fmt.Fprintf(&b, "hold_referred_s = %d\n", int((s.HoldReferred+time.Second-1)/time.Second))
	}
	if s.TLS {
		// The gate checks the broker's certificate for the host it dials:
		// 127.0.0.1, the proxy's address too, is one of its names.
		if _, err := os.Stat(s.Credentials(i)); err != nil {
			if err := s.centralCLI(context.Background(), "gate", "add", g.ID, "--data", s.centralData(), "--out", s.Credentials(i)); err != nil {
				return nil, err
			}
		}
		fmt.Fprintf(&b, "credentials = %q\n", s.Credentials(i))
	}
	b.WriteString("\n")
	// The document reader is the simulated 3M RTE6701 on a pseudo-terminal,
	// read by the real serial driver: the post exercises the real protocol
	// code. The other devices are in-process simulators.
	chipProfile := "sim-chipreader"
	if s.PCSCGate && i == 0 {
		chipProfile = "vpcd-chipreader"
	}
	devs := []struct{ slot, profile string }{
		{"docreader", "sim-rte6701"}, {"gatectl", "sim-gatectl"}, {"fingerprint", "sim-fingerprint"},
		{"chipreader", chipProfile},
	}
	if s.Faces {
		devs = append(devs, struct{ slot, profile string }{"camera", "sim-camera"})
	}
	for _, dev := range devs {
		fmt.Fprintf(&b, "[devices.%s]\nprofile = %q\n\n", dev.slot, filepath.Join(devices, dev.profile+".toml"))
	}
	// The post's test country: its CSCA is the gates' trust anchor.
	fmt.Fprintf(&b, "[chip]\ntrust_dir = %q\n\n", s.TrustDir())
	if s.Faces {
		// One thread per gate: the post's gates share the machine's cores.
		fmt.Fprintf(&b, "[face]\nmodels_dir = %q\nthreads = 1\nburst_frames = %d\n\n", ModelsDir(s.Root), population.DefaultBurstFrames)
	}
	fmt.Fprintf(&b, "[simulation]\nspeed = %v\n", s.Speed)
	// Every gate starts with the post's lists, as central would distribute them.
	if err := copyFile(s.ListsDB(), filepath.Join(g.Data, "lists.db")); err != nil {
		return nil, fmt.Errorf("giving %s the post's lists: %w", g.ID, err)
	}
	return g, os.WriteFile(g.Config, []byte(b.String()), 0o644)
}

// StartGate starts (or restarts) gate i and waits for its health check.
func (s *Post) StartGate(ctx context.Context, i int) error {
	g := s.gates[i]
	g.p = &proc{name: g.ID, bin: filepath.Join(s.Bin, "gate-agent"), args: []string{"run", "--config", g.Config},
		log: filepath.Join(s.Work, "logs", g.ID+".log")}
	if err := g.p.start(); err != nil {
		return err
	}
	return waitHTTP(ctx, "http://"+g.HTTP+"/healthz", g.p)
}

// KillGate stops gate i with sig (SIGKILL for a crash).
func (s *Post) KillGate(i int, sig syscall.Signal) { s.gates[i].p.stop(sig, 10*time.Second) }

// Stop stops every process: gates first (so they say goodbye), then central
// and the broker.
func (s *Post) Stop() {
	var wg sync.WaitGroup
	for _, g := range s.gates {
		wg.Add(1)
		go func() { defer wg.Done(); g.p.stop(syscall.SIGTERM, 10*time.Second) }()
	}
	wg.Wait()
	if s.central != nil {
		s.central.stop(syscall.SIGTERM, 10*time.Second)
	}
	if s.broker != nil {
		s.broker.stop(syscall.SIGTERM, 5*time.Second)
	}
	for _, g := range s.gates {
		if g.link != nil {
			g.link.Close()
		}
	}
}

// Link is gate i's link proxy (nil without Proxies).
func (s *Post) Link(i int) *faultnet.Proxy { return s.gates[i].link }

// ModelsDir is where `make models` leaves the converted face models.
func ModelsDir(root string) string { return filepath.Join(root, "models", "cache", "onnx") }

// Feed queues travellers round-robin at the gates; it returns how many went
// to each gate.
func (s *Post) Feed(ctx context.Context, ts []population.Traveller) ([]int, error) {
	per := make([][]map[string]any, len(s.gates))
	for i, t := range ts {
		per[i%len(s.gates)] = append(per[i%len(s.gates)], feedItem(t))
	}
	counts := make([]int, len(s.gates))
	for i, batch := range per {
		if len(batch) == 0 {
			continue
		}
		if err := s.FeedGate(ctx, i, batch); err != nil {
			return nil, err
		}
		counts[i] = len(batch)
	}
	return counts, nil
}

// feedItem is a traveller as a gate's /sim/travellers takes them: the MRZ,
// the chip and what the camera sees.
func feedItem(t population.Traveller) map[string]any {
	tr := map[string]any{"mrz": t.MRZ}
	if t.Document != nil {
		tr["document"] = t.Document
	}
	if len(t.Face) > 0 {
		tr["face"] = t.Face
	}
	return tr
}

// FeedGate queues travellers ({"mrz": lines}) at gate i.
func (s *Post) FeedGate(ctx context.Context, i int, travellers []map[string]any) error {
	body, _ := json.Marshal(travellers)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+s.gates[i].HTTP+"/sim/travellers", bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("feeding %s: %w", s.gates[i].ID, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("feeding %s: %s: %s", s.gates[i].ID, resp.Status, msg)
	}
	return nil
}

// FeedStatus is a gate's traveller feed as /sim/status reports it.
type FeedStatus struct {
	Queued, Admitted, Recorded int
}

// GateFeed asks gate i how its queue is doing.
func (s *Post) GateFeed(ctx context.Context, i int) (FeedStatus, error) {
	var st FeedStatus
	err := getJSON(ctx, "http://"+s.gates[i].HTTP+"/sim/status", &st)
	return st, err
}

// GateCrossings reads every crossing gate i has stored, straight from its SQLite.
func (s *Post) GateCrossings(ctx context.Context, i int) ([]wire.Crossing, error) {
	var out []wire.Crossing
	var bad error
	err := s.eachCrossing(ctx, i, "SELECT payload FROM crossings ORDER BY seq", func(payload []byte) {
		var c wire.Crossing
		if err := json.Unmarshal(payload, &c); err != nil {
			bad = cmp.Or(bad, fmt.Errorf("%s: stored crossing unreadable: %w", s.gates[i].ID, err))
			return
		}
		out = append(out, c)
	})
	return out, cmp.Or(err, bad)
}

// CentralCrossings pages through central's API for every crossing of a gate.
func (s *Post) CentralCrossings(ctx context.Context, gate string) ([]wire.Crossing, error) {
	var all []wire.Crossing
	since := ""
	for {
		q := url.Values{"gate": {gate}, "order": {"asc"}, "limit": {"10000"}}
		if since != "" {
			q.Set("since", since)
		}
		var page struct {
			Crossings []wire.Crossing `json:"crossings"`
		}
		if err := s.centralJSON(ctx, "/api/crossings?"+q.Encode(), &page); err != nil {
			return nil, err
		}
		all = append(all, page.Crossings...)
		if len(page.Crossings) < 10000 {
			return all, nil
		}
		since = page.Crossings[len(page.Crossings)-1].ID
	}
}

func getJSON(ctx context.Context, u string, v any) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("GET %s: %s: %s", u, resp.Status, msg)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func waitHTTP(ctx context.Context, u string, p *proc) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if !p.running() {
			return fmt.Errorf("%s exited at start; see %s", p.name, p.log)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer on %s in 30 s; see %s", p.name, u, p.log)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func waitTCP(ctx context.Context, addr string, p *proc) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		if !p.running() {
			return fmt.Errorf("%s exited at start; see %s", p.name, p.log)
		}
		select {
		case <-ctx.Done():
			return errors.New(p.name + " did not listen on " + addr + " in 30 s; see " + p.log)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// copyFile copies a closed SQLite file (its WAL checkpointed on close).
func copyFile(from, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
