package etcdtest

// Kill stops member i at once, as a machine failure would: its raft
// node stops before Kill returns, so the other members lose its vote at
// once, and requests to it fail. (Stop is a clean shutdown: the member
// keeps its vote while it waits up to etcd's request timeout, about 6 s
// here, for its clients to finish.) Its listeners close in the
// background; Restart waits for them.
func (c *Cluster) Kill(i int) {
	m := c.members[i]
	closing := make(chan struct{})
	m.mu.Lock()
	e := m.etcd
	if e != nil {
		m.etcd, m.closing = nil, closing
	}
	m.mu.Unlock()
	if e == nil {
		return
	}
	e.Server.HardStop()
	go func() {
		defer close(closing)
		e.Close()
	}()
}

// waitClosed waits until a killed member has closed.
func (m *member) waitClosed() {
	m.mu.Lock()
	closing := m.closing
	m.mu.Unlock()
	if closing != nil {
		<-closing
	}
}
