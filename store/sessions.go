package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// Sign-in links and dashboard sessions. Only a hash of each secret is
// stored, so that a copy of the database (a backup) signs nobody in.
var (
	bucketSignIn   = []byte("signin_links") // sha256(token) → SignInLink
	bucketSessions = []byte("sessions")     // sha256(session id) → Session
)

// Why a sign-in link was refused.
var (
	ErrLinkUnknown = errors.New("store: sign-in link unknown")
	ErrLinkUsed    = errors.New("store: sign-in link already used")
	ErrLinkExpired = errors.New("store: sign-in link expired")
	ErrNotStaff    = errors.New("store: not department staff")
)

// Audit actions of the dashboard's sign-in, shown in /audit and on the
// dashboard's audit page.
const (
	AuditDashboardLink    = "dashboard_link"
	AuditDashboardRefused = "dashboard_refused"
	AuditDashboardSignIn  = "dashboard_signin"
	AuditDashboardBadLink = "dashboard_signin_refused"
	AuditDashboardLogout  = "dashboard_logout"
	AuditDashboardRevoked = "dashboard_revoked"
)

// SignInLink is a one-time link a staff member asked the bot for.
type SignInLink struct {
	V       int       `json:"v"`
	UserID  int64     `json:"user"`
	Name    string    `json:"name,omitempty"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	// Used is when the link started a session; a used link is kept until
	// it expires so that opening it again says "used", not "unknown".
	Used time.Time `json:"used,omitzero"`
}

// Session is a signed-in staff member's dashboard session.
type Session struct {
	V       int       `json:"v"`
	UserID  int64     `json:"user"`
	Name    string    `json:"name,omitempty"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// NewSecret returns 128 random bits, URL-safe: sign-in tokens and session
// ids.
func NewSecret() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("store: random secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func secretKey(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// writable returns a bucket of the dashboard, created on first use so
// that databases written before the dashboard existed need no migration.
func (t *Tx) writable(name []byte) (*bucket, error) {
	if w := t.bucket(name); w != nil {
		return w, nil
	}
	b, err := t.tx.CreateBucketIfNotExists(name)
	return t.wrap(name, b), err
}

// NewSignInLink stores a one-time sign-in link for user, valid for ttl,
// and returns its token. Expired links and sessions are swept at the same
// time.
func (t *Tx) NewSignInLink(user int64, name string, now time.Time, ttl time.Duration) (string, error) {
	token, err := NewSecret()
	if err != nil {
		return "", err
	}
	if err := t.sweepSignIn(now); err != nil {
		return "", err
	}
	if _, err := t.writable(bucketSignIn); err != nil {
		return "", err
	}
	l := SignInLink{V: schemaVersion, UserID: user, Name: name, Created: now, Expires: now.Add(ttl)}
	return token, t.put(bucketSignIn, secretKey(token), &l)
}

// SignInLinksSince counts the links user was given since t, so that the
// bot can refuse to hand out links without end.
func (t *Tx) SignInLinksSince(user int64, since time.Time) (int, error) {
	n := 0
	err := each(t, bucketSignIn, nil, func(_ []byte, l *SignInLink) error {
		if l.UserID == user && !l.Created.Before(since) {
			n++
		}
		return nil
	})
	return n, err
}

// sweepSignIn drops expired links and sessions.
func (t *Tx) sweepSignIn(now time.Time) error {
	for _, name := range [][]byte{bucketSignIn, bucketSessions} {
		b := t.bucket(name)
		if b == nil {
			continue
		}
		var old [][]byte
		err := each(t, name, nil, func(k []byte, v *struct {
			Expires time.Time `json:"expires"`
		}) error {
			if now.After(v.Expires) {
				old = append(old, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
	}
	return nil
}

// RedeemSignIn turns a sign-in link into a session valid for ttl, in one
// transaction with its audit entry: the link works once, only before it
// expires, and only for someone staff still counts as department staff.
// A refused link is audited too. It returns the new session's id, which
// only the browser keeps.
func (s *Store) RedeemSignIn(token string, now time.Time, ttl time.Duration, staff func(int64) bool) (string, Session, error) {
	var sid string
	var sess Session
	var refused error
	err := s.Update(func(tx *Tx) error {
		var l SignInLink
		found, err := tx.get(bucketSignIn, secretKey(token), &l)
		if err != nil {
			return err
		}
		switch {
		case !found:
			refused = ErrLinkUnknown
		case !l.Used.IsZero():
			refused = ErrLinkUsed
		case !now.Before(l.Expires):
			refused = ErrLinkExpired
		case !staff(l.UserID):
			refused = ErrNotStaff
		}
		if refused != nil {
			if !found {
				return nil // nobody to name; the web server rate-limits guesses
			}
			return tx.Audit(AuditEntry{At: now, UserID: l.UserID, UserName: l.Name, Action: AuditDashboardBadLink, Detail: refusalDetail(refused)})
		}
		l.Used = now
		if err := tx.put(bucketSignIn, secretKey(token), &l); err != nil {
			return err
		}
		if sid, err = NewSecret(); err != nil {
			return err
		}
		if _, err := tx.writable(bucketSessions); err != nil {
			return err
		}
		sess = Session{V: schemaVersion, UserID: l.UserID, Name: l.Name, Created: now, Expires: now.Add(ttl)}
		if err := tx.put(bucketSessions, secretKey(sid), &sess); err != nil {
			return err
		}
		return tx.Audit(AuditEntry{At: now, UserID: l.UserID, UserName: l.Name, Action: AuditDashboardSignIn})
	})
	if err != nil {
		return "", Session{}, fmt.Errorf("store: sign in: %w", err)
	}
	if refused != nil {
		return "", Session{}, refused
	}
	return sid, sess, nil
}

func refusalDetail(err error) string {
	switch {
	case errors.Is(err, ErrLinkUsed):
		return "used"
	case errors.Is(err, ErrLinkExpired):
		return "expired"
	case errors.Is(err, ErrNotStaff):
		return "not staff"
	}
	return ""
}

// Session returns the live session with id sid; ok is false when there
// is none or it expired.
func (s *Store) Session(sid string, now time.Time) (sess Session, ok bool, err error) {
	err = s.View(func(tx *Tx) error {
		ok, err = tx.get(bucketSessions, secretKey(sid), &sess)
		return err
	})
	if err != nil || !ok || !now.Before(sess.Expires) {
		return Session{}, false, err
	}
	return sess, true, nil
}

// EndSessions ends every dashboard session of user and records why in the
// audit log (AuditDashboardLogout or AuditDashboardRevoked). It returns
// how many there were.
func (t *Tx) EndSessions(user int64, name, action string, now time.Time) (int, error) {
	b := t.bucket(bucketSessions)
	if b == nil {
		return 0, nil
	}
	var keys [][]byte
	err := each(t, bucketSessions, nil, func(k []byte, s *Session) error {
		if s.UserID == user {
			keys = append(keys, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	if len(keys) > 0 || action == AuditDashboardLogout {
		err = t.Audit(AuditEntry{At: now, UserID: user, UserName: name, Action: action, Detail: fmt.Sprint(len(keys))})
	}
	return len(keys), err
}

// EndSessionsOf ends, in one transaction, the sessions of everyone staff
// no longer counts as department staff (removed from CANHBAO_ADMIN_IDS).
func (s *Store) EndSessionsOf(staff func(int64) bool, now time.Time) (int, error) {
	total := 0
	err := s.Update(func(tx *Tx) error {
		total = 0
		users := map[int64]string{}
		err := each(tx, bucketSessions, nil, func(_ []byte, s *Session) error {
			if !staff(s.UserID) {
				users[s.UserID] = s.Name
			}
			return nil
		})
		if err != nil {
			return err
		}
		for id, name := range users {
			n, err := tx.EndSessions(id, name, AuditDashboardRevoked, now)
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	return total, err
}
