package auth

import (
	"context"
	"time"
)

// impl is the SQLite store; this file is being written.
type impl struct{}

func openStore(dataDir string, p Policy) (*Store, error) { return nil, ErrNotImplemented }
func (s *impl) close() error                             { return nil }
func (s *impl) path() string                             { return "" }
func (s *impl) addUser(ctx context.Context, name string, role Role, post, password string) (User, error) {
	return User{}, ErrNotImplemented
}
func (s *impl) setPassword(ctx context.Context, name, password string) error {
	return ErrNotImplemented
}
func (s *impl) users(ctx context.Context) ([]User, error) { return nil, ErrNotImplemented }
func (s *impl) user(ctx context.Context, name string) (User, bool, error) {
	return User{}, false, ErrNotImplemented
}
func (s *impl) setDisabled(ctx context.Context, name string, disabled bool) error {
	return ErrNotImplemented
}
func (s *impl) unlock(ctx context.Context, name string) error { return ErrNotImplemented }
func (s *impl) enableTOTP(ctx context.Context, name string) (string, string, error) {
	return "", "", ErrNotImplemented
}
func (s *impl) disableTOTP(ctx context.Context, name string) error { return ErrNotImplemented }
func (s *impl) login(ctx context.Context, name, password, code string, now time.Time) (Session, error) {
	return Session{}, ErrNotImplemented
}
func (s *impl) session(ctx context.Context, token string, now time.Time) (Session, error) {
	return Session{}, ErrNotImplemented
}
func (s *impl) logout(ctx context.Context, token string) error { return ErrNotImplemented }
