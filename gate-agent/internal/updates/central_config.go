package updates

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"autogate/gate-agent/internal/config"
	"autogate/internal/lists"
	"autogate/internal/wire"
)

// ConfigFile holds, in the gate's data folder, the signed configuration
// from central in force (and a newer one not in force, if any).
const ConfigFile = "central-config.json"

// stored is ConfigFile's content. The envelopes are kept byte for byte
// (base64), so their signatures verify again at the next start.
type stored struct {
	V int `json:"v"`
	// Applied is the signed configuration in force.
	Applied []byte `json:"applied,omitempty"`
	// Latest is a newer signed configuration that is not in force: refused,
	// or for the gates of the other direction. It holds the gate's place in
	// central's numbering.
	Latest []byte `json:"latest,omitempty"`
}

// signedConfig is a verified configuration with its envelope.
type signedConfig struct {
	raw []byte
	c   wire.ConfigUpdate
}

// decodeConfig decodes a verified configuration body.
func decodeConfig(body []byte) (wire.ConfigUpdate, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var c wire.ConfigUpdate
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("%w: configuration: %v", wire.ErrMalformed, err)
	}
	switch {
	case c.V != wire.SchemaVersion:
		return c, fmt.Errorf("%w: configuration v=%d", wire.ErrUnknownVersion, c.V)
	case c.Version < 1:
		return c, fmt.Errorf("%w: configuration version %d", wire.ErrInvalid, c.Version)
	case c.Direction != "" && c.Direction != lists.DirectionEntry && c.Direction != lists.DirectionExit:
		return c, fmt.Errorf("%w: configuration for direction %q", wire.ErrInvalid, c.Direction)
	}
	return c, nil
}

func (u *Updates) verifyConfig(raw []byte) (signedConfig, error) {
	body, err := wire.Verify(raw, wire.SignedConfig, u.o.Keyring)
	if err != nil {
		return signedConfig{}, err
	}
	c, err := decodeConfig(body)
	return signedConfig{raw: raw, c: c}, err
}

// takeConfig takes a verified configuration: the next version is enforced,
// an older or equal one dropped as a replay, a later one held until the
// versions between arrive.
func (u *Updates) takeConfig(ctx context.Context, sc signedConfig) {
	cur, v := u.ConfigVersion(), sc.c.Version
	switch {
	case v <= cur:
		u.mReplayed.WithLabelValues(wire.SignedConfig).Inc()
		u.log.Debug("dropped a configuration the gate already holds", "version", v, "have", cur)
		return
	case v > cur+1:
		u.hold(wire.ConfigList, pending{to: v, cfg: &sc})
		u.log.Info("a configuration came before the one it follows; holding it", "version", v, "have", cur)
		return
	}
	if !u.enforce(sc) {
		return
	}
	u.progress(wire.ConfigList)
	u.drain(ctx, wire.ConfigList, v)
}

// enforce puts a verified configuration in force when it is for this
// gate's direction and its policy is one the gate can enforce; either way
// the gate moves to its version, except when Apply fails (the gate will
// take it again from a resync). It reports whether the version moved.
func (u *Updates) enforce(sc signedConfig) bool {
	c := sc.c
	if c.Direction != "" && c.Direction != u.o.Direction {
		u.log.Info("central's configuration is for the other direction's gates; skipping it", "version", c.Version, "for", c.Direction)
		u.cfgLatest = sc.raw
		u.setVersion(c.Version)
		u.save()
		return true
	}
	p, err := config.ParsePolicy(c.Policy, u.o.Direction)
	if err != nil {
		u.refuse("bad_policy", "", err, "version", c.Version)
		u.setConfigAlarm(fmt.Sprintf("config_refused: central's configuration version %d cannot be enforced (%s); the previous policy stays in force",
			c.Version, problems(err)))
		u.cfgLatest = sc.raw
		u.setVersion(c.Version)
		u.save()
		return true
	}
	if err := u.o.Apply(p); err != nil {
		u.refuse("apply_failed", "", err, "version", c.Version)
		u.setConfigAlarm(fmt.Sprintf("config_refused: central's configuration version %d could not be put in force (%v)", c.Version, err))
		return false
	}
	u.applied, u.cfgLatest = sc.raw, nil
	u.setVersion(c.Version)
	u.setConfigAlarm("")
	u.save()
	u.mApplied.WithLabelValues(wire.SignedConfig).Inc()
	u.log.Info("central's configuration is in force", "version", c.Version, "direction", c.Direction)
	return true
}

// problems flattens a policy error to one line for the status.
func problems(err error) string {
	var ce *config.Error
	if errors.As(err, &ce) {
		return strings.Join(ce.Problems, "; ")
	}
	return err.Error()
}

func (u *Updates) setVersion(v int64) {
	u.mu.Lock()
	u.cfgVersion = v
	u.mu.Unlock()
	u.mVersion.Set(float64(v))
}

func (u *Updates) setConfigAlarm(a string) {
	u.mu.Lock()
	changed := a != "" && a != u.configAlarm
	u.configAlarm = a
	u.mu.Unlock()
	if changed {
		u.log.Error("ALARM: " + a)
	}
}

// save keeps the configurations in ConfigFile. A failure is logged: the
// gate enforces the configuration now and gets it again from a resync
// after a restart.
func (u *Updates) save() {
	data := wire.Encode(stored{V: 1, Applied: u.applied, Latest: u.cfgLatest})
	path := filepath.Join(u.o.DataDir, ConfigFile)
	if err := writeAtomic(path, data); err != nil {
		u.log.Error("cannot keep central's configuration; after a restart the gate asks for it again", "path", path, "err", err)
	}
}

// writeAtomic replaces path with data: a temporary file beside it, synced,
// then renamed over it, so a power cut leaves the old or the new file.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // the rename itself survives a power cut
		d.Close()
	}
	return nil
}

// LoadConfig puts in force the configuration from central kept in the data
// folder, after verifying its signature again; call it before Run. A file
// that cannot be used leaves the gate on its gate file's policy, in alarm,
// at configuration version 0: central's fleet versions then bring the
// configuration again.
func (u *Updates) LoadConfig() error {
	path := filepath.Join(u.o.DataDir, ConfigFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	fail := func(err error) error {
		u.mRejected.WithLabelValues("stored_config").Inc()
		u.setConfigAlarm(fmt.Sprintf("config_refused: the configuration from central kept in %s cannot be used (%v); the gate enforces its gate file's policy until central sends it again", path, err))
		return fmt.Errorf("%s: %w", path, err)
	}
	if err != nil {
		return fail(err)
	}
	var st stored
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return fail(fmt.Errorf("not a configuration file: %v", err))
	}
	if len(u.o.Keyring) == 0 {
		return fail(ErrNoKey)
	}
	// Expiry is not checked again: the configuration was valid when the
	// gate put it in force, and a gate restarting after that date must keep
	// central's policy rather than fall back to its gate file's.
	if len(st.Applied) > 0 {
		sc, err := u.verifyConfig(st.Applied)
		if err != nil {
			return fail(err)
		}
		p, err := config.ParsePolicy(sc.c.Policy, u.o.Direction)
		if err != nil {
			return fail(fmt.Errorf("%s", problems(err)))
		}
		if err := u.o.Apply(p); err != nil {
			return fail(err)
		}
		u.applied = st.Applied
		u.setVersion(sc.c.Version)
	}
	if len(st.Latest) > 0 {
		sc, err := u.verifyConfig(st.Latest)
		switch {
		case err != nil:
			// The one in force stands; the fleet versions bring the rest.
			u.log.Warn("the newer configuration kept from central does not verify; ignoring it", "path", path, "err", err)
		case sc.c.Version > u.ConfigVersion():
			// Taken again: the gate may now accept what it refused.
			u.enforce(sc)
		}
	}
	u.log.Info("configuration from central loaded", "path", path, "version", u.ConfigVersion())
	return nil
}
