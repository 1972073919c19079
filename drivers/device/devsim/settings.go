package devsim

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"autogate/drivers/device"
)

// CheckSettings refuses [settings] keys the simulator does not understand,
// naming every one, so a typo in a profile does not go unnoticed.
func CheckSettings(p device.Profile, known ...string) error {
	var errs []error
	keys := make([]string, 0, len(p.Settings))
	for k := range p.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	takes := "no settings"
	if len(known) > 0 {
		takes = "only " + strings.Join(known, ", ")
	}
	for _, k := range keys {
		if !slices.Contains(known, k) {
			errs = append(errs, fmt.Errorf("%s simulator: profile %s: settings.%s: unknown setting; this simulator takes %s",
				p.Device.Kind, p.Name(), k, takes))
		}
	}
	return errors.Join(errs...)
}

// SettingInt returns an integer setting in [lo, hi], or def when absent.
func SettingInt(p device.Profile, key string, def, lo, hi int) (int, error) {
	v, ok := p.Settings[key]
	if !ok {
		return def, nil
	}
	var n int64
	switch v := v.(type) {
	case int64:
		n = v
	case int:
		n = int64(v)
	default:
		return 0, fmt.Errorf("%s simulator: profile %s: settings.%s: must be an integer (got %v)", p.Device.Kind, p.Name(), key, v)
	}
	if n < int64(lo) || n > int64(hi) {
		return 0, fmt.Errorf("%s simulator: profile %s: settings.%s: must be between %d and %d (got %d)", p.Device.Kind, p.Name(), key, lo, hi, n)
	}
	return int(n), nil
}
