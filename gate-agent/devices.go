package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"autogate/drivers/camera"
	"autogate/drivers/device"
	"autogate/drivers/docreader"
	"autogate/drivers/fingerprint"
	"autogate/drivers/gatectl"
	"autogate/gate-agent/internal/config"
	"autogate/gate-agent/internal/simfeed"
)

// gateDevices are the devices of one gate, opened from the gate file.
type gateDevices struct {
	Reader  docreader.Reader
	Lane    gatectl.Controller
	Camera  camera.Camera       // nil when the gate has none
	Scanner fingerprint.Scanner // nil when the gate has none
	// Feed plays travellers when the reader and the lane are simulated.
	Feed *simfeed.Feed

	health  map[string]func() device.Health
	closers []io.Closer
}

// openDevices opens every configured device through the driver its profile names.
func openDevices(g *config.Gate, log *slog.Logger) (*gateDevices, error) {
	d := &gateDevices{health: map[string]func() device.Health{}}
	speed := device.Speed(g.Speed())
	var readerSim *docreader.Sim
	var laneSim *gatectl.Sim
	for _, sd := range g.DeviceList() {
		p, err := device.LoadProfile(g.Resolve(sd.Profile))
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("devices.%s: %w", sd.Slot, err)
		}
		if p.Device.Driver != "sim" {
			d.Close()
			return nil, fmt.Errorf("devices.%s: driver %q is not available in this build (only \"sim\")", sd.Slot, p.Device.Driver)
		}
		var h func() device.Health
		var c io.Closer
		switch sd.Slot {
		case "docreader":
			s, e := docreader.NewSim(p, speed)
			err, readerSim, d.Reader, h, c = e, s, s, s.Health, s
		case "gatectl":
			s, e := gatectl.NewSim(p, speed)
			err, laneSim, d.Lane, h, c = e, s, s, s.Health, s
		case "camera":
			s, e := camera.NewSim(p, speed)
			err, d.Camera, h, c = e, s, s.Health, s
		case "fingerprint":
			s, e := fingerprint.NewSim(p, speed)
			err, d.Scanner, h, c = e, s, s.Health, s
		}
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("devices.%s: %w", sd.Slot, err)
		}
		d.health[sd.Slot] = h
		d.closers = append(d.closers, c)
		log.Info("device ready", "device", sd.Slot, "profile", p.Name(), "model", p.Device.Model, "driver", p.Device.Driver)
	}
	if readerSim != nil && laneSim != nil {
		d.Feed = simfeed.New(readerSim, laneSim, log)
	}
	return d, nil
}

// Health maps each device to its state, for the gate's status.
func (d *gateDevices) Health() map[string]string {
	out := make(map[string]string, len(d.health))
	for name, h := range d.health {
		out[name] = string(h().State)
	}
	return out
}

func (d *gateDevices) Close() error {
	var errs []error
	for _, c := range d.closers {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
