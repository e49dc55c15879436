package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWebFSTLS: TLS 1.2+ only, the self-signed certificate covers
// localhost and the loopback addresses, and SIGHUP swaps in a new one
// without dropping an open connection.
func TestWebFSTLS(t *testing.T) {
	d := startDaemon(t)
	addr := strings.TrimPrefix(d.webURL, "https://")
	if _, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11}); err == nil {
		t.Fatal("TLS 1.1 accepted")
	}
	hc, _ := d.webHTTPClient(t)
	old := &webClient{t: t, base: d.webURL, http: hc}
	old.expect(200, "GET", "/health", nil, nil)
	_, port, _ := net.SplitHostPort(addr)
	(&webClient{t: t, base: "https://localhost:" + port, http: hc}).expect(200, "GET", "/health", nil, nil)
	certFile := filepath.Join(d.varDir, "webfs", "cert.pem")
	first, _ := os.ReadFile(certFile)
	blk, _ := pem.Decode(first)
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil || cert.VerifyHostname("::1") != nil || cert.VerifyHostname("127.0.0.1") != nil {
		t.Fatalf("SANs: %v %v", err, cert.IPAddresses)
	}

	// A new certificate on disk, then SIGHUP.
	writeTestCert(t, certFile, filepath.Join(d.varDir, "webfs", "key.pem"), 4242)
	d.cmd.Process.Signal(syscall.SIGHUP)
	var serial string
	for range 50 {
		if serial = servedSerial(addr); serial == "4242" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if serial != "4242" {
		t.Fatalf("after SIGHUP the daemon serves serial %s", serial)
	}
	old.expect(200, "GET", "/health", nil, nil) // the kept-alive connection still works
}

// writeTestCert writes a self-signed certificate for localhost and
// 127.0.0.1 with serial, and its key.
func writeTestCert(t *testing.T, certFile, keyFile string, serial int64) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"}}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}

// servedSerial is the serial of the certificate served at addr, "" if none.
func servedSerial(addr string) string {
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		return ""
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
}
