package devsim

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"autogate/drivers/device"
)

func profile() device.Profile {
	return device.Profile{
		Path:   "devices/test-scanner.toml",
		Device: device.DeviceInfo{Kind: device.KindFingerprint, Model: "test", Driver: "sim"},
		Timing: map[string]int64{"capture_ms": 1000},
	}
}

func TestNewRefusesBadInput(t *testing.T) {
	p := profile()
	if _, err := New(device.KindCamera, p, 1); err == nil || !strings.Contains(err.Error(), "describes a fingerprint, not a camera") {
		t.Errorf("wrong kind: %v", err)
	}
	if _, err := New(device.KindFingerprint, p, -2); err == nil || !strings.Contains(err.Error(), "speed") {
		t.Errorf("negative speed: %v", err)
	}
	bad := profile()
	bad.Timing = map[string]int64{"capture_ms": -1}
	if _, err := New(device.KindFingerprint, bad, 1); err == nil || !strings.Contains(err.Error(), "timing.capture_ms") {
		t.Errorf("invalid profile: %v", err)
	}
	if c, err := New(device.KindFingerprint, p, 1); err != nil || c.Name() != "fingerprint test-scanner" {
		t.Errorf("New(valid) = %v, %v", c, err)
	}
}

func TestFirmwareMismatchDegrades(t *testing.T) {
	p := profile()
	p.Device.Firmware = Firmware
	c, err := New(device.KindFingerprint, p, 1)
	if err != nil {
		t.Fatal(err)
	}
	if h := c.Health(); h.State != device.StateOK {
		t.Errorf("matching firmware: health %+v", h)
	}
	p.Device.Firmware = "9.9"
	c, err = New(device.KindFingerprint, p, 1)
	if err != nil {
		t.Fatal(err)
	}
	if h := c.Health(); h.State != device.StateDegraded || !strings.Contains(h.Detail, `"9.9"`) || !h.Usable() {
		t.Errorf("mismatched firmware: health %+v, want degraded naming the version", h)
	}
}

func TestPauseScalesAndUnplugCutsShort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := New(device.KindFingerprint, profile(), 2)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		c.Lock()
		err = c.Pause(context.Background(), "capture", time.Second)
		c.Unlock()
		if err != nil || time.Since(start) != 500*time.Millisecond {
			t.Fatalf("Pause(1s) at speed 2 = %v after %v, want nil after 500ms", err, time.Since(start))
		}

		go func() {
			time.Sleep(100 * time.Millisecond)
			c.Unplug()
		}()
		start = time.Now()
		c.Lock()
		err = c.Pause(context.Background(), "capture", time.Hour)
		c.Unlock()
		if !errors.Is(err, device.ErrDisconnected) || time.Since(start) != 100*time.Millisecond {
			t.Fatalf("Pause cut by Unplug = %v after %v, want ErrDisconnected after 100ms", err, time.Since(start))
		}
		if !strings.Contains(err.Error(), "fingerprint test-scanner: capture:") {
			t.Errorf("error does not name device and operation: %v", err)
		}
		h := c.Health()
		if h.State != device.StateDisconnected || h.Since != start.Add(100*time.Millisecond) {
			t.Errorf("health after Unplug = %+v", h)
		}
		c.Replug()
		if h := c.Health(); h.State != device.StateOK || !h.Since.Equal(start.Add(100*time.Millisecond)) {
			// Replug happens at the same simulated instant.
			t.Errorf("health after Replug = %+v", h)
		}
	})
}

func TestStallTimesOutAndResumes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := New(device.KindFingerprint, profile(), 1)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Stall(true)
		if h := c.Health(); h.State != device.StateFailed || h.Usable() {
			t.Errorf("stalled health = %+v", h)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		c.Lock()
		err = c.Pause(ctx, "capture", 0)
		c.Unlock()
		if !errors.Is(err, device.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("stalled call = %v, want ErrTimeout and DeadlineExceeded", err)
		}

		// A stall that ends lets the waiting call finish.
		var hooked int
		c.OnLinkUp(func() { hooked++ })
		go func() {
			time.Sleep(time.Second)
			c.Stall(false)
		}()
		start := time.Now()
		c.Lock()
		err = c.Pause(context.Background(), "capture", 0)
		c.Unlock()
		if err != nil || time.Since(start) != time.Second {
			t.Fatalf("call across a 1s stall = %v after %v", err, time.Since(start))
		}
		if hooked != 1 {
			t.Errorf("OnLinkUp ran %d times, want 1", hooked)
		}
	})
}

func TestCloseUnblocksAndStopsProcesses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := New(device.KindFingerprint, profile(), 1)
		if err != nil {
			t.Fatal(err)
		}
		ran := false
		c.Lock()
		c.After(time.Hour, func() { ran = true })
		c.Unlock()
		errs := make(chan error)
		for range 3 {
			go func() {
				c.Lock()
				defer c.Unlock()
				errs <- c.Await(context.Background(), "wait", func() bool { return false })
			}()
		}
		synctest.Wait()
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := <-errs; !errors.Is(err, device.ErrClosed) {
				t.Errorf("waiter after Close = %v, want ErrClosed", err)
			}
		}
		time.Sleep(2 * time.Hour)
		if ran {
			t.Error("a process scheduled before Close ran after it")
		}
		if err := c.Close(); err != nil {
			t.Errorf("second Close = %v", err)
		}
		if h := c.Health(); h.State != device.StateFailed {
			t.Errorf("health after Close = %+v", h)
		}
		c.Unplug() // no effect once closed
		if h := c.Health(); h.Detail != "driver closed" {
			t.Errorf("Unplug after Close changed health: %+v", h)
		}
	})
}

func TestSettings(t *testing.T) {
	p := profile()
	p.Settings = map[string]any{"width": int64(640), "colour": "red", "height": 0}
	err := CheckSettings(p, "width", "height")
	if err == nil || !strings.Contains(err.Error(), "settings.colour: unknown setting; this simulator takes only width, height") ||
		strings.Contains(err.Error(), "settings.width") {
		t.Errorf("CheckSettings = %v", err)
	}
	if n, err := SettingInt(p, "width", 1, 1, 8192); err != nil || n != 640 {
		t.Errorf("SettingInt(width) = %d, %v", n, err)
	}
	if _, err := SettingInt(p, "height", 1, 1, 8192); err == nil || !strings.Contains(err.Error(), "settings.height: must be between 1 and 8192 (got 0)") {
		t.Errorf("SettingInt(height = 0) = %v", err)
	}
	if _, err := SettingInt(p, "colour", 1, 1, 8192); err == nil {
		t.Error("SettingInt accepted a string")
	}
	if n, err := SettingInt(p, "depth", 8, 1, 16); err != nil || n != 8 {
		t.Errorf("SettingInt(absent) = %d, %v, want the default", n, err)
	}
}
