package xfertoken

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestVerifyRefuses(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	s := NewSigner(key, time.Hour)
	down, _ := s.SignDownload("local", "user:x/y", "a.txt")
	up, _ := s.SignUpload("local", "user:x/y", "a.txt", 5, strings.Repeat("a", 32))
	old := NewSigner(key, time.Hour)
	old.now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	expired, _ := old.SignDownload("local", "user:x/y", "a.txt")
	other, _ := NewSigner([]byte(strings.Repeat("o", 32)), time.Hour).SignDownload("local", "user:x/y", "a.txt")
	parts := strings.Split(down, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	hs512 := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS512","typ":"JWT"}`)) + "." + parts[1] + "." + parts[2]
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"op":"download","volume":"local","vfid":"user:x/y","relpath":"../../etc/passwd","exp":9999999999}`)) + "." + parts[2]

	if _, err := s.VerifyDownload(down); err != nil {
		t.Fatalf("good token refused: %v", err)
	}
	for name, tok := range map[string]string{
		"expired": expired, "other key": other, "alg none": none, "alg HS512": hs512,
		"tampered": tampered, "upload as download": up, "garbage": "x.y.z", "empty": "",
	} {
		if _, err := s.VerifyDownload(tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := s.VerifyUpload(down); !errors.Is(err, ErrInvalid) {
		t.Errorf("download as upload: err = %v", err)
	}
	if _, err := s.VerifyArchive(down); !errors.Is(err, ErrInvalid) {
		t.Errorf("download as archive: err = %v", err)
	}
}
