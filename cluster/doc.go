// Package cluster runs canhbao active/standby on an etcd cluster: one
// node at a time is elected to poll, send and answer, and every write it
// makes is fenced by that election; every node keeps a local copy of the
// data (the bbolt file) in step with etcd, so that a standby serves the
// dashboard and takes over within seconds.
//
// Layout under the prefix (CANHBAO_ETCD_PREFIX, default "/canhbao/"):
//
//	data/<bucket>/<key>     one record of the store, as bbolt holds it
//	seq/<bucket>            the bucket's sequence (8 bytes, big-endian)
//	leader/<lease>          the election (concurrency.Election)
//	journal/<id>/<n>        a transaction too large for one etcd request,
//	journal/<id>/commit     until it is applied (see Mirror)
//	migrating               a migration into etcd under way (see ToEtcd)
//
// A store transaction becomes one etcd transaction when it fits etcd's
// limits (128 operations, 1.5 MiB); a larger one (a fan-out to thousands
// of groups, a retention sweep) is written to the journal in chunks,
// committed with one key, applied in chunks and then deleted, so that it
// is all or nothing even when the leader dies half way.
package cluster
