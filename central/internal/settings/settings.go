package settings

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"autogate/central/internal/auth"
)

// FileName is central's settings file inside its data folder.
const FileName = "central.toml"

// Settings are central's own settings.
type Settings struct {
	Web     Web
	Privacy Privacy
}

// Web is the [web] section: sessions, lockout, passwords, and officers'
// commands.
type Web struct {
	SessionIdle     time.Duration // a session unused this long ends
	SessionMax      time.Duration // a session ends this long after login whatever
	LockoutFailures int           // failed logins in a row before the lockout
	LockoutFor      time.Duration // how long the lockout lasts
	MinPasswordLen  int           // shortest password accepted
	CommandTTL      time.Duration // an officer's command is refused by the gate after this
	CommandWait     time.Duration // how long an action waits for the gate's acknowledgement
}

// Privacy is the [privacy] section.
type Privacy struct {
	ImageRetention time.Duration // referral images are purged from central after this
}

// Defaults are the settings without a central.toml.
func Defaults() Settings {
	p := auth.DefaultPolicy()
	return Settings{
		Web: Web{SessionIdle: p.SessionIdle, SessionMax: p.SessionMax, LockoutFailures: p.MaxFailures,
			LockoutFor: p.LockoutFor, MinPasswordLen: p.MinPasswordLen,
			CommandTTL: 10 * time.Second, CommandWait: 5 * time.Second},
		Privacy: Privacy{ImageRetention: 24 * time.Hour},
	}
}

// AuthPolicy is the accounts policy of the [web] section.
func (s Settings) AuthPolicy() auth.Policy {
	return auth.Policy{MaxFailures: s.Web.LockoutFailures, LockoutFor: s.Web.LockoutFor,
		SessionIdle: s.Web.SessionIdle, SessionMax: s.Web.SessionMax, MinPasswordLen: s.Web.MinPasswordLen}
}

// field is one key of the file: its name, comment, bounds, and where its
// value lives in Settings. One table drives parsing, checking and writing.
type field struct {
	key, comment string
	dur          func(*Settings) *time.Duration // nil for an integer
	num          func(*Settings) *int
	min, max     int64 // nanoseconds for durations
}

var fields = []field{
	{key: "web.session_idle", comment: "a session unused this long ends", dur: func(s *Settings) *time.Duration { return &s.Web.SessionIdle }, min: int64(time.Minute), max: int64(24 * time.Hour)},
	{key: "web.session_max", comment: "a session ends this long after login, used or not", dur: func(s *Settings) *time.Duration { return &s.Web.SessionMax }, min: int64(time.Minute), max: int64(720 * time.Hour)},
	{key: "web.lockout_failures", comment: "failed logins in a row that lock the account", num: func(s *Settings) *int { return &s.Web.LockoutFailures }, min: 1, max: 100},
	{key: "web.lockout_for", comment: "how long the lock lasts ('central user unlock NAME' ends it early)", dur: func(s *Settings) *time.Duration { return &s.Web.LockoutFor }, min: int64(time.Minute), max: int64(24 * time.Hour)},
	{key: "web.min_password_len", comment: "shortest password accepted, in characters", num: func(s *Settings) *int { return &s.Web.MinPasswordLen }, min: 8, max: 128},
	{key: "web.command_ttl", comment: "a gate refuses an officer's command this long after it was issued", dur: func(s *Settings) *time.Duration { return &s.Web.CommandTTL }, min: int64(time.Second), max: int64(5 * time.Minute)},
	{key: "web.command_wait", comment: "how long an action waits for the gate's acknowledgement", dur: func(s *Settings) *time.Duration { return &s.Web.CommandWait }, min: int64(time.Second), max: int64(time.Minute)},
	{key: "privacy.image_retention", comment: "referral images are purged from central this long after they arrive", dur: func(s *Settings) *time.Duration { return &s.Privacy.ImageRetention }, min: int64(time.Minute), max: int64(720 * time.Hour)},
}

func (f field) bounds() string {
	if f.dur != nil {
		return fmt.Sprintf("%s..%s", formatDuration(time.Duration(f.min)), formatDuration(time.Duration(f.max)))
	}
	return fmt.Sprintf("%d..%d", f.min, f.max)
}

// Parse reads a central.toml document. Errors name the key and what is
// wrong with it.
func Parse(data []byte) (Settings, error) {
	// Sections are decoded strictly by go-toml; keys inside them by the
	// table below, so that an unknown key, a value of the wrong type and a
	// value out of bounds all come out as "key: what is wrong".
	var file struct {
		Web     map[string]any `toml:"web"`
		Privacy map[string]any `toml:"privacy"`
	}
	if err := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(&file); err != nil {
		var strict *toml.StrictMissingError
		var de *toml.DecodeError
		switch {
		case errors.As(err, &strict):
			var keys []string
			for _, e := range strict.Errors {
				row, _ := e.Position()
				keys = append(keys, fmt.Sprintf("%s (line %d)", strings.Join(e.Key(), "."), row))
			}
			return Settings{}, fmt.Errorf("unknown key %s: central.toml has sections [web] and [privacy] only", strings.Join(keys, ", "))
		case errors.As(err, &de):
			row, col := de.Position()
			return Settings{}, fmt.Errorf("%s: line %d, column %d: %v", strings.Join(de.Key(), "."), row, col, de.Error())
		}
		return Settings{}, err
	}
	raw := map[string]map[string]any{"web": file.Web, "privacy": file.Privacy}
	s := Defaults()
	known := map[string]field{}
	for _, f := range fields {
		known[f.key] = f
	}
	for _, section := range slices.Sorted(maps.Keys(raw)) {
		for _, name := range slices.Sorted(maps.Keys(raw[section])) {
			key := section + "." + name
			f, ok := known[key]
			if !ok {
				return Settings{}, fmt.Errorf("%s: unknown key (known: %s)", key, knownKeys(section))
			}
			if err := f.set(&s, raw[section][name]); err != nil {
				return Settings{}, fmt.Errorf("%s: %v", key, err)
			}
		}
	}
	if s.Web.SessionMax < s.Web.SessionIdle {
		return Settings{}, fmt.Errorf("web.session_max %s is shorter than web.session_idle %s: make it at least as long",
			formatDuration(s.Web.SessionMax), formatDuration(s.Web.SessionIdle))
	}
	return s, nil
}

func (f field) set(s *Settings, v any) error {
	if f.dur != nil {
		str, ok := v.(string)
		if !ok {
			return fmt.Errorf("%v is not a duration: write it as a string, e.g. %q", v, formatDuration(time.Duration(f.min)))
		}
		d, err := time.ParseDuration(str)
		if err != nil {
			return fmt.Errorf("%q is not a duration (e.g. \"30s\", \"15m\", \"24h\")", str)
		}
		if int64(d) < f.min || int64(d) > f.max {
			return fmt.Errorf("%s is out of bounds: want %s", str, f.bounds())
		}
		*f.dur(s) = d
		return nil
	}
	n, ok := v.(int64)
	if !ok {
		return fmt.Errorf("%v is not a whole number", v)
	}
	if n < f.min || n > f.max {
		return fmt.Errorf("%d is out of bounds: want %s", n, f.bounds())
	}
	*f.num(s) = int(n)
	return nil
}

func knownKeys(section string) string {
	var out []string
	for _, f := range fields {
		if sec, name, _ := strings.Cut(f.key, "."); sec == section {
			out = append(out, name)
		}
	}
	return strings.Join(out, ", ")
}

// check reports the first value out of bounds (Parse never returns one).
func (s Settings) check() error {
	for _, f := range fields {
		v := f.value(s)
		if v < f.min || v > f.max {
			return fmt.Errorf("%s: %d out of bounds %s", f.key, v, f.bounds())
		}
	}
	if s.Web.SessionMax < s.Web.SessionIdle {
		return errors.New("web.session_max is shorter than web.session_idle")
	}
	return nil
}

func (f field) value(s Settings) int64 {
	if f.dur != nil {
		return int64(*f.dur(&s))
	}
	return int64(*f.num(&s))
}

// Load reads the settings file at path.
func Load(path string) (Settings, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Settings{}, err
	}
	s, err := Parse(data)
	if err != nil {
		return Settings{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// LoadDir reads DIR/central.toml; without one it returns the defaults and
// false.
func LoadDir(dataDir string) (Settings, bool, error) {
	s, err := Load(filepath.Join(dataDir, FileName))
	if errors.Is(err, fs.ErrNotExist) {
		return Defaults(), false, nil
	}
	return s, true, err
}

// TOML writes the settings as a commented central.toml.
func (s Settings) TOML() string {
	var b strings.Builder
	section := ""
	for _, f := range fields {
		sec, name, _ := strings.Cut(f.key, ".")
		if sec != section {
			if section != "" {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "[%s]\n", sec)
			section = sec
		}
		val := fmt.Sprint(f.value(s))
		if f.dur != nil {
			val = fmt.Sprintf("%q", formatDuration(time.Duration(f.value(s))))
		}
		fmt.Fprintf(&b, "%-18s = %-6s # %s (%s)\n", name, val, f.comment, f.bounds())
	}
	return b.String()
}

// Example is a commented central.toml holding the defaults.
func Example() string {
	return "# central.toml: central's own settings, in central's data folder.\n" +
		"# Every key is optional; these are the defaults. Durations: \"90s\", \"15m\", \"24h\".\n" +
		"# The gates' policies are not here: push them with 'central config push'.\n\n" +
		Defaults().TOML()
}

// formatDuration writes 30m rather than Go's 30m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
