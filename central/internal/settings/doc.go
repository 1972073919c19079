// Package settings reads central's own settings file, DIR/central.toml:
// the web side's session and lockout policy, the time to live of officers'
// commands and how long an action waits for the gate's acknowledgement
// ([web]), and how long referral images stay on central ([privacy]). The
// file is optional (absent means the defaults), strict (an unknown key is
// an error, so a misspelt one is never silently ignored), and every value
// is checked against bounds. These are not the gates' policies: those are
// pushed with 'central config push'.
package settings
