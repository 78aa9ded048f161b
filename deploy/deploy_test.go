package deploy

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// root is the repository's top folder, seen from this package's folder.
const root = ".."

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// settingName matches the names of canhbao's own settings in any text.
var settingName = regexp.MustCompile(`\b(?:CANHBAO|TELEGRAM)_[A-Z0-9_]*[A-Z0-9]\b`)

// TestVariablesExist: a variable the deployment files set or the guide
// tells people to set is one canhbao reads (its config table is mirrored
// in .env.example, which cmd/canhbao's tests keep in step with it), so a
// misspelt or renamed variable cannot silently do nothing.
func TestVariablesExist(t *testing.T) {
	known := map[string]bool{}
	for line := range strings.Lines(read(t, ".env.example")) {
		if name, _, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(name, "#") {
			known[strings.TrimSpace(name)] = true
		}
	}
	if len(known) < 10 {
		t.Fatalf(".env.example lists only %d variables", len(known))
	}
	for _, file := range []string{"compose.yaml", "Dockerfile", "deploy/systemd/canhbao.env", "deploy/systemd/canhbao.service", "docs/deploy.md"} {
		names := settingName.FindAllString(read(t, file), -1)
		slices.Sort(names)
		for _, name := range slices.Compact(names) {
			if !known[name] {
				t.Errorf("%s names %s, which is not in .env.example", file, name)
			}
		}
	}
}

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct{ cmd, args string }

// dockerStages splits a Dockerfile into its stages (from each FROM).
func dockerStages(text string) [][]instruction {
	var stages [][]instruction
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{strings.ToUpper(cmd), strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) > 0 {
			stages[len(stages)-1] = append(stages[len(stages)-1], in)
		}
	}
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		if trimmed := strings.TrimSpace(line); strings.HasPrefix(trimmed, "#") {
			continue
		}
		if body, more := strings.CutSuffix(line, "\\"); more {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	flush()
	return stages
}

// TestDockerfile: the image that runs is a static binary on a base without
// a shell, as a non-root user, and the build makes that binary static.
func TestDockerfile(t *testing.T) {
	checkDockerfile(t, read(t, "Dockerfile"), read(t, "go.mod"), t.Errorf)
}

// checkDockerfile reports through fail what is wrong with a Dockerfile.
func checkDockerfile(t *testing.T, dockerfile, gomod string, fail func(string, ...any)) {
	t.Helper()
	stages := dockerStages(dockerfile)
	if len(stages) < 2 {
		fail("%d stages, want a build stage and a final one", len(stages))
		return
	}
	final := stages[len(stages)-1]
	base := strings.Fields(final[0].args)[0]
	if !(base == "scratch" || strings.HasPrefix(base, "gcr.io/distroless/static")) || strings.Contains(base, "debug") {
		fail("final stage is FROM %s: want scratch or gcr.io/distroless/static (the :debug images have a shell)", base)
	}
	var user, entrypoint string
	var binary bool
	for _, in := range final {
		switch in.cmd {
		case "USER":
			user = in.args
		case "RUN", "SHELL", "HEALTHCHECK":
			fail("final stage has %s %s: there is no shell to run it", in.cmd, in.args)
		case "ENTRYPOINT":
			entrypoint = in.args
		case "CMD":
			if !strings.HasPrefix(in.args, "[") {
				fail("CMD %s is in shell form: there is no shell", in.args)
			}
		case "COPY":
			if strings.Contains(in.args, "--from=") && strings.Contains(in.args, "/usr/local/bin/canhbao") {
				binary = true
			}
		}
	}
	if name, _, _ := strings.Cut(user, ":"); name == "" || name == "root" || name == "0" {
		fail("final stage runs as %q: want a non-root USER", user)
	}
	if !strings.HasPrefix(entrypoint, `["/usr/local/bin/canhbao"`) {
		fail("ENTRYPOINT %q: want the exec form running /usr/local/bin/canhbao", entrypoint)
	}
	if !binary {
		fail("final stage does not copy the built canhbao to /usr/local/bin")
	}

	var build strings.Builder
	for _, stage := range stages[:len(stages)-1] {
		for _, in := range stage {
			build.WriteString(in.cmd + " " + in.args + "\n")
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", `-ldflags "-s -w`, "./cmd/canhbao"} {
		if !strings.Contains(build.String(), want) {
			fail("the build stages never say %s", want)
		}
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(gomod)
	if goVersion == nil || !strings.HasPrefix(stages[0][0].args, "golang:"+goVersion[1]+" ") {
		fail("build stage is FROM %s, go.mod says %v", stages[0][0].args, goVersion)
	}
}

// TestDockerfileCheckFails: the checks above catch an image with a shell,
// one running as root and a cgo build.
func TestDockerfileCheckFails(t *testing.T) {
	good := read(t, "Dockerfile")
	gomod := read(t, "go.mod")
	tests := map[string]struct{ from, to, want string }{
		"debian base":  {"gcr.io/distroless/static-debian12:nonroot", "debian:12-slim", "final stage is FROM"},
		"debug base":   {"gcr.io/distroless/static-debian12:nonroot", "gcr.io/distroless/static-debian12:debug-nonroot", "final stage is FROM"},
		"root":         {"USER 65532:65532", "USER root", "runs as"},
		"no user":      {"USER 65532:65532", "", "runs as"},
		"shell form":   {`ENTRYPOINT ["/usr/local/bin/canhbao"]`, "ENTRYPOINT /usr/local/bin/canhbao", "ENTRYPOINT"},
		"run in final": {"WORKDIR /data", "RUN mkdir -p /data\nWORKDIR /data", "no shell"},
		"cgo":          {"CGO_ENABLED=0 ", "", "CGO_ENABLED=0"},
		"old Go":       {"FROM golang:1.26 ", "FROM golang:1.22 ", "go.mod says"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(good, tc.from) {
				t.Fatalf("the Dockerfile no longer contains %q; update this test", tc.from)
			}
			var failures []string
			checkDockerfile(t, strings.Replace(good, tc.from, tc.to, 1), gomod, func(format string, args ...any) {
				failures = append(failures, fmt.Sprintf(format, args...))
			})
			if !slices.ContainsFunc(failures, func(f string) bool { return strings.Contains(f, tc.want) }) {
				t.Errorf("failures %q, want one about %q", failures, tc.want)
			}
		})
	}
}

// unit is a systemd unit file: section → key → the values assigned in
// order (an empty assignment resets a list, as systemd does).
type unit map[string]map[string][]string

func parseUnit(text string) unit {
	u := unit{}
	section := ""
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		switch {
		case line == "", strings.HasPrefix(line, "#"), strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		default:
			k, v, _ := strings.Cut(line, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if v == "" {
				u[section][k] = []string{""}
			} else if cur := u[section][k]; len(cur) == 1 && cur[0] == "" {
				u[section][k] = []string{v}
			} else {
				u[section][k] = append(cur, v)
			}
		}
	}
	return u
}

// last is the value a single-valued key ends with; "" when unset.
func (u unit) last(key string) (string, bool) {
	v, ok := u["Service"][key]
	if !ok {
		return "", false
	}
	return v[len(v)-1], true
}

func truthy(v string) bool { return slices.Contains([]string{"yes", "true", "1", "on"}, v) }

// hardening reports what a service unit lacks of the confinement every
// unit of this repository keeps: its own user, a read-only system, no
// home, private /tmp and devices, no capabilities, IP and Unix sockets
// only, the system calls of an ordinary service, a state directory.
func hardening(u unit, name string) []string {
	var missing []string
	need := func(ok bool, what string) {
		if !ok {
			missing = append(missing, what)
		}
	}
	user, _ := u.last("User")
	dynamic, _ := u.last("DynamicUser")
	need(truthy(dynamic) || (user != "" && user != "root" && user != "0"), "User= (not root) or DynamicUser=yes")
	for _, key := range []string{"NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices"} {
		v, _ := u.last(key)
		need(truthy(v), key+"=yes")
	}
	v, _ := u.last("ProtectSystem")
	need(v == "strict", "ProtectSystem=strict")
	caps, set := u.last("CapabilityBoundingSet")
	need(set && caps == "" && len(u["Service"]["CapabilityBoundingSet"]) == 1, "CapabilityBoundingSet= (empty)")
	families, _ := u.last("RestrictAddressFamilies")
	f := strings.Fields(families)
	slices.Sort(f)
	need(slices.Equal(f, []string{"AF_INET", "AF_INET6", "AF_UNIX"}), "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6")
	filters := u["Service"]["SystemCallFilter"]
	need(len(filters) > 0 && strings.Contains(filters[0], "@system-service"), "SystemCallFilter=@system-service")
	state, _ := u.last("StateDirectory")
	need(state == name, "StateDirectory="+name)
	_, rw := u.last("ReadWritePaths")
	need(!rw, "no ReadWritePaths= (it undoes ProtectSystem=strict)")
	return missing
}

// TestUnitsAreHardened: both units keep their confinement, and canhbao's
// unit reads its settings from /etc/canhbao/canhbao.env and keeps its
// database in its state directory.
func TestUnitsAreHardened(t *testing.T) {
	for _, name := range []string{"canhbao", "etcd"} {
		u := parseUnit(read(t, "deploy/systemd/"+name+".service"))
		if missing := hardening(u, name); len(missing) > 0 {
			t.Errorf("%s.service lacks %s", name, strings.Join(missing, ", "))
		}
		if restart, _ := u.last("Restart"); restart != "on-failure" && restart != "always" {
			t.Errorf("%s.service: Restart=%s", name, restart)
		}
	}
	u := parseUnit(read(t, "deploy/systemd/canhbao.service"))
	if env, _ := u.last("EnvironmentFile"); env != "/etc/canhbao/canhbao.env" {
		t.Errorf("canhbao.service: EnvironmentFile=%s", env)
	}
	if dir, _ := u.last("WorkingDirectory"); dir != "%S/canhbao" && dir != "/var/lib/canhbao" {
		t.Errorf("canhbao.service: WorkingDirectory=%s: the default CANHBAO_DB (data/canhbao.db) must land in the state directory", dir)
	}
	if exec, _ := u.last("ExecStart"); !strings.HasSuffix(exec, "canhbao run") {
		t.Errorf("canhbao.service: ExecStart=%s", exec)
	}
}

// TestUnitsVerify has systemd read both units as it would load them: a
// misspelt directive or a value it cannot parse is ignored by systemd
// with only a warning, which would quietly undo the hardening.
func TestUnitsVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian: apt-get install systemd)")
	}
	dir := t.TempDir()
	var units []string
	for _, name := range []string{"canhbao", "etcd"} {
		text := read(t, "deploy/systemd/"+name+".service")
		// verify insists that the program exists; this machine has none.
		text = strings.ReplaceAll(text, "ExecStart=/usr/local/bin/"+name, "ExecStart=/bin/true")
		path := filepath.Join(dir, name+".service")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		units = append(units, path)
	}
	out, err := exec.Command(analyze, append([]string{"verify"}, units...)...).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestHardeningCheckFails: each directive removed or weakened is caught.
func TestHardeningCheckFails(t *testing.T) {
	good := read(t, "deploy/systemd/canhbao.service")
	if missing := hardening(parseUnit(good), "canhbao"); len(missing) > 0 {
		t.Fatalf("the unit itself lacks %v", missing)
	}
	tests := map[string]struct{ from, to string }{
		"root":            {"User=canhbao", "User=root"},
		"no user":         {"User=canhbao", ""},
		"new privileges":  {"NoNewPrivileges=yes", "NoNewPrivileges=no"},
		"system writable": {"ProtectSystem=strict", "ProtectSystem=full"},
		"home":            {"ProtectHome=yes", ""},
		"tmp":             {"PrivateTmp=yes", ""},
		"devices":         {"PrivateDevices=yes", "PrivateDevices=false"},
		"capabilities":    {"CapabilityBoundingSet=\n", "CapabilityBoundingSet=\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n"},
		"families":        {"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK"},
		"syscalls":        {"SystemCallFilter=@system-service", ""},
		"state":           {"StateDirectory=canhbao", ""},
		"writable paths":  {"ProtectSystem=strict", "ProtectSystem=strict\nReadWritePaths=/"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(good, tc.from) {
				t.Fatalf("the unit no longer contains %q; update this test", tc.from)
			}
			if missing := hardening(parseUnit(strings.Replace(good, tc.from, tc.to, 1)), "canhbao"); len(missing) == 0 {
				t.Errorf("replacing %q by %q went unnoticed", tc.from, tc.to)
			}
		})
	}
}

// envFile reads KEY=VALUE lines (etcd.env) or YAML "KEY: VALUE" lines
// under an environment map (compose.yaml) whose key starts with prefix.
func envFile(text, prefix string) map[string][]string {
	line := regexp.MustCompile(`(?m)^\s*(` + prefix + `[A-Z0-9_]+)\s*[=:]\s*"?([^"\n]*)"?\s*$`)
	vars := map[string][]string{}
	for _, m := range line.FindAllStringSubmatch(text, -1) {
		vars[m[1]] = append(vars[m[1]], m[2])
	}
	return vars
}

// TestEtcdKeepsHistorySmall: the members compact their history and have a
// quota, in the systemd example and in the trial; the real members talk
// TLS with client certificates.
func TestEtcdKeepsHistorySmall(t *testing.T) {
	member := envFile(read(t, "deploy/etcd/etcd.env"), "ETCD_")
	trial := envFile(read(t, "compose.yaml"), "ETCD_")
	for file, vars := range map[string]map[string][]string{"deploy/etcd/etcd.env": member, "compose.yaml": trial} {
		if v := vars["ETCD_AUTO_COMPACTION_MODE"]; len(v) != 1 || v[0] != "periodic" {
			t.Errorf("%s: ETCD_AUTO_COMPACTION_MODE %q, want periodic", file, v)
		}
		if v := vars["ETCD_AUTO_COMPACTION_RETENTION"]; len(v) != 1 || strings.Trim(v[0], "0hms") == "" {
			t.Errorf("%s: ETCD_AUTO_COMPACTION_RETENTION %q, want a period", file, v)
		}
		if v := vars["ETCD_QUOTA_BACKEND_BYTES"]; len(v) != 1 || v[0] == "0" {
			t.Errorf("%s: ETCD_QUOTA_BACKEND_BYTES %q, want a quota", file, v)
		}
	}
	for _, key := range []string{"ETCD_CLIENT_CERT_AUTH", "ETCD_PEER_CLIENT_CERT_AUTH"} {
		if v := member[key]; len(v) != 1 || v[0] != "true" {
			t.Errorf("etcd.env: %s %q, want true", key, v)
		}
	}
	for _, key := range []string{"ETCD_LISTEN_CLIENT_URLS", "ETCD_ADVERTISE_CLIENT_URLS", "ETCD_LISTEN_PEER_URLS", "ETCD_INITIAL_ADVERTISE_PEER_URLS", "ETCD_INITIAL_CLUSTER"} {
		for _, v := range member[key] {
			if strings.Contains(v, "http://") {
				t.Errorf("etcd.env: %s=%s is not TLS", key, v)
			}
		}
	}
}

// TestComposeCluster: the trial has three etcd members of the version the
// guide installs (and go.mod's client, once required), both canhbao nodes
// use every member and have their own names, dashboards are published on
// loopback only, and no healthcheck needs a shell neither image has.
func TestComposeCluster(t *testing.T) {
	compose := read(t, "compose.yaml")
	// The services: from "services:" to the next top-level key.
	section := regexp.MustCompile(`(?ms)^services:\s*$(.*?)(?:^\S|\z)`).FindStringSubmatch(compose)
	if section == nil {
		t.Fatal("compose.yaml has no services")
	}
	services := regexp.MustCompile(`(?m)^  ([a-z0-9_-]+):\s*$`).FindAllStringSubmatch(section[1], -1)
	var members, nodes []string
	for _, s := range services {
		switch {
		case strings.HasPrefix(s[1], "etcd"):
			members = append(members, s[1])
		case strings.HasPrefix(s[1], "canhbao"):
			nodes = append(nodes, s[1])
		}
	}
	if len(members) != 3 || len(nodes) != 2 {
		t.Fatalf("etcd members %v and canhbao nodes %v, want 3 and 2", members, nodes)
	}

	images := regexp.MustCompile(`image: gcr.io/etcd-development/etcd:(v[0-9.]+)`).FindAllStringSubmatch(compose, -1)
	if len(images) != 1 {
		t.Fatalf("%d etcd image lines, want one shared by the members", len(images))
	}
	version := images[0][1]
	if !strings.Contains(read(t, "docs/deploy.md"), "etcd-"+version+"-linux-amd64.tar.gz") {
		t.Errorf("docs/deploy.md does not install etcd %s, the trial's version", version)
	}
	if m := regexp.MustCompile(`go\.etcd\.io/etcd/client/v3 (v\S+)`).FindStringSubmatch(read(t, "go.mod")); m != nil && m[1] != version {
		t.Errorf("compose.yaml runs etcd %s, go.mod's client is %s", version, m[1])
	}

	vars := envFile(compose, "CANHBAO_")
	var want []string
	for _, m := range members {
		want = append(want, "http://"+m+":2379")
	}
	for _, endpoints := range vars["CANHBAO_ETCD_ENDPOINTS"] {
		got := strings.Split(endpoints, ",")
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("CANHBAO_ETCD_ENDPOINTS %s, want %s", endpoints, strings.Join(want, ","))
		}
	}
	if v := vars["CANHBAO_STORE"]; len(v) != 1 || v[0] != "etcd" {
		t.Errorf("CANHBAO_STORE %q, want etcd for both nodes", v)
	}
	names := vars["CANHBAO_NODE_NAME"]
	distinct := slices.Compact(slices.Sorted(slices.Values(names)))
	if len(names) != len(nodes) || len(distinct) != len(nodes) {
		t.Errorf("CANHBAO_NODE_NAME %q: want one distinct name per node", names)
	}

	for _, ports := range regexp.MustCompile(`ports: \[(.*)\]`).FindAllStringSubmatch(compose, -1) {
		for _, p := range strings.Split(ports[1], ",") {
			if !strings.HasPrefix(strings.Trim(strings.TrimSpace(p), `"`), "127.0.0.1:") {
				t.Errorf("port %s is published beyond loopback", p)
			}
		}
	}
	if regexp.MustCompile(`CMD-SHELL|"(?:/bin/)?sh"|wget|curl`).MatchString(regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(compose, "")) {
		t.Error("compose.yaml runs a shell or an HTTP client inside a container; neither image has one")
	}
}

// TestGuideNamesRealFiles: every repository file docs/deploy.md points to
// exists.
func TestGuideNamesRealFiles(t *testing.T) {
	guide := read(t, "docs/deploy.md")
	paths := regexp.MustCompile("`((?:deploy/[^` ]+)|Dockerfile|compose.yaml|\\.env\\.example)`").FindAllStringSubmatch(guide, -1)
	if len(paths) < 5 {
		t.Fatalf("the guide names only %d files", len(paths))
	}
	for _, p := range paths {
		if _, err := os.Stat(filepath.Join(root, p[1])); err != nil {
			t.Errorf("docs/deploy.md names %s: %v", p[1], err)
		}
	}
}

// TestCertificates runs deploy/etcd/certs.sh and checks what etcd will
// check: each member's certificate is signed by the CA, serves its address
// and name, and may act as a client to the other members; canhbao's is a
// client certificate named canhbao; a second run keeps the CA.
func TestCertificates(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed; certs.sh needs it")
	}
	dir := t.TempDir()
	script, _ := filepath.Abs(filepath.Join(root, "deploy/etcd/certs.sh"))
	run := func(args ...string) error {
		cmd := exec.Command("sh", append([]string{script, dir}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return errors.New(string(out))
		}
		return nil
	}
	members := map[string]string{"etcd1": "10.0.0.11", "etcd2": "etcd2.example.internal", "etcd3": "fd00::13"}
	var args []string
	for _, name := range slices.Sorted(maps.Keys(members)) {
		args = append(args, name+"="+members[name])
	}
	if err := run(args...); err != nil {
		t.Fatal(err)
	}
	load := func(name string) *x509.Certificate {
		b, err := os.ReadFile(filepath.Join(dir, name+".crt"))
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode(b)
		if block == nil {
			t.Fatalf("%s.crt is not PEM", name)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ca := load("ca")
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	verify := func(name, host string, usage x509.ExtKeyUsage) error {
		_, err := load(name).Verify(x509.VerifyOptions{Roots: pool, DNSName: host, KeyUsages: []x509.ExtKeyUsage{usage}})
		return err
	}
	for name, addr := range members {
		for _, host := range []string{addr, name, "127.0.0.1"} {
			if err := verify(name, host, x509.ExtKeyUsageServerAuth); err != nil {
				t.Errorf("%s as server for %s: %v", name, host, err)
			}
		}
		if err := verify(name, "", x509.ExtKeyUsageClientAuth); err != nil {
			t.Errorf("%s as peer client: %v", name, err)
		}
		if ip := net.ParseIP(addr); ip != nil && !slices.ContainsFunc(load(name).IPAddresses, ip.Equal) {
			t.Errorf("%s lacks the IP address %s", name, addr)
		}
	}
	for _, client := range []string{"canhbao", "root"} {
		if err := verify(client, "", x509.ExtKeyUsageClientAuth); err != nil {
			t.Errorf("%s as client: %v", client, err)
		}
		if err := verify(client, "", x509.ExtKeyUsageServerAuth); err == nil {
			t.Errorf("%s may serve: want a client certificate only", client)
		}
		if cn := load(client).Subject.CommonName; cn != client {
			t.Errorf("%s.crt is for %q: etcd takes the user name from it", client, cn)
		}
	}
	if err := verify("etcd1", "etcd2", x509.ExtKeyUsageServerAuth); err == nil {
		t.Error("etcd1's certificate serves etcd2's name")
	}

	if err := run("etcd4=10.0.0.14"); err != nil {
		t.Fatal(err)
	}
	if again := load("ca"); !again.Equal(ca) {
		t.Error("a second run replaced the CA: every member would need new certificates")
	}
	if err := verify("etcd1", "10.0.0.11", x509.ExtKeyUsageServerAuth); err != nil {
		t.Errorf("after a second run: %v", err)
	}
	if err := run("etcd5"); err == nil || !strings.Contains(err.Error(), "NAME=ADDRESS") {
		t.Errorf("a member without address: %v", err)
	}
}
