package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckVolumes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		volume map[string]VolumeConfig // nil: the built-in one
		key    string                  // "" = fine
		reason string
	}{
		{"built-in volume may be missing", nil, "", ""},
		{"existing directory", map[string]VolumeConfig{"a": {"vfs", dir}}, "", ""},
		{"missing path", map[string]VolumeConfig{"a": {"vfs", filepath.Join(dir, "nfs")}}, "volume.a.path", "does not exist"},
		{"a file", map[string]VolumeConfig{"a": {"vfs", file}}, "volume.a.path", "not a directory"},
		{"named local elsewhere", map[string]VolumeConfig{"local": {"vfs", filepath.Join(dir, "nfs")}}, "volume.local.path", "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := Default()
			c.Agent.VarBasePath = filepath.Join(dir, "var")
			c.Volume = map[string]VolumeConfig{"local": defaultVolume(c.Agent.VarBasePath)}
			if tt.volume != nil {
				c.Volume = tt.volume
			}
			err := c.CheckVolumes()
			if tt.key == "" {
				if err != nil {
					t.Fatalf("CheckVolumes() = %v", err)
				}
				return
			}
			ke, ok := errors.AsType[*KeyError](err)
			if !ok || ke.Key != tt.key || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("CheckVolumes() = %v, want %s: %s", err, tt.key, tt.reason)
			}
		})
	}
}
