package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestTokenCommand(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "portal.json")
	code, secret, stderr := portalCmd(t, "token", "create", "--name", "Ana's phone", "--registry", reg)
	if code != 0 || !regexp.MustCompile(`^portal_[A-Za-z0-9_-]{43}\n$`).MatchString(secret) {
		t.Fatalf("token create: exit %d, stdout %q, stderr %q; want the token alone on stdout", code, secret, stderr)
	}
	id := regexp.MustCompile(`tok_[0-9a-f]{12}`).FindString(stderr)
	if id == "" || !strings.Contains(stderr, "shown only this once") || !strings.Contains(stderr, filepath.Join(dir, "portal.tokens.json")) {
		t.Errorf("token create stderr %q: want the id, the file next to the registry and a warning that it is shown once", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "portal.tokens.json")); err != nil {
		t.Errorf("no token file next to the registry: %v", err)
	}
	_, other, _ := portalCmd(t, "token", "create", "--registry", reg)

	code, list, _ := portalCmd(t, "token", "list", "--registry", reg)
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.HasPrefix(lines[1], id) || !regexp.MustCompile(`never +Ana's phone$`).MatchString(lines[1]) {
		t.Errorf("token list: exit %d:\n%s", code, list)
	}
	if strings.Contains(list, strings.TrimSpace(secret)[len("portal_"):][:10]) || strings.Contains(list, strings.TrimSpace(other)[len("portal_"):][:10]) {
		t.Errorf("token list shows a token:\n%s", list)
	}

	for _, tt := range []struct {
		args    []string
		code    int
		wantErr string
	}{
		{[]string{"token", "revoke", id, "--registry", reg}, 0, "Revoked token " + id},
		{[]string{"token", "revoke", id, "--registry", reg}, 1, "no token " + id},
		{[]string{"token", "revoke", "--registry", reg}, 1, "use token create"},
		{[]string{"token"}, 1, "say what to do: token create"},
		{[]string{"token", "make"}, 1, `unexpected arguments ["make"]`},
		{[]string{"token", "create", "--name", "a\tb", "--registry", reg}, 1, "printable characters only"},
		{[]string{"token", "list", "extra", "--registry", reg}, 1, "unexpected arguments"},
	} {
		code, _, stderr := portalCmd(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.wantErr) {
			t.Errorf("portal %s: exit %d, stderr %q; want %d and %q", strings.Join(tt.args, " "), code, stderr, tt.code, tt.wantErr)
		}
	}
	if _, list, _ := portalCmd(t, "token", "list", "--registry", reg); strings.Contains(list, id) || strings.Count(list, "tok_") != 1 {
		t.Errorf("after revoking %s, token list:\n%s", id, list)
	}
}

// TestServeTLSWithTokens runs serve over HTTPS with a certificate made here,
// drives its tokens with the token command and renews the certificate while
// it runs.
func TestServeTLSWithTokens(t *testing.T) {
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens.json")
	certFile, keyFile, roots := selfSigned(t, dir)
	_, first, _ := portalCmd(t, "token", "create", "--tokens", tokens)
	s := startServe(t, "--tokens", tokens, "--tls-cert", certFile, "--tls-key", keyFile)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: true}}
	get := func(token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", "https://"+s.addr+"/api/instances", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(token))
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Proto
	}
	if status, proto := get(first); status != 200 || proto != "HTTP/2.0" {
		t.Errorf("HTTPS with the token: %d over %s, want 200 over HTTP/2.0", status, proto)
	}
	if status, _ := get(""); status != 401 {
		t.Errorf("HTTPS without a token: %d, want 401", status)
	}
	_, second, _ := portalCmd(t, "token", "create", "--tokens", tokens)
	if status, _ := get(second); status != 200 {
		t.Errorf("a token made while serve runs: %d, want 200", status)
	}
	_, list, _ := portalCmd(t, "token", "list", "--tokens", tokens)
	firstID := regexp.MustCompile(`tok_[0-9a-f]{12}`).FindString(list) // oldest first
	if lines := strings.Split(list, "\n"); len(lines) < 3 || strings.Contains(lines[1], "never") || strings.Contains(lines[2], "never") {
		t.Errorf("token list after both tokens were used:\n%s", list)
	}
	if code, _, stderr := portalCmd(t, "token", "revoke", firstID, "--tokens", tokens); code != 0 {
		t.Fatalf("revoke: %s", stderr)
	}
	if status, _ := get(first); status != 401 {
		t.Errorf("a token revoked while serve runs: %d, want 401", status)
	}
	resp, err := http.Get("http://" + s.addr + "/api/instances")
	if err == nil {
		resp.Body.Close()
	}
	if err != nil || resp.StatusCode != 400 {
		t.Errorf("plain HTTP to the HTTPS port: %v, %v; want Go's 400", resp, err)
	}
	// A renewed certificate, written over the files, is served without a
	// restart: only it is trusted now.
	_, _, renewed := selfSigned(t, dir)
	client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: renewed}}}
	if status, _ := get(second); status != 200 {
		t.Errorf("with the renewed certificate: %d, want 200", status)
	}
	if s.stop(t) != 0 || !strings.Contains(s.stderr.String(), `"addr":"https://`+s.addr+`"`) {
		t.Errorf("serve log does not say https://%s:\n%s", s.addr, &s.stderr)
	}
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key to
// dir, and returns their files and a pool that trusts the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "portal test"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	return certFile, keyFile, roots
}

func TestServeRefusesBadCredentialFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(content), 0o600)
		os.Chmod(path, mode)
		return path
	}
	t.Setenv("PORTAL_PASSWORD", "")
	for _, tt := range []struct {
		name    string
		env     string
		args    []string
		wantErr string
	}{
		{"short password file", "", []string{"--password-file", write("short", "hunter2\n", 0o600)}, "has 7 characters; use at least 12"},
		{"readable password file", "", []string{"--password-file", write("open", "correct horse battery\n", 0o644)}, "chmod 600 " + filepath.Join(dir, "open")},
		{"short PORTAL_PASSWORD", "hunter2", nil, "PORTAL_PASSWORD: the password has 7 characters"},
		{"readable token file", "", []string{"--tokens", write("tokens.json", `{"tokens":[]}`, 0o640)}, "chmod 600 " + filepath.Join(dir, "tokens.json")},
		{"corrupt token file", "", []string{"--tokens", write("bad.json", `{"tokens":`, 0o600)}, "fix or remove it"},
		{"certificate without key", "", []string{"--tls-cert", write("cert.pem", "", 0o600)}, "give both --tls-cert and --tls-key"},
		{"not a certificate", "", []string{"--tls-cert", write("c.pem", "x", 0o600), "--tls-key", write("k.pem", "x", 0o600)}, "loading the TLS certificate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PORTAL_PASSWORD", tt.env)
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--registry", filepath.Join(dir, "portal.json")}, tt.args...)
			code, _, stderr := portalCmd(t, args...)
			if code != 1 || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, tt.wantErr)
			}
		})
	}
}

func TestServeWarnsOfPlainHTTPBeyondLoopback(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := selfSigned(t, dir)
	const warning = "serving plain HTTP beyond loopback"
	for _, tt := range []struct {
		args []string
		warn bool
	}{
		{[]string{"--addr", "0.0.0.0:0"}, true},
		{[]string{"--addr", "0.0.0.0:0", "--tls-cert", certFile, "--tls-key", keyFile}, false},
		{[]string{"--addr", "127.0.0.1:0"}, false},
	} {
		t.Setenv("PORTAL_PASSWORD", "correct horse battery")
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // serve starts, logs and shuts down at once
		var stderr bytes.Buffer
		args := append([]string{"serve", "--registry", filepath.Join(dir, "portal.json")}, tt.args...)
		if code := run(ctx, args, os.Stdout, &stderr); code != 0 {
			t.Fatalf("%v: exit %d:\n%s", tt.args, code, &stderr)
		}
		if got := strings.Contains(stderr.String(), warning); got != tt.warn {
			t.Errorf("%v: warning logged %v, want %v:\n%s", tt.args, got, tt.warn, &stderr)
		}
	}
}
