// Package faultnet is a TCP proxy a test steers to break a network link on
// purpose: Pause holds every byte in both directions while the connections
// stay open (a link that hangs), Cut resets every connection and refuses new
// ones until Restore (a link that is down). The border-post simulator puts
// one in front of each gate's MQTT connection; TLS passes through it
// untouched.
package faultnet
