package store

import (
	"errors"

	"autogate/internal/wire"
)

// Reasons a gate's message is refused by a receiver that decodes it with
// the wire package (the commands' acks, the referrals); ingest gives the
// same codes and a few of its own. They label metrics and Reject.Reason.
const (
	ReasonBadTopic       = "bad_topic"
	ReasonTooLarge       = "too_large"
	ReasonMalformed      = "malformed"
	ReasonUnknownVersion = "unknown_version"
	ReasonInvalid        = "invalid"
)

// DecodeRejectReason maps a wire decode error to the reason recorded for
// the refused message.
func DecodeRejectReason(err error) string {
	switch {
	case errors.Is(err, wire.ErrTooLarge):
		return ReasonTooLarge
	case errors.Is(err, wire.ErrUnknownVersion):
		return ReasonUnknownVersion
	case errors.Is(err, wire.ErrInvalid):
		return ReasonInvalid
	}
	return ReasonMalformed
}
