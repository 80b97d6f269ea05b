package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// tlsConfig returns the TLS configuration serving the certificate chain in
// certFile with the key in keyFile (both PEM), or nil when neither is given.
// The files are read again when either changes, so a renewed certificate
// (certbot and the like replace the files) is served without a restart.
func tlsConfig(certFile, keyFile string) (*tls.Config, error) {
	if certFile == "" && keyFile == "" {
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, errors.New("give both --tls-cert and --tls-key (PEM files), or neither")
	}
	c := &certFiles{certFile: certFile, keyFile: keyFile}
	if _, err := c.get(nil); err != nil {
		return nil, err
	}
	return &tls.Config{
		GetCertificate: c.get,
		MinVersion:     tls.VersionTLS12,
		NextProtos:     []string{"h2", "http/1.1"}, // http.Server.Serve speaks HTTP/2 on a TLS listener that offers it
	}, nil
}

// certFiles is a certificate and key on disk, loaded again when either
// file's modification time or size changes.
type certFiles struct {
	certFile, keyFile string

	mu      sync.Mutex
	cert    *tls.Certificate
	version string // the files' times and sizes when cert was loaded
}

// get returns the certificate, reloading it if the files changed. While a
// renewal is half written (a key that does not match the certificate), it
// keeps serving the certificate it has.
func (c *certFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	version := fileVersion(c.certFile) + " " + fileVersion(c.keyFile)
	if c.cert != nil && version == c.version {
		return c.cert, nil
	}
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		if c.cert != nil {
			return c.cert, nil
		}
		return nil, fmt.Errorf("loading the TLS certificate %s and key %s: %w", c.certFile, c.keyFile, err)
	}
	c.cert, c.version = &cert, version
	return c.cert, nil
}

// fileVersion names the state of the file at path by its modification time
// and size ("" if it cannot be stat'ed).
func fileVersion(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return fmt.Sprint(fi.ModTime().Format(time.RFC3339Nano), fi.Size())
}
