package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/canhbao/canhbao/store"
)

// Follower keeps a node's local copy in step with etcd: a full read when
// the copy is new, of another cluster, or further behind than etcd keeps
// history; then every change as etcd's watch reports it.
type Follower struct {
	Client *clientv3.Client
	Store  *store.Store
	Prefix string
	Log    *slog.Logger

	resyncNext bool // the copy fell behind etcd's history

	mu      sync.Mutex
	applied int64         // every change up to this revision is in the copy
	moved   chan struct{} // closed and replaced when applied grows
}

func (f *Follower) layout() layout { return layout{prefix: f.Prefix} }

// origin names the cluster and prefix the copy follows.
func (f *Follower) origin(ctx context.Context) (string, error) {
	resp, err := f.Client.Get(ctx, f.Prefix+"seq/", clientv3.WithCountOnly())
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("etcd %x %s", resp.Header.ClusterId, f.Prefix), nil
}

// Run follows etcd until ctx ends, starting over after an error.
func (f *Follower) Run(ctx context.Context) {
	wait := 200 * time.Millisecond
	for ctx.Err() == nil {
		err := f.follow(ctx)
		if ctx.Err() != nil {
			return
		}
		f.Log.Warn("following etcd", slog.String("error", err.Error()))
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

func (f *Follower) follow(ctx context.Context) error {
	origin, err := f.origin(ctx)
	if err != nil {
		return err
	}
	rev, have, err := f.Store.Replica()
	if err != nil {
		return err
	}
	if have != origin || rev == 0 || f.resyncNext {
		f.resyncNext = false
		if rev, err = f.resync(ctx, origin); err != nil {
			return err
		}
	}
	f.advance(rev)
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	for resp := range f.Client.Watch(wctx, f.Prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1)) {
		if resp.CompactRevision != 0 || errors.Is(resp.Err(), rpctypes.ErrCompacted) {
			f.resyncNext = true
			return errors.New("the local copy is older than etcd's history: reading it all again")
		}
		if err := resp.Err(); err != nil {
			return err
		}
		if err := f.apply(resp); err != nil {
			return err
		}
	}
	return fmt.Errorf("watch ended: %w", context.Cause(wctx))
}

func (f *Follower) apply(resp clientv3.WatchResponse) error {
	if resp.IsProgressNotify() {
		f.advance(resp.Header.Revision)
		return nil
	}
	var changes []store.Change
	var last int64
	for _, ev := range resp.Events {
		last = max(last, ev.Kv.ModRevision)
		c, ok := f.layout().change(ev.Kv.Key, ev.Kv.Value, ev.Type == clientv3.EventTypeDelete)
		if ok {
			c.Revision = ev.Kv.ModRevision
			changes = append(changes, c)
		}
	}
	if last == 0 {
		return nil
	}
	if len(changes) > 0 {
		if err := f.Store.Apply(last, changes); err != nil {
			return fmt.Errorf("apply to the local copy: %w", err)
		}
	}
	f.advance(last)
	return nil
}

// resync replaces the local copy with etcd's data at one revision.
func (f *Follower) resync(ctx context.Context, origin string) (int64, error) {
	start := time.Now()
	head, err := f.Client.Get(ctx, f.Prefix, clientv3.WithCountOnly(), clientv3.WithPrefix())
	if err != nil {
		return 0, err
	}
	rev := head.Header.Revision
	n := 0
	err = f.Store.Reset(origin, rev, func(put func(store.Change) error) error {
		for _, part := range []string{f.layout().seqs(), f.layout().data()} {
			err := readAll(ctx, f.Client, part, rev, func(key, value []byte) error {
				if c, ok := f.layout().change(key, value, false); ok {
					n++
					return put(c)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("read etcd into the local copy: %w", err)
	}
	f.Log.Info("local copy read from etcd", slog.Int("records", n), slog.Int64("revision", rev),
		slog.Duration("took", time.Since(start).Round(time.Millisecond)))
	return rev, nil
}

// readAll calls fn with every key under prefix at revision, a page at a
// time.
func readAll(ctx context.Context, kv clientv3.KV, prefix string, rev int64, fn func(key, value []byte) error) error {
	end := clientv3.GetPrefixRangeEnd(prefix)
	from := prefix
	for {
		resp, err := kv.Get(ctx, from, clientv3.WithRange(end), clientv3.WithRev(rev), clientv3.WithLimit(1000),
			clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend))
		if err != nil {
			return err
		}
		for _, item := range resp.Kvs {
			if err := fn(item.Key, item.Value); err != nil {
				return err
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return nil
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

func (f *Follower) advance(rev int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.moved == nil {
		f.moved = make(chan struct{})
	}
	if rev > f.applied {
		f.applied = rev
		close(f.moved)
		f.moved = make(chan struct{})
	}
}

func (f *Follower) state() (int64, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.moved == nil {
		f.moved = make(chan struct{})
	}
	return f.applied, f.moved
}

// CaughtUp waits until the local copy holds everything etcd held when it
// was called: a new leader reads from its copy, so it must not start on
// an older one.
func (f *Follower) CaughtUp(ctx context.Context) error {
	resp, err := f.Client.Get(ctx, f.Prefix, clientv3.WithCountOnly(), clientv3.WithPrefix())
	if err != nil {
		return err
	}
	target := resp.Header.Revision
	for {
		applied, moved := f.state()
		if applied >= target {
			return nil
		}
		// A watch reports progress only when asked; without events for
		// the prefix the copy is current once the watch says so.
		_ = f.Client.RequestProgress(clientv3.WithRequireLeader(ctx)) // the watch's stream
		select {
		case <-ctx.Done():
			return fmt.Errorf("catching up with etcd (at %d of %d): %w", applied, target, ctx.Err())
		case <-moved:
		case <-time.After(100 * time.Millisecond):
		}
	}
}
