package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"autogate/drivers/camera"
	"autogate/drivers/device"
	"autogate/drivers/docreader"
	"autogate/drivers/emrtd/chipreader"
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
	Chip    chipreader.Reader   // nil when the gate has none
	// Feed plays travellers when the reader and the lane are simulated.
	Feed *simfeed.Feed
	// readerSim is the simulated reader documents are placed on (nil for a
	// real reader).
	readerSim simfeed.Presenter

	health  map[string]func() device.Health
	closers []io.Closer
}

// openDevices opens every configured device through the driver its profile
// names: "sim" for every device, and for the document reader "serial" (a
// real reader on devices.docreader.port) or "serial-sim" (a simulated reader
// on a pseudo-terminal, read by the real serial driver).
func openDevices(g *config.Gate, log *slog.Logger, reg prometheus.Registerer) (*gateDevices, error) {
	d := &gateDevices{health: map[string]func() device.Health{}}
	speed := device.Speed(g.Speed())
	var reader simfeed.Presenter // the simulated reader, if any, the feed places documents on
	var laneSim *gatectl.Sim
	var chip simfeed.ChipPresenter  // the simulated chip reader, if any
	var cam simfeed.CameraPresenter // the simulated camera, if any
	for _, sd := range g.DeviceList() {
		p, err := device.LoadProfile(g.Resolve(sd.Profile))
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("devices.%s: %w", sd.Slot, err)
		}
		serialDriver := p.Device.Driver == device.DriverSerial || p.Device.Driver == device.DriverSerialSim
		pcscDriver := p.Device.Driver == device.DriverPCSC || p.Device.Driver == device.DriverVPCDSim
		v4l2Driver := sd.Slot == "camera" && p.Device.Driver == device.DriverV4L2
		if p.Device.Driver != device.DriverSim && !(sd.Slot == "docreader" && serialDriver) && !(sd.Slot == "chipreader" && pcscDriver) && !v4l2Driver {
			d.Close()
			return nil, fmt.Errorf("devices.%s: driver %q is not available for a %s in this build (%q; %q and %q for the docreader; %q and %q for the chipreader; %q for the camera)",
				sd.Slot, p.Device.Driver, sd.Slot, device.DriverSim, device.DriverSerial, device.DriverSerialSim, device.DriverPCSC, device.DriverVPCDSim, device.DriverV4L2)
		}
		if string(p.Device.Kind) != sd.Slot {
			d.Close()
			return nil, fmt.Errorf("devices.%s.profile: %s is a %q profile, not %q", sd.Slot, p.Name(), p.Device.Kind, sd.Slot)
		}
		var h func() device.Health
		var c io.Closer
		switch {
		case sd.Slot == "docreader" && p.Device.Driver == device.DriverSerial:
			if sd.Port == "" {
				d.Close()
				return nil, fmt.Errorf("devices.docreader.port: missing; profile %s drives a serial reader: name its port (its /dev/serial/by-id link)", p.Name())
			}
			s, e := docreader.NewSerial(p, sd.Port, docreader.Options{Logger: log, Registerer: reg})
			if e == nil {
				d.Reader, h, c = s, s.Health, s
			}
			err = e
		case sd.Slot == "docreader" && p.Device.Driver == device.DriverSerialSim:
			// The simulated reader on a pseudo-terminal, and the real
			// serial driver reading it: the demo runs the real protocol code.
			sim, e := docreader.NewPTYSim(p, speed)
			if e != nil {
				err = e
				break
			}
			sim.SetLogger(log)
			d.closers = append(d.closers, sim)
			s, e := docreader.NewSerial(p, sim.Path(), docreader.Options{Logger: log, Registerer: reg})
			if e == nil {
				reader, d.Reader, h, c = sim, s, s.Health, s
			}
			err = e
		case sd.Slot == "docreader":
			s, e := docreader.NewSim(p, speed)
			err = e
			if e == nil {
				reader, d.Reader, h, c = s, s, s.Health, s
			}
		case sd.Slot == "gatectl":
			s, e := gatectl.NewSim(p, speed)
			err, laneSim, d.Lane, h, c = e, s, s, s.Health, s
		case v4l2Driver:
			s, e := camera.NewV4L2(p, log)
			if e == nil {
				d.Camera, h, c = s, s.Health, s
			}
			err = e
		case sd.Slot == "camera":
			s, e := camera.NewSim(p, speed)
			err = e
			if e == nil {
				cam, d.Camera, h, c = s, s, s.Health, s
			}
		case sd.Slot == "chipreader":
			var r chipreader.Reader
			r, chip = openChipReader(p, sd.Port, speed)
			d.Chip, h, c = r, r.Health, r
		case sd.Slot == "fingerprint":
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
	d.readerSim = reader
	if reader != nil && laneSim != nil {
		d.Feed = simfeed.New(reader, laneSim, log)
		if chip != nil {
			d.Feed.SetChipReader(chip)
		}
		if cam != nil {
			d.Feed.SetCamera(cam)
		}
	}
	return d, nil
}

// openChipReader opens a chip reader: "sim" answers with the traveller's
// virtual chip in-process (air time from the profile), "vpcd-sim" plugs it
// into pcscd through vpcd and reads it through PC/SC, "pcsc" is a real
// reader (port names it). The second result is where a simulated traveller's
// chip is placed (nil for a real reader).
func openChipReader(p device.Profile, port string, speed device.Speed) (chipreader.Reader, simfeed.ChipPresenter) {
	str := func(key, def string) string {
		if v, ok := p.Settings[key].(string); ok && v != "" {
			return v
		}
		return def
	}
	switch p.Device.Driver {
	case device.DriverPCSC:
		return chipreader.NewPCSC(port), nil
	case device.DriverVPCDSim:
		v := chipreader.NewVPCDSim(str("vpcd_addr", ""), str("reader", "Virtual PCD"))
		return v, v
	}
	air := chipreader.AirTime{Activation: p.Delay("activation_ms"), PerExchange: p.Delay("exchange_ms"), BitsPerSec: 424_000}
	if kbps, ok := p.Settings["bit_rate_kbps"].(int64); ok && kbps > 0 {
		air.BitsPerSec = int(kbps) * 1000
	}
	s := chipreader.NewSim(air, speed)
	return s, s
}

// Health maps each device to its state, for the gate's status.
func (d *gateDevices) Health() map[string]string {
	out := make(map[string]string, len(d.health))
	for name, h := range d.health {
		out[name] = string(h().State)
	}
	return out
}

// Close closes the devices, last opened first: a driver before the
// simulator it reads.
func (d *gateDevices) Close() error {
	var errs []error
	for _, c := range slices.Backward(d.closers) {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
