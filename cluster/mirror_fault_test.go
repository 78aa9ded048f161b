package cluster

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/canhbao/canhbao/store"
)

// TestMirrorWriteSurvivesAConnectionReset: an etcd member crashing under
// a write resets the leader's connection with the write in flight. One
// member of three lost must change nothing, so the write is sent again
// (to another member) rather than failed, which would depose the leader.
func TestMirrorWriteSurvivesAConnectionReset(t *testing.T) {
	p := newPrefix()
	link := shared.Proxy(t)
	cli := client(t, link.Endpoints())
	m, lost := leaderMirror(t, cli, p)
	link.SetDelay(300 * time.Millisecond)
	go func() {
		time.Sleep(100 * time.Millisecond) // the write is on its way
		link.Cut()
	}()
	if _, err := m.Commit([]store.Change{{Bucket: "chats", Key: []byte("x"), Value: []byte("1")}}); err != nil {
		t.Fatalf("a write whose connection was reset: %v", err)
	}
	select {
	case err := <-lost:
		t.Errorf("the leader was told to step down: %v", err)
	default:
	}
	resp, err := cli.Get(context.Background(), p+"data/chats/x")
	must(t, err)
	if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "1" {
		t.Errorf("etcd holds %v, want the write", resp.Kvs)
	}
}

// leaderMirror is the Mirror of a leader elected under prefix p, with
// the channel where it is told to step down.
func leaderMirror(t *testing.T, cli *clientv3.Client, p string) (*Mirror, chan error) {
	t.Helper()
	put, err := cli.Put(context.Background(), p+"leader/1", "a")
	must(t, err)
	lost := make(chan error, 1)
	return &Mirror{kv: cli, layout: layout{p}, tag: "t", timeout: 5 * time.Second,
		fence: clientv3.Compare(clientv3.CreateRevision(p+"leader/1"), "=", put.Header.Revision),
		lost:  func(err error) { lost <- err }}, lost
}
