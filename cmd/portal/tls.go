package main

import (
	"crypto/tls"
	"errors"
	"fmt"
)

// tlsConfig returns the TLS configuration serving the certificate chain in
// certFile with the key in keyFile (both PEM), or nil when neither is given.
func tlsConfig(certFile, keyFile string) (*tls.Config, error) {
	if certFile == "" && keyFile == "" {
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, errors.New("give both --tls-cert and --tls-key (PEM files), or neither")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading the TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"h2", "http/1.1"}, // http.Server.Serve speaks HTTP/2 on a TLS listener that offers it
	}, nil
}
