// Package deploy holds the files that run canhbao on real machines: systemd
// units and their settings (systemd/), an etcd member's settings and the
// cluster's certificates (etcd/). It has no code; its tests keep these
// files, the Dockerfile, compose.yaml and docs/deploy.md honest: every
// variable they name exists, the image has no shell and runs as non-root,
// the units keep their hardening.
package deploy
