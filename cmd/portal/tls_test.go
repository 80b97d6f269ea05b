package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCertificateRenewal: a renewal is picked up once both files are
// written, and the old certificate served while only one is.
func TestCertificateRenewal(t *testing.T) {
	dir, next := t.TempDir(), t.TempDir()
	certFile, keyFile, _ := selfSigned(t, dir)
	conf, err := tlsConfig(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	served := func() []byte {
		t.Helper()
		cert, err := conf.GetCertificate(nil)
		if err != nil {
			t.Fatal(err)
		}
		return cert.Certificate[0]
	}
	old := served()
	newCert, newKey, _ := selfSigned(t, next)
	copyFile := func(from, to string) {
		data, _ := os.ReadFile(from)
		if err := os.WriteFile(to, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(newCert, certFile)
	if !bytes.Equal(served(), old) {
		t.Error("a new certificate without its key: not the old certificate served")
	}
	copyFile(newKey, keyFile)
	want, _ := tlsConfig(newCert, newKey)
	wantCert, _ := want.GetCertificate(nil)
	if got := served(); !bytes.Equal(got, wantCert.Certificate[0]) {
		t.Error("after both files were renewed: not the new certificate served")
	}
	if _, err := tlsConfig(filepath.Join(dir, "missing.pem"), keyFile); err == nil {
		t.Error("a missing certificate file: no error")
	}
}
