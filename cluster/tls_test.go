package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/canhbao/canhbao/cluster/etcdtest"
)

// TestTLSClientCertificates: CANHBAO_ETCD_CACERT, _CERT and _KEY reach a
// cluster that requires client certificates; without the certificate the
// cluster refuses.
func TestTLSClientCertificates(t *testing.T) {
	c, certs, err := etcdtest.NewTLS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"with the client certificate", Config{CACert: certs.CA, Cert: certs.ClientCert, Key: certs.ClientKey}, true},
		{"CA only", Config{CACert: certs.CA}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Endpoints = c.Endpoints()
			cli, err := Connect(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer cli.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			_, err = cli.Put(ctx, "/tls/x", "1")
			if (err == nil) != tc.ok {
				t.Errorf("put = %v, want success %v", err, tc.ok)
			}
		})
	}
	if _, err := Connect(Config{Endpoints: c.Endpoints(), CACert: certs.ServerKey}); err == nil {
		t.Error("a CA file without a certificate was accepted")
	}
}
