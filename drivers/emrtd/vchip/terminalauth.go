package vchip

import (
	"time"

	"autogate/drivers/emrtd/cvc"
	"autogate/drivers/emrtd/iso7816"
	"autogate/drivers/emrtd/sm"
	"autogate/drivers/emrtd/ta"
)

// taState is the chip's side of Terminal Authentication v1. It lives as
// long as the session Chip Authentication started: a new BAC, PACE or CA
// run, a secure messaging error or a reset forgets it, and the rights with
// it.
type taState struct {
	caSession     *sm.Session // the session CA established; TA runs under it
	caTerminalKey []byte      // the terminal's ephemeral CA key, PK_PCD
	verifier      *cvc.Verifier
	dst           string             // key selected by MSE:Set DST
	terminal      *cvc.Authorization // IS key selected by MSE:Set AT
	granted       *sm.Session        // the session TA succeeded under
	rights        cvc.Rights
}

// eacGroup is 3 or 4 for the EAC-protected data groups' file identifiers,
// 0 otherwise.
func eacGroup(fid uint16) int {
	switch fid {
	case iso7816.FIDDataGroup(3):
		return 3
	case iso7816.FIDDataGroup(4):
		return 4
	}
	return 0
}

// eacGranted reports whether f may be read: any file but DG3 and DG4, and
// those only under the session Terminal Authentication granted them in.
func (c *Chip) eacGranted(f *file) bool {
	if !f.eac || !c.accessControlled() {
		return true
	}
	return c.ta.granted != nil && c.ta.granted == c.session && c.ta.rights.CanRead(eacGroup(f.fid))
}

// taReady reports whether Terminal Authentication may run now: under the
// secure messaging of Chip Authentication, on a chip with trust points.
func (c *Chip) taReady(secure bool) bool {
	return secure && len(c.cfg.TrustPoints) > 0 && c.ta.caSession != nil && c.ta.caSession == c.session
}

func (c *Chip) date() time.Time {
	if c.cfg.Date.IsZero() {
		return time.Now()
	}
	return c.cfg.Date
}

// setDST is MSE:Set DST: DO'83' names the public key (a trust point, or a
// certificate verified before) that will verify the next certificate.
func (c *Chip) setDST(cmd iso7816.Command, secure bool) iso7816.Response {
	if !c.taReady(secure) {
		return status(iso7816.SWConditionsOfUse)
	}
	d, ok := dos(cmd.Data)
	car, has := d[0x83]
	if !ok || !has || len(d) != 1 {
		return status(iso7816.SWWrongData)
	}
	if c.ta.verifier == nil {
		c.ta.verifier = cvc.NewVerifier(c.date(), c.cfg.TrustPoints...)
	}
	if _, known := c.ta.verifier.Key(string(car)); !known {
		c.log.Info("vchip: Terminal Authentication: unknown CAR", "car", string(car))
		c.ta.dst = ""
		return status(iso7816.SWRefDataNotFound)
	}
	c.ta.dst = string(car)
	return status(iso7816.SWOK)
}

// verifyCertificate is PSO:Verify Certificate: the certificate must be
// signed by the key MSE:Set DST selected and valid at the chip's date; its
// key then becomes available for the next step.
func (c *Chip) verifyCertificate(cmd iso7816.Command, secure bool) iso7816.Response {
	if !ta.IsPSOVerifyCertificate(cmd) {
		return status(iso7816.SWWrongP1P2)
	}
	if !c.taReady(secure) || c.ta.dst == "" {
		return status(iso7816.SWConditionsOfUse)
	}
	dst := c.ta.dst
	c.ta.dst = ""
	cert, err := cvc.ParseBodyAndSignature(cmd.Data)
	if err != nil {
		c.log.Info("vchip: Terminal Authentication: certificate does not parse", "err", err)
		return status(iso7816.SWWrongData)
	}
	if cert.CAR != dst {
		c.log.Info("vchip: Terminal Authentication: certificate's CAR is not the selected key", "car", cert.CAR, "selected", dst)
		return status(iso7816.SWAuthenticationFailed)
	}
	a, err := c.ta.verifier.Verify(cert)
	if err != nil {
		c.log.Info("vchip: Terminal Authentication: certificate refused", "err", err)
		return status(iso7816.SWAuthenticationFailed)
	}
	c.log.Debug("vchip: Terminal Authentication: certificate accepted", "chr", a.CHR, "role", a.Role.String(), "rights", a.Rights.String())
	return status(iso7816.SWOK)
}

// setTAKey is MSE:Set AT for Terminal Authentication: DO'83' names the
// inspection system's key, which must come from a verified IS certificate.
func (c *Chip) setTAKey(cmd iso7816.Command, secure bool) iso7816.Response {
	if !c.taReady(secure) || c.ta.verifier == nil {
		return status(iso7816.SWConditionsOfUse)
	}
	d, ok := dos(cmd.Data)
	chr, has := d[0x83]
	if !ok || !has {
		return status(iso7816.SWWrongData)
	}
	a, known := c.ta.verifier.Key(string(chr))
	if !known || a.Role != cvc.RoleTerminal {
		return status(iso7816.SWRefDataNotFound)
	}
	c.ta.terminal = &a
	return status(iso7816.SWOK)
}

// terminalAuthenticate is EXTERNAL AUTHENTICATE of TA: the terminal's
// signature over ID_PICC ‖ r_PICC ‖ Comp(PK_PCD) with the selected IS key.
// One signature per challenge.
func (c *Chip) terminalAuthenticate(cmd iso7816.Command) iso7816.Response {
	challenge, terminal := c.challenge, c.ta.terminal
	c.challenge, c.ta.terminal = nil, nil
	if challenge == nil || c.ta.caSession != c.session {
		return status(iso7816.SWConditionsOfUse)
	}
	var id []byte
	if c.viaBAC {
		var err error
		if id, err = ta.IDPICCFromBAC(c.cfg.MRZInfo); err != nil {
			return status(iso7816.SWConditionsOfUse)
		}
	} else if id = c.paceID; id == nil {
		// After PACE, ID_PICC is the chip's ephemeral PACE key: a plug-in
		// that does not tell it leaves TA impossible.
		c.log.Info("vchip: Terminal Authentication after PACE without the chip's PACE identity")
		return status(iso7816.SWConditionsOfUse)
	}
	if err := terminal.Key.Verify(ta.SignedData(id, challenge, c.ta.caTerminalKey), cmd.Data); err != nil {
		c.log.Info("vchip: Terminal Authentication: signature refused", "chr", terminal.CHR, "err", err)
		return status(iso7816.SWAuthenticationFailed)
	}
	c.ta.granted, c.ta.rights = c.session, terminal.Rights
	c.log.Debug("vchip: Terminal Authentication done", "chr", terminal.CHR, "rights", terminal.Rights.String())
	return status(iso7816.SWOK)
}
