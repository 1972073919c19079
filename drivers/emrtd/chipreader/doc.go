// Package chipreader is the gate's contactless reader for the chip of a
// travel document: it waits for a chip in the field and hands the chip stack
// a transport to it.
//
// Three drivers stand behind one interface:
//   - PCSC: a real reader through pcscd (drivers/emrtd/pcsc);
//   - Sim: a virtual chip answered in-process, each exchange delayed by the
//     air time of ISO/IEC 14443 at the profile's bit rate, scaled by the
//     simulation speed;
//   - VPCDSim: a virtual chip plugged into pcscd through vsmartcard's vpcd
//     and read back through PCSC, so the whole real PC/SC stack is exercised.
package chipreader
