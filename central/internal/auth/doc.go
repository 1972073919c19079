// Package auth keeps central's user accounts and web sessions in
// DIR/users.db: argon2id password hashes (golang.org/x/crypto/argon2, PHC
// string format), roles and posts, lockout after repeated failures, an
// optional TOTP second factor (RFC 6238), and sessions whose tokens are
// stored only as SHA-256 hashes, each with its own CSRF token.
//
// Roles: an officer acts on the referrals of their post and locks or
// unlocks its gates; a supervisor may do the same and reads the post's
// dashboard; hq reads every post and acts on none; admin manages users,
// gates and lists and acts on no referral.
package auth
