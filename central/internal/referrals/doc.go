// Package referrals is central's receiver of the referrals the gates send
// live (wire.Referral on autogate/v1/gates/{gate}/referrals, QoS 1) the
// moment they refer a traveller: the crossing as decided, how long the
// gate holds the traveller for an officer, and the chip photo and live
// capture. The Receiver decodes each with wire.DecodeReferral, stores it
// once by crossing id (a re-delivery is a harmless duplicate), and tells
// the web console about each new one (OnNew) so the officers of the post
// see it while the traveller is still in the lane.
//
// A message that is not a valid referral is refused like ingest refuses
// one: counted, logged and kept with the store's rejects. A referral is a
// notice, not the record (the crossing itself still travels through the
// gate's outbox), so one that cannot be stored is logged and dropped, not
// redelivered for ever.
//
// Privacy: the images are biometric data. Purge (RunPurge, every minute)
// deletes those older than the retention (default 24 h); the referral's
// decision, checks and scores stay for the record.
package referrals
