package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"autogate/drivers/device"
	"autogate/gate-agent/internal/config"
	"autogate/models/face"
)

func cmdConfigCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("config check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gate-agent config check FILE...\n\nValidates gate files, the device profiles they name and, for a gate with a\ncamera, the face models in face.models_dir (relative to the working\ndirectory); prints every problem with its TOML key. Exit 0 when all are\nvalid, 1 otherwise.")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	code := 0
	for _, path := range fs.Args() {
		g, err := config.Load(path)
		if err == nil {
			err = errors.Join(checkProfiles(g), checkFaceModels(g))
		}
		if err != nil {
			fmt.Fprintf(stdout, "%s: INVALID\n%v\n", path, err)
			code = 1
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (gate %s at post %s, %s)\n", path, g.Gate.ID, g.Gate.Post, g.Gate.Direction)
	}
	return code
}

// checkProfiles loads every device profile the gate names and checks that
// each is of the kind its slot needs.
func checkProfiles(g *config.Gate) error {
	var errs []error
	for _, d := range g.DeviceList() {
		p, err := device.LoadProfile(g.Resolve(d.Profile))
		if err != nil {
			errs = append(errs, fmt.Errorf("devices.%s.profile: %w", d.Slot, err))
			continue
		}
		if string(p.Device.Kind) != d.Slot {
			errs = append(errs, fmt.Errorf("devices.%s.profile: %s is a %q profile, not %q", d.Slot, d.Profile, p.Device.Kind, d.Slot))
		}
		if p.Device.Driver == device.DriverSerial && d.Port == "" {
			errs = append(errs, fmt.Errorf("devices.%s.port: missing; profile %s drives a real serial reader: name its port (its /dev/serial/by-id link)", d.Slot, d.Profile))
		}
	}
	return errors.Join(errs...)
}

// checkFaceModels checks that a gate with a camera has every face model
// file, so it does not fail at start.
func checkFaceModels(g *config.Gate) error {
	if g.Devices.Camera == nil {
		return nil
	}
	if err := face.CheckDir(g.Face.ModelsDir); err != nil {
		return fmt.Errorf("face.models_dir: %w (or point models_dir at the converted models)", err)
	}
	return nil
}
