// Package simfeed plays travellers at a gate whose devices are simulated: the
// border-post simulator (or a person with curl) queues travellers over HTTP,
// and the feed walks each one into the lane and places their document on the
// simulated reader (in-process, or on a pseudo-terminal read by the real
// serial driver), one at a time, as a real queue at a gate would.
//
// It exists only when the gate's reader and lane controller are simulators; a
// gate on real devices has no such endpoint.
package simfeed
